"""The sandbox's supervisor: a long-lived process that forks one jail per evaluation.

Started by :class:`aurora_evo.sandbox.Sandbox` with ``exec`` and a scrubbed environment, so it holds
none of the client's memory, secrets or open files. It warms numpy and numba up (imports, the
simulator's kernels, common numpy functions under numba), probes which confinement layers work, then
serves requests on stdin/stdout (see :mod:`aurora_evo.sandbox.frames`):

* ``{"op": "load", "key", "kind", "data"}``: keep a scenario or dataset under ``key``;
* ``{"op": "eval", "source", "kind", "keys", "timeout_s", "memory_mb", "boundscheck"}``: fork a jail,
  enforce the wall-clock deadline from outside by killing its whole process group, and reply with the
  jail's raw result (outcome, message, int64 values) or why there was none;
* ``{"op": "stop"}``.
"""

from __future__ import annotations

import ctypes
import math
import os
import select
import signal
import sys
import time

import numpy as np

from aurora_evo.sandbox import frames
from aurora_evo.sandbox.jail import OUTCOME_CODES, JailSpec, run_jail
from aurora_evo.sandbox.layers import Layers, build_seccomp_filter, probe_layers

PR_SET_PDEATHSIG = 1
#: Signals that mean the jailed process crashed (its own fault, not ours).
_CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT, signal.SIGILL, signal.SIGFPE, signal.SIGSYS}

# Programs compiled once here so that every jail, forked from this process, finds numba's
# implementations of these numpy functions already compiled (a first use costs up to seconds).
_WARM_UP_ALLOCATION = """
import numpy as np
import math
def priority(task, nodes):
    free = nodes[:, 1]
    cap = np.maximum(nodes[:, 5], 1e-9)
    spare = (free - task[1]) / cap
    x = np.where(nodes[:, 16] > 0.5, -spare, 0.0) + np.minimum(spare, 1.0) * np.abs(spare)
    x = x + np.exp(-spare) + np.log1p(np.abs(spare)) + np.sqrt(np.abs(spare)) + np.tanh(spare)
    x = x + np.clip(spare, -1.0, 1.0) + np.floor(spare) + np.ceil(spare) + np.power(spare, 2)
    x = x + np.mean(spare) + np.max(spare) + np.min(spare) + np.sum(spare) + np.std(spare)
    x = x + np.argsort(spare) + np.sort(spare) + math.sqrt(abs(task[2])) + np.cumsum(spare) * 0.0
    return x + np.zeros(nodes.shape[0]) + np.ones(nodes.shape[0]) * np.argmax(spare)
"""
_WARM_UP_BINPACKING = """
import numpy as np
def priority(item, bins):
    x = -(bins - item) + np.where(bins - item < 1.0, 1.0, 0.0) + np.exp(-np.abs(bins - item))
    return x + np.log1p(bins) + np.sqrt(bins) + np.maximum(bins, item) + np.minimum(bins, item) ** 2
"""


