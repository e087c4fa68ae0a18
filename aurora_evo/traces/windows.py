"""Cutting a trace's task stream into time windows, each the tasks of one scenario-to-be.

A window is ``[start, start + length)`` in the trace's seconds; a task belongs to every window its
arrival falls in (windows overlap when the stride is shorter than the length). The stream is read once,
in arrival order, and only the tasks of the windows still open are held: a trace of any length costs the
memory of a few windows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from aurora_evo.errors import InputError
from aurora_evo.traces.records import TraceTask

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """Seconds in ``"30m"``, ``"2h"``, ``"90s"``, ``"1d"`` or a plain number of seconds.

    Raises:
        InputError: not a positive duration in one of those forms.
    """
    text = str(text).strip()
    unit = _UNITS.get(text[-1:].lower())
    number = text[:-1] if unit else text
    try:
        seconds = float(number) * (unit or 1.0)
    except ValueError:
        raise InputError(f"{text!r} is not a duration; write e.g. 30m, 2h, 90s or 1d") from None
    if not (math.isfinite(seconds) and seconds > 0):
        raise InputError(f"{text!r} is not a positive duration")
    return seconds


@dataclass(frozen=True)
class Windows:
    """Which windows to cut.

    Attributes:
        length_s: each window's length, seconds.
        count: how many windows, at most (fewer when the trace ends first).
        stride_s: seconds from one window's start to the next's (default: ``length_s``, back to back).
        first_s: the first window's start (default: the first task's arrival).
        starts_s: explicit starts instead of a stride, in increasing order (``count`` is then their
            number).
    """

    length_s: float
    count: int = 1
    stride_s: float | None = None
    first_s: float | None = None
    starts_s: tuple[float, ...] = ()

    def __post_init__(self):
        if not (math.isfinite(self.length_s) and self.length_s > 0):
            raise InputError(f"a window's length must be positive, not {self.length_s}")
        if self.count < 1:
            raise InputError(f"--count must be at least 1, not {self.count}")
        if self.stride_s is not None and not (math.isfinite(self.stride_s) and self.stride_s > 0):
            raise InputError(f"a stride must be positive, not {self.stride_s}")
        if any(b <= a for a, b in zip(self.starts_s, self.starts_s[1:], strict=False)):
            raise InputError("explicit window starts must increase")

    def starts(self, first_arrival: float) -> Iterator[float]:
        """The windows' starts, in order, given the first task's arrival."""
        if self.starts_s:
            yield from self.starts_s
            return
        first = first_arrival if self.first_s is None else self.first_s
        stride = self.length_s if self.stride_s is None else self.stride_s
        for k in range(self.count):
            yield first + k * stride


def cut_windows(tasks: Iterable[TraceTask], windows: Windows) -> Iterator[tuple[float, list[TraceTask]]]:
    """``(start, tasks)`` of each window, in start order, from ``tasks`` in arrival order; a window with
    no task is skipped. Reads ``tasks`` only as far as the last window needs.

    Raises:
        InputError: a task arrives before the one before it (the readers yield arrival order).
    """
    stream = iter(tasks)
    first = next(stream, None)
    if first is None:
        return
    starts = windows.starts(first.arrival_s)
    open_windows: list[tuple[float, list[TraceTask]]] = []
    upcoming = next(starts, None)
    previous = -math.inf
    for task in _chain(first, stream):
        if task.arrival_s < previous:
            raise InputError(f"tasks out of arrival order: {task.arrival_s} s after {previous} s")
        previous = task.arrival_s
        while upcoming is not None and upcoming <= task.arrival_s:
            open_windows.append((upcoming, []))
            upcoming = next(starts, None)
        while open_windows and open_windows[0][0] + windows.length_s <= task.arrival_s:
            start, members = open_windows.pop(0)
            if members:
                yield start, members
        if not open_windows and upcoming is None:
            return
        for start, members in open_windows:
            if start <= task.arrival_s < start + windows.length_s:
                members.append(task)
    for start, members in open_windows:
        if members:
            yield start, members


def _chain(first: TraceTask, rest: Iterator[TraceTask]) -> Iterator[TraceTask]:
    yield first
    yield from rest
