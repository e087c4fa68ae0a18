"""Google clusterdata-2011-2 ``task_events`` shards, rebuilt into one :class:`TraceTask` per task.

A shard is a gzipped CSV without header, 13 columns (1-based): 1 time (µs), 2 missing info, 3 job ID,
4 task index, 5 machine ID, 6 event type, 7 user hash, 8 scheduling class, 9 priority, 10 CPU request,
11 memory request, 12 disk request, 13 different-machines restriction. Requests are normalised to the
largest machine (1.0) and are yielded as they are.

How a task (job ID, task index) is rebuilt from its events:

- arrival: its first SUBMIT, in seconds from the trace's time origin. Events at time 0 are tasks already
  present when the trace starts: their true submit time is unknown and they arrive at 0.
- a run starts at SCHEDULE and ends at the next EVICT, FAIL, FINISH, KILL or LOST; the task's duration is
  the length of its last run and its outcome comes from the event that ended it.
- requests, priority, scheduling class, the user and the different-machines flag come from the latest
  event that carries them (UPDATE_PENDING / UPDATE_RUNNING may change them).
- a run ending in FINISH is final: the task is yielded then (a later SUBMIT of the same key, seen in
  the real trace minutes to hours later, is a new task). After EVICT, FAIL, KILL or LOST the task waits
  ``resubmit_grace_s`` for a new SUBMIT (in the 2011 shards, 99% of such resubmissions come in the same
  microsecond); if one comes its next run wins, otherwise it is yielded with its last run once the grace
  has passed, the input has ended or the reorder window (below) has passed its arrival.

Order and memory: tasks are yielded in arrival order while streaming. A finished task waits in a heap
until no live task (pending, running or awaiting resubmission) arrived before it. Live tasks that arrived
more than ``reorder_window_s`` before the current event are given up, so that memory stays bounded by the
tasks of one window whatever the number of shards: a running one is dropped (``"outlived the reorder
window"``), one awaiting resubmission is yielded with its last run. The default window (6 h) covers the
first shards whole; tasks present at time 0 that run for days are what a shorter window gives up.

Cut (counted in ``summary.repaired["still running at input end, cut there"]``, tasks): a task still running
when the input ends is yielded with the run so far, ``outcome`` ``"censored"``: its duration is a lower
bound, as the other readers' censored tasks are. Dropping them instead (as this reader did until
2026-12) left the windows near the input's end with only the tasks that ended before it: none of the
long ones, and fewer nodes sized for them.

Dropped (counted in ``summary.dropped``), each a task unless said: tasks that never ran before they ended,
their grace passed or the input ended (``"never scheduled"``), tasks without a CPU or
memory request on any of their events (``"no request"``), last runs of zero length (``"zero-length
run"``); rows without a readable job ID or task index (``"no task key"``), rows timed 2^63-1, "after the
trace end" (``"after trace end"``), and rows for a task not live: never submitted in the shards read, or
already yielded or given up (``"event of no live task"``).
Repaired (counted in ``summary.repaired``, rows): an unreadable, negative or non-finite request or flag is
read as absent (``"unreadable request"``), an unreadable priority or scheduling class keeps the last
value (``"unreadable priority"``), a SCHEDULE while running restarts the run (``"schedule while
running"``), an end event of a task that already ended and a SUBMIT of a live task that has not ended are
ignored (``"out-of-order event"``).

Fatal (:class:`TraceError`, one line naming file and row): a missing or unreadable file, a truncated or
corrupt gzip, a row without 13 columns, a time that is not a non-negative integer, an event type that is
not 0-8, and a time going backwards (within a shard or from one shard to the next).
"""

from __future__ import annotations

import csv
import gzip
import heapq
import io
import math
import zlib
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from aurora_evo.traces.records import ReadSummary, TraceError, TraceTask

#: Columns of a task_events row.
N_COLUMNS = 13
#: A time meaning "after the trace end".
AFTER_TRACE_END = 2**63 - 1
SUBMIT, SCHEDULE, EVICT, FAIL, FINISH, KILL, LOST, UPDATE_PENDING, UPDATE_RUNNING = range(9)
#: The outcome of a run, by the event that ended it.
OUTCOME_BY_END_EVENT = {EVICT: "evict", FAIL: "fail", FINISH: "finish", KILL: "kill", LOST: "lost"}
DEFAULT_REORDER_WINDOW_S = 6 * 3600.0
DEFAULT_RESUBMIT_GRACE_S = 60.0
_US = 1_000_000


@dataclass(slots=True)
class _Task:
    """A task being rebuilt; times in µs."""

    job: int
    index: int
    arrival_us: int
    run_start_us: int | None = None
    last_run: tuple[int, str] | None = None  # (duration_us, outcome) of the last run that ended
    ended_us: int | None = None  # when it last ended (EVICT...LOST) with no resubmission since
    cpu: float | None = None
    memory: float | None = None
    disk: float | None = None
    priority: int = 0
    scheduling_class: int = 0
    different_machine: bool = False
    user: str = ""


