"""When a run stops: pure rules over what the run has done so far (no clock, no archive, no state).

:func:`stop_reason` checks the rules of :class:`~aurora_evo.config.StopConfig` in a fixed order and
returns the first that holds, in words; the controller gathers the :class:`Progress` it reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aurora_evo.config import StopConfig
from aurora_evo.scenario.levels import LEVELS


@dataclass(frozen=True)
class Progress:
    """What the stop rules look at.

    Attributes:
        iteration: iterations done (0 after the seeds).
        seconds: wall-clock seconds since this invocation of the run began.
        calls, cost_usd: LLM calls made and dollars spent over the whole run.
        budget_refusal: why the LLM budget refused a call, or ``None``.
        exhausted: for every mutator with a positive weight, why it can make nothing more (``None``
            while it can).
        mastered: the highest curriculum level the defender mastered (``None`` without an attacker).
        best: the best training score (``None`` before any program ran).
        history: the best training score after each iteration since the training set last changed
            (``None`` where no program had run yet).
    """

    iteration: int
    seconds: float
    calls: int = 0
    cost_usd: float = 0.0
    budget_refusal: str | None = None
    exhausted: tuple[str | None, ...] = ()
    mastered: str | None = None
    best: float | None = None
    history: tuple[float | None, ...] = ()


def stop_reason(stop: StopConfig, progress: Progress) -> str | None:
    """Why the run should stop now, or ``None``."""
    for rule in (_limits, _exhaustion, _goals, _stagnation):
        reason = rule(stop, progress)
        if reason is not None:
            return reason
    return None


def _limits(stop: StopConfig, progress: Progress) -> str | None:
    """The budgets: iterations, seconds, dollars, calls; and a call the LLM budget refused."""
    if stop.max_iterations is not None and progress.iteration >= stop.max_iterations:
        return f"reached {stop.max_iterations} iterations"
    if stop.max_seconds is not None and progress.seconds >= stop.max_seconds:
        return f"used the {stop.max_seconds:g} s budget"
    if stop.max_cost_usd is not None and progress.cost_usd >= stop.max_cost_usd:
        return f"spent the ${stop.max_cost_usd:g} budget"
    if stop.max_calls is not None and progress.calls >= stop.max_calls:
        return f"made the {stop.max_calls} LLM calls allowed"
    # The budgets end the run, even when offline mutators could go on.
    return progress.budget_refusal or None


def _exhaustion(stop: StopConfig, progress: Progress) -> str | None:
    """Every mutator in use can make nothing more."""
    if progress.exhausted and all(progress.exhausted):
        return progress.exhausted[0]
    return None


def _goals(stop: StopConfig, progress: Progress) -> str | None:
    """A curriculum level mastered, or a target score reached."""
    mastered = progress.mastered
    if (
        stop.curriculum_level is not None
        and mastered is not None
        and LEVELS[mastered].rank >= LEVELS[stop.curriculum_level].rank
    ):
        return f"the defender mastered the {stop.curriculum_level} curriculum level"
    if stop.target_score is not None and progress.best is not None and progress.best >= stop.target_score:
        return f"reached the target score {stop.target_score:g}"
    return None


def _stagnation(stop: StopConfig, progress: Progress) -> str | None:
    """No improvement in ``patience`` iterations, or less than ``min_improvement`` in ``window``."""
    history = [-np.inf if best is None else best for best in progress.history]
    if (
        stop.patience is not None
        and len(history) > stop.patience
        and history[-1] <= history[-1 - stop.patience]
    ):
        return f"no improvement in {stop.patience} iterations"
    if stop.window is not None and len(history) > stop.window:
        then, now = history[-1 - stop.window], history[-1]
        if np.isfinite(then) and now - then < stop.min_improvement * max(abs(then), 1e-9):
            return f"less than {stop.min_improvement:.0%} improvement in {stop.window} iterations"
    return None
