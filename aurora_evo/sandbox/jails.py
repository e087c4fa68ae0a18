"""Confined child processes, one job each: forking them, keeping one spare ready, reading what they
write under a deadline and a size cap, ending and reaping them, and saying how one died.

Used by the supervisor (evaluation jails, which it forks itself: :class:`ForkSpawner`) and by the
witness host (witness jails, forked by a process that never held a request, see
:mod:`aurora_evo.sandbox.witness_host`). The pool only knows that a jail reads messages from one pipe
and writes result frames (:mod:`aurora_evo.sandbox.wire`) to another; every write to a jail and
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

from aurora_evo.sandbox import wire
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


#: Gives ``(pid, job_fd, result_fd)`` of a jail once it is forked, waiting for it if need be.
Forked = Callable[[], tuple[int, int, int]]


class Spawner(Protocol):
    """Where jails come from: forks them, and collects them once they are killed."""

    def spawn(self, limits: JailLimits, key: Hashable) -> Forked:
        """Start forking a jail; what is returned gives its pid and the pipes' ends the owner keeps."""
        ...

    def reap(self, pids: list[int], block: bool, drain: bool = False) -> dict[int, int]:
        """The wait status of those of ``pids`` that ended (all of them with ``block``); with
        ``drain``, every released jail is collected too, waiting for each."""
        ...

    def release(self, pids: list[int]) -> None:
        """Collect these killed jails in time, without a word back (the owner no longer signals
        them, so their pids may be reused once they are collected)."""
        ...


class ForkSpawner:
    """Jails forked by this process, running ``start``."""

    def __init__(self, start: Start):
        self._start = start
        self._released: list[int] = []

    def spawn(self, limits: JailLimits, key: Hashable) -> Forked:
        job_read, job_write = os.pipe()
        result_read, result_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the jail
            os.close(job_write)
            os.close(result_read)
            self._start(limits, key, job_read, result_write)
        os.close(job_read)
        os.close(result_write)
        return lambda: (pid, job_write, result_read)

    def reap(self, pids: list[int], block: bool, drain: bool = False) -> dict[int, int]:
        ended = {}
        for pid in pids:
            done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
            if done:
                ended[pid] = status
        if drain:
            for pid in self._released:
                os.waitpid(pid, 0)
            self._released = []
        return ended

    def release(self, pids: list[int]) -> None:
        # Collected as they end: waiting would make the owner wait for the jail's teardown.
        ended = self.reap([*self._released, *pids], block=False)
        self._released = [pid for pid in [*self._released, *pids] if pid not in ended]


class _Spare:
    """A jail being forked for ``(limits, key)``, known once :meth:`jail` is asked for."""

    def __init__(self, limits: JailLimits, key: Hashable, forked: Forked):
        self.limits, self.key, self._forked = limits, key, forked
        self._jail: Jail | None = None

    def jail(self) -> Jail:
        if self._jail is None:
            pid, job_fd, result_fd = self._forked()
            # A jail that stops reading must not block its owner: writes to it wait against a deadline.
            os.set_blocking(job_fd, False)
            self._jail = Jail(pid, job_fd, result_fd, self.limits, self.key)
        return self._jail


class JailPool:
    """Jails from ``spawner``, with uids taken in turn from ``uids``, and ``spares`` jails kept ready.

    A spare forked for other limits (its uid aside) or another key than a job needs is dropped for a
    fresh jail. There must be more uids than spares, so that no two live jails share one (a jail could
    signal or stop another of its uid).
    """

    def __init__(self, uids: tuple[int, ...], spawner: Spawner, spares: int = 1):
        if len(uids) <= spares:
            raise ValueError(f"{len(uids)} uids for {spares} spares and the running jail")
        self._uids = uids
        self.spawner = spawner
        self._spares: list[_Spare] = []
        self._depth = spares
        self._unreaped: list[int] = []
        self._forks = 0

    def spare_pids(self) -> list[int]:
        """The pids of the spares waiting for a job."""
        return [spare.jail().pid for spare in self._spares]

    @staticmethod
    def _fits(spare: _Spare, limits: JailLimits, key: Hashable) -> bool:
        return dataclasses.replace(spare.limits, uid=limits.uid) == limits and spare.key == key

    def take(self, limits: JailLimits, key: Hashable) -> Jail:
        """A jail for a job: the oldest spare if it fits, else a fresh one (and the spares that do not
        fit are dropped)."""
        while self._spares:
            spare = self._spares.pop(0)
            if self._fits(spare, limits, key):
                return spare.jail()
            self.end(spare.jail())
        return self._fork(limits, key).jail()

    def prefork(self, limits: JailLimits, key: Hashable) -> None:
        """Start forking spares for jobs like this one, so that they confine themselves while the
        current job runs (a spawner may hand them over later: see :class:`Spawner`)."""
        self.reap(block=False)
        for spare in [s for s in self._spares if not self._fits(s, limits, key)]:
            self._spares.remove(spare)
            self.end(spare.jail())
        while len(self._spares) < self._depth:
            self._spares.append(self._fork(limits, key))

    def _fork(self, limits: JailLimits, key: Hashable) -> _Spare:
        self._forks += 1
        limits = dataclasses.replace(limits, uid=self._uids[self._forks % len(self._uids)])
        return _Spare(limits, key, self.spawner.spawn(limits, key))

    @staticmethod
    def send(jail: Jail, header: dict, blob: bytes, deadline: float) -> bool:
        """Write a message to the jail's job pipe before ``deadline`` (``time.perf_counter()``); False
        when the jail is gone (it could not confine itself, or it died) or does not take it in time."""
        data = memoryview(wire.encode_message(header, blob))
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
        (``time.perf_counter()``) passes or more than ``cap`` bytes came. Nothing past the frame is
        read: a frame written out of turn is the next one read, whether or not the two reach the pipe
        together."""
        data = bytearray()
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return Collected(bytes(data), True, False)
            ready, _, _ = select.select([jail.result_fd], [], [], remaining)
            if not ready:
                return Collected(bytes(data), True, False)
            chunk = os.read(jail.result_fd, min(1 << 16, wire.result_missing(data), cap + 1 - len(data)))
            if not chunk:
                return Collected(bytes(data), False, False)
            data += chunk
            if len(data) > cap:
                return Collected(bytes(data), False, True)
            if not wire.result_missing(data):
                return Collected(bytes(data), False, False)

    def read_result(
        self, jail: Jail, deadline: float, timeout: float, max_values: int
    ) -> tuple[str, str, np.ndarray | None]:
        """The jail's next result frame: ``(outcome, message, values)``, the jail left running. When
        it gave none (the deadline passed, it wrote too much or something malformed, it died), the
        jail is waited for and ``(outcome, message, None)`` says how it ended."""
        collected = self.collect(jail, deadline, wire.result_size_cap(max_values))
        detail = "the jail wrote more than a result"
        if not collected.oversized:
            try:
                code, detail, values = wire.decode_result(collected.data, max_values)
            except wire.FrameError as exc:
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
        """Have the jails ended so far collected; ``block`` waits until all of them are, those
        released before included (:meth:`wait` waits for its own jail only)."""
        if block:
            self.spawner.reap(self._unreaped, block=True, drain=True)
        else:
            self.spawner.release(self._unreaped)
        self._unreaped = []

    def shutdown(self) -> None:
        """Drop the spares and reap every jail."""
        while self._spares:
            self.end(self._spares.pop().jail())
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
