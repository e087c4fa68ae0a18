"""Reader of the Alibaba cluster-trace-gpu-v2025 DLRM serving trace (``disaggregated_DLRM_trace.csv``).

A CSV with a header line, one inference instance (a container of a service) a row; the columns the
reader uses, as the trace's README says:

    instance_sn, role (CN: CPU node instance, HN: GPU node instance), app_name (the service),
    cpu_request (vCPUs), gpu_request (GPUs), memory_request (GiB), disk_request (GiB),
    max_instance_per_node (instances of the same app_name a node may hold, -1: no limit),
    creation_time, scheduled_time, deletion_time (seconds from the trace's start; empty, or NaN as the
    README writes it, when before the start (creation, scheduling) or after the end (deletion)).

The ``*_limit`` columns equal the requests in this trace and rdma_request (percent of an RDMA NIC) has
no TraceTask field: none is kept. :func:`read_alibaba_gpu2025` yields one
:class:`~aurora_evo.traces.records.TraceTask` per usable instance:

- ``arrival_s`` = creation_time; an instance created before the trace's start (creation and scheduled
  time empty) arrives at 0, counted in ``repaired["created before the start, arrival 0"]``;
- ``duration_s`` = deletion_time - scheduled_time: how long it held its node (the wait from creation to
  scheduling, up to days in this trace, is the replayed scheduler's to decide, not part of the run);
  scheduled_time is 0 when the instance was scheduled before the start;
- an instance not deleted by the trace's end (deletion time empty) is cut at ``trace_end_s`` when given
  (``outcome`` ``"censored"``, counted in ``repaired["alive at the end, cut there"]``), else dropped
  (``dropped["alive at the end"]``); the README gives no end time, the last deletion in the file is at
  2,677,541 s (~31 days);
- ``cpu`` = cpu_request (vCPUs), ``gpu`` = gpu_request (GPUs), ``memory`` = memory_request (GiB),
  ``disk`` = disk_request (GiB);
- ``priority`` = 0 and ``scheduling_class`` = 0: the trace records none (every instance is
  latency-sensitive);
- ``job`` = app_name, ``index`` = the instance's rank among its app's rows in file order (0, 1, ...);
  instance_sn is not kept;
- ``different_machine`` = max_instance_per_node is 1; any other cap above 1 cannot be expressed and is
  counted in ``repaired["density cap dropped"]``;
- ``outcome`` = ``"finish"`` for a deleted instance.

Dropped instances, counted in ``summary.dropped``: created in the trace but never scheduled
(``"never scheduled"``), deletion_time <= scheduled_time (``"zero or negative duration"``), alive at the
end without ``trace_end_s`` (``"alive at the end"``).

Order: the file is not sorted by creation time; the reader keeps its tasks in memory (the published file
has 23,871 rows) and yields them sorted by arrival, ties in file order.

A file whose first row is not a header naming the columns above, a row without as many fields as the
header, a request that is empty or not a finite number, a time that is not a number, a file that cannot
be opened, a truncated gzip or a CSV the csv module rejects is a
:class:`~aurora_evo.traces.records.TraceError` naming the file, the line and the rule; errors are raised
while iterating, not when called.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from aurora_evo.traces.files import csv_rows, finite_number
from aurora_evo.traces.records import ReadSummary, TraceError, TraceTask

#: The columns the reader needs in the header.
DLRM_COLUMNS = (
    "app_name",
    "cpu_request",
    "gpu_request",
    "memory_request",
    "disk_request",
    "max_instance_per_node",
    "creation_time",
    "scheduled_time",
    "deletion_time",
)
_REQUESTS = ("cpu_request", "gpu_request", "memory_request", "disk_request", "max_instance_per_node")
_TIMES = ("creation_time", "scheduled_time", "deletion_time")


def read_alibaba_gpu2025(
    path: str | Path, summary: ReadSummary | None = None, trace_end_s: float | None = None
) -> Iterator[TraceTask]:
    """Stream the instances of the DLRM trace file at ``path`` (CSV, plain or gzip), by creation time.

    Units: seconds from the trace's start, vCPUs, GPUs, GiB (see the module docstring for the mapping, the
    instances alive at the start or the end, and what is dropped). ``trace_end_s``: where instances
    still alive at the end are cut; ``None`` drops them. ``summary``, when given, is filled as the file
    is read: ``rows`` counts instance rows.

    Raises:
        TraceError: the file cannot be opened, is a truncated or corrupt gzip, has no header naming the
            columns, or a row breaks the format (wrong field count, a request or time not a number).
    """
    summary = summary if summary is not None else ReadSummary()
    ranks: Counter = Counter()
    tasks: list[TraceTask] = []
    columns: dict[str, int] = {}
    width = 0
    for line_number, fields in csv_rows(path):
        if not columns:
            columns = _header(path, line_number, fields)
            width = len(fields)
            continue
        summary.rows += 1
        if len(fields) != width:
            raise TraceError(f"{path}: line {line_number}: {len(fields)} fields, the header has {width}")
        values = {name: fields[position].strip() for name, position in columns.items()}
        requests = {name: _request(path, line_number, name, values[name]) for name in _REQUESTS}
        times = {name: _time(path, line_number, name, values[name]) for name in _TIMES}
        app = values["app_name"]
        task = _task(app, ranks[app], requests, times, trace_end_s, summary)
        ranks[app] += 1
        if task is not None:
            tasks.append(task)
    tasks.sort(key=lambda task: task.arrival_s)
    for task in tasks:
        summary.tasks += 1
        yield task


def _task(
    app: str,
    index: int,
    requests: dict[str, float],
    times: dict[str, float | None],
    trace_end_s: float | None,
    summary: ReadSummary,
) -> TraceTask | None:
    """The task of one instance row, or ``None`` (counted in ``summary.dropped``) when unusable."""
    created, scheduled, deleted = times["creation_time"], times["scheduled_time"], times["deletion_time"]
    if created is not None and scheduled is None:
        summary.dropped["never scheduled"] += 1
        return None
    outcome = "finish"
    if deleted is None:
        if trace_end_s is None:
            summary.dropped["alive at the end"] += 1
            return None
        deleted, outcome = trace_end_s, "censored"
    start = scheduled if scheduled is not None else 0.0
    if deleted <= start:
        summary.dropped["zero or negative duration"] += 1
        return None
    if outcome == "censored":
        summary.repaired["alive at the end, cut there"] += 1
    if created is None:
        summary.repaired["created before the start, arrival 0"] += 1
    cap = requests["max_instance_per_node"]
    if cap > 1:
        summary.repaired["density cap dropped"] += 1
    return TraceTask(
        arrival_s=created if created is not None else 0.0,
        duration_s=deleted - start,
        cpu=requests["cpu_request"],
        memory=requests["memory_request"],
        disk=requests["disk_request"],
        gpu=requests["gpu_request"],
        job=app,
        index=index,
        different_machine=cap == 1,
        outcome=outcome,
    )


def _header(path: str | Path, line_number: int, fields: list[str]) -> dict[str, int]:
    """Column name -> position of the header row; a :class:`TraceError` when a needed column is absent."""
    positions = {name.strip(): position for position, name in enumerate(fields)}
    missing = [name for name in DLRM_COLUMNS if name not in positions]
    if missing:
        raise TraceError(f"{path}: line {line_number}: the header lacks {', '.join(missing)}")
    return {name: positions[name] for name in DLRM_COLUMNS}


def _request(path: str | Path, line_number: int, column: str, text: str) -> float:
    """A request's finite value; a :class:`TraceError` when empty or not a finite number."""
    value = finite_number(text)
    if value is None:
        raise TraceError(f"{path}: line {line_number}: {column} {text!r} is not a finite number")
    return value


def _time(path: str | Path, line_number: int, column: str, text: str) -> float | None:
    """A time's value, ``None`` when empty or NaN (outside the trace); a :class:`TraceError` when it is
    not a number or is infinite."""
    if not text or text.lower() == "nan":
        return None
    value = finite_number(text)
    if value is None:
        raise TraceError(f"{path}: line {line_number}: {column} {text!r} is not a number")
    return value
