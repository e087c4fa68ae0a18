"""Evaluations on a Dask cluster: every worker process evaluates in sandboxes of its own.

:class:`DaskExecutor` connects to a running scheduler (``tcp://HOST:8786``) or starts a
``LocalCluster`` of worker processes on loopback. A worker plugin (:class:`SandboxPlugin`) starts a
sandbox in each worker process as it joins, one per worker thread, so no evaluation waits for a
supervisor, and closes them when the worker leaves. What travels to a worker is the problem, the cases
(sent once per set, not once per candidate) and the source: no API key or other setting of this
process. Every result is checked here (:func:`~aurora_evo.cluster.results.checked_result`) before the
controller sees it.

A worker that dies mid-evaluation has its evaluations run again on another by the scheduler, up to
``distributed.scheduler.allowed-failures`` times (Dask's setting, 3 by default); past that the candidate
is filed as crashed. A scheduler that stops answering raises
:class:`~aurora_evo.errors.ClusterError`: the run stops, and resumes later from its last
committed iteration.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import CancelledError, Future

from distributed import Client, KilledWorker, LocalCluster, WorkerPlugin

from aurora_evo.cluster.results import SharedCases, checked_result, evaluate_shared, lost_result, settle
from aurora_evo.errors import ClusterError, one_line
from aurora_evo.evaluation import EvalResult
from aurora_evo.executor import PROCESS_SANDBOXES
from aurora_evo.problem import Problem
from aurora_evo.sandbox import SandboxConfig

#: Seconds to wait for a scheduler to answer when connecting.
CONNECT_TIMEOUT_S = 30


class SandboxPlugin(WorkerPlugin):
    """Starts sandboxes with ``config``'s limits in each worker process (one per thread) as it joins,
    and closes them when it leaves."""

    name = "aurora-evo-sandboxes"

    def __init__(self, config: SandboxConfig):
        self.config = config

    async def setup(self, worker) -> None:
        # Starting a supervisor takes seconds: off the worker's event loop, which must keep answering.
        await asyncio.get_running_loop().run_in_executor(
            None, PROCESS_SANDBOXES.warm, self.config, worker.state.nthreads
        )

    def teardown(self, worker) -> None:
        PROCESS_SANDBOXES.close()


def _quiet_dask_logs() -> None:
    """Dask's loggers in this process quiet but for what is critical (some carry levels of their own,
    which a parent's level would not override)."""
    for name in ["distributed", *logging.root.manager.loggerDict]:
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.CRITICAL)


class _Linked(Future):
    """A future of ours for a task of Dask's: cancelling it cancels the task."""

    def __init__(self, remote):
        super().__init__()
        self._remote = remote

    def cancel(self) -> bool:
        self._remote.cancel()
        return super().cancel()


def _received(remote, n_cases: int) -> EvalResult:
    """The checked result of a finished task; a candidate that outlived its workers is filed as
    crashed, a cluster that went away raises :class:`~aurora_evo.errors.ClusterError`."""
    try:
        return checked_result(remote.result(), n_cases)
    except KilledWorker:
        return lost_result()
    except (OSError, TimeoutError, CancelledError) as exc:
        raise ClusterError(f"the Dask scheduler stopped answering ({one_line(exc)})") from None


def _returned(value):
    return value


class DaskExecutor:
    """Evaluations on a Dask cluster, results in the sources' order.

    Args:
        config: the sandboxes' limits.
        address: a scheduler's address (``tcp://HOST:PORT``); ``None`` with ``local_workers``.
        local_workers: start a ``LocalCluster`` of this many single-threaded worker processes on
            loopback instead (closed with the executor).
    """

    def __init__(self, config: SandboxConfig, address: str | None = None, local_workers: int | None = None):
        if (address is None) == (local_workers is None):
            raise ValueError("give a scheduler address or a number of local workers, not both")
        self.config = config
        self._cluster = None
        # What goes wrong reaches the user as one line (ClusterError); Dask's client would also log
        # tracebacks of its reconnection attempts. The scheduler and workers keep their own logs.
        _quiet_dask_logs()
        try:
            if local_workers is not None:
                self._cluster = LocalCluster(
                    n_workers=local_workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            self.client = Client(self._cluster or address, timeout=CONNECT_TIMEOUT_S)
            self.client.register_plugin(SandboxPlugin(config))
        except (OSError, TimeoutError) as exc:
            self.close()
            where = (
                f"no Dask scheduler answered at {address}"
                if address
                else "the local Dask cluster did not start"
            )
            raise ClusterError(f"{where} ({one_line(exc)})") from None
        self._shared = SharedCases(self._hold)

    def _hold(self, objects: list) -> list:
        # A task that returns the object rather than scattered data: the scheduler keeps the task, so a
        # worker that dies holding the object costs a recomputation, not the run (scattered data is lost
        # with the last worker that held it).
        return [self.client.submit(_returned, value, pure=False) for value in objects]

    @property
    def capacity(self) -> int:
        """Worker threads on the cluster now (at least 1)."""
        return max(1, sum(self.client.nthreads().values()))

    def evaluate(self, problem: Problem, sources: Sequence[str], cases: Sequence) -> list[EvalResult]:
        futures = [self.submit(problem, source, cases) for source in sources]
        return [future.result() for future in futures]

    def submit(self, problem: Problem, source: str, cases: Sequence) -> Future:
        """One evaluation on the cluster: a future of its checked result (or of the
        :class:`~aurora_evo.errors.ClusterError` that ended it)."""
        remote = self.client.submit(
            evaluate_shared, self.config, self._shared.get(problem, cases), source, pure=False
        )
        future = _Linked(remote)
        n_cases = len(cases)
        # In a thread of the client's, once the task has finished.
        remote.add_done_callback(lambda done: settle(future, lambda: _received(done, n_cases)))
        return future

    def close(self) -> None:
        client, self.client = getattr(self, "client", None), None
        if client is not None:
            client.close()
        cluster, self._cluster = self._cluster, None
        if cluster is not None:
            cluster.close()
