"""One evolution run of a study, reduced to what studies compare: the program the run ships (what
``aurora-evo export`` ranks first, chosen on the held-out cases) and that program's scores on cases
no run saw, against best fit's on the same cases.

Every run of a study is an ordinary run of a preset (offline mutators, one evaluation worker, so that
the run seed makes it reproducible) with a few settings changed; :class:`Budget` says how much
evolution each gets.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aurora_evo.config import RunConfig, override
from aurora_evo.config_files import load_preset, preset_path
from aurora_evo.domains import problem_of_task
from aurora_evo.evaluation import EvalResult
from aurora_evo.evolver import build_evolver
from aurora_evo.evolver.build import sandbox_executor
from aurora_evo.export import selection_pool, top_programs
from aurora_evo.program_text import normalise_source
from aurora_evo.scenario.model import Scenario
from aurora_evo.sim.fitness import best_fit_metrics, relative_fitness
from aurora_evo.sim.metrics import Metrics


@dataclass(frozen=True)
class Budget:
    """How much evolution each run of a study gets.

    Attributes:
        seeds: runs per arm, with run seeds ``0 .. seeds - 1`` (the arms of one seed are paired).
        iterations: iterations per run (the preset's other stopping rules are off, so every run of a
            study evolves exactly as long).
        islands, population: the island model's size.
        suite_scenarios: on a suite, the first this many scenarios of each split (``None``: all).
        levels: on the seed scenarios (no suite), the levels trained on.
    """

    seeds: int
    iterations: int
    islands: int
    population: int
    suite_scenarios: int | None = None
    levels: tuple[str, ...] = ("easy", "medium", "hard")


@dataclass(frozen=True)
class Winner:
    """The program one run ships.

    Attributes:
        label: the run's arm (or the domain it evolved on).
        seed: its run seed.
        program_id, source: the program.
        validation: its score on the run's held-out cases (mean reward).
        evaluated: candidates the run evaluated.
        seconds: the run's wall time, s.
        seed_program: the name of the baseline it is (one the run started from, unchanged: no candidate
            the run made did better on the held-out cases), or ``None`` for an evolved program.
    """

    label: str
    seed: int
    program_id: str
    source: str
    validation: float | None
    evaluated: int
    seconds: float
    seed_program: str | None = None

    def record(self) -> dict:
        """JSON-ready, the source included."""
        return dataclasses.asdict(self)


def run_config(preset: str, budget: Budget, seed: int, settings: Mapping[str, object]) -> RunConfig:
    """``preset`` for one run of a study: ``budget``'s size and length, one evaluation worker, run seed
    ``seed``, then ``settings`` (dotted names, as :func:`~aurora_evo.config.override` takes them)."""
    sized = {
        "seed": seed,
        "evaluation.workers": 1,
        "stop.max_iterations": budget.iterations,
        "stop.max_seconds": None,
        "stop.patience": None,
        "stop.window": None,
        "islands.islands": budget.islands,
        "islands.population": budget.population,
        "task.levels": list(budget.levels),
    }
    config = override(load_preset(preset_path(preset)), **sized, **settings)
    if config.task.suite is not None:
        config = override(config, **{"task.suite_scenarios": budget.suite_scenarios})
    return config


def evolve_winner(config: RunConfig, label: str, run_dir: Path | None = None) -> Winner:
    """Run ``config`` to its end in ``run_dir`` (a new folder; default: a temporary one, removed after);
    the program it ships."""
    began = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as tmp,
        build_evolver(config, run_dir or Path(tmp) / "run") as evolution,
    ):
        evolution.run()
        best = top_programs(evolution.archive, evolution.run_id, 1, selection_pool(config))[0]
        evaluated = evolution.evaluations_so_far()
    seconds = time.perf_counter() - began
    baselines = problem_of_task(config.task).baselines()
    same = [
        name
        for name, source in baselines.items()
        if normalise_source(source) == normalise_source(best.source)
    ]
    return Winner(
        label,
        config.seed,
        best.id,
        best.source,
        best.validation_score,
        evaluated,
        seconds,
        next(iter(same), None),
    )


def run_apart(calls: Sequence[tuple[Callable, tuple]], jobs: int) -> Iterator:
    """Each ``(function, arguments)`` of ``calls`` run in a process of its own, ``jobs`` at once; their
    results in the calls' order, each as soon as it and those before it are done.

    A standard process pool started by ``spawn``, not joblib's: the sandbox's evaluation workers use
    loky's process-wide reusable executor, and a joblib ``Parallel`` handed that same executor fails.
    The pool's processes are not daemons, so each run can start its sandbox's processes."""
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(function, *arguments) for function, arguments in calls]
        for future in futures:
            yield future.result()


def score_on(config: RunConfig, sources: Sequence[str], cases: Sequence[Scenario]) -> list[EvalResult]:
    """``sources`` (untrusted) on ``cases`` in a sandbox with ``config``'s limits, in order."""
    executor = sandbox_executor(config)
    try:
        return executor.evaluate(problem_of_task(config.task), list(sources), list(cases))
    finally:
        executor.close()


def scored_on(config: RunConfig, sources: Sequence[str], cases: Sequence[Scenario]) -> list[dict]:
    """Each of ``sources`` (untrusted, run in the sandbox) on ``cases``: :func:`case_values`."""
    references = [best_fit_metrics(case) for case in cases]
    return [case_values(result, cases, references) for result in score_on(config, sources, cases)]


def case_values(result: EvalResult, cases: Sequence[Scenario], references: Sequence[Metrics]) -> dict:
    """``fitness`` (against best fit's ``references``, per case) and ``reward`` of one evaluation,
    each ``(n_cases,)``; NaN throughout when it failed."""
    if not result.outcome.ok:
        nan = np.full(len(cases), np.nan)
        return {"fitness": nan, "reward": nan}
    metrics = [Metrics(**result.per_case[case.name]) for case in cases]
    fitness = [relative_fitness(c, m, r) for c, m, r in zip(cases, metrics, references, strict=True)]
    return {"fitness": np.array(fitness), "reward": np.array([m.reward for m in metrics])}
