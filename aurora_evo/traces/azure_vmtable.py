"""Reader of the Azure Public Dataset VM trace's ``vmtable`` (V1, 2017, and V2, 2019).

Sources, in the repository Azure/AzurePublicDataset: ``AzurePublicDatasetV1.md`` (commit 65de6ed) and
``AzurePublicDatasetV2.md`` (7a0f818): the schema, "Duration: 30 consecutive days", 2,013,767 VMs in V1,
2,695,548 in V2; and the official notebooks ``analysis/Azure Public Dataset - Trace Analysis.ipynb``
(V1, 07fc1cf) and ``analysis/Azure 2019 Public Dataset V2 - Trace Analysis.ipynb`` (V2, 68722bd), which
read the file with
``pd.read_csv(data_path, header=None, index_col=False, names=headers, delimiter=',')``: no header,
comma-separated, one VM a row, 11 columns:

    vmid, subscriptionid, deploymentid (encrypted ids), vmcreated, vmdeleted ("Timestamp VM created",
    "Timestamp VM deleted": seconds, "starting from 0"), maxcpu, avgcpu, p95maxcpu (CPU utilisation of
    the VM's life, percent: the notebooks plot them as "CPU Utilization (%)", values up to 100.000000),
    vmcategory (``Delay-insensitive``, ``Interactive`` or ``Unknown``, the notebooks' legend),
    vmcorecountbucket, vmmemorybucket.

The last two differ between the versions. V1's schema says "VM virtual core count" and "VM memory (GBs)"
(its notebook names them vmcorecount and vmmemory) and its rows hold sizes (cores 1 and 8, memory 0.75,
1.75 and 56.00 GB in the notebook's first rows). V2's schema says "VM virtual core count bucket" and "VM
memory (GBs) bucket"; its notebook's rows hold 2, 4 and 8 cores and 4 and 32 GB, and its plots label the
sorted bucket values "0-2", "2-4", "4-8", "8-12", "12-24", ">24" (cores) and "0-2", "2-4", "4-8", "8-32",
"32-64", ">64" (GB): a value is the upper bound of its bucket (our reading of those legends: the bucket
definitions, schema items 19-20, are a separate file not in the repository). Both are read as written,
a V2 VM thus at most as large as it was. The open buckets have no bound: the V2 notebook replaces
``'>24'`` by 30 cores and ``'>64'`` by 70 GB ("Transform vmcorecount '>24' bucket to 30 and '>64' to
70"); we take the same (:data:`OPEN_CORE_BUCKET`, :data:`OPEN_MEMORY_BUCKET`; microsoft/maro's
``maro/cli/data_pipeline/vm_scheduling.py`` (7d8d12f) takes 32 and 128 instead), counted in
``summary.repaired``.

:func:`read_azure_vmtable` yields one :class:`~aurora_evo.traces.records.TraceTask` per usable VM:

- ``arrival_s`` = vmcreated, seconds from the trace's start as written (the notebooks' rows are
  multiples of 300 s, the 5-minute readings; a VM created at 0 may have been running before the trace
  began, which the documents do not say);
- ``duration_s`` = vmdeleted - vmcreated. A lifetime of 0 is read as 300 s, the notebooks' own rule
  (``np.maximum(vmdeleted - vmcreated, 300)``), counted in ``repaired["zero lifetime read as 300 s"]``;
- ``cpu`` = cores, ``memory`` = GB (see above);
- ``scheduling_class`` = :data:`INTERACTIVE_CLASS` (1) for an ``Interactive`` VM, 0 for
  ``Delay-insensitive`` and ``Unknown`` ones (our encoding: the trace has no class; the formats' registry
  counts class 1 as latency-sensitive); ``priority`` = 0;
- ``job`` = deploymentid, ``user`` = subscriptionid, ``index`` = the VM's rank among its deployment's
  VMs in arrival order (0, 1, ...); vmid and the CPU utilisation are not kept (checked as numbers only);
- ``outcome`` = ``"finish"``, ``"censored"`` for a VM cut at the trace's end.

A VM alive at the trace's end: the documents do not say how it is written. In the notebooks' first rows
three of V1's five VMs are deleted at 2,591,700 s, the last 5-minute reading of 30 days (2,592,000 s),
two of them created at 0: a VM still running is likely written with its last reading's time, which the
reader cannot tell from a deletion then, and reads as written. An empty vmdeleted (our assumption: no
published row shows one) is alive at the end; so is, when ``trace_end_s`` is given, a VM deleted after
it. Such a VM is cut at ``trace_end_s`` (``repaired["alive at the end, cut there"]``, ``outcome``
``"censored"``) when given, else dropped (``dropped["alive at the end"]``).

Dropped VMs, counted in ``summary.dropped``: alive at the end without ``trace_end_s``, vmdeleted before
vmcreated (``"deleted before created"``), created at or after ``trace_end_s`` (``"created at or after
the trace's end"``). ``summary.rows`` counts VM rows; a header naming the 11 columns, as third-party
samples write, is skipped.

Order: the documents say nothing of it, and the notebooks' first rows are in neither time nor vmid
order (V1: created at 0, 0, 2,188,800, 0, 0, vmids ``x/Xs...``, ``H5Cx...``, ``wR/G...``, ``1XiU...``,
``z5i2...``; V2: created at 558,300, 424,500, 1,133,100, 0, 228,300), so the reader sorts by vmcreated
(stable: ties keep file order). Memory: before yielding anything it holds every usable VM in typed
arrays, 41 bytes a VM (four float64, two int32 indices, one flag byte), an 8-byte sort index, and one
string per distinct deployment and subscription (33,205 and 6,687 in V2, the V2 notebook's counts).
Measured with tracemalloc on 300,000 made-up rows with 4,200 distinct ids: 61 bytes a VM, so some
165 MB for V2's 2.7 million VMs (read at about 18 us a VM). It grows with the file and is not otherwise
bounded.

A row without 11 fields, a time, CPU figure or bucket that is not a number (an empty vmcreated, a
bucket neither a number >= 0 nor the open bucket), an unknown vmcategory, a file that cannot be opened,
a truncated gzip or a CSV the csv module rejects is a :class:`~aurora_evo.traces.records.TraceError`
naming the file, the line and the rule; errors are raised while iterating, not when called.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

from aurora_evo.traces.files import csv_rows, finite_number
from aurora_evo.traces.records import ReadSummary, TraceError, TraceTask

#: The columns of vmtable, as the official notebooks name them (V2; V1 says vmcorecount, vmmemory).
VMTABLE_COLUMNS = (
    "vmid",
    "subscriptionid",
    "deploymentid",
    "vmcreated",
    "vmdeleted",
    "maxcpu",
    "avgcpu",
    "p95maxcpu",
    "vmcategory",
    "vmcorecountbucket",
    "vmmemorybucket",
)
#: The values of vmcategory.
VM_CATEGORIES = ("Delay-insensitive", "Interactive", "Unknown")
#: The scheduling class of an Interactive VM (the others have 0).
INTERACTIVE_CLASS = 1
#: V2's open core bucket and the cores it is read as (the V2 notebook's choice).
OPEN_CORE_BUCKET = (">24", 30.0)
#: V2's open memory bucket and the GB it is read as (the V2 notebook's choice).
OPEN_MEMORY_BUCKET = (">64", 70.0)
#: The trace's reading interval, s: a lifetime of 0 is read as this (the notebooks' rule).
READING_INTERVAL_S = 300.0

_INTERACTIVE_FLAG = 1
_CUT_FLAG = 2
# VMs turned into tasks per slice of the sort order: bounds the Python ints made at once.
_YIELD_SLICE = 1 << 16


class _VmRow(NamedTuple):
    """A vmtable row's fields a task needs, numbers parsed (``deleted`` ``None`` when empty)."""

    created: float
    deleted: float | None
    cores: float
    memory: float
    open_cores: bool
    open_memory: bool
    interactive: bool
    deployment: str
    subscription: str


