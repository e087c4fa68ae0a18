"""The evaluation seam: candidates in, :class:`~aurora_evo.evaluation.EvalResult` out, in order.

:class:`SandboxExecutor` evaluates through sandboxes, one at a time or several at once in loky's worker
processes (each keeps its own sandbox). A distributed engine plugs in by
implementing :class:`Executor` (:mod:`aurora_evo.cluster`: Dask and Ray).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Protocol

from aurora_evo.evaluation import EvalResult
from aurora_evo.problem import Problem
from aurora_evo.sandbox import Sandbox, SandboxConfig


class Executor(Protocol):
    """Evaluates sources on cases of a problem: ``evaluate`` a batch (the results in the sources'
    order), or ``submit`` one (a future of its result); ``capacity``: how many evaluations it runs at
    once. Only the steady state (:mod:`aurora_evo.evolver.steady`) needs ``submit`` and ``capacity``."""

    def evaluate(self, problem: Problem, sources: Sequence[str], cases: Sequence) -> list[EvalResult]: ...

    def submit(self, problem: Problem, source: str, cases: Sequence) -> Future: ...

    @property
    def capacity(self) -> int: ...

    def close(self) -> None: ...


class SandboxPool:
    """This process's sandboxes, kept between evaluations: one per thread evaluating at once.

    A worker process (loky's, or a Dask worker's) evaluates many candidates; starting a supervisor
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


#: The sandboxes of this process (a loky, Dask or Ray worker's, or the threads of this one).
PROCESS_SANDBOXES = SandboxPool()


def evaluate_in_sandbox(config: SandboxConfig, problem: Problem, source: str, cases: Sequence) -> EvalResult:
    """Evaluate one source in one of this process's sandboxes (the function workers run)."""
    with PROCESS_SANDBOXES.sandbox(config) as sandbox:
        return sandbox.evaluate(problem, source, cases)


class SandboxExecutor:
    """Evaluations in sandboxes. With ``workers=1`` in this process's own sandbox (:meth:`submit` runs
    it on a thread: the sandbox's work is in its own processes, so this one goes on meanwhile); with
    more, in a pool of ``workers`` that each keep their sandboxes: loky's worker processes (``backend
    = "loky"``) or threads of this process (``"threading"``). Batches and single submissions share
    the pool, so its workers and their sandboxes start once."""

    def __init__(self, config: SandboxConfig, workers: int = 1, backend: str = "loky"):
        self.config = config
        self.workers = workers
        self.backend = backend
        self._sandbox: Sandbox | None = None
        self._started = threading.Lock()  # the controller and the submitting thread may both start it
        self._pool = None

    @property
    def capacity(self) -> int:
        return self.workers

    def submit(self, problem: Problem, source: str, cases: Sequence) -> Future:
        """One evaluation, run while this process goes on; a future of its result."""
        if self.workers == 1:
            return self._workers().submit(self._evaluate_here, problem, source, cases)
        return self._workers().submit(evaluate_in_sandbox, self.config, problem, source, list(cases))

    def evaluate(self, problem: Problem, sources: Sequence[str], cases: Sequence) -> list[EvalResult]:
        if self.workers == 1:
            return [self._evaluate_here(problem, source, cases) for source in sources]
        futures = [self.submit(problem, source, cases) for source in sources]
        try:
            return [future.result() for future in futures]
        except BaseException:  # Ctrl-C, or a worker that died: the rest is not waited for
            for future in futures:
                future.cancel()
            raise

    def _evaluate_here(self, problem: Problem, source: str, cases: Sequence) -> EvalResult:
        with self._started:
            if self._sandbox is None:
                self._sandbox = Sandbox(self.config)
                self._sandbox.start()
            sandbox = self._sandbox
        return sandbox.evaluate(problem, source, cases)

    def _workers(self):
        if self._pool is None:
            if self.workers == 1 or self.backend == "threading":
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="aurora-eval")
            else:
                # heavy: loky's process pool, made on first use
                from joblib.externals.loky import get_reusable_executor

                self._pool = get_reusable_executor(max_workers=self.workers, reuse=True)
        return self._pool

    def close(self) -> None:
        if isinstance(self._pool, ThreadPoolExecutor):
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None
