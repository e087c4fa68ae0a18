"""Confined child processes, one job each: forking them, keeping one spare ready, reading what they
write under a deadline and a size cap, ending and reaping them, and saying how one died.

Used by the supervisor (evaluation jails, which it forks itself: :class:`ForkSpawner`) and by the
witness host (witness jails, forked by a process that never held a request, see
:mod:`aurora_evo.sandbox.witness_host`). The pool only knows that a jail reads messages from one pipe
and writes result frames (:mod:`aurora_evo.sandbox.frames`) to another; every write to a jail and
every read from it is bounded by a deadline, so a jail that stops reading or writing cannot block its
owner.
"""

from __future__ import annotations

import dataclasses
import os
import select
import signal
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import NoReturn, Protocol

import numpy as np

from aurora_evo.sandbox import frames
from aurora_evo.sandbox.jail import OUTCOME_CODES, JailLimits

#: ``start(limits, key, job_fd, result_fd)``: the child's whole life; never returns.
Start = Callable[[JailLimits, Hashable, int, int], NoReturn]


@dataclass(frozen=True)
class Jail:
    """A forked jail: its pid, the write end of its job pipe and the read end of its result pipe.

    ``key`` is what it was forked to prepare for; a spare is only handed a job of the same key.
    """

    pid: int
    job_fd: int
    result_fd: int
    limits: JailLimits
    key: Hashable


@dataclass(frozen=True)
class Collected:
    """What a jail wrote before its frame was complete, the pipe closed, the deadline or the cap."""

    data: bytes
    timed_out: bool
    oversized: bool


class Spawner(Protocol):
    """Where jails come from: forks them, and collects them once they are killed."""

    def spawn(self, limits: JailLimits, key: Hashable) -> tuple[int, int, int]:
        """Fork a jail: ``(pid, job_fd, result_fd)``, the pipes' ends the owner keeps."""
        ...

    def reap(self, pids: list[int], block: bool) -> dict[int, int]:
        """The wait status of those of ``pids`` that ended (all of them with ``block``)."""
        ...


class ForkSpawner:
    """Jails forked by this process, running ``start``."""

    def __init__(self, start: Start):
        self._start = start

    def spawn(self, limits: JailLimits, key: Hashable) -> tuple[int, int, int]:
        job_read, job_write = os.pipe()
        result_read, result_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the jail
            os.close(job_write)
            os.close(result_read)
            self._start(limits, key, job_read, result_write)
        os.close(job_read)
        os.close(result_write)
        return pid, job_write, result_read

    @staticmethod
    def reap(pids: list[int], block: bool) -> dict[int, int]:
        ended = {}
        for pid in pids:
            done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
            if done:
                ended[pid] = status
        return ended