def is_azure_vmtable(path: str | Path) -> bool:
    """Whether the file at ``path`` (plain or gzip) is a vmtable, by its first row: 11 comma-separated
    fields, the first without a space (a derived flavour line, ``300 g,|,g,|``, starts with its time
    and a space). An empty file is not one.

    Raises:
        TraceError: the file cannot be opened, is a truncated gzip or its first row is not CSV.
    """
    rows = csv_rows(path)
    try:
        first = next(rows, None)
    finally:
        rows.close()
    if first is None:
        return False
    fields = first[1]
    return len(fields) == len(VMTABLE_COLUMNS) and not any(c.isspace() for c in fields[0].strip())


def read_azure_vmtable(
    path: str | Path, summary: ReadSummary | None = None, trace_end_s: float | None = None
) -> Iterator[TraceTask]:
    """Stream the VMs of the vmtable file at ``path`` (CSV, plain or gzip) as tasks, by creation time.

    Units: seconds from the trace's start, cores, GB (see the module docstring for the mapping, the
    buckets, what is dropped and the memory held). ``trace_end_s``: where VMs still alive at the end are
    cut; ``None`` drops them. ``summary``, when given, is filled as the file is read.

    Raises:
        TraceError: the file cannot be opened, is a truncated or corrupt gzip, or a row breaks the format
            (not 11 fields, a number that cannot be read, an unknown category or bucket).
    """
    summary = summary if summary is not None else ReadSummary()
    table = _VmTable()
    first = True
    for line_number, fields in csv_rows(path):
        if first and tuple(field.strip() for field in fields) == VMTABLE_COLUMNS:
            first = False
            continue
        first = False
        summary.rows += 1
        row = _vm_row(path, line_number, fields)
        lifetime = _lifetime(row.created, row.deleted, trace_end_s, summary)
        if lifetime is None:
            continue
        if row.open_cores:
            summary.repaired[f"cores {OPEN_CORE_BUCKET[0]!r} read as {OPEN_CORE_BUCKET[1]:g}"] += 1
        if row.open_memory:
            summary.repaired[f"memory {OPEN_MEMORY_BUCKET[0]!r} GB read as {OPEN_MEMORY_BUCKET[1]:g}"] += 1
        table.add(row, *lifetime)
    yield from table.tasks(summary)