def warm_up(full: bool) -> None:
    """Import and compile everything a jail needs, before any jail is forked.

    Always: the simulator's and the packer's kernels (a jail cannot write numba's cache, so it must not
    have to compile them). With ``full``: numba's implementations of common numpy functions too, with
    and without index checks, which costs seconds once and saves them in every jail.
    """
    from aurora_evo.domains.binpacking import Dataset, Instance, evaluate
    from aurora_evo.evaluation import compile_outcome
    from aurora_evo.policy import Contract
    from aurora_evo.scenario.model import Domain, Nodes, Scenario, Tasks
    from aurora_evo.sim import simulate

    nodes = Nodes(
        ("a", "b"), [[4, 8, 0, 0], [2, 4, 0, 0]], [1, 1], [10, 10], [20, 20], [0, 0], [0, 0], ("z",)
    )
    tasks = Tasks([0.0, 1.0], [5.0, 5.0], [[1, 1, 0, 0], [4, 4, 0, 0]], [0, 0], [1e9, 1e9], [0, 0], ("o",))
    scenario = Scenario("warm-up", Domain.CLOUD, nodes, tasks)
    dataset = Dataset("warm-up", (Instance("a", 10.0, np.array([6.0, 5.0, 3.0])),), "warm-up")
    programs = [("def priority(task, nodes):\n    return nodes[:, 1] * 1.0\n", False)]
    packers = [("def priority(item, bins):\n    return -(bins - item)\n", False)]
    if full:
        programs += [(_WARM_UP_ALLOCATION, False), (_WARM_UP_ALLOCATION, True)]
        packers += [(_WARM_UP_BINPACKING, False), (_WARM_UP_BINPACKING, True)]
    for source, boundscheck in programs:
        program = compile_outcome(source, Contract.ALLOCATION, boundscheck=boundscheck)
        simulate(scenario, program)
        simulate(scenario, program, use_jit=False)
    for source, boundscheck in packers:
        evaluate(compile_outcome(source, Contract.BINPACKING, boundscheck=boundscheck), dataset)


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class Supervisor:
    """Holds the cases and runs jails, one at a time."""

    def __init__(self, layers: Layers):
        self.layers = layers
        self.cases: dict[str, object] = {}

    def load(self, key: str, kind: str, data: dict) -> None:
        from aurora_evo.sandbox.cases import case_from_dict

        self.cases[key] = case_from_dict(kind, data)

    def evaluate(self, request: dict) -> tuple[dict, bytes]:
        from aurora_evo.sandbox.cases import case_size

        missing = [key for key in request["keys"] if key not in self.cases]
        if missing:
            return {"error": f"unknown case keys {missing[:3]}"}, b""
        cases = tuple(self.cases[key] for key in request["keys"])
        timeout = float(request["timeout_s"])
        spec = JailSpec(
            source=request["source"],
            kind=request["kind"],
            cases=cases,
            memory_bytes=int(request["memory_mb"]) << 20,
            cpu_seconds=math.ceil(timeout) + 1,
            boundscheck=bool(request["boundscheck"]),
            layers=self.layers,
        )
        max_values = 1 + sum(case_size(case) for case in cases)
        return self._run(spec, timeout, max_values)

    def _run(self, spec: JailSpec, timeout: float, max_values: int) -> tuple[dict, bytes]:
        seccomp_filter = None
        read_fd, write_fd = os.pipe()
        began = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # the jail
            os.close(read_fd)
            if spec.layers.seccomp:
                seccomp_filter = build_seccomp_filter(os.getpid())
            run_jail(spec, write_fd, seccomp_filter)
        os.close(write_fd)
        try:
            os.setpgid(pid, pid)  # also done by the child; whichever runs first wins the race
        except OSError:
            pass
        data, timed_out, oversized = self._collect(
            read_fd, began + timeout, frames.result_size_cap(max_values)
        )
        try:
            os.killpg(pid, signal.SIGKILL)  # the result is in (or never will be): end the group
        except (ProcessLookupError, PermissionError):
            pass
        _, status, usage = os.wait4(pid, 0)
        os.close(read_fd)
        seconds = time.perf_counter() - began
        reply = {"seconds": seconds, "max_rss_kb": usage.ru_maxrss}
        if oversized:
            return reply | {"outcome": "no_result", "message": "the jail wrote more than its result"}, b""
        try:
            code, message, values = frames.decode_result(bytes(data), max_values)
            outcome = OUTCOME_CODES[code].value if 0 <= code < len(OUTCOME_CODES) else None
        except frames.FrameError as exc:
            outcome, message, values = None, str(exc), None
        if outcome is not None:
            return reply | {"outcome": outcome, "message": message}, values.astype("<i8").tobytes()
        return reply | self._death(status, timed_out, timeout, message), b""

    @staticmethod
    def _collect(fd: int, deadline: float, cap: int) -> tuple[bytearray, bool, bool]:
        """Read the jail's result until it is complete, the pipe closes, the deadline or the cap."""
        data = bytearray()
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return data, True, False
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                return data, True, False
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return data, False, False
            data += chunk
            if len(data) > cap:
                return data, False, True
            if frames.result_complete(data):
                return data, False, False

    @staticmethod
    def _death(status: int, timed_out: bool, timeout: float, detail: str) -> dict:
        """Why a jail left no result, from how it ended."""
        if timed_out:
            return {"outcome": "timeout", "message": f"no result within {timeout:g} s (killed)"}
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            name = signal.Signals(sig).name if sig in signal.Signals.__members__.values() else str(sig)
            if sig == signal.SIGXCPU:
                return {"outcome": "timeout", "message": "cpu-time limit exceeded"}
            if sig in _CRASH_SIGNALS:
                return {"outcome": "crashed", "message": f"the process died of {name}"}
            return {"outcome": "crashed", "message": f"the process died of {name}"}
        return {"outcome": "no_result", "message": f"the jail exited without a valid result ({detail})"}


def main() -> None:
    _die_with_parent()
    stdin, stdout = sys.stdin.buffer.fileno(), sys.stdout.buffer.fileno()
    # Nothing else may write on the reply channel: stray prints go to stderr.
    sys.stdout = sys.stderr
    warm_up(full=os.environ.get("AURORA_EVO_WARM_UP") != "minimal")
    layers = probe_layers()
    frames.send_message(stdout, {"ready": True, "pid": os.getpid(), "layers": layers.as_dict()})
    supervisor = Supervisor(layers)
    while True:
        try:
            request, _ = frames.receive_message(stdin)
        except frames.FrameError:  # the client went away
            return
        op = request.get("op")
        if op == "stop":
            return
        if op == "load":
            supervisor.load(request["key"], request["kind"], request["data"])
            frames.send_message(stdout, {"loaded": request["key"]})
        elif op == "eval":
            reply, blob = supervisor.evaluate(request)
            frames.send_message(stdout, reply, blob)
        else:
            frames.send_message(stdout, {"error": f"unknown op {op!r}"})


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