class JailPool:
    """Jails from ``spawner``, with uids taken in turn from ``uids``, and one spare kept ready.

    A spare forked for other limits (its uid aside) or another key than a job needs is dropped for a
    fresh jail.
    """

    def __init__(self, uids: tuple[int, ...], spawner: Spawner):
        self._uids = uids
        self.spawner = spawner
        self._spare: Jail | None = None
        self._unreaped: list[int] = []
        self._forks = 0

    def take(self, limits: JailLimits, key: Hashable) -> Jail:
        """A jail for a job: the spare if it fits, else a fresh one."""
        spare, self._spare = self._spare, None
        if (
            spare is not None
            and dataclasses.replace(spare.limits, uid=limits.uid) == limits
            and spare.key == key
        ):
            return spare
        if spare is not None:
            self.end(spare)
        return self._fork(limits, key)

    def prefork(self, limits: JailLimits, key: Hashable) -> None:
        """Fork the spare now, so that it confines itself while the current job runs."""
        self.reap(block=False)
        if self._spare is not None:
            self.end(self._spare)
        self._spare = self._fork(limits, key)

    def _fork(self, limits: JailLimits, key: Hashable) -> Jail:
        self._forks += 1
        limits = dataclasses.replace(limits, uid=self._uids[self._forks % len(self._uids)])
        pid, job_fd, result_fd = self.spawner.spawn(limits, key)
        # A jail that stops reading must not block its owner: writes to it wait against a deadline.
        os.set_blocking(job_fd, False)
        return Jail(pid, job_fd, result_fd, limits, key)

    @staticmethod
    def send(jail: Jail, header: dict, blob: bytes, deadline: float) -> bool:
        """Write a message to the jail's job pipe before ``deadline`` (``time.perf_counter()``); False
        when the jail is gone (it could not confine itself, or it died) or does not take it in time."""
        data = memoryview(frames.encode_message(header, blob))
        while data:
            remaining = deadline - time.perf_counter()
            if remaining <= 0 or not select.select([], [jail.job_fd], [], remaining)[1]:
                return False
            try:
                data = data[os.write(jail.job_fd, data) :]
            except BlockingIOError:
                continue
            except OSError:
                return False
        return True

    @staticmethod
    def collect(jail: Jail, deadline: float, cap: int) -> Collected:
        """Read one result frame from the jail, until it is complete, the pipe closes, the deadline
        (``time.perf_counter()``) passes or more than ``cap`` bytes came."""
        data = bytearray()
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return Collected(bytes(data), True, False)
            ready, _, _ = select.select([jail.result_fd], [], [], remaining)
            if not ready:
                return Collected(bytes(data), True, False)
            chunk = os.read(jail.result_fd, 1 << 16)
            if not chunk:
                return Collected(bytes(data), False, False)
            data += chunk
            if len(data) > cap:
                return Collected(bytes(data), False, True)
            if frames.result_complete(data):
                return Collected(bytes(data), False, False)

    def read_result(
        self, jail: Jail, deadline: float, timeout: float, max_values: int
    ) -> tuple[str, str, np.ndarray | None]:
        """The jail's next result frame: ``(outcome, message, values)``, the jail left running. When
        it gave none (the deadline passed, it wrote too much or something malformed, it died), the
        jail is waited for and ``(outcome, message, None)`` says how it ended."""
        collected = self.collect(jail, deadline, frames.result_size_cap(max_values))
        detail = "the jail wrote more than a result"
        if not collected.oversized:
            try:
                code, detail, values = frames.decode_result(collected.data, max_values)
            except frames.FrameError as exc:
                detail = str(exc)
            else:
                if 0 <= code < len(OUTCOME_CODES) and not collected.timed_out:
                    return OUTCOME_CODES[code].value, detail, values
        ended = death(self.wait(jail), collected.timed_out, timeout, detail)
        return ended["outcome"], ended["message"], None

    def end(self, jail: Jail) -> None:
        """Kill the jail and its process group and close its pipes; it is reaped later (a dying
        process tears down its address space on its own time)."""
        for fd in (jail.job_fd, jail.result_fd):
            try:
                os.close(fd)
            except OSError:  # closed already
                pass
        _kill(jail.pid)
        self._unreaped.append(jail.pid)

    def wait(self, jail: Jail) -> int:
        """End the jail and wait for it; its wait status."""
        self.end(jail)
        self._unreaped.remove(jail.pid)
        return self.spawner.reap([jail.pid], block=True)[jail.pid]

    def reap(self, block: bool) -> None:
        """Collect the jails ended so far; ``block`` waits for all of them."""
        ended = self.spawner.reap(self._unreaped, block) if self._unreaped else {}
        self._unreaped = [pid for pid in self._unreaped if pid not in ended]

    def shutdown(self) -> None:
        """Drop the spare and reap every jail."""
        if self._spare is not None:
            self.end(self._spare)
            self._spare = None
        self.reap(block=True)


def _kill(pid: int) -> None:
    """Kill the jail and its process group (a jail leads a session of its own from its start)."""
    for kill in (os.kill, os.killpg):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def death(status: int, timed_out: bool, timeout: float, detail: str) -> dict:
    """``{"outcome", "message"}``: why a jail left no result, from how it ended."""
    if timed_out:
        return {"outcome": "timeout", "message": f"no result within {timeout:g} s (killed)"}
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals.__members__.values() else str(sig)
        if sig == signal.SIGXCPU:
            return {"outcome": "timeout", "message": "cpu-time limit exceeded"}
        if sig == signal.SIGKILL:  # ours, once the pipe closed or overflowed without a valid result
            return {"outcome": "no_result", "message": f"the jail gave no valid result ({detail})"}
        return {"outcome": "crashed", "message": f"the process died of {name}"}
    return {"outcome": "no_result", "message": f"the jail exited without a valid result ({detail})"}
