"""What a trace reader yields: one record per task, and what it did with the rows it could not use."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from aurora_evo.errors import InputError

#: How a task's last run ended.
#: How a task's last run ended. ``"censored"``: still running at the trace's end and cut there, so its
#: duration is a lower bound; ``"unknown"``: the trace does not say.
OUTCOMES = ("finish", "fail", "kill", "evict", "lost", "censored", "unknown")


class TraceError(InputError):
    """The trace cannot be read: wrong format, wrong column count, a file that cannot be opened or a
    truncated archive. One line naming the file, the row and the rule."""


@dataclass(frozen=True)
class TraceTask:
    """One task as a trace records it.

    Attributes:
        arrival_s: when it was submitted, seconds from the trace's time origin (the reader says which).
        duration_s: how long its last run lasted, seconds (> 0).
        cpu, memory, disk, gpu: what it requested, in the trace's units (Google 2011: normalised to
            the largest machine; SWF: processors and KB; each reader documents its own); 0 when the
            trace records none.
        priority: the trace's priority (higher is more important in Google 2011; 0 when none).
        scheduling_class: latency sensitivity (Google 2011: 0-3); 0 when none.
        job: the job it belongs to (its tasks share it).
        user: who submitted it, as the trace writes it (Google 2011: the user hash; SWF: the user ID);
            ``""`` when the trace records none.
        index: its index within the job.
        different_machine: it must not share a machine with another task of its job.
        outcome: how its last run ended, one of :data:`OUTCOMES`.
    """

    arrival_s: float
    duration_s: float
    cpu: float
    memory: float
    disk: float = 0.0
    gpu: float = 0.0
    priority: int = 0
    scheduling_class: int = 0
    job: str = ""
    user: str = ""
    index: int = 0
    different_machine: bool = False
    outcome: str = "finish"


@dataclass
class ReadSummary:
    """What a reader did with the rows it read.

    Attributes:
        rows: rows read.
        tasks: tasks yielded.
        dropped: rows (or tasks) left out, by reason (``"no request"``, ``"never scheduled"``...).
        repaired: rows used after a fix, by what was fixed.
    """

    rows: int = 0
    tasks: int = 0
    dropped: Counter = field(default_factory=Counter)
    repaired: Counter = field(default_factory=Counter)

    def describe(self) -> str:
        """One line: rows read, tasks yielded, and the drops and repairs by reason."""
        parts = [f"{self.rows:,} rows read, {self.tasks:,} tasks"]
        if self.dropped:
            parts.append("dropped " + ", ".join(f"{n:,} {why}" for why, n in self.dropped.most_common()))
        if self.repaired:
            parts.append("repaired " + ", ".join(f"{n:,} {what}" for what, n in self.repaired.most_common()))
        return "; ".join(parts)
