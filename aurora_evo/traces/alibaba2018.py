"""Readers of the Alibaba cluster-trace-v2018 ``batch_task`` and ``machine_meta`` tables.

``batch_task`` (CSV, no header in the official files; a header line ``task_name,instance_num,...`` as the
published samples carry is accepted and skipped), one task a row, 9 columns, as ``schema.txt`` says:

    1 task_name (unique within a job; encodes the DAG, see below), 2 instance_num (instances of the task),
    3 job_name, 4 task_type (1-12), 5 status (Terminated, Failed, Running, Waiting...),
    6 start_time (s, bigint), 7 end_time (s, bigint),
    8 plan_cpu ("number of cpu needed by the task, 100 is 1 core"),
    9 plan_mem ("normalized memory size, [0, 100]": percent of the largest machine's memory).

:func:`read_alibaba2018_batch` yields, for each usable task row, ``instance_num``
:class:`~aurora_evo.traces.records.TraceTask` records (its instances ask for the same resources):

- ``arrival_s`` = start_time, seconds from the trace's start (the trace spans 8 days, 0 to ~691,200 s);
- ``duration_s`` = end_time - start_time, seconds;
- ``cpu`` = plan_cpu as written: hundredths of a core (100 = 1 core), per instance;
- ``memory`` = plan_mem as written: percent of the largest machine's memory (0-100), per instance;
- ``disk``, ``gpu``, ``priority`` and ``scheduling_class`` = 0: the table has none (task_type is not kept);
- ``job`` = ``"job_name/task_name"`` (the instances of one task share it), ``index`` = 0 .. instance_num - 1;
- ``outcome`` = ``"finish"`` (only Terminated tasks are kept).

DAG dependencies are not kept: a task name such as ``M2_1`` or ``R3_1_2`` (a letter, the task's number,
then ``_`` and the numbers of the tasks of the same job it waits for) says that task 3 runs after tasks 1
and 2, and a TraceTask has no field for it. Such a task row is still yielded and counted once in
``summary.repaired["dependencies dropped"]``. Names without the pattern (``task_LTE4...=``, ``MergeTask``,
``M1``) have no dependency.

Dropped task rows, counted in ``summary.dropped`` (once per row, whatever its instance_num), checked in
this order: a status other than Terminated (``"status Running"``...), start or end time empty
(``"no start or end time"``), end_time <= start_time (``"zero or negative duration"``), instance_num empty
or < 1 (``"no instances"``), plan_cpu or plan_mem empty (``"no request"``). ``summary.rows`` counts task
rows, ``summary.tasks`` the instances yielded.

Order: the official table is sorted by job, not by time, so the reader sorts by start_time (stable: ties
keep file order). It keeps one compact tuple per usable task row in memory before yielding anything (the
instances are expanded while yielding, not stored): about 260 bytes a task row, some five times the
CSV's 54 bytes a row (measured on the 50,000-row sample). Memory grows with the file, not with the
instances, and is not bounded: split the table by job beforehand when that is too much.

``machine_meta`` (CSV, no header), one row per machine and event, 7 columns: machine_id, time_stamp (s),
failure_domain_1, failure_domain_2, cpu_num (cores), mem_size (normalised memory, [0, 100]), status.
:func:`read_alibaba2018_machines` gives one :class:`AlibabaMachine` per machine.

``container_meta`` (CSV, no header), one row per long-running container and event, 8 columns, as
``schema.txt`` says: container_id, machine_id, time_stamp (s), app_du (deploy unit), status, cpu_request
("100 is 1 core"), cpu_limit ("100 is 1 core"), mem_size ("normarlized memory, [0, 100]").
:func:`read_alibaba2018_containers` gives each container's rows (:class:`ContainerRow`) in time order, and
:func:`machine_occupancy` what the containers hold on each machine at a time. What a status means is not
published: ``schema.txt`` leaves the status column's comment empty, and ``trace_2018.md`` says only
"Status of a container at given time stamp, see the state machine for details", with no state machine in
the repository. We take ``started`` and ``allocated`` (resources assigned to the container, running or
not) to hold the container's ``cpu_request`` and ``mem_size`` on its machine, and ``stopped`` (or any
other status) to hold nothing: :data:`HOLDING_STATUSES`, an assumption. The published sample's 20,000
rows hold 19,817 ``started``, 176 ``stopped`` and 7 ``allocated`` rows (counted on
container_meta_sample.csv). ``cpu_limit`` (a ceiling above the request, up to 12 times it in the sample)
is not read: a scheduler reserves the request.

A row without the right number of columns, a number that cannot be read (a non-integer instance_num or
time, a non-finite plan_cpu), a file that cannot be opened, a truncated gzip or a CSV the csv module
rejects is a :class:`~aurora_evo.traces.records.TraceError` naming the file, the row and the rule;
:func:`read_alibaba2018_batch` raises them while iterating, not when called.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

from aurora_evo.traces.files import csv_rows, finite_number
from aurora_evo.traces.records import ReadSummary, TraceError, TraceTask

#: The columns of batch_task, as the samples' header names them.
BATCH_TASK_COLUMNS = (
    "task_name",
    "instance_num",
    "job_name",
    "task_type",
    "status",
    "start_time",
    "end_time",
    "plan_cpu",
    "plan_mem",
)
#: The columns of machine_meta.
MACHINE_META_COLUMNS = (
    "machine_id",
    "time_stamp",
    "failure_domain_1",
    "failure_domain_2",
    "cpu_num",
    "mem_size",
    "status",
)

#: The columns of container_meta.
CONTAINER_META_COLUMNS = (
    "container_id",
    "machine_id",
    "time_stamp",
    "app_du",
    "status",
    "cpu_request",
    "cpu_limit",
    "mem_size",
)
#: container_meta statuses whose container holds its cpu_request and mem_size on its machine (an
#: assumption: the trace publishes no meaning for its statuses, see the module docstring).
HOLDING_STATUSES = frozenset({"started", "allocated"})

# "R3_1_2": type letters, the task's own number, then "_" and the numbers it depends on.
_DEPENDENT_TASK = re.compile(r"[A-Za-z]+\d+(?:_\d+)+")


@dataclass(frozen=True)
class AlibabaMachine:
    """One machine of machine_meta, as of one of its rows.

    Attributes:
        machine_id: its uid (``"m_1"``).
        time_s: the time of the row it is taken from, seconds from the trace's start.
        failure_domain_1, failure_domain_2: its two failure domains, as written (``""`` when empty).
        cpu_cores: its CPU cores (``cpu_num``; 96 on every machine of the v2018 trace).
        memory: its memory, normalised to the largest machine's, [0, 100] (``mem_size``; 100 on all).
        status: its status at that row (``"USING"``, ``"IMPORT_INSTALLING"``...).
    """

    machine_id: str
    time_s: float
    failure_domain_1: str
    failure_domain_2: str
    cpu_cores: float
    memory: float
    status: str


@dataclass(frozen=True, slots=True)
class ContainerRow:
    """One row of a container in container_meta.

    Attributes:
        time_s: its time_stamp, seconds from the trace's start (0: before the trace began, see
            :func:`read_alibaba2018_containers`).
        machine_id: the machine it is on (``"m_2556"``).
        status: its status at that time (``"started"``, ``"stopped"``, ``"allocated"``).
        cpu_cores: its cpu_request in cores (cpu_request / 100).
        memory: its mem_size, percent of the largest machine's memory (as machine_meta's mem_size).
    """

    time_s: float
    machine_id: str
    status: str
    cpu_cores: float
    memory: float


@dataclass(frozen=True)
class _BatchRow:
    """The fields of a batch_task row a task needs, numbers parsed (``None`` when empty)."""

    task_name: str
    instances: float | None
    job_name: str
    status: str
    start: float | None
    end: float | None
    cpu: float | None
    memory: float | None


def read_alibaba2018_batch(path: str | Path, summary: ReadSummary | None = None) -> Iterator[TraceTask]:
    """Stream the task instances of the batch_task file at ``path`` (CSV, plain or gzip), by start time.

    Units: seconds from the trace's start, hundredths of a core, percent of the largest machine's memory
    (see the module docstring for the mapping and what is dropped). ``summary``, when given, is filled as
    the file is read: ``rows`` counts task rows, ``tasks`` the instances yielded.

    Raises:
        TraceError: the file cannot be opened, is a truncated or corrupt gzip, or a row breaks the format
            (not 9 columns, a number that cannot be read).
    """
    summary = summary if summary is not None else ReadSummary()
    kept: list[tuple[float, float, float, float, int, str]] = []
    for line_number, fields in csv_rows(path):
        if summary.rows == 0 and tuple(field.strip() for field in fields) == BATCH_TASK_COLUMNS:
            continue
        summary.rows += 1
        row = _batch_row(path, line_number, fields)
        if _usable(row, summary):
            if _DEPENDENT_TASK.fullmatch(row.task_name):
                summary.repaired["dependencies dropped"] += 1
            job = f"{row.job_name}/{row.task_name}"
            kept.append((row.start, row.end - row.start, row.cpu, row.memory, int(row.instances), job))
    kept.sort(key=lambda task: task[0])
    for arrival, duration, cpu, memory, instances, job in kept:
        for index in range(instances):
            summary.tasks += 1
            yield TraceTask(
                arrival_s=arrival, duration_s=duration, cpu=cpu, memory=memory, job=job, index=index
            )


def read_alibaba2018_machines(path: str | Path, at_s: float | None = None) -> list[AlibabaMachine]:
    """The machines of the machine_meta file at ``path`` (CSV, plain or gzip), in order of first row.

    Each machine is taken from its earliest row when ``at_s`` is ``None``, else from its latest row with
    ``time_stamp <= at_s`` (a machine whose rows all come after ``at_s`` is left out). The rows of a
    machine need not be contiguous nor sorted.

    Raises:
        TraceError: the file cannot be opened or a row breaks the format (not 7 columns, a time, cpu_num
            or mem_size that is not a finite number).
    """
    chosen: dict[str, AlibabaMachine | None] = {}
    for line_number, fields in csv_rows(path):
        _check_width(path, line_number, fields, MACHINE_META_COLUMNS)
        machine_id, time, domain_1, domain_2, cpu, memory, status = (field.strip() for field in fields)
        machine = AlibabaMachine(
            machine_id=machine_id,
            time_s=_required(path, line_number, "time_stamp", time),
            failure_domain_1=domain_1,
            failure_domain_2=domain_2,
            cpu_cores=_required(path, line_number, "cpu_num", cpu),
            memory=_required(path, line_number, "mem_size", memory),
            status=status,
        )
        held = chosen.setdefault(machine_id, None)
        if at_s is None:
            wanted = held is None or machine.time_s < held.time_s
        else:
            wanted = machine.time_s <= at_s and (held is None or machine.time_s >= held.time_s)
        if wanted:
            chosen[machine_id] = machine
    return [machine for machine in chosen.values() if machine is not None]


def read_alibaba2018_containers(
    path: str | Path, summary: ReadSummary | None = None
) -> dict[str, tuple[ContainerRow, ...]]:
    """Each container of the container_meta file at ``path`` (CSV, plain or gzip), in order of first
    row, with its rows by time (stable: rows at one time keep file order; a container's rows need not be
    contiguous nor sorted). ``summary``, when given, counts the rows read in ``rows``; a negative
    cpu_request or mem_size (``trace_2018.md``: invalid normalised values are set to -1) is read as 0 and
    counted in ``repaired``.

    ``trace_2018.md`` says of every time_stamp: "0 means the time stamp is before or after the 8-day time
    span"; a container's row at 0 is read as before it (the container was there when the trace began): in
    the sample, 3,528 of the 3,861 containers have a row at 0, and it is their first.

    Raises:
        TraceError: the file cannot be opened or a row breaks the format (not 8 columns, a time_stamp,
            cpu_request or mem_size empty or not a finite number).
    """
    summary = summary if summary is not None else ReadSummary()
    rows: dict[str, list[ContainerRow]] = {}
    machines: dict[str, str] = {}  # one string per machine id, shared by its containers' rows
    for line_number, fields in csv_rows(path):
        _check_width(path, line_number, fields, CONTAINER_META_COLUMNS)
        container, machine, time, _app_du, status, cpu, _cpu_limit, memory = (f.strip() for f in fields)
        summary.rows += 1
        cpu_request = _required(path, line_number, "cpu_request", cpu)
        mem_size = _required(path, line_number, "mem_size", memory)
        if cpu_request < 0 or mem_size < 0:
            summary.repaired["negative request read as 0"] += 1
        row = ContainerRow(
            time_s=_required(path, line_number, "time_stamp", time),
            machine_id=machines.setdefault(machine, machine),
            status=status,
            cpu_cores=max(cpu_request, 0.0) / 100.0,
            memory=max(mem_size, 0.0),
        )
        rows.setdefault(container, []).append(row)
    return {container: tuple(sorted(held, key=_TIME)) for container, held in rows.items()}


def machine_occupancy(
    containers: Mapping[str, Sequence[ContainerRow]], at_s: float
) -> dict[str, tuple[float, float]]:
    """What the containers hold on each machine at ``at_s`` (seconds from the trace's start): machine id
    -> (cores, memory in percent of the largest machine's), summed over the containers whose latest row
    at or before ``at_s`` has a status of :data:`HOLDING_STATUSES`, on that row's machine with that row's
    request. A container with no row yet holds nothing. Each container's rows must be in time order (as
    :func:`read_alibaba2018_containers` gives them); machines holding nothing are absent."""
    held: dict[str, tuple[float, float]] = {}
    for rows in containers.values():
        latest = bisect.bisect_right(rows, at_s, key=_TIME) - 1
        if latest < 0 or rows[latest].status not in HOLDING_STATUSES:
            continue
        row = rows[latest]
        cores, memory = held.get(row.machine_id, (0.0, 0.0))
        held[row.machine_id] = (cores + row.cpu_cores, memory + row.memory)
    return held


_TIME = attrgetter("time_s")


def _usable(row: _BatchRow, summary: ReadSummary) -> bool:
    """Whether a task row gives tasks; when not, the reason is counted in ``summary.dropped``."""
    if row.status != "Terminated":
        summary.dropped[f"status {row.status or '(empty)'}"] += 1
    elif row.start is None or row.end is None:
        summary.dropped["no start or end time"] += 1
    elif row.end <= row.start:
        summary.dropped["zero or negative duration"] += 1
    elif row.instances is None or row.instances < 1:
        summary.dropped["no instances"] += 1
    elif row.cpu is None or row.memory is None:
        summary.dropped["no request"] += 1
    else:
        return True
    return False


def _batch_row(path: str | Path, line_number: int, fields: list[str]) -> _BatchRow:
    """A batch_task row's fields; a :class:`TraceError` when there are not 9 or a number is unreadable."""
    _check_width(path, line_number, fields, BATCH_TASK_COLUMNS)
    name, instances, job, _task_type, status, start, end, cpu, memory = (field.strip() for field in fields)
    return _BatchRow(
        task_name=name,
        instances=_number(path, line_number, "instance_num", instances, integer=True),
        job_name=job,
        status=status,
        start=_number(path, line_number, "start_time", start, integer=True),
        end=_number(path, line_number, "end_time", end, integer=True),
        cpu=_number(path, line_number, "plan_cpu", cpu),
        memory=_number(path, line_number, "plan_mem", memory),
    )


def _check_width(path: str | Path, line_number: int, fields: list[str], columns: tuple[str, ...]) -> None:
    """A :class:`TraceError` when a row has not as many fields as the table has columns."""
    if len(fields) != len(columns):
        raise TraceError(f"{path}: line {line_number}: {len(fields)} columns, expected {len(columns)}")


def _number(
    path: str | Path, line_number: int, column: str, text: str, integer: bool = False
) -> float | None:
    """A field's finite value (an integer when ``integer``), ``None`` when empty; a :class:`TraceError`
    when it is neither."""
    if not text:
        return None
    value = finite_number(text)
    if value is None or (integer and not value.is_integer()):
        kind = "an integer" if integer else "a finite number"
        raise TraceError(f"{path}: line {line_number}: {column} {text!r} is not {kind}")
    return value


def _required(path: str | Path, line_number: int, column: str, text: str) -> float:
    """A field's finite value; a :class:`TraceError` when empty or not a number."""
    value = _number(path, line_number, column, text)
    if value is None:
        raise TraceError(f"{path}: line {line_number}: {column} is empty")
    return value
