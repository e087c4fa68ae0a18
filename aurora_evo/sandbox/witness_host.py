"""The witness host: a small trusted process that has witness jails forked and feeds them rounds of
states.

The supervisor forks it at start-up, before it imports numba or holds a single case. The host talks to
the client directly over two pipes the client handed to the supervisor, and never runs candidate
code. It does not fork witnesses itself: a request's states (and, in freed memory, those of earlier
requests) would be inherited by every witness forked after it, and a witness that could read a case's
later states would know which choices were reported for its earlier ones. Witnesses are forked by a
*zygote*, which the host forks before its first request and which only ever receives the limits of
the witness to fork and the pids to collect; it hands the host each witness's pipe ends over a Unix
socket (``SCM_RIGHTS``) and reaps the witnesses once the host says it is done with them (so that a pid
the host may still signal is never reused).

Requests (:mod:`aurora_evo.sandbox.wire` messages):

* ``{"op": "witness", "source", "jit", "boundscheck", "timeout_s", "memory_mb", "rounds"}``, the
  arguments of every state as float64 in the blob, round after round (see
  :mod:`aurora_evo.sandbox.witness`). The reply: ``{"answered": rounds answered, "outcome",
  "message"}`` and the witness's picks for the answered rounds as int64; it gets round ``r + 1`` only
  once it has answered round ``r``, and all of it within ``timeout_s``;
* ``{"op": "open_calls", ...}``, ``{"op": "call", ...}``, ``{"op": "close_calls"}``: a witness answering
  the calls of a simulation the client runs (:meth:`WitnessHost.open_calls`, :meth:`WitnessHost.call`),
  all of them within ``timeout_s`` of the witness's own time;
* ``{"op": "ping"}``: answered (with the spares' pids) once every ended witness is reaped and the
  spares for the next request are forked;
* ``{"op": "stop"}`` (or the client's pipe closing).
"""

from __future__ import annotations

import importlib
import json
import math
import os
import socket
import sys
import time
from collections.abc import Hashable

import numpy as np

from aurora_evo.sandbox import wire
from aurora_evo.sandbox.jail import JailLimits, close_all_but
from aurora_evo.sandbox.jails import Forked, ForkSpawner, Jail, JailPool, death
from aurora_evo.sandbox.layers import WITNESS_IDS, Confinement, die_with_parent
from aurora_evo.sandbox.warm_up import warm_up_kernels
from aurora_evo.sandbox.witness import run_witness

_MAX_CONTROL = 4096
#: Witnesses kept confined and waiting: a small evaluation's witness is done before one spare has
#: confined itself.
SPARE_WITNESSES = 2


class Zygote:
    """The host's end of the zygote: a :class:`~aurora_evo.sandbox.jails.Spawner` of witnesses.

    Requests go out at once and their replies come back in order: a spare asked for after one request
    is forked while the host serves the next, and its pipes are read only when it is needed.
    """

    def __init__(self, confinement: Confinement):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.pid = os.fork()
        if self.pid == 0:
            code = 1
            try:
                ours.close()
                _zygote(theirs, confinement)
                code = 0
            except BaseException as exc:  # logged; the host sees the socket close
                print(f"witness zygote: {exc!r}", file=sys.stderr)
            finally:
                os._exit(code)
        theirs.close()
        self._socket = ours
        self._sent = self._received = 0
        self._replies: dict[int, tuple[dict, list[int]]] = {}

    def _send(self, request: dict) -> int:
        self._socket.sendall(json.dumps(request).encode())
        self._sent += 1
        return self._sent

    def _reply(self, ticket: int) -> tuple[dict, list[int]]:
        while self._received < ticket:
            data, fds, _, _ = socket.recv_fds(self._socket, _MAX_CONTROL, 2)
            if not data:
                raise OSError("the witness zygote ended")
            self._received += 1
            self._replies[self._received] = (json.loads(data), fds)
        return self._replies.pop(ticket)

    def _ask(self, request: dict) -> tuple[dict, list[int]]:
        return self._reply(self._send(request))

    def spawn(self, limits: JailLimits, key: Hashable) -> Forked:
        ticket = self._send(
            {"op": "spawn", "memory": limits.memory_bytes, "cpu": limits.cpu_seconds, "uid": limits.uid}
        )

        def forked() -> tuple[int, int, int]:
            reply, fds = self._reply(ticket)
            return reply["pid"], fds[0], fds[1]

        return forked

    def reap(self, pids: list[int], block: bool, drain: bool = False) -> dict[int, int]:
        reply, _ = self._ask({"op": "reap", "pids": pids, "block": block, "drain": drain})
        return {int(pid): status for pid, status in reply["ended"].items()}

    def release(self, pids: list[int]) -> None:
        if pids:  # no reply: the host need not wait behind a spare being forked
            self._socket.sendall(json.dumps({"op": "release", "pids": pids}).encode())

    def warm_numba(self) -> None:
        self._ask({"op": "warm"})