def read_google2011(
    paths: Iterable[str | Path],
    summary: ReadSummary | None = None,
    reorder_window_s: float = DEFAULT_REORDER_WINDOW_S,
    resubmit_grace_s: float = DEFAULT_RESUBMIT_GRACE_S,
) -> Iterator[TraceTask]:
    """Stream the tasks of ``paths`` (consecutive task_events shards, in time order) in arrival order.

    ``summary`` (if given) is filled as the reader goes: rows read, tasks yielded, drops and repairs by
    reason. Raises :class:`TraceError` on input it cannot read (see the module docstring).
    """
    summary = summary if summary is not None else ReadSummary()
    rebuilder = _Rebuilder(summary, reorder_window_s, resubmit_grace_s)
    for path in paths:
        for time_us, row in _rows(Path(path), rebuilder):
            yield from rebuilder.feed(time_us, row)
    yield from rebuilder.finish()


def _rows(path: Path, rebuilder: _Rebuilder) -> Iterator[tuple[int, list[str]]]:
    """The rows of one shard with their time (µs), checked for shape and order; ``TraceError`` otherwise."""
    row_number = 0
    try:
        with _open(path) as text:
            for row_number, row in enumerate(csv.reader(text, quoting=csv.QUOTE_NONE), start=1):
                rebuilder.summary.rows += 1
                time_us = _checked_time(row, rebuilder, path, row_number)
                if time_us is not None:
                    yield time_us, row
    except TraceError:
        raise
    except FileNotFoundError:
        raise TraceError(f"{path}: no such file") from None
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, csv.Error) as error:
        where = f"row {row_number + 1}" if row_number else "start"
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise TraceError(f"{path}: {where}: cannot read ({reason})") from None


def _open(path: Path) -> io.TextIOBase:
    """The shard as ASCII text: gunzipped when its name ends in ``.gz``."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="ascii", newline="")
    return path.open(encoding="ascii", newline="")


def _checked_time(row: list[str], rebuilder: _Rebuilder, path: Path, row_number: int) -> int | None:
    """The row's time in µs, or None for a row timed after the trace end; fatal rules raise."""
    where = f"{path}: row {row_number}"
    if len(row) != N_COLUMNS:
        raise TraceError(f"{where}: {len(row)} columns, a task_events row has {N_COLUMNS}")
    try:
        time_us = int(row[0])
    except ValueError:
        raise TraceError(f"{where}: time {row[0][:20]!r} is not an integer of microseconds") from None
    if time_us < 0:
        raise TraceError(f"{where}: time {time_us} is negative")
    if row[5] not in _EVENT_TYPES:
        raise TraceError(f"{where}: event type {row[5][:20]!r} is not one of 0-8")
    if time_us == AFTER_TRACE_END:
        rebuilder.summary.dropped["after trace end"] += 1
        return None
    if time_us < rebuilder.now_us:
        raise TraceError(f"{where}: time {time_us} goes back from {rebuilder.now_us} (rows must be sorted)")
    return time_us


_EVENT_TYPES = frozenset(str(event) for event in range(9))


