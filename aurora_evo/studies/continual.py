"""``aurora-evo evaluate --study continual``: a search continued on new cases, and what it forgets.

Per run seed, three runs of the ``default`` preset with the same budget:

* ``first``: on the first suite's train split (``--suite``);
* ``continued``: a new run on the second suite's train split (``--then``) that starts from the first
  run's island programs, carried over to its islands (``islands.seed_run``) beside the baselines;
* ``scratch``: on the second suite from the baselines alone.

Each run's shipped program (chosen on its own suite's validation split) is scored on both suites' test
splits. Forgetting, per seed, is the first run's fitness on the first suite's test split minus the
continued run's (positive: continuing on the second suite lost that much on the first); the gain from
carrying over is the continued run's fitness on the second suite's test split minus the scratch run's.
Both are paired over the seeds (t and Wilcoxon tests).
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from aurora_evo.domains import problem_of_task
from aurora_evo.evaluate.statistics import mean_interval, paired_test
from aurora_evo.studies.evolution import Budget, Winner, evolve_winner, run_apart, run_config, scored_on

PRESET = "default"
BUDGETS = {
    "quick": Budget(seeds=2, iterations=3, islands=2, population=4, suite_scenarios=3),
    "full": Budget(seeds=5, iterations=40, islands=4, population=8),
}
#: The runs of a seed.
RUNS = ("first", "continued", "scratch")


def _first_then_continued(budget: Budget, seed: int, suite: str, then: str) -> list[Winner]:
    """The first run (on ``suite``), then the run on ``then`` that carries its islands over."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "first"
        first = evolve_winner(run_config(PRESET, budget, seed, {"task.suite": suite}), "first", folder)
        continued = run_config(PRESET, budget, seed, {"task.suite": then, "islands.seed_run": str(folder)})
        return [first, evolve_winner(continued, "continued")]


def _scratch(budget: Budget, seed: int, then: str) -> list[Winner]:
    """The run on ``then`` from the baselines alone."""
    return [evolve_winner(run_config(PRESET, budget, seed, {"task.suite": then}), "scratch")]


def _score(config, winners: list[Winner], say) -> dict:
    """Every winner's fitness and reward on ``config``'s suite's test split, by (run, seed)."""
    problem = problem_of_task(config.task)
    cases = list(problem.test_cases(config.task))
    values = scored_on(config, [w.source for w in winners], cases)
    say(f"continual: {len(winners)} winners scored on {len(cases)} test scenario(s) of {config.task.suite}")
    return {(w.label, w.seed): v for w, v in zip(winners, values, strict=True)}


def _paired(values: list[float], reference: list[float], rng: np.random.Generator) -> dict:
    """The difference ``values - reference`` over the seeds (those where both were measured): its
    interval and the paired tests; empty when no seed has both."""
    x, y = np.array(values), np.array(reference)
    keep = np.isfinite(x) & np.isfinite(y)
    if not keep.any():
        return {}
    return {
        "difference": dataclasses.asdict(mean_interval(x[keep] - y[keep], rng)),
        "test": dataclasses.asdict(paired_test(x[keep], y[keep], higher_is_better=True)),
    }


def continual_study(
    suite: str, then: str, profile: str, seed: int, jobs: int, say: Callable[[str], None] = lambda line: None
) -> dict:
    """The three runs per seed of ``BUDGETS[profile]`` (``jobs`` at once), scored on both suites' test
    splits; the study's JSON-ready document (``seed`` seeds the intervals)."""
    budget = BUDGETS[profile]
    seeds = list(range(budget.seeds))
    tasks = [(_first_then_continued, (budget, s, suite, then)) for s in seeds]
    tasks += [(_scratch, (budget, s, then)) for s in seeds]
    say(f"continual: {3 * budget.seeds} runs ({suite}, then {then}; {budget.seeds} seeds), {jobs} at once")
    winners: list[Winner] = []
    for done in run_apart(tasks, jobs):
        for w in done:
            winners.append(w)
            say(f"continual: run {len(winners)} of {3 * budget.seeds} ({w.label}, seed {w.seed}): "
                f"{w.evaluated} candidates, {w.seconds:.0f} s")  # fmt: skip
    on_first = _score(run_config(PRESET, budget, 0, {"task.suite": suite}), winners, say)
    on_then = _score(run_config(PRESET, budget, 0, {"task.suite": then}), winners, say)
    rows = [
        {
            "seed": s,
            **{metric: {run: {name: float(np.mean(scored[run, s][metric]))
                              for name, scored in ((suite, on_first), (then, on_then))} for run in RUNS}
               for metric in ("fitness", "reward")},
        }
        for s in seeds
    ]  # fmt: skip
    rng = np.random.default_rng(seed)

    def column(run: str, name: str) -> list[float]:
        return [row["fitness"][run][name] for row in rows]

    return {
        "study": "continual",
        "run": {
            "suite": suite,
            "then": then,
            "profile": profile,
            "budget": dataclasses.asdict(budget),
            "preset": PRESET,
            "seed": seed,
            "split": "test",
        },
        "runs": [w.record() for w in winners],
        "seeds": rows,
        # first - continued on the first suite: positive is forgetting.
        "forgetting_on_first": _paired(column("first", suite), column("continued", suite), rng),
        "carried_on_then": _paired(column("continued", then), column("scratch", then), rng),
        "learned_on_then": _paired(column("continued", then), column("first", then), rng),
    }