#: numpy's submodules that load on first use (``np.fft``, ``np.ctypeslib``...) and that the supervisor's
#: evaluation jails find loaded, numba having imported them.
LAZY_NUMPY_MODULES = ("fft", "random", "polynomial", "ma", "ctypeslib", "char", "rec", "strings")


def _import_what_programs_reach() -> None:
    """Load, before any witness is forked, what a program may make Python import and a confined witness
    may be unable to load: numpy's lazily loaded submodules, and unicodedata, which Python's compiler
    imports to fold a non-ASCII identifier (NFKC). Without them, a witness failed where the evaluation
    jail ran, unless a compiled evaluation had made the zygote warm numba up (which imports them) first."""
    # order: loaded here, before any witness is forked, whatever the process imported before
    import unicodedata  # noqa: F401

    for name in LAZY_NUMPY_MODULES:
        importlib.import_module(f"numpy.{name}")


def _zygote(control: socket.socket, confinement: Confinement) -> None:
    """The zygote's life: fork a witness per ``spawn``, reap on ``reap``, until the host goes."""
    die_with_parent(os.getppid())
    close_all_but((control.fileno(), *confinement.kept_fds()))  # the client's pipes above all
    _import_what_programs_reach()
    # A witness closes the control socket with every other descriptor as it confines itself.
    witnesses = ForkSpawner(
        lambda limits, key, job_fd, result_fd: run_witness(limits, confinement, job_fd, result_fd)
    )
    while True:
        data = control.recv(_MAX_CONTROL)
        if not data:
            return
        request = json.loads(data)
        if request["op"] == "spawn":
            limits = JailLimits(request["memory"], request["cpu"], request["uid"])
            pid, job_fd, result_fd = witnesses.spawn(limits, None)()
            socket.send_fds(control, [json.dumps({"pid": pid}).encode()], [job_fd, result_fd])
            os.close(job_fd)
            os.close(result_fd)
        elif request["op"] == "reap":
            ended = witnesses.reap(request["pids"], request["block"], request["drain"])
            control.sendall(json.dumps({"ended": ended}).encode())
        elif request["op"] == "release":
            witnesses.release(request["pids"])
        elif request["op"] == "warm":
            # A witness may not be able to import numba, nor the parts of it that compiling loads (the
            # Python installation can be out of its uid's reach): the first time a program needs it,
            # the zygote warms numba up as the supervisor does, and later witnesses inherit it.
            warm_up_kernels()
            control.sendall(b"{}")


