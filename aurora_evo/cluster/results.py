"""What every cluster backend shares: what a worker runs, the cases sent once per set, results checked on
arrival and handed to the controller's future."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass

from aurora_evo.errors import ClusterError
from aurora_evo.evaluation import EvalResult
from aurora_evo.executor import evaluate_in_sandbox
from aurora_evo.outcome import Outcome
from aurora_evo.problem import Problem
from aurora_evo.sandbox import SandboxConfig


def evaluate_shared(config: SandboxConfig, shared: tuple[Problem, tuple], source: str) -> EvalResult:
    """What a worker runs: one source on the shared ``(problem, cases)``, in one of its process's
    sandboxes (:data:`~aurora_evo.executor.PROCESS_SANDBOXES`)."""
    problem, cases = shared
    return evaluate_in_sandbox(config, problem, source, cases)


def settle(future: Future, received: Callable[[], EvalResult]) -> None:
    """Give ``future`` what ``received`` returns, or the :class:`~aurora_evo.errors.ClusterError` it
    raises; nothing when the future was cancelled meanwhile."""
    with contextlib.suppress(InvalidStateError):
        try:
            result = received()
        except ClusterError as exc:
            future.set_exception(exc)
            return
        future.set_result(result)


def checked_result(result: object, n_cases: int) -> EvalResult:
    """``result`` as it came back from a worker, if it holds together: an :class:`EvalResult` whose
    outcome is an :class:`Outcome`, and when OK, a finite score and one metrics table per case. A worker
    runs our code, not the candidate's, but it is another machine: what it sends is checked, not trusted."""
    if not isinstance(result, EvalResult) or not isinstance(result.outcome, Outcome):
        return EvalResult(Outcome.NO_RESULT, f"a worker sent back {type(result).__name__}, not a result")
    if not result.outcome.ok:
        return result
    score_ok = isinstance(result.score, int | float) and math.isfinite(result.score)
    cases_ok = isinstance(result.per_case, dict) and len(result.per_case) == n_cases
    if not (score_ok and cases_ok and all(isinstance(m, dict) for m in result.per_case.values())):
        return EvalResult(Outcome.NO_RESULT, "a worker's result did not hold together (score or cases)")
    return result


def lost_result() -> EvalResult:
    """The result of a candidate whose evaluation outlived as many workers as the cluster allows."""
    return EvalResult(Outcome.CRASHED, "every worker that evaluated it died (the cluster's allowed failures)")


@dataclass
class _Sent:
    objects: tuple  # held so that the identities in ``key`` stay theirs
    key: tuple
    handle: object


class SharedCases:
    """The problem and cases of an evaluation, sent to the cluster once per set rather than with every
    candidate: the training cases change only when the attacker adds scenarios.

    Args:
        send: puts a list of objects on the cluster and returns a handle for each.
        keep: how many sets are held on the cluster (the training and the validation cases, and the
            sets before an attacker step).
    """

    def __init__(self, send: Callable[[list], list], keep: int = 4):
        self._send, self._keep = send, keep
        self._sent: list[_Sent] = []

    def get(self, problem: Problem, cases: Sequence) -> object:
        """The handle of ``(problem, tuple(cases))`` on the cluster, sent now if it is not there."""
        key = (id(problem), *map(id, cases))
        for sent in self._sent:
            if sent.key == key:
                return sent.handle
        objects = (problem, tuple(cases))
        handle = self._send([objects])[0]
        self._sent = [*self._sent, _Sent(objects, key, handle)][-self._keep :]
        return handle
