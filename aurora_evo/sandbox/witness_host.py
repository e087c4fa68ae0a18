"""The witness host: a small trusted process that has witness jails forked and feeds them rounds of
states.

The supervisor forks it at start-up, before it imports numba or holds a single case. The host talks to
the client directly over two pipes the client handed to the supervisor, and never runs candidate
code. It does not fork witnesses itself: a request's states (and, in freed memory, those of earlier
requests) would be inherited by every witness forked after it, and a witness that could read a case's
later states would know which choices were reported for its earlier ones. Witnesses are forked by a
*zygote*, which the host forks before its first request and which only ever receives
``(limits, key)``; it hands the host each witness's pipe ends over a Unix socket (``SCM_RIGHTS``) and
reaps the witnesses when the host says it is done with them (so that a pid the host may still signal is
never reused).

Requests (:mod:`aurora_evo.sandbox.frames` messages):

* ``{"op": "witness", "source", "jit", "boundscheck", "timeout_s", "memory_mb", "rounds"}``, the
  arguments of every state as float64 in the blob, round after round (see
  :mod:`aurora_evo.sandbox.witness`). The reply: ``{"answered": rounds answered, "outcome",
  "message"}`` and the witness's picks for the answered rounds as int64; it gets round ``r + 1`` only
  once it has answered round ``r``, and all of it within ``timeout_s``;
* ``{"op": "ping"}``: answered once every ended witness is reaped and the spare for the next request
  is forked;
* ``{"op": "stop"}`` (or the client's pipe closing).
"""

from __future__ import annotations

import json
import math
import os
import socket
import sys
import time
from collections.abc import Hashable

import numpy as np

from aurora_evo.sandbox import frames
from aurora_evo.sandbox.jail import JailLimits, close_all_but
from aurora_evo.sandbox.jails import ForkSpawner, Jail, JailPool, death
from aurora_evo.sandbox.layers import WITNESS_IDS, Confinement, die_with_parent
from aurora_evo.sandbox.witness import run_witness

_MAX_CONTROL = 4096


class Zygote:
    """The host's end of the zygote: a :class:`~aurora_evo.sandbox.jails.Spawner` of witnesses."""

    def __init__(self, confinement: Confinement):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.pid = os.fork()
        if self.pid == 0:
            code = 1
            try:
                ours.close()
                _zygote(theirs, confinement)
                code = 0
            finally:
                os._exit(code)
        theirs.close()
        self._socket = ours

    def _ask(self, request: dict) -> tuple[dict, list[int]]:
        self._socket.sendall(json.dumps(request).encode())
        data, fds, _, _ = socket.recv_fds(self._socket, _MAX_CONTROL, 2)
        if not data:
            raise OSError("the witness zygote ended")
        return json.loads(data), fds

    def spawn(self, limits: JailLimits, key: Hashable) -> tuple[int, int, int]:
        reply, fds = self._ask(
            {"op": "spawn", "memory": limits.memory_bytes, "cpu": limits.cpu_seconds, "uid": limits.uid}
        )
        return reply["pid"], fds[0], fds[1]

    def reap(self, pids: list[int], block: bool) -> dict[int, int]:
        reply, _ = self._ask({"op": "reap", "pids": pids, "block": block})
        return {int(pid): status for pid, status in reply["ended"].items()}

    def warm_numba(self) -> None:
        self._ask({"op": "warm"})


def _zygote(control: socket.socket, confinement: Confinement) -> None:
    """The zygote's life: fork a witness per ``spawn``, reap on ``reap``, until the host goes."""
    die_with_parent(os.getppid())
    close_all_but((control.fileno(), *confinement.kept_fds()))  # the client's pipes above all
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
            pid, job_fd, result_fd = witnesses.spawn(limits, None)
            socket.send_fds(control, [json.dumps({"pid": pid}).encode()], [job_fd, result_fd])
            os.close(job_fd)
            os.close(result_fd)
        elif request["op"] == "reap":
            ended = witnesses.reap(request["pids"], request["block"])
            control.sendall(json.dumps({"ended": ended}).encode())
        elif request["op"] == "warm":
            # A witness may not be able to import numba, nor the parts of it that compiling loads (the
            # Python installation can be out of its uid's reach): the first time a program needs it,
            # the zygote warms numba up as the supervisor does, and later witnesses inherit it.
            from aurora_evo.sandbox.supervisor import warm_up

            warm_up(full=False)
            control.sendall(b"{}")


class WitnessHost:
    """Runs one witness per request, with a confined spare waiting for the next."""

    def __init__(self, confinement: Confinement):
        self.zygote = Zygote(confinement)
        self.jails = JailPool(WITNESS_IDS, self.zygote)
        self.numba_ready = False
        self._next: tuple[JailLimits, tuple] | None = None

    def witness(self, request: dict, blob: bytes) -> tuple[dict, bytes]:
        timeout = float(request["timeout_s"])
        limits = JailLimits(memory_bytes=int(request["memory_mb"]) << 20, cpu_seconds=math.ceil(timeout) + 1)
        if (request["jit"] or "numba" in request["source"]) and not self.numba_ready:
            self.zygote.warm_numba()
            self.numba_ready = True
        key = (bool(request["jit"]), bool(request["boundscheck"]), self.numba_ready)
        jail = self.jails.take(limits, key)
        deadline = time.perf_counter() + timeout
        values = np.frombuffer(blob, dtype="<f8")
        job = {"source": request["source"], "jit": key[0], "boundscheck": key[1]}
        answers, offset, failure = [], 0, None
        if not self.jails.send(jail, job, b"", deadline):
            failure = death(self.jails.wait(jail), False, timeout, "it did not take its job")
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
        self._next = (limits, key)
        reply = {"answered": len(answers), **(failure or {"outcome": "ok", "message": ""})}
        return reply, (np.concatenate(answers) if answers else np.zeros(0)).astype("<i8").tobytes()

    def prepare_next(self) -> None:
        """Fork the spare for a request like the last one, once the client has its answer."""
        if self._next is not None:
            self.jails.prefork(*self._next)
            self._next = None

    def _round(
        self, jail: Jail, states: list, part: np.ndarray, deadline: float, timeout: float
    ) -> tuple[np.ndarray | None, dict | None]:
        """Send one round and read its answer: ``(picks, None)``, or ``(None, why there are none)``
        with the witness ended."""
        if not self.jails.send(jail, {"states": states}, part.astype("<f8").tobytes(), deadline):
            late = time.perf_counter() >= deadline
            return None, death(self.jails.wait(jail), late, timeout, "it stopped reading")
        expected = len(states)
        outcome, message, picks = self.jails.read_result(jail, deadline, timeout, expected)
        if picks is None:
            return None, {"outcome": outcome, "message": message}
        if outcome == "ok" and picks.size == expected:
            return picks, None
        self.jails.end(jail)
        if outcome == "ok":
            outcome, message = "no_result", f"the witness answered {picks.size} states of {expected}"
        return None, {"outcome": outcome, "message": message}


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
        frames.send_message(replies_fd, {"ready": True, "pid": os.getpid(), "zygote": host.zygote.pid})

        def ping(request: dict, _: bytes) -> tuple[dict, bytes]:  # once the next spare is forked
            host.jails.reap(block=True)
            return {"pong": True}, b""

        handlers = {"ping": ping, "witness": host.witness}
        frames.serve_requests(requests_fd, replies_fd, handlers, {"witness": host.prepare_next})
    except BaseException as exc:  # logged; the client sees the host's pipe close
        print(f"witness host: {exc!r}", file=sys.stderr)
        raise
    finally:
        host.jails.shutdown()