def _lifetime(
    created: float, deleted: float | None, trace_end_s: float | None, summary: ReadSummary
) -> tuple[float, bool] | None:
    """``(duration s, cut at the trace's end)`` of a VM, or ``None`` (counted in ``summary.dropped``)."""
    cut = deleted is None or (trace_end_s is not None and deleted > trace_end_s)
    if cut:
        if trace_end_s is None:
            summary.dropped["alive at the end"] += 1
            return None
        if trace_end_s <= created:
            summary.dropped["created at or after the trace's end"] += 1
            return None
        summary.repaired["alive at the end, cut there"] += 1
        return trace_end_s - created, True
    if deleted < created:
        summary.dropped["deleted before created"] += 1
        return None
    if deleted == created:
        summary.repaired[f"zero lifetime read as {READING_INTERVAL_S:g} s"] += 1
        return READING_INTERVAL_S, False
    return deleted - created, False


class _VmTable:
    """The usable VMs in typed arrays (41 bytes a VM), the ids of deployments and subscriptions once."""

    def __init__(self) -> None:
        self.created = array("d")
        self.duration = array("d")
        self.cores = array("d")
        self.memory = array("d")
        self.deployment = array("i")
        self.subscription = array("i")
        self.flags = array("b")
        self.deployments: dict[str, int] = {}
        self.subscriptions: dict[str, int] = {}

    def add(self, row: _VmRow, duration: float, cut: bool) -> None:
        self.created.append(row.created)
        self.duration.append(duration)
        self.cores.append(row.cores)
        self.memory.append(row.memory)
        self.deployment.append(self.deployments.setdefault(row.deployment, len(self.deployments)))
        self.subscription.append(self.subscriptions.setdefault(row.subscription, len(self.subscriptions)))
        self.flags.append((_INTERACTIVE_FLAG if row.interactive else 0) | (_CUT_FLAG if cut else 0))

    def tasks(self, summary: ReadSummary) -> Iterator[TraceTask]:
        """The VMs as tasks by creation time, ties in the order they were added."""
        deployments, subscriptions = list(self.deployments), list(self.subscriptions)
        ranks = [0] * len(deployments)
        order = np.argsort(np.frombuffer(self.created, dtype=np.float64), kind="stable")
        for begin in range(0, len(order), _YIELD_SLICE):
            for i in order[begin : begin + _YIELD_SLICE].tolist():
                deployment, flags = self.deployment[i], self.flags[i]
                summary.tasks += 1
                yield TraceTask(
                    arrival_s=self.created[i],
                    duration_s=self.duration[i],
                    cpu=self.cores[i],
                    memory=self.memory[i],
                    scheduling_class=INTERACTIVE_CLASS if flags & _INTERACTIVE_FLAG else 0,
                    job=deployments[deployment],
                    user=subscriptions[self.subscription[i]],
                    index=ranks[deployment],
                    outcome="censored" if flags & _CUT_FLAG else "finish",
                )
                ranks[deployment] += 1


