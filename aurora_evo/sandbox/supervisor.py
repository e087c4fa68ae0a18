"""The sandbox's supervisor: a long-lived process that forks one jail per evaluation.

Started by :class:`aurora_evo.sandbox.Sandbox` with ``exec`` and a scrubbed environment, so it holds
none of the client's memory, secrets or open files. It warms numpy and numba up (imports, the
simulator's kernels; common numpy functions under numba before the first jail that compiles a
program), probes which confinement layers work, then serves requests on stdin/stdout (see
:mod:`aurora_evo.sandbox.wire`):

* ``{"op": "load", "key", "problem", "data"}``: keep a case of the problem (``"module:Class"``, see
  :func:`aurora_evo.domains.problem_from_spec`) under ``key``;
* ``{"op": "eval", "source", "problem", "keys", "timeout_s", "memory_mb", "jit", "boundscheck",
  "prefork"}``: hand the job to a jail, enforce the wall-clock deadline from outside by killing its
  whole process group, and reply with the jail's raw result (outcome, message, int64 values) or why
  there was none; then (``prefork``) fork the spare jail for the next request;
* ``{"op": "ping"}``: answered (with the spare's pid) once every finished jail has been reaped;
* ``{"op": "stop"}``.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import time

import numpy as np

from aurora_evo.domains import problem_from_spec
from aurora_evo.sandbox import numba_guard, wire, witness_host
from aurora_evo.sandbox.jail import JailLimits, Job, run_jail
from aurora_evo.sandbox.jails import ForkSpawner, Jail, JailPool
from aurora_evo.sandbox.layers import JAIL_IDS, Confinement, die_with_parent, probe_layers
from aurora_evo.sandbox.warm_up import warm_up_kernels, warm_up_numpy_functions


class Supervisor:
    """Holds the cases and runs jails, one evaluation at a time.

    When a job is handed to a jail, the next one is forked (``prefork``): it confines itself and warms
    up on the other core while the current one works, and the next evaluation finds it waiting. A spare
    forked before the last ``load``, or for other limits or settings than a request asks for, is
    dropped for a fresh one.
    """

    def __init__(self, confinement: Confinement, full_warm_up: bool = True):
        self.confinement = confinement
        # numba's numpy functions are compiled before the first jail that compiles a program is forked,
        # not at start-up: a run whose evaluations all take the numpy path never pays their seconds.
        self._warm_for_jit = full_warm_up
        self.cases: dict[str, tuple[str, object]] = {}  # key -> (problem spec, case)
        self._cases_version = 0
        self.jails = JailPool(JAIL_IDS, ForkSpawner(self._start_jail))

    def _start_jail(self, limits: JailLimits, key: tuple[Job, int], job_fd: int, result_fd: int):
        run_jail(limits, self.confinement, self.cases, key[0], job_fd, result_fd)

    def load(self, key: str, spec: str, data: dict) -> None:
        """Keep the case ``data`` of the problem ``spec`` (``"module:Class"``) under ``key``."""
        self.cases[key] = (spec, problem_from_spec(spec).case_from_document(data))
        self._cases_version += 1

    @staticmethod
    def limits_for(request: dict) -> JailLimits:
        return JailLimits(
            memory_bytes=int(request["memory_mb"]) << 20,
            cpu_seconds=math.ceil(float(request["timeout_s"])) + 1,
        )

    @staticmethod
    def likely_job(request: dict) -> Job:
        """How a request like this one is evaluated (without its source and cases)."""
        return Job("", request["problem"], (), bool(request.get("jit", True)), bool(request["boundscheck"]))

    def evaluate(self, request: dict) -> tuple[dict, bytes]:
        missing = [key for key in request["keys"] if key not in self.cases]
        if missing:
            return {"error": f"unknown case keys {missing[:3]}"}, b""
        limits = self.limits_for(request)
        if self._warm_for_jit and request.get("jit", True):
            warm_up_numpy_functions()
            self._warm_for_jit = False
        # A jail holds the cases as they were when it was forked.
        key = (self.likely_job(request), self._cases_version)
        jail = self.jails.take(limits, key)
        job = {k: request[k] for k in ("source", "problem", "keys", "jit", "boundscheck")}
        max_values = 1 + sum(self._case_size(key) for key in request["keys"])
        began = time.perf_counter()
        self.jails.send(jail, job, b"", began + float(request["timeout_s"]))
        if request.get("prefork", True):
            # The next jail forks and prepares itself on the other core while this one works.
            self.jails.prefork(limits, key)
        return self._collect_result(jail, began, float(request["timeout_s"]), max_values)

    def _case_size(self, key: str) -> int:
        spec, case = self.cases[key]
        return problem_from_spec(spec).case_size(case)

    def _collect_result(
        self, jail: Jail, began: float, timeout: float, max_values: int
    ) -> tuple[dict, bytes]:
        outcome, message, values = self.jails.read_result(jail, began + timeout, timeout, max_values)
        reply = {"seconds": time.perf_counter() - began, "outcome": outcome, "message": message}
        if values is None:
            return reply, b""
        # The result is in: end the group, and reap it later (the client need not wait for the jail's
        # teardown).
        self.jails.end(jail)
        return reply, values.astype("<i8").tobytes()

    def reap(self, block: bool) -> None:
        """Collect the jails ended after their result came in (``block``: all of them)."""
        self.jails.reap(block)

    def shutdown(self) -> None:
        """Drop the spare and reap every jail."""
        self.jails.shutdown()


def main() -> None:
    die_with_parent(os.getppid())
    stdin, stdout = sys.stdin.buffer.fileno(), sys.stdout.buffer.fileno()
    # Nothing else may write on the reply channel: stray prints go to stderr.
    sys.stdout = sys.stderr
    numba_guard.install()  # before numba is imported: no jail may turn a signature string into code
    confinement = probe_layers()
    # Forked before numba and before any case: a small process whose witnesses hold no scenario.
    host = start_witness_host(confinement, *map(int, sys.argv[1:3]))
    warm_up_kernels()
    wire.send_message(stdout, {"ready": True, "pid": os.getpid(), "layers": confinement.layers.as_dict()})
    supervisor = Supervisor(
        confinement.with_shared_namespaces(), full_warm_up=os.environ.get("AURORA_EVO_WARM_UP") != "minimal"
    )
    try:
        serve(supervisor, stdin, stdout)
    finally:
        supervisor.shutdown()
        _end_host(host)


def _end_host(pid: int) -> None:
    """Reap the witness host, which ends once the client has closed its pipes (killed after 5 s)."""
    deadline = time.perf_counter() + 5.0
    while time.perf_counter() < deadline:
        if os.waitpid(pid, os.WNOHANG)[0]:
            return
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def start_witness_host(confinement: Confinement, requests_fd: int, replies_fd: int) -> int:
    """Fork the witness host (:mod:`aurora_evo.sandbox.witness_host`) on the client's pipes; its pid."""
    pid = os.fork()
    if pid == 0:  # never returns into the supervisor's code, whatever happens
        try:
            witness_host.serve(confinement, requests_fd, replies_fd)
        finally:
            os._exit(0)
    os.close(requests_fd)
    os.close(replies_fd)
    return pid


def serve(supervisor: Supervisor, stdin: int, stdout: int) -> None:
    def load(request: dict, _: bytes) -> tuple[dict, bytes]:
        supervisor.load(request["key"], request["problem"], request["data"])
        return {"loaded": request["key"]}, b""

    def ping(request: dict, _: bytes) -> tuple[dict, bytes]:
        supervisor.reap(block=True)
        return {"pong": True, "spares": supervisor.jails.spare_pids()}, b""

    handlers = {"load": load, "eval": lambda request, _: supervisor.evaluate(request), "ping": ping}
    wire.serve_requests(stdin, stdout, handlers, {"eval": lambda: supervisor.reap(block=False)})


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
