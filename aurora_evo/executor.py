"""The evaluation seam: candidates in, :class:`~aurora_evo.evaluation.EvalResult` out, in order.

:class:`SandboxExecutor` evaluates through sandboxes, one at a time or several at once with joblib
(loky by default: each worker process keeps its own sandbox). A distributed engine plugs in by
implementing :class:`Executor`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

from aurora_evo.evaluation import EvalResult
from aurora_evo.problem import Problem
from aurora_evo.sandbox import Sandbox, SandboxConfig


class Executor(Protocol):
    """Evaluates sources on cases of a problem; the results come back in the sources' order."""

    def evaluate(self, problem: Problem, sources: Sequence[str], cases: Sequence) -> list[EvalResult]: ...

    def close(self) -> None: ...


class _Sandboxes:
    """One sandbox per process and thread, made on first use and kept for the next evaluations.

    A worker process of joblib evaluates many candidates; starting a supervisor each time would cost
    seconds, so the sandbox lives as long as the worker.
    """

    def __init__(self):
        self._local = threading.local()

    def get(self, config: SandboxConfig) -> Sandbox:
        sandbox = getattr(self._local, "sandbox", None)
        if sandbox is None or sandbox.config != config or not sandbox.alive:
            if sandbox is not None:
                sandbox.close()
            sandbox = Sandbox(config)
            sandbox.start()
            self._local.sandbox = sandbox
        return sandbox


_SANDBOXES = _Sandboxes()


def evaluate_in_sandbox(config: SandboxConfig, problem: Problem, source: str, cases: Sequence) -> EvalResult:
    """Evaluate one source in this process's sandbox (the function joblib workers run)."""
    return _SANDBOXES.get(config).evaluate(problem, source, cases)


class SandboxExecutor:
    """Evaluations in sandboxes: in this process with ``workers=1``, else with joblib."""

    def __init__(self, config: SandboxConfig, workers: int = 1, backend: str = "loky"):
        self.config = config
        self.workers = workers
        self.backend = backend
        self._sandbox: Sandbox | None = None

    def evaluate(self, problem: Problem, sources: Sequence[str], cases: Sequence) -> list[EvalResult]:
        if self.workers == 1 or len(sources) == 1:
            if self._sandbox is None:
                self._sandbox = Sandbox(self.config)
                self._sandbox.start()
            return [self._sandbox.evaluate(problem, source, cases) for source in sources]
        from joblib import Parallel, delayed  # heavy: joblib starts its worker machinery on import

        parallel = Parallel(n_jobs=self.workers, backend=self.backend)
        return list(parallel(delayed(evaluate_in_sandbox)(self.config, problem, s, cases) for s in sources))

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None
