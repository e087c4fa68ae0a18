"""``aurora-evo evaluate --study transfer``: zero-shot transfer between domains.

A program evolved on one domain's seed scenarios (the ``default`` preset, attacker and all, on the
budget's levels) is scored, unchanged, on another domain's test scenarios, beside a program evolved
on that target domain with the same budget and run seed. The pairs are :data:`PAIRS`: cloud to edge,
edge to network, cloud to network. A domain's test scenarios are ones neither run saw: its seed
scenarios at the levels the runs do not train on (expert, in the full profile), and scenarios
generated at medium, hard and expert from a fixed seed through quality control
(:func:`~aurora_evo.attacker.generate.generate_scenarios`).

Retention, per run seed, is the transferred program's mean reward on the target over the native
program's (1: as good as a program evolved there); the gain retained is the transferred program's
fitness against best fit over the native one's (meaningful when the native program beats best fit).
Over the seeds: the transferred and native fitness paired (t and Wilcoxon tests), with best fit and
first fit beside them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from aurora_evo.attacker.generate import generate_scenarios
from aurora_evo.config import RunConfig
from aurora_evo.domains import problem_of_domain, problem_of_task
from aurora_evo.evaluate.statistics import mean_interval, paired_test
from aurora_evo.studies.evolution import Budget, Winner, evolve_winner, run_apart, run_config, scored_on

PRESET = "default"
#: (source domain, target domain).
PAIRS = (("cloud", "edge"), ("edge", "network"), ("cloud", "network"))
#: Seeds the generated test scenarios (outside every run).
TEST_SEED = 20261206
BUDGETS = {
    "quick": Budget(seeds=2, iterations=3, islands=2, population=4, levels=("easy",)),
    "full": Budget(seeds=5, iterations=40, islands=4, population=8),
}
#: Generated test scenarios per level (medium, hard, expert) and domain.
GENERATED = {"quick": 1, "full": 6}


def domains() -> list[str]:
    """Every domain a run evolves on: the sources and the targets."""
    return list(dict.fromkeys(domain for pair in PAIRS for domain in pair))


def target_scenarios(config: RunConfig, per_level: int) -> list:
    """The target domain of ``config``: its unseen seed scenarios and ``per_level`` generated ones per
    level."""
    cases = list(problem_of_task(config.task).test_cases(config.task))
    rng = np.random.default_rng(TEST_SEED)
    for level in ("medium", "hard", "expert"):
        cases += [s for s, _ in generate_scenarios(level, per_level, rng, domain=config.task.domain)]
    return cases


def _pair_record(
    source: str, target: str, winners: dict, scored: dict, baselines: dict, rng: np.random.Generator
) -> dict:
    """One pair's figures over the seeds."""
    seeds = sorted(seed for domain, seed in winners if domain == source)
    transferred = [scored[(source, seed), target] for seed in seeds]
    native = [scored[(target, seed), target] for seed in seeds]
    per_seed = []
    for seed, moved, home in zip(seeds, transferred, native, strict=True):
        moved_fitness, home_fitness = float(np.mean(moved["fitness"])), float(np.mean(home["fitness"]))
        per_seed.append(
            {
                "seed": seed,
                "transferred_reward": float(np.mean(moved["reward"])),
                "native_reward": float(np.mean(home["reward"])),
                "transferred_fitness": moved_fitness,
                "native_fitness": home_fitness,
                "retention": float(np.mean(moved["reward"]) / np.mean(home["reward"])),
                "gain_retained": moved_fitness / home_fitness if home_fitness > 0 else None,
            }
        )
    finite = [r for r in per_seed if np.isfinite(r["retention"])]
    record = {"source": source, "target": target, "seeds": per_seed, "baselines": baselines[target]}
    if finite:
        retention = [r["retention"] for r in finite]
        test = paired_test(
            [r["transferred_fitness"] for r in finite], [r["native_fitness"] for r in finite], True
        )
        record["retention"] = dataclasses.asdict(mean_interval(retention, rng))
        record["transferred_vs_native"] = dataclasses.asdict(test)
    return record


def transfer_study(
    profile: str, seed: int, jobs: int, say: Callable[[str], None] = lambda line: None
) -> dict:
    """Evolve on every domain of :data:`PAIRS` for ``BUDGETS[profile]``, ``jobs`` runs at once, and
    score every winner on every target; the study's JSON-ready document (``seed`` seeds the intervals)."""
    budget = BUDGETS[profile]
    configs = {
        (domain, run_seed): run_config(PRESET, budget, run_seed, {"task.domain": domain})
        for run_seed in range(budget.seeds)
        for domain in domains()
    }
    say(f"transfer: {len(configs)} runs ({len(domains())} domains x {budget.seeds} seeds), {jobs} at once")
    done = run_apart([(evolve_winner, (config, domain)) for (domain, _), config in configs.items()], jobs)
    winners: dict[tuple[str, int], Winner] = {}
    for winner in done:
        winners[winner.label, winner.seed] = winner
        say(
            f"transfer: run {len(winners)} of {len(configs)} ({winner.label}, seed {winner.seed}): "
            f"{winner.evaluated} candidates, {winner.seconds:.0f} s"
        )
    scored, baselines, targets = {}, {}, dict.fromkeys(target for _, target in PAIRS)
    for target in targets:
        config = configs[target, 0]
        cases = target_scenarios(config, GENERATED[profile])
        problem = problem_of_domain(target)
        movers = [key for key in winners if key[0] == target or (key[0], target) in PAIRS]
        named = {"first fit": problem.baseline("first fit"), "best fit": problem.baseline("best fit")}
        sources = [winners[key].source for key in movers] + list(named.values())
        values = scored_on(config, sources, cases)
        scored |= {(key, target): v for key, v in zip(movers, values, strict=False)}
        baselines[target] = {
            name: {"mean_reward": float(np.mean(v["reward"])), "mean_fitness": float(np.mean(v["fitness"]))}
            for name, v in zip(named, values[len(movers) :], strict=True)
        }
        baselines[target]["scenarios"] = len(cases)
        say(f"transfer: {len(movers)} winners and the baselines scored on {len(cases)} {target} scenario(s)")
    rng = np.random.default_rng(seed)
    return {
        "study": "transfer",
        "run": {
            "profile": profile,
            "budget": dataclasses.asdict(budget),
            "preset": PRESET,
            "seed": seed,
            "generated_per_level": GENERATED[profile],
        },
        "runs": [w.record() for w in winners.values()],
        "pairs": [_pair_record(s, t, winners, scored, baselines, rng) for s, t in PAIRS],
    }
