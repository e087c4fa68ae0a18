"""``aurora-evo evaluate --study ablation``: the full system against itself with one part taken out.

Four arms, each a run of the ``default`` preset on a suite's train split (its validation split held
out, what the run ships is chosen on it), alike in everything but one switch:

* ``full``: the attacker co-evolves scenarios, its curriculum climbing from the preset's first level,
  and the policy database (MAP-Elites elites by Elo) chooses :data:`ELITE_SHARE` of the parents;
* ``no attacker``: ``attacker.enabled = false``: the suite's scenarios only;
* ``no policy database``: ``islands.elite_share = 0``: parents from the islands alone;
* ``no curriculum``: ``attacker.start_level`` = the preset's ``top_level``: the attacker works at its
  hardest level from the start.

Each arm runs with run seeds ``0 .. seeds - 1`` and the same budget; its winner is scored on the
suite's test split, which no run sees. The arms of a seed are paired: per seed, the mean fitness
(against best fit, per scenario) of each ablation against the full system's, paired t and Wilcoxon
tests over the seeds, Holm-corrected over the three ablations
(:func:`~aurora_evo.evaluate.statistics.compare_policies`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from aurora_evo.config_files import load_preset, preset_path
from aurora_evo.domains import problem_of_task
from aurora_evo.evaluate.statistics import compare_policies, mean_interval
from aurora_evo.evaluate.summary import comparison_record
from aurora_evo.studies.evolution import Budget, evolve_winner, run_apart, run_config, scored_on

#: The preset every arm runs.
PRESET = "default"
#: The share of parents the policy database chooses in the arms that have it.
ELITE_SHARE = 0.3
#: The budgets: ``quick`` for the test suite, ``full`` for BENCHMARKS.md.
BUDGETS = {
    "quick": Budget(seeds=2, iterations=3, islands=2, population=4, suite_scenarios=3),
    "full": Budget(seeds=5, iterations=40, islands=4, population=8),
}


def arms() -> dict[str, dict]:
    """Each arm's settings, the full system first."""
    top_level = load_preset(preset_path(PRESET)).attacker.top_level
    return {
        "full": {"islands.elite_share": ELITE_SHARE},
        "no attacker": {"islands.elite_share": ELITE_SHARE, "attacker.enabled": False},
        "no policy database": {"islands.elite_share": 0.0},
        "no curriculum": {"islands.elite_share": ELITE_SHARE, "attacker.start_level": top_level},
    }


def ablation_study(
    suite: str, profile: str, seed: int, jobs: int, say: Callable[[str], None] = lambda line: None
) -> dict:
    """Run every arm of :func:`arms` for ``BUDGETS[profile]`` on ``suite``, ``jobs`` runs at once; the
    study's JSON-ready document. ``seed`` seeds the bootstrap intervals (the runs' seeds are the
    budget's)."""
    budget = BUDGETS[profile]
    settings = arms()
    configs = [
        (arm, run_config(PRESET, budget, run_seed, {"task.suite": suite, **changes}))
        for run_seed in range(budget.seeds)
        for arm, changes in settings.items()
    ]
    say(f"ablation: {len(configs)} runs ({len(settings)} arms x {budget.seeds} seeds), {jobs} at once")
    runs_done = run_apart([(evolve_winner, (config, arm)) for arm, config in configs], jobs)
    winners = []
    for winner in runs_done:
        winners.append(winner)
        say(
            f"ablation: run {len(winners)} of {len(configs)} ({winner.label}, seed {winner.seed}): "
            f"{winner.evaluated} candidates, {winner.seconds:.0f} s"
        )
    config = configs[0][1]
    problem = problem_of_task(config.task)
    test = list(problem.test_cases(config.task))
    baselines = {name: problem.baseline(name) for name in ("first fit", "best fit")}
    values = scored_on(config, [w.source for w in winners] + list(baselines.values()), test)
    say(f"ablation: winners and baselines scored on {len(test)} test scenario(s)")
    runs = {arm: [] for arm in settings}
    for winner, scored in zip(winners, values, strict=False):
        runs[winner.label].append(
            {
                **{k: v for k, v in winner.record().items() if k != "label"},
                "test_fitness": scored["fitness"].tolist(),
                "test_reward": scored["reward"].tolist(),
                "mean_test_fitness": float(np.mean(scored["fitness"])),
                "mean_test_reward": float(np.mean(scored["reward"])),
            }
        )
    per_seed = {arm: np.array([r["mean_test_fitness"] for r in rows]) for arm, rows in runs.items()}
    return {
        "study": "ablation",
        "run": {
            "suite": suite,
            "split": "test",
            "scenarios": len(test),
            "train_scenarios": len(problem.cases(config.task, 0).train),
            "profile": profile,
            "budget": dataclasses.asdict(budget),
            "preset": PRESET,
            "seed": seed,
        },
        "arms": {arm: {"settings": settings[arm], "runs": rows} for arm, rows in runs.items()},
        "baselines": {
            name: {
                "mean_test_fitness": float(np.mean(v["fitness"])),
                "mean_test_reward": float(np.mean(v["reward"])),
            }
            for name, v in zip(baselines, values[len(winners) :], strict=True)
        },
        **_statistics(per_seed, np.random.default_rng(seed)),
    }


def _statistics(per_seed: dict[str, np.ndarray], rng: np.random.Generator) -> dict:
    """Over the seeds where every arm's winner was measured (``paired_seeds``; a winner that failed on a
    test scenario has no mean, and its seed leaves every arm's pairing): each arm's mean with its
    bootstrap interval, and every ablation against the full system (Holm over the ablations)."""
    complete = np.all([np.isfinite(v) for v in per_seed.values()], axis=0)
    paired = {arm: v[complete] for arm, v in per_seed.items()}
    seeds = [int(s) for s in np.flatnonzero(complete)]
    if not seeds:
        return {"paired_seeds": [], "intervals": {}, "comparisons": []}
    comparisons = compare_policies(paired, ["full"], higher_is_better=True)
    return {
        "paired_seeds": seeds,
        "intervals": {arm: dataclasses.asdict(mean_interval(v, rng)) for arm, v in paired.items()},
        "comparisons": [comparison_record(c) for c in comparisons],
    }
