"""Run every policy of ``aurora-evo evaluate`` on a suite's split: the seed baselines, GA, DQN and PPO
(trained here on the suite's train split), and the programs given (run in the sandbox).

The seed baselines (random, round robin, first fit, best fit) and the trained baselines are this
project's own code and run in this process; the programs given are untrusted and run through the
``evaluate_untrusted`` the caller hands in (the sandbox's :meth:`~aurora_evo.sandbox.Sandbox.evaluate`).
Every policy is scored on the same scenarios by the same simulator; each scenario's metrics are kept,
with the fitness against best fit's (:func:`~aurora_evo.sim.fitness.relative_fitness`), for the paired
statistics of :mod:`aurora_evo.evaluate.statistics`.

A :class:`Profile` sets the budgets: ``quick`` (a few scenarios, tiny training: the test suite runs it)
and ``full`` (every scenario of the split, the budgets :data:`PROFILES` states).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from aurora_evo.contracts import Contract
from aurora_evo.errors import InputError
from aurora_evo.evaluate.curves import training_trend
from aurora_evo.evaluation import EvalResult
from aurora_evo.scenario.model import Scenario
from aurora_evo.scheduler import Scheduler, load_scheduler
from aurora_evo.seeds import seed_program_paths
from aurora_evo.sim.fitness import best_fit_metrics, relative_fitness
from aurora_evo.sim.metrics import Metrics

#: The baselines, in the order the report lists them.
BASELINES = ("random_choice", "round_robin", "first_fit", "best_fit", "ga", "dqn", "ppo")
SEED_BASELINES = BASELINES[:4]
TRAINED_BASELINES = BASELINES[4:]


@dataclass(frozen=True)
class Profile:
    """Budgets of one evaluation.

    Attributes:
        name: ``quick`` or ``full``.
        test_scenarios: the first this many scenarios of the split evaluated (``None``: all).
        train_scenarios: the first this many of the train split the baselines train on (``None``: all).
        rl_timesteps: decisions DQN and PPO train for.
        ga_population, ga_generations: the GA's.
    """

    name: str
    test_scenarios: int | None
    train_scenarios: int | None
    rl_timesteps: int
    ga_population: int
    ga_generations: int


PROFILES = {
    "quick": Profile("quick", 4, 4, 3_000, 8, 3),
    "full": Profile("full", None, None, 200_000, 32, 20),
}


@dataclass
class PolicyResult:
    """One policy on every scenario evaluated.

    Attributes:
        name: the policy's name.
        kind: ``"baseline"``, ``"trained"`` or ``"given"``.
        metrics: per scenario, in the scenarios' order; empty when it failed.
        fitness: per scenario, against best fit's metrics.
        decision_ms: mean wall time per placement decision (simulation included), ms; ``None`` for a
            program run in the sandbox (its time is the jail's as much as the program's).
        error: why it failed, or ``""``.
        training: for a trained baseline, its budget, seconds, learning curve (DQN and PPO: also the
            greedy network's checkpoints) and its trend over the last fifth
            (:func:`~aurora_evo.evaluate.curves.training_trend`).
    """

    name: str
    kind: str
    metrics: list[Metrics] = field(default_factory=list)
    fitness: list[float] = field(default_factory=list)
    decision_ms: float | None = None
    error: str = ""
    training: dict = field(default_factory=dict)


def measure_in_process(name: str, kind: str, scheduler, scenarios, references) -> PolicyResult:
    """A vetted ``scheduler`` (run in this process) on ``scenarios``, its fitness against best fit's
    ``references``; a failure on one scenario fails it whole."""
    result = PolicyResult(name, kind)
    seconds = decisions = 0
    for scenario, reference in zip(scenarios, references, strict=True):
        ran = scheduler.run(scenario)
        if ran.metrics is None:
            return PolicyResult(name, kind, error=f"{scenario.name}: {ran.message}")
        result.metrics.append(ran.metrics)
        result.fitness.append(relative_fitness(scenario, ran.metrics, reference))
        seconds, decisions = seconds + ran.seconds, decisions + ran.decisions
    result.decision_ms = 1000.0 * seconds / max(decisions, 1)
    return result


def _untrusted(name: str, source: str, scenarios, references, evaluate_untrusted) -> PolicyResult:
    evaluated: EvalResult = evaluate_untrusted(source, scenarios)
    if not evaluated.outcome.ok:
        return PolicyResult(name, "given", error=evaluated.message or evaluated.outcome.value)
    metrics = [Metrics(**case) for case in evaluated.per_case.values()]
    fitness = [relative_fitness(s, m, r) for s, m, r in zip(scenarios, metrics, references, strict=True)]
    return PolicyResult(name, "given", metrics, fitness)


def train_baseline(
    name: str,
    train: Sequence[Scenario],
    train_references: Sequence[Metrics],
    max_nodes: int,
    profile: Profile,
    seed: int,
    say,
) -> tuple[object, dict]:
    """The trained baseline ``name`` (a scheduler) and what its training recorded, trained on ``train``
    against best fit's metrics there (``train_references``); DQN's and PPO's networks take ``max_nodes``
    nodes (the most of any scenario they train on or are measured on)."""
    began = time.perf_counter()
    if name == "ga":
        from aurora_evo.baselines import GAConfig, GeneticAlgorithm  # heavy: DEAP and the GA's kernel

        config = GAConfig(population=profile.ga_population, generations=profile.ga_generations, seed=seed)

        reference_of = {s.name: r for s, r in zip(train, train_references, strict=True)}

        def fitness_score(scenario: Scenario, metrics: Metrics) -> float:
            return relative_fitness(scenario, metrics, reference_of[scenario.name])

        def generation_done(entry: dict) -> None:
            best = entry["best_so_far"]
            say(f"ga: generation {entry['generation']} of {config.generations}, best {best:+.4f}")

        ga = GeneticAlgorithm(config).fit(train, score=fitness_score, progress=generation_done)
        scheduler = Scheduler(ga.program_source(), Contract.ALLOCATION, "ga")
        record = {"budget": f"{config.population} x {config.generations} generations", "curve": ga.history_}
    else:
        # heavy: torch, stable-baselines3 and sb3-contrib (the rl extra)
        from aurora_evo.rl.agents import DQNBaseline, PPOBaseline, RLConfig

        baseline_class = DQNBaseline if name == "dqn" else PPOBaseline
        budget = _small_budget(profile)
        config = RLConfig(timesteps=profile.rl_timesteps, seed=seed, max_nodes=max_nodes, **budget)
        learned = baseline_class(config)
        tenth = max(config.timesteps // 10, 1)

        def decisions_done(timesteps: int) -> None:
            if timesteps % tenth == 0:
                recent = [entry["fitness"] for entry in learned.history_[-20:]]
                mean = f", last {len(recent)} episodes' fitness {np.mean(recent):+.4f}" if recent else ""
                say(f"{name}: {timesteps:,} of {config.timesteps:,} decisions{mean}")

        learned.fit(train, references=train_references, progress=decisions_done)
        scheduler = learned.scheduler()
        record = {
            "budget": f"{config.timesteps:,} decisions",
            "curve": learned.history_,
            "checkpoints": learned.checkpoints_,
        }
    record["seconds"] = time.perf_counter() - began
    record["trend"] = training_trend(record)
    trend = record["trend"]
    last_fifth = f"; over the last fifth {trend['verdict']} ({trend['change']:+.4f})" if trend else ""
    say(f"{name}: trained in {record['seconds']:.1f} s ({record['budget']}){last_fifth}")
    return scheduler, record


def _small_budget(profile: Profile) -> dict:
    """DQN's warm-up and PPO's rollouts shrunk to a budget too small for their defaults."""
    if profile.rl_timesteps >= 20_000:
        return {}
    quarter = max(profile.rl_timesteps // 4, 32)
    return {
        "learning_starts": quarter,
        "target_update_interval": quarter,
        "n_steps": quarter,
        "batch_size": 32,
        "checkpoints": 2,
    }


def evaluate_policies(
    train: Sequence[Scenario],
    test: Sequence[Scenario],
    programs: Mapping[str, str],
    evaluate_untrusted: Callable[[str, Sequence[Scenario]], EvalResult] | None,
    baselines: Sequence[str] = BASELINES,
    profile: Profile = PROFILES["full"],
    seed: int = 0,
    say: Callable[[str], None] = lambda line: None,
) -> list[PolicyResult]:
    """Every baseline of ``baselines`` and every program of ``programs`` (name -> source) on ``test``
    (cut to the profile's count), the trained baselines trained on ``train`` (likewise); ``say`` hears a
    line per stage. Best fit is always measured: it is the fitness's reference."""
    unknown = sorted(set(baselines) - set(BASELINES))
    if unknown:
        raise InputError(f"unknown baselines {', '.join(unknown)}; known: {', '.join(BASELINES)}")
    if programs and evaluate_untrusted is None:
        raise ValueError("programs given without a way to evaluate untrusted code")
    test = list(test)[: profile.test_scenarios]
    train = list(train)[: profile.train_scenarios]
    if not test or (set(baselines) & set(TRAINED_BASELINES) and not train):
        raise InputError("nothing to evaluate on, or no training scenario for the trained baselines")
    references = [best_fit_metrics(s) for s in test]
    trained = [name for name in baselines if name in TRAINED_BASELINES]
    train_references = [best_fit_metrics(s) for s in train] if trained else []
    max_nodes = max(len(s.nodes) for s in [*train, *test])
    seeds = seed_program_paths()
    results = []
    for name in dict.fromkeys(["best_fit", *baselines]):
        if name in SEED_BASELINES:
            results.append(
                measure_in_process(name, "baseline", load_scheduler(seeds[name]), test, references)
            )
        else:
            scheduler, record = train_baseline(name, train, train_references, max_nodes, profile, seed, say)
            result = measure_in_process(name, "trained", scheduler, test, references)
            result.training = record
            results.append(result)
        say(f"{name}: measured on {len(test)} scenario(s)")
    for name, source in programs.items():
        results.append(_untrusted(name, source, test, references, evaluate_untrusted))
        say(f"{name}: measured on {len(test)} scenario(s) in the sandbox")
    order = {name: i for i, name in enumerate([*BASELINES, *programs])}
    return sorted(results, key=lambda r: order[r.name])
