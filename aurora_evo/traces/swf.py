"""Reader of the Standard Workload Format (SWF) of the Parallel Workloads Archive.

An SWF file is plain text (or gzip): header comments starting with ``;`` (``; MaxProcs: 128``), then
one job a line, 18 whitespace-separated numbers, ``-1`` meaning unknown, sorted by submit time:

    1 job number, 2 submit time (s), 3 wait time (s), 4 run time (s), 5 allocated processors,
    6 average CPU time used (s), 7 used memory (KB per processor), 8 requested processors,
    9 requested time (s), 10 requested memory (KB per processor), 11 status, 12 user ID, 13 group ID,
    14 executable number, 15 queue number, 16 partition number, 17 preceding job number,
    18 think time from the preceding job (s).

:func:`read_swf` yields one :class:`~aurora_evo.traces.records.TraceTask` per usable job, in file order:

- ``arrival_s`` = submit time, seconds from the log's start (``UnixStartTime`` in the header);
- ``duration_s`` = run time, seconds;
- ``cpu`` = requested processors, or the allocated ones when the request is unknown (repaired
  ``"processors from allocated"``);
- ``memory`` = KB: requested memory per processor x ``cpu``, or else used memory per processor x ``cpu``
  (repaired ``"memory from used"``), or else 0 (repaired ``"memory unknown, 0"``);
- ``disk`` = 0, ``priority`` = 0 and ``scheduling_class`` = 0: SWF has none (the queue number is not a
  priority);
- ``job`` = the job number as written, ``index`` = 0 (an SWF job is one task); ``user`` = the user ID
  as written (``""`` when -1);
- ``outcome`` from the status: 1 ``"finish"``, 0 ``"fail"``, 5 ``"kill"``, anything else ``"unknown"``
  (-1, and 2-4, the parts of a checkpointed job);
- the preceding job and think time (fields 17-18) are not kept: a job that had one is still yielded and
  counted in ``repaired["preceding job ignored"]``.

Dropped jobs, counted in ``summary.dropped``: run time unknown or <= 0 (``"no run time"``), submit time
unknown (``"no submit time"``), processors unknown (``"processors unknown"``, neither field 8 nor 5 > 0).

A job submitted before the job above it is a :class:`~aurora_evo.traces.records.TraceError`: SWF files are
sorted by submit time by definition, so an unsorted one is not an SWF file as the archive publishes them,
and silently re-sorting would need the whole file in memory. So is a job line without 18 fields, a field
that is not a finite number, a file that cannot be opened or a truncated gzip. Reading streams line by
line (memory does not grow with the file); errors are raised while iterating, not when called.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aurora_evo.traces.files import finite_number, text_lines
from aurora_evo.traces.records import ReadSummary, TraceError, TraceTask

#: Fields a job line has.
SWF_FIELDS = 18

_OUTCOME_BY_STATUS = {1: "finish", 0: "fail", 5: "kill"}
# "; Key: value": a key is one word followed by a colon and a space or the line's end, so that a
# continuation line such as ";   http://host/" is not read as a key "http".
_HEADER_ENTRY = re.compile(r";\s*([A-Za-z]\w*):(?:\s+(.*))?$")
_INT_KEYS = {"MaxProcs": "max_procs", "MaxNodes": "max_nodes", "UnixStartTime": "unix_start_time"}
_TEXT_KEYS = {
    "TimeZoneString": "time_zone_string",
    "Version": "version",
    "Computer": "computer",
    "Installation": "installation",
}


@dataclass(frozen=True)
class SwfHeader:
    """What an SWF file's ``;`` header says (``None`` when it does not say).

    Attributes:
        max_procs: processors of the machine (``MaxProcs``).
        max_nodes: nodes of the machine (``MaxNodes``).
        unix_start_time: the log's time origin, seconds since 1970 UTC (``UnixStartTime``).
        time_zone_string: the machine's time zone, e.g. ``"US/Pacific"`` (``TimeZoneString``).
        version, computer, installation: the SWF version, the machine and where it was.
        other: every other entry, key -> value; a repeated key (``Note``, ``Queue``) has its values
            joined by newlines, and a continuation line is joined to its entry with a space.
    """

    max_procs: int | None = None
    max_nodes: int | None = None
    unix_start_time: int | None = None
    time_zone_string: str | None = None
    version: str | None = None
    computer: str | None = None
    installation: str | None = None
    other: dict[str, str] = field(default_factory=dict)


def read_swf_header(path: str | Path) -> SwfHeader:
    """The header of the SWF file at ``path`` (plain or gzip): the ``;`` lines before the first job.

    Raises:
        TraceError: the file cannot be read, or ``MaxProcs``, ``MaxNodes`` or ``UnixStartTime`` is not an
            integer.
    """
    entries: dict[str, list[str]] = {}
    last: list[str] | None = None
    numbers: dict[str, int] = {}
    for line_number, line in text_lines(path):
        text = line.strip()
        if not text:
            continue
        if not text.startswith(";"):
            break
        entry = _HEADER_ENTRY.match(text)
        if entry is None:
            continuation = text.lstrip(";").strip()
            if last is not None and continuation:
                last[-1] = f"{last[-1]} {continuation}"
            elif not continuation:
                last = None
            continue
        key, value = entry.group(1), (entry.group(2) or "").strip()
        if key in _INT_KEYS:
            numbers[_INT_KEYS[key]] = _header_int(path, line_number, key, value)
        last = entries.setdefault(key, [])
        last.append(value)
    texts = {name: "\n".join(entries[key]) for key, name in _TEXT_KEYS.items() if key in entries}
    other = {key: "\n".join(values) for key, values in entries.items() if key not in _INT_KEYS | _TEXT_KEYS}
    return SwfHeader(**numbers, **texts, other=other)


def read_swf(path: str | Path, summary: ReadSummary | None = None) -> Iterator[TraceTask]:
    """Stream the jobs of the SWF file at ``path`` (plain or gzip) as tasks, in submit order.

    Units: seconds from the log's start, processors, KB (see the module docstring for the mapping and
    what is dropped). ``summary``, when given, is filled as the file is read: ``rows`` counts job lines.

    Raises:
        TraceError: the file cannot be opened, is a truncated or corrupt gzip, or a job line breaks the
            format (not 18 fields, a field not a finite number, submitted before the line above it).
    """
    summary = summary if summary is not None else ReadSummary()
    last_submit = -math.inf
    for line_number, line in text_lines(path):
        tokens = line.split()
        if not tokens or tokens[0].startswith(";"):
            continue
        summary.rows += 1
        values = _job_values(path, line_number, tokens)
        submit = values[1]
        if submit >= 0:
            if submit < last_submit:
                raise TraceError(
                    f"{path}: line {line_number}: submit time {submit:g} is before the line above "
                    f"({last_submit:g}); SWF jobs are sorted by submit time"
                )
            last_submit = submit
        task = _task(tokens[0], values, summary)
        if task is not None:
            summary.tasks += 1
            yield task


def _task(job: str, values: list[float], summary: ReadSummary) -> TraceTask | None:
    """The task of one job line's 18 values, or ``None`` (counted in ``summary.dropped``) when unusable."""
    submit, run_time, allocated, used_memory = values[1], values[3], values[4], values[6]
    requested, requested_memory, status, preceding = values[7], values[9], values[10], values[16]
    user = values[11]
    if run_time <= 0:
        summary.dropped["no run time"] += 1
        return None
    if submit < 0:
        summary.dropped["no submit time"] += 1
        return None
    if requested > 0:
        cpu = requested
    elif allocated > 0:
        cpu = allocated
        summary.repaired["processors from allocated"] += 1
    else:
        summary.dropped["processors unknown"] += 1
        return None
    if requested_memory > 0:
        memory = requested_memory * cpu
    elif used_memory > 0:
        memory = used_memory * cpu
        summary.repaired["memory from used"] += 1
    else:
        memory = 0.0
        summary.repaired["memory unknown, 0"] += 1
    if preceding > 0:
        summary.repaired["preceding job ignored"] += 1
    return TraceTask(
        arrival_s=submit,
        duration_s=run_time,
        cpu=cpu,
        memory=memory,
        job=job,
        user=f"{user:g}" if user >= 0 else "",
        outcome=_OUTCOME_BY_STATUS.get(int(status), "unknown"),
    )


def _job_values(path: str | Path, line_number: int, tokens: list[str]) -> list[float]:
    """The 18 numbers of a job line; a :class:`TraceError` when there are not 18 or one is not a number."""
    if len(tokens) != SWF_FIELDS:
        raise TraceError(
            f"{path}: line {line_number}: {len(tokens)} fields, an SWF job line has {SWF_FIELDS}"
        )
    values = []
    for position, token in enumerate(tokens, start=1):
        value = finite_number(token)
        if value is None:
            raise TraceError(f"{path}: line {line_number}: field {position} {token!r} is not a finite number")
        values.append(value)
    return values


def _header_int(path: str | Path, line_number: int, key: str, value: str) -> int:
    """A header entry's integer value; a :class:`TraceError` when it is not one."""
    try:
        return int(value)
    except ValueError:
        raise TraceError(f"{path}: line {line_number}: {key} {value!r} is not an integer") from None
