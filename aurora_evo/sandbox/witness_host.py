"""The witness host: a small trusted process that forks witness jails and feeds them rounds of states.

The supervisor forks it at start-up, before it imports numba or holds a single case, so a witness
(forked from the host) holds neither: it is cheap to fork, and a candidate that got past the screen
finds no scenario in its memory to plan against. The host talks to the client directly over two pipes
the client handed to the supervisor, and never runs candidate code.

Requests (:mod:`aurora_evo.sandbox.frames` messages):

* ``{"op": "witness", "source", "jit", "boundscheck", "timeout_s", "memory_mb", "rounds"}``, the
  arguments of every state as float64 in the blob, round after round (see
  :mod:`aurora_evo.sandbox.witness`). The reply: ``{"answered": rounds answered, "outcome",
  "message"}`` and the witness's picks for the answered rounds as int64; it gets round ``r + 1``
  only once it has answered round ``r``, and all of it within ``timeout_s``;
* ``{"op": "ping"}``: answered once every ended witness is reaped and the spare for the next request
  is forked;
* ``{"op": "stop"}`` (or the client's pipe closing).
"""

from __future__ import annotations

import math
import os
import sys
import time

import numpy as np

from aurora_evo.sandbox import frames
from aurora_evo.sandbox.jail import OK_CODE, OUTCOME_CODES, JailLimits, close_all_but
from aurora_evo.sandbox.jails import Jail, JailPool, death
from aurora_evo.sandbox.layers import WITNESS_IDS, Confinement, die_with_parent
from aurora_evo.sandbox.witness import run_witness


class WitnessHost:
    """Runs one witness per request, with a confined spare waiting for the next."""

    def __init__(self, confinement: Confinement):
        self.confinement = confinement
        self.jails = JailPool(WITNESS_IDS, self._start)
        self.numba_ready = False
        self._next: tuple[JailLimits, tuple] | None = None

    def _start(self, limits: JailLimits, key, job_fd: int, result_fd: int):
        run_witness(limits, self.confinement, job_fd, result_fd)

    def witness(self, request: dict, blob: bytes) -> tuple[dict, bytes]:
        timeout = float(request["timeout_s"])
        limits = JailLimits(memory_bytes=int(request["memory_mb"]) << 20, cpu_seconds=math.ceil(timeout) + 1)
        if (request["jit"] or "numba" in request["source"]) and not self.numba_ready:
            # A witness may not be able to import numba, nor the parts of it that compiling loads (the
            # Python installation can be out of its uid's reach): the first time a program needs
            # numba, the host warms it up as the supervisor does, and later witnesses inherit it.
            from aurora_evo.sandbox.supervisor import warm_up

            warm_up(full=False)
            self.numba_ready = True
        key = (bool(request["jit"]), bool(request["boundscheck"]), self.numba_ready)
        jail = self.jails.take(limits, key)
        deadline = time.perf_counter() + timeout
        values = np.frombuffer(blob, dtype="<f8")
        job = {"source": request["source"], "jit": key[0], "boundscheck": key[1]}
        answers, offset, failure = [], 0, None
        if not self.jails.send(jail, job):
            failure = death(self.jails.wait(jail), False, timeout, "it died before its job")
        for states in request["rounds"] if failure is None else ():
            size = sum(math.prod(first) + math.prod(head) + (tail > 0) * math.prod(head[1:])
                       for _, first, head, tail in states)  # fmt: skip
            part = values[offset : offset + size]
            offset += size
            scores, failure = self._round(jail, states, part, deadline, timeout)
            if failure is not None:
                break
            answers.append(scores)
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
        """Send one round and read its answer: ``(scores, None)``, or ``(None, why there are none)``
        with the witness ended."""
        if not self.jails.send(jail, {"states": states}, part.astype("<f8").tobytes()):
            return None, death(self.jails.wait(jail), False, timeout, "it died before a round")
        expected = len(states)
        collected = self.jails.collect(jail, deadline, frames.result_size_cap(expected))
        detail = "the witness wrote more than an answer"
        if not collected.oversized:
            try:
                code, detail, values = frames.decode_result(collected.data, expected)
            except frames.FrameError as exc:
                detail = str(exc)
            else:
                if code == OK_CODE and values.size == expected:
                    return values, None
                if code != OK_CODE and 0 <= code < len(OUTCOME_CODES):
                    self.jails.end(jail)
                    return None, {"outcome": OUTCOME_CODES[code].value, "message": detail}
                detail = f"the witness answered {values.size} states of {expected}, or code {code}"
        return None, death(self.jails.wait(jail), collected.timed_out, timeout, detail)


def serve(confinement: Confinement, requests_fd: int, replies_fd: int) -> None:
    """The host's whole life (in the process the supervisor forked); never returns."""
    die_with_parent(os.getppid())
    close_all_but((requests_fd, replies_fd, *confinement.kept_fds()))
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    host = WitnessHost(confinement.with_own_namespaces())  # apart from the evaluation jails
    code = 0
    try:
        frames.send_message(replies_fd, {"ready": True, "pid": os.getpid()})
        while True:
            try:
                request, blob = frames.receive_message(requests_fd)
            except frames.FrameError:  # the client went away
                break
            if request.get("op") == "stop":
                break
            if request.get("op") == "ping":  # answered once the spare for the next request is forked
                host.jails.reap(block=True)
                frames.send_message(replies_fd, {"pong": True})
                continue
            if request.get("op") != "witness":
                frames.send_message(replies_fd, {"error": f"unknown op {request.get('op')!r}"})
                continue
            reply, scores = host.witness(request, blob)
            frames.send_message(replies_fd, reply, scores)
            host.prepare_next()
    except BaseException as exc:  # logged; the client sees the host's pipe close
        print(f"witness host: {exc!r}", file=sys.stderr)
        code = 1
    finally:
        host.jails.shutdown()
        os._exit(code)
