"""The evaluation seam: candidates in, :class:`~aurora_evo.evaluation.EvalResult` out, in order.

:class:`SandboxExecutor` evaluates through sandboxes, one at a time or several at once with joblib
(loky by default: each worker process keeps its own sandbox). A distributed engine plugs in by
implementing :class:`Executor` (:mod:`aurora_evo.cluster`: Dask).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

from aurora_evo.evaluation import EvalResult
from aurora_evo.problem import Problem
from aurora_evo.sandbox import Sandbox, SandboxConfig


class Executor(Protocol):
    """Evaluates sources on cases of a problem; the results come back in the sources' order."""

    def evaluate(self, problem: Problem, sources: Sequence[str], cases: Sequence) -> list[EvalResult]: ...

    def close(self) -> None: ...


class SandboxPool:
    """This process's sandboxes, kept between evaluations: one per thread evaluating at once.

    A worker process (joblib's, or a Dask worker's) evaluates many candidates; starting a supervisor
    each time would cost seconds, so its sandboxes live as long as it does. A sandbox whose supervisor
    died, or made for other limits, is closed and replaced.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._idle: list[Sandbox] = []

    def warm(self, config: SandboxConfig, count: int) -> None:
        """Start ``count`` sandboxes now, so the first evaluations do not wait for them."""
        started = [self._start(config) for _ in range(count)]
        with self._lock:
            self._idle += started

    @contextmanager
    def sandbox(self, config: SandboxConfig) -> Iterator[Sandbox]:
        """An idle sandbox with ``config``'s limits (started if there is none), for one evaluation."""
        with self._lock:
            usable = [s for s in self._idle if s.config == config and s.alive]
            stale = [s for s in self._idle if s not in usable]
            self._idle = usable[1:]
        for old in stale:
            old.close()
        sandbox = usable[0] if usable else self._start(config)
        try:
            yield sandbox
        finally:
            with self._lock:
                self._idle.append(sandbox)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for sandbox in idle:
            sandbox.close()

    @staticmethod
    def _start(config: SandboxConfig) -> Sandbox:
        sandbox = Sandbox(config)
        sandbox.start()
        return sandbox


#: The sandboxes of this process (a joblib or Dask worker's).
PROCESS_SANDBOXES = SandboxPool()


def evaluate_in_sandbox(config: SandboxConfig, problem: Problem, source: str, cases: Sequence) -> EvalResult:
    """Evaluate one source in one of this process's sandboxes (the function workers run)."""
    with PROCESS_SANDBOXES.sandbox(config) as sandbox:
        return sandbox.evaluate(problem, source, cases)


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