def _vm_row(path: str | Path, line_number: int, fields: list[str]) -> _VmRow:
    """A vmtable row's fields; a :class:`TraceError` when there are not 11 or one breaks its rule (checked
    in column order)."""
    if len(fields) != len(VMTABLE_COLUMNS):
        raise TraceError(
            f"{path}: line {line_number}: {len(fields)} columns, expected {len(VMTABLE_COLUMNS)}"
        )
    _vmid, subscription, deployment, created, deleted, *cpu, category, cores, memory = (
        field.strip() for field in fields
    )
    created_s = _number(path, line_number, "vmcreated", created)
    if created_s is None:
        raise TraceError(f"{path}: line {line_number}: vmcreated is empty")
    deleted_s = _number(path, line_number, "vmdeleted", deleted)
    for column, text in zip(("maxcpu", "avgcpu", "p95maxcpu"), cpu, strict=True):
        _number(path, line_number, column, text)
    if category not in VM_CATEGORIES:
        raise TraceError(
            f"{path}: line {line_number}: vmcategory {category!r} is not one of {', '.join(VM_CATEGORIES)}"
        )
    core_count, open_cores = _bucket(path, line_number, "vmcorecountbucket", cores, OPEN_CORE_BUCKET)
    memory_gb, open_memory = _bucket(path, line_number, "vmmemorybucket", memory, OPEN_MEMORY_BUCKET)
    return _VmRow(
        created=created_s,
        deleted=deleted_s,
        cores=core_count,
        memory=memory_gb,
        open_cores=open_cores,
        open_memory=open_memory,
        interactive=category == "Interactive",
        deployment=deployment,
        subscription=subscription,
    )


def _bucket(
    path: str | Path, line_number: int, column: str, text: str, open_bucket: tuple[str, float]
) -> tuple[float, bool]:
    """``(value, whether it is the open bucket)`` of a core or memory field: a number >= 0 as written, or
    the open bucket's stand-in; a :class:`TraceError` otherwise."""
    label, value = open_bucket
    if text == label:
        return value, True
    number = finite_number(text)
    if number is None or number < 0:
        raise TraceError(
            f"{path}: line {line_number}: {column} {text!r} is not a known bucket "
            f"(a number >= 0 or {label!r})"
        )
    return number, False


def _number(path: str | Path, line_number: int, column: str, text: str) -> float | None:
    """A field's finite value, ``None`` when empty; a :class:`TraceError` when it is neither."""
    if not text:
        return None
    value = finite_number(text)
    if value is None:
        raise TraceError(f"{path}: line {line_number}: {column} {text!r} is not a finite number")
    return value
