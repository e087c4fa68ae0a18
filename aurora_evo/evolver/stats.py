"""What one iteration did, for progress displays and logs; and what the stop rules read of a run."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aurora_evo.archive import coverage
from aurora_evo.evolver.stopping import Progress

if TYPE_CHECKING:  # typing only: the evolver imports this module
    from aurora_evo.evolver.evolver import Evolver


@dataclass(frozen=True)
class IterationStats:
    """What one iteration did.

    Attributes:
        iteration: its number (0: the seeds).
        evaluated: candidates evaluated.
        outcomes: how many ended with each sandbox outcome (``"ok"``, ``"timeout"``...), and LLM answers
            that gave no candidate (``"llm.no_code"``...).
        duplicates: candidates refused as near-duplicates before evaluation.
        best_score, best_program: the run's best training score and its program (``None`` before any
            program ran).
        improved: the best improved in this iteration.
        island_best: each island's best score.
        coverage: the share of MAP-Elites cells filled, 0-1.
        top_rating: the highest Elo rating.
        seconds: wall-clock seconds the iteration took.
        training_changed: the attacker changed the training set this iteration: every score, the best
            included, is now over the new set, so the best may fall without any program getting worse.
        best_before_change: the best training score before that change (``None`` when the set did not
            change).
        training_cases: cases in the training set.
        level: the attacker's curriculum level (``None`` without an attacker).
    """

    iteration: int
    evaluated: int
    outcomes: dict[str, int]
    duplicates: int
    best_score: float | None
    best_program: str | None
    improved: bool
    island_best: tuple[float | None, ...]
    coverage: float
    top_rating: float | None
    seconds: float
    training_changed: bool = False
    best_before_change: float | None = None
    training_cases: int = 0
    level: str | None = None


def iteration_stats(
    run: Evolver, told: dict, evaluated: int, duplicates: int, seconds: float
) -> IterationStats:
    """``run``'s stats after an iteration that ``told`` (outcome counts, whether the best improved)."""
    ratings = run.archive.elites.ratings(run.run_id)
    best = run.population.best
    return IterationStats(
        iteration=run.iteration,
        evaluated=evaluated,
        outcomes=dict(told["outcomes"]),
        duplicates=duplicates,
        best_score=best[1] if best else None,
        best_program=best[0] if best else None,
        improved=bool(told["improved"]),
        island_best=tuple(i.best.score if i.best else None for i in run.population.islands),
        coverage=coverage(run.archive.elites.cells(run.run_id), run.descriptors),
        top_rating=max((r.rating for r in ratings.values()), default=None),
        seconds=seconds,
        training_cases=len(run.training.train),
        level=run.attacker.level if run.attacker is not None else None,
    )


def progress_of(run: Evolver) -> Progress:
    """What the stop rules look at in ``run``, now."""
    weighted = [k for k, w in run.weights.items() if w > 0]
    population, budget = run.population, run.budget
    return Progress(
        iteration=run.iteration,
        seconds=time.monotonic() - run.started,
        calls=budget.calls,
        cost_usd=budget.cost_usd,
        budget_refusal=budget.refused,
        exhausted=tuple(run.mutators[k].exhausted_reason if k in run.mutators else None for k in weighted),
        mastered=run.attacker.mastered if run.attacker is not None else None,
        best=population.best[1] if population.best else None,
        # A changed training set restarts the comparison.
        history=tuple(population.best_history[population.history_start :]),
    )