class _Rebuilder:
    """Folds events into tasks and releases finished tasks in arrival order."""

    def __init__(self, summary: ReadSummary, reorder_window_s: float, resubmit_grace_s: float):
        self.summary = summary
        self.window_us = int(reorder_window_s * _US)
        self.grace_us = int(resubmit_grace_s * _US)
        # (ended_us, task) in end order; an entry is stale once the task was resubmitted or ended again.
        self.awaiting: deque[tuple[int, _Task]] = deque()
        self.now_us = 0
        # Live tasks in insertion order, which is arrival order since SUBMIT times never go back.
        self.live: OrderedDict[tuple[int, int], _Task] = OrderedDict()
        self.done: list[tuple[int, int, TraceTask]] = []  # heap of (arrival_us, sequence, task)
        self.sequence = 0

    def feed(self, time_us: int, row: list[str]) -> list[TraceTask]:
        """Apply one event (already checked for shape and order), then release what is safe."""
        self.now_us = time_us
        try:
            key = (int(row[2]), int(row[3]))
        except ValueError:
            self.summary.dropped["no task key"] += 1
            return self._release()
        event = int(row[5])
        task = self.live.get(key)
        if task is None:
            if event != SUBMIT:
                self.summary.dropped["event of no live task"] += 1
                return self._release()
            task = self.live[key] = _Task(key[0], key[1], time_us)
        self._take_attributes(task, row)
        self._apply(task, event, time_us)
        return self._release()

    def _apply(self, task: _Task, event: int, time_us: int) -> None:
        """Move the task through SUBMIT, SCHEDULE and the end events."""
        if event == SUBMIT:
            if task.ended_us is None:
                if task.run_start_us is not None or task.last_run is not None or task.arrival_us != time_us:
                    self.summary.repaired["out-of-order event"] += 1
                return
            task.ended_us = None  # resubmitted: its next run wins
        elif event == SCHEDULE:
            if task.run_start_us is not None:
                self.summary.repaired["schedule while running"] += 1
            task.run_start_us, task.ended_us = time_us, None
        elif event in OUTCOME_BY_END_EVENT:
            if task.ended_us is not None:
                self.summary.repaired["out-of-order event"] += 1
                return
            if task.run_start_us is not None:
                task.last_run = (time_us - task.run_start_us, OUTCOME_BY_END_EVENT[event])
                task.run_start_us = None
            if event == FINISH:
                self._give_up(self.live.pop((task.job, task.index)), "never scheduled")
            else:
                task.ended_us = time_us
                self.awaiting.append((time_us, task))

    def _take_attributes(self, task: _Task, row: list[str]) -> None:
        """Keep the requests, priority, class and flag this event carries (empty fields carry nothing)."""
        for column, name in ((9, "cpu"), (10, "memory"), (11, "disk")):
            if row[column]:
                value = _request(row[column])
                if value is None:
                    self.summary.repaired["unreadable request"] += 1
                else:
                    setattr(task, name, value)
        for column, name in ((8, "priority"), (7, "scheduling_class")):
            if row[column]:
                try:
                    setattr(task, name, int(row[column]))
                except ValueError:
                    self.summary.repaired["unreadable priority"] += 1
        if row[6]:
            task.user = row[6]
        if row[12]:
            if row[12] in ("0", "1"):
                task.different_machine = row[12] == "1"
            else:
                self.summary.repaired["unreadable request"] += 1

    def _complete(self, task: _Task) -> bool:
        """A task whose last run has ended: into the heap (True), or dropped with its reason (False)."""
        if task.cpu is None or task.memory is None:
            self.summary.dropped["no request"] += 1
            return False
        duration_us, outcome = task.last_run
        if duration_us <= 0:
            self.summary.dropped["zero-length run"] += 1
            return False
        record = TraceTask(
            arrival_s=task.arrival_us / _US,
            duration_s=duration_us / _US,
            cpu=task.cpu,
            memory=task.memory,
            disk=task.disk or 0.0,
            priority=task.priority,
            scheduling_class=task.scheduling_class,
            job=str(task.job),
            user=task.user,
            index=task.index,
            different_machine=task.different_machine,
            outcome=outcome,
        )
        heapq.heappush(self.done, (task.arrival_us, self.sequence, record))
        self.sequence += 1
        return True

    def _give_up(self, task: _Task, reason_if_running: str) -> None:
        """A live task that will not run again: yielded with its last run if it had one, else dropped."""
        if task.run_start_us is not None:
            self.summary.dropped[reason_if_running] += 1
        elif task.last_run is not None:
            self._complete(task)
        else:
            self.summary.dropped["never scheduled"] += 1

    def _release(self) -> list[TraceTask]:
        """Finished tasks no live task can precede, after closing the tasks whose resubmission grace has
        passed and giving up those that arrived before the window."""
        while self.awaiting and self.awaiting[0][0] + self.grace_us < self.now_us:
            ended_us, task = self.awaiting.popleft()
            key = (task.job, task.index)
            if task.ended_us == ended_us and self.live.get(key) is task:
                self._give_up(self.live.pop(key), "never scheduled")
        horizon_us = self.now_us - self.window_us
        while self.live:
            oldest = next(iter(self.live.values()))
            if oldest.arrival_us >= horizon_us:
                break
            self._give_up(self.live.popitem(last=False)[1], "outlived the reorder window")
        limit = next(iter(self.live.values())).arrival_us if self.live else self.now_us
        released = []
        while self.done and self.done[0][0] <= limit:
            released.append(heapq.heappop(self.done)[2])
        self.summary.tasks += len(released)
        return released

    def finish(self) -> Iterator[TraceTask]:
        """At input end: running tasks are cut there (outcome ``"censored"``), tasks awaiting
        resubmission are yielded with their last run, pending ones dropped."""
        while self.live:
            task = self.live.popitem(last=False)[1]
            if task.run_start_us is not None:
                task.last_run, task.run_start_us = (self.now_us - task.run_start_us, "censored"), None
                if self._complete(task):
                    self.summary.repaired["still running at input end, cut there"] += 1
            else:
                self._give_up(task, "never scheduled")
        while self.done:
            self.summary.tasks += 1
            yield heapq.heappop(self.done)[2]


def _request(text: str) -> float | None:
    """A request as a finite non-negative float, or None when unreadable."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None