class WitnessHost:
    """Runs one witness per request, with a confined spare waiting for the next."""

    def __init__(self, confinement: Confinement):
        self.zygote = Zygote(confinement)
        self.jails = JailPool(WITNESS_IDS, self.zygote, spares=SPARE_WITNESSES)
        self.numba_ready = False
        self._next: tuple[JailLimits, tuple] | None = None
        # the witness answering calls, if any: (jail, seconds of its timeout left, timeout)
        self._calls: tuple[Jail, float, float] | None = None

    def _start(self, request: dict, calls: bool) -> tuple[Jail, float, dict | None]:
        """Hand a witness the program: ``(jail, deadline, None)``, or with why it did not take it."""
        timeout = float(request["timeout_s"])
        limits = JailLimits(memory_bytes=int(request["memory_mb"]) << 20, cpu_seconds=math.ceil(timeout) + 1)
        if (request["jit"] or "numba" in request["source"]) and not self.numba_ready:
            self.zygote.warm_numba()
            self.numba_ready = True
        key = (bool(request["jit"]), bool(request["boundscheck"]), self.numba_ready)
        jail = self.jails.take(limits, key)
        self._next = (limits, key)
        deadline = time.perf_counter() + timeout
        job = {"source": request["source"], "jit": key[0], "boundscheck": key[1], "calls": calls}
        if not self.jails.send(jail, job, b"", deadline):
            return jail, deadline, death(self.jails.wait(jail), False, timeout, "it did not take its job")
        return jail, deadline, None

    def open_calls(self, request: dict, _: bytes) -> tuple[dict, bytes]:
        """Start a witness answering the calls of a simulation the client runs (``{"op":
        "open_calls", "source", "jit", "boundscheck", "timeout_s", "memory_mb"}``): the reply is
        ``{"outcome", "message"}``, ``ok`` once the program has loaded. ``timeout_s`` bounds the
        witness's time: loading the program and answering the calls, not the client's between them."""
        self.close_calls()
        jail, deadline, failure = self._start(request, calls=True)
        timeout = float(request["timeout_s"])
        if failure is None:
            _, _, failure = self._exchange(jail, None, deadline, timeout, 0)
        if failure is not None:
            return failure, b""
        # Only the witness's own time counts against the timeout: the client's simulation between
        # calls is trusted work (its first in a process can take seconds, importing and compiling).
        self._calls = (jail, deadline - time.perf_counter(), timeout)
        return {"outcome": "ok", "message": ""}, b""

    def call(self, request: dict, blob: bytes) -> tuple[dict, bytes]:
        """One call, ``{"op": "call", "call": [task_shape, nodes_shape], "case"}`` with the arguments
        as float64: the reply is ``{"detail"}`` with the status and scores as the witness wrote them
        (see :func:`aurora_evo.sandbox.witness.run_witness`), or ``{"outcome", "message"}`` when the
        witness ended without answering (the calls are then closed)."""
        if self._calls is None:
            return {"error": "no calls are open"}, b""
        jail, left, timeout = self._calls
        deadline = time.perf_counter() + left
        header = {"call": request["call"], "case": request["case"]}
        n_nodes = int(request["call"][1][0])
        detail, values, failure = self._exchange(jail, (header, blob), deadline, timeout, 1 + n_nodes)
        if failure is None:
            self._calls = (jail, deadline - time.perf_counter(), timeout)
            return {"detail": detail}, values.astype("<i8").tobytes()
        self._calls = None
        return failure, b""

    def close_calls(self, request: dict | None = None, _: bytes = b"") -> tuple[dict, bytes]:
        """End the witness answering calls, if any (``{"op": "close_calls"}``)."""
        if self._calls is not None:
            self.jails.end(self._calls[0])
            self._calls = None
        return {"closed": True}, b""

    def witness(self, request: dict, blob: bytes) -> tuple[dict, bytes]:
        self.close_calls()
        timeout = float(request["timeout_s"])
        jail, deadline, failure = self._start(request, calls=False)
        values = np.frombuffer(blob, dtype="<f8")
        answers, offset = [], 0
        for states in request["rounds"] if failure is None else ():
            size = sum(math.prod(first) + math.prod(head) + (tail > 0) * math.prod(head[1:])
                       for _, first, head, tail in states)  # fmt: skip
            part = values[offset : offset + size]
            offset += size
            picks, failure = self._round(jail, states, part, deadline, timeout)
            if failure is not None:
                break
            answers.append(picks)
        if failure is None:
            self.jails.end(jail)
        reply = {"answered": len(answers), **(failure or {"outcome": "ok", "message": ""})}
        return reply, (np.concatenate(answers) if answers else np.zeros(0)).astype("<i8").tobytes()

    def prepare_next(self) -> None:
        """Fork the spare for a request like the last one, once the client has its answer (and the
        witness answering calls, if any, is done)."""
        if self._next is not None and self._calls is None:
            self.jails.prefork(*self._next)
            self._next = None

    def _round(
        self, jail: Jail, states: list, part: np.ndarray, deadline: float, timeout: float
    ) -> tuple[np.ndarray | None, dict | None]:
        """Send one round and read its answer: ``(picks, None)``, or ``(None, why there are none)``
        with the witness ended."""
        expected = len(states)
        message = ({"states": states}, part.astype("<f8").tobytes())
        _, picks, failure = self._exchange(jail, message, deadline, timeout, expected)
        if failure is None and picks.size != expected:
            self.jails.end(jail)
            failure = {
                "outcome": "no_result",
                "message": f"the witness answered {picks.size} states of {expected}",
            }
        return (picks, None) if failure is None else (None, failure)

    def _exchange(
        self, jail: Jail, message: tuple[dict, bytes] | None, deadline: float, timeout: float, max_values: int
    ) -> tuple[str, np.ndarray | None, dict | None]:
        """Send the witness ``message`` (if any) and read its next ok frame: ``(its message, its
        values, None)``; or ``("", None, {"outcome", "message"})`` with the witness ended, when it did
        not take the message, wrote no valid frame, or wrote a failure."""
        if message is not None and not self.jails.send(jail, *message, deadline):
            late = time.perf_counter() >= deadline
            return "", None, death(self.jails.wait(jail), late, timeout, "it stopped reading")
        outcome, text, values = self.jails.read_result(jail, deadline, timeout, max_values)
        if values is not None and outcome == "ok":
            return text, values, None
        if values is not None:  # a failure it wrote: it exits, and is ended here all the same
            self.jails.end(jail)
        return "", None, {"outcome": outcome, "message": text}


def serve(confinement: Confinement, requests_fd: int, replies_fd: int) -> None:
    """The host's whole life (in the process the supervisor forked; the caller exits when it returns
    or raises)."""
    die_with_parent(os.getppid())
    close_all_but((requests_fd, replies_fd, *confinement.kept_fds()))
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    host = WitnessHost(confinement.with_shared_namespaces())  # apart from the evaluation jails'
    try:
        wire.send_message(replies_fd, {"ready": True, "pid": os.getpid(), "zygote": host.zygote.pid})

        def ping(request: dict, _: bytes) -> tuple[dict, bytes]:  # once the next spare is forked
            host.jails.reap(block=True)
            return {"pong": True, "spares": host.jails.spare_pids()}, b""

        handlers = {
            "ping": ping,
            "witness": host.witness,
            "open_calls": host.open_calls,
            "call": host.call,
            "close_calls": host.close_calls,
        }
        after = {op: host.prepare_next for op in ("witness", "open_calls", "call", "close_calls")}
        wire.serve_requests(requests_fd, replies_fd, handlers, after)
    except BaseException as exc:  # logged; the client sees the host's pipe close
        print(f"witness host: {exc!r}", file=sys.stderr)
        raise
    finally:
        host.close_calls()
        host.jails.shutdown()
