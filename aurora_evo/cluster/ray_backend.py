"""Evaluations on a Ray cluster: one actor per cpu, each with a sandbox of its own.

:class:`RayExecutor` starts a local Ray (``ray:local:N``) or joins a running cluster (``ray:HOST:PORT``,
its GCS address, from a machine of the cluster; ``ray://HOST:PORT``, Ray Client, from anywhere). An
actor (:class:`SandboxActor`) starts its sandbox when it is created and keeps it; each evaluation goes
to the actor with the fewest waiting. What travels is the problem and the cases (``ray.put`` once per
set) and the source; nothing of this process's environment. Every result is checked here.

An actor whose process dies is restarted by Ray and its waiting evaluations run again
(``max_task_retries``); past that, the candidate is filed as crashed. A cluster that goes away raises
:class:`~aurora_evo.errors.ClusterError`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Sequence
from concurrent.futures import CancelledError, Future

import ray
from ray.exceptions import ActorUnavailableError, RayActorError, RaySystemError

from aurora_evo.cluster.results import SharedCases, checked_result, evaluate_shared, lost_result, settle
from aurora_evo.errors import ClusterError, one_line
from aurora_evo.evaluation import EvalResult
from aurora_evo.problem import Problem
from aurora_evo.sandbox import SandboxConfig

#: Times an evaluation runs again on a restarted actor before its candidate is filed as crashed.
RETRIES = 3


@ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=RETRIES)
class SandboxActor:
    """Evaluations in its process's sandbox (started with the actor, replaced if its supervisor dies)."""

    def __init__(self, config: SandboxConfig):
        # order: in the actor's process, after Ray shipped the class by value (the pool's lock cannot be)
        from aurora_evo.executor import PROCESS_SANDBOXES

        self.config = config
        PROCESS_SANDBOXES.warm(config, 1)

    def evaluate(self, shared: tuple[Problem, tuple], source: str) -> EvalResult:
        return evaluate_shared(self.config, shared, source)

    def pid(self) -> int:
        return os.getpid()


def _received(done: Future, n_cases: int) -> EvalResult:
    """The checked result of a finished call; a candidate that outlived its retries is filed as
    crashed, a cluster that went away raises :class:`~aurora_evo.errors.ClusterError`."""
    try:
        return checked_result(done.result(), n_cases)
    except (RayActorError, ActorUnavailableError):
        return lost_result()
    except (RaySystemError, ConnectionError, CancelledError) as exc:
        raise ClusterError(f"the Ray cluster stopped answering ({one_line(exc)})") from None


class RayExecutor:
    """Evaluations on Ray actors, results in the sources' order.

    Args:
        config: the sandboxes' limits.
        address: ``ray:HOST:PORT`` or ``ray://HOST:PORT`` of a running cluster; ``None`` with
            ``local_cpus``.
        local_cpus: start a local Ray with this many cpus instead (stopped with the executor).
    """

    def __init__(self, config: SandboxConfig, address: str | None = None, local_cpus: int | None = None):
        if (address is None) == (local_cpus is None):
            raise ValueError("give a cluster address or a number of local cpus, not both")
        self.config = config
        settings = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        try:
            if local_cpus is not None:
                # "local": a new instance, even where one started with `ray start` runs (plain init joins it)
                ray.init(address="local", num_cpus=local_cpus, **settings)
            else:
                ray.init(
                    address=address.removeprefix("ray:") if "://" not in address else address, **settings
                )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ClusterError(f"no Ray cluster answered at {address} ({one_line(exc)})") from None
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.actors = [SandboxActor.remote(config) for _ in range(max(1, cpus))]
        self._waiting = [0] * len(self.actors)
        self._lock = threading.Lock()
        self._shared = SharedCases(lambda objects: [ray.put(value) for value in objects])

    @property
    def capacity(self) -> int:
        return len(self.actors)

    def evaluate(self, problem: Problem, sources: Sequence[str], cases: Sequence) -> list[EvalResult]:
        futures = [self.submit(problem, source, cases) for source in sources]
        return [future.result() for future in futures]

    def submit(self, problem: Problem, source: str, cases: Sequence) -> Future:
        """One evaluation on the least busy actor: a future of its checked result."""
        with self._lock:
            index = min(range(len(self.actors)), key=self._waiting.__getitem__)
            self._waiting[index] += 1
        reference = self.actors[index].evaluate.remote(self._shared.get(problem, cases), source)
        future: Future = Future()
        n_cases = len(cases)

        def finished(done: Future) -> None:
            with self._lock:
                self._waiting[index] -= 1
            settle(future, lambda: _received(done, n_cases))

        reference.future().add_done_callback(finished)
        return future

    def close(self) -> None:
        for actor in getattr(self, "actors", []):
            with contextlib.suppress(Exception):
                ray.kill(actor)
        self.actors = []
        if ray.is_initialized():
            ray.shutdown()
