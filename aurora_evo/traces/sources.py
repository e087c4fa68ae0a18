"""The trace formats ``aurora-evo scenarios from-trace`` knows: for each, how to read its files, the
platform its tasks run on, which of its tasks are latency-sensitive, and its licence.

``azure-vm2017`` reads two layouts of the Azure Public Dataset VM trace, told apart by the file's first
row (:func:`~aurora_evo.traces.azure_vmtable.is_azure_vmtable`): the official ``vmtable`` of V1 (2017) or
V2 (2019), 11 comma-separated fields (:mod:`~aurora_evo.traces.azure_vmtable`; its Interactive VMs are
latency-sensitive, VMs alive at the end are cut at ``trace_end_s``), otherwise V1's derived flavour
sequences (:mod:`~aurora_evo.traces.azure_vm2017`, lifetimes from ``durations``; no task of theirs is
latency-sensitive).

A :class:`TraceSource` is looked up by format name (:func:`trace_source`). Its reader takes the paths the
user gave and the format's extra inputs (:class:`TraceInputs`), and streams
:class:`~aurora_evo.traces.records.TraceTask` records in arrival order, filling a
:class:`~aurora_evo.traces.records.ReadSummary`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from aurora_evo.errors import InputError
from aurora_evo.traces.alibaba2018 import (
    read_alibaba2018_batch,
    read_alibaba2018_containers,
    read_alibaba2018_machines,
)
from aurora_evo.traces.alibaba_gpu2025 import read_alibaba_gpu2025
from aurora_evo.traces.azure_llm2023 import read_azure_llm2023
from aurora_evo.traces.azure_vm2017 import read_azure_vm2017
from aurora_evo.traces.azure_vmtable import INTERACTIVE_CLASS, is_azure_vmtable, read_azure_vmtable
from aurora_evo.traces.google2011 import read_google2011
from aurora_evo.traces.occupied import occupied_platform
from aurora_evo.traces.platforms import (
    ASSUMED,
    AZURE_ND_H100_V5,
    GOOGLE_2011,
    Platform,
    alibaba2018_platform,
    swf_platform,
)
from aurora_evo.traces.records import ReadSummary, TraceTask
from aurora_evo.traces.swf import read_swf, read_swf_header
from aurora_evo.traces.units import UNITS, SourceUnits

#: Google 2011 scheduling classes from this one up are latency-sensitive (the trace's schema: class 3
#: "represents a more latency-sensitive task", 0 a non-production one); the threshold is our choice.
GOOGLE_LATENCY_SENSITIVE_CLASS = 2

CC_BY = "CC-BY 4.0"


@dataclass(frozen=True)
class TraceInputs:
    """What a format needs beside its main files.

    Attributes:
        machines: Alibaba 2018 ``machine_meta`` file (the platform; default: the published table's mix).
        containers: Alibaba 2018 ``container_meta`` file: its long-running containers' requests are taken
            off their machines at each window's start (:mod:`~aurora_evo.traces.occupied`); default:
            the machines are whole.
        durations: Azure VM 2017 lifetime file aligned with the derived flavour file (required there;
            not with a vmtable).
        trace_end_s: Alibaba GPU 2025 and the Azure vmtable: where instances or VMs alive at the end are
            cut (default: dropped).
    """

    machines: Path | None = None
    containers: Path | None = None
    durations: Path | None = None
    trace_end_s: float | None = None


@dataclass(frozen=True)
class TraceSource:
    """One trace format.

    Attributes:
        name: the format's name on the command line.
        title: the trace, for people.
        licence: the data's licence as its PROVENANCE says.
        shippable: whether scenarios replayed from it may ship inside the package (CC-BY data only).
        units: from its units to a scenario's.
        read: ``read(paths, inputs, summary)`` streams its tasks in arrival order.
        platform: ``platform(paths, inputs)``: the machines its tasks run on.
        latency_sensitive: whether a task gets a deadline (the replay's wait allowance on top of its run).
        many_files: whether it takes several files (shards in time order) or exactly one.
        present_at_zero: its tasks arriving at 0 were already there when the trace began (their submit
            time is unknown), not arrivals: windows spread over the trace start after them.
        inputs: the :class:`TraceInputs` fields it reads; any other given is refused
            (:func:`check_inputs`).
    """

    name: str
    title: str
    licence: str
    shippable: bool
    units: SourceUnits
    read: Callable[[Sequence[Path], TraceInputs, ReadSummary], Iterator[TraceTask]]
    platform: Callable[[Sequence[Path], TraceInputs], Platform]
    latency_sensitive: Callable[[TraceTask], bool]
    many_files: bool = False
    present_at_zero: bool = False
    inputs: frozenset[str] = frozenset()


def _never(task: TraceTask) -> bool:
    return False


def _always(task: TraceTask) -> bool:
    return True


def _read_vm(paths: Sequence[Path], inputs: TraceInputs, summary: ReadSummary) -> Iterator[TraceTask]:
    """The vmtable reader when the file is a vmtable, else the derived-sequence reader."""
    if is_azure_vmtable(paths[0]):
        if inputs.durations is not None:
            raise InputError(
                f"azure-vm2017: {paths[0]} is a vmtable, which holds the VMs' lifetimes: --durations is "
                "for the derived flavour file only"
            )
        return read_azure_vmtable(paths[0], summary, inputs.trace_end_s)
    if inputs.durations is None:
        raise InputError(
            f"azure-vm2017: {paths[0]} is not a vmtable (its first row has not 11 comma-separated fields), "
            "so it is read as the derived flavour file, which needs --durations FILE, the lifetimes "
            "aligned with it (e.g. v1.dev.c2100000.txt beside v1.dev.txt)"
        )
    return read_azure_vm2017(paths[0], inputs.durations, summary)


def _interactive(task: TraceTask) -> bool:
    """An Azure vmtable VM of the Interactive category (the derived sequences' VMs all have class 0)."""
    return task.scheduling_class >= INTERACTIVE_CLASS


def _alibaba_platform(paths: Sequence[Path], inputs: TraceInputs) -> Platform:
    """The machine table's platform (or the published mix), less the containers when given."""
    machines = read_alibaba2018_machines(inputs.machines) if inputs.machines else None
    whole = alibaba2018_platform(machines)
    if inputs.containers is None:
        return whole
    summary = ReadSummary()
    containers = read_alibaba2018_containers(inputs.containers, summary)
    return occupied_platform(whole, machines, containers, inputs.containers.name, summary.rows)


def _swf_platform(paths: Sequence[Path], inputs: TraceInputs) -> Platform:
    header = read_swf_header(paths[0])
    return swf_platform(header.max_procs, header.max_nodes)


SOURCES: Mapping[str, TraceSource] = MappingProxyType(
    {
        source.name: source
        for source in (
            TraceSource(
                "google2011",
                "Google cluster-usage trace clusterdata-2011-2 (task_events)",
                CC_BY,
                True,
                UNITS["google2011"],
                lambda paths, inputs, summary: read_google2011(paths, summary),
                lambda paths, inputs: GOOGLE_2011,
                lambda task: task.scheduling_class >= GOOGLE_LATENCY_SENSITIVE_CLASS,
                many_files=True,
                present_at_zero=True,
            ),
            TraceSource(
                "alibaba2018",
                "Alibaba cluster-trace-v2018 (batch_task)",
                "research and study only (Alibaba's terms)",
                False,
                UNITS["alibaba2018"],
                lambda paths, inputs, summary: read_alibaba2018_batch(paths[0], summary),
                _alibaba_platform,
                _never,
                inputs=frozenset({"machines", "containers"}),
            ),
            TraceSource(
                "alibaba-gpu2025",
                "Alibaba cluster-trace-gpu-v2025 (DLRM serving instances)",
                "research and study only (Alibaba's terms)",
                False,
                UNITS["alibaba-gpu2025"],
                lambda paths, inputs, summary: read_alibaba_gpu2025(paths[0], summary, inputs.trace_end_s),
                lambda paths, inputs: ASSUMED["alibaba-gpu2025"],
                _always,
                present_at_zero=True,
                inputs=frozenset({"trace_end_s"}),
            ),
            TraceSource(
                "azure-llm2023",
                "Azure LLM inference trace 2023",
                CC_BY,
                True,
                UNITS["azure-llm2023"],
                lambda paths, inputs, summary: read_azure_llm2023(paths[0], summary),
                lambda paths, inputs: AZURE_ND_H100_V5,
                _always,
            ),
            TraceSource(
                "azure-vm2017",
                "Azure Public Dataset VM trace (V1 2017 or V2 2019 vmtable, or V1's derived flavour and "
                "lifetime sequences)",
                CC_BY,
                True,
                UNITS["azure-vm2017"],
                _read_vm,
                lambda paths, inputs: ASSUMED["azure-vm2017"],
                _interactive,
                inputs=frozenset({"durations", "trace_end_s"}),
            ),
            TraceSource(
                "swf",
                "a Parallel Workloads Archive log (Standard Workload Format)",
                "as the log's archive page says (the PWA states no formal licence)",
                False,
                UNITS["swf"],
                lambda paths, inputs, summary: read_swf(paths[0], summary),
                _swf_platform,
                _never,
            ),
        )
    }
)


def trace_source(name: str) -> TraceSource:
    """The format called ``name``.

    Raises:
        InputError: no such format (one line naming the known ones).
    """
    try:
        return SOURCES[name]
    except KeyError:
        raise InputError(f"unknown trace format {name!r}; known: {', '.join(SOURCES)}") from None


#: The command-line flag of each :class:`TraceInputs` field.
INPUT_FLAGS: Mapping[str, str] = MappingProxyType(
    {
        "machines": "--machines",
        "containers": "--containers",
        "durations": "--durations",
        "trace_end_s": "--trace-end",
    }
)


def check_inputs(source: TraceSource, inputs: TraceInputs) -> None:
    """Only the extra inputs the format reads.

    Raises:
        InputError: an input given that the format does not read (one line naming the formats that do).
    """
    for name, flag in INPUT_FLAGS.items():
        if getattr(inputs, name) is not None and name not in source.inputs:
            readers = ", ".join(s.name for s in SOURCES.values() if name in s.inputs)
            raise InputError(f"{source.name} takes no {flag}: it is for {readers}")


def check_paths(source: TraceSource, paths: Sequence[Path]) -> None:
    """One file for a one-file format, at least one for the others.

    Raises:
        InputError: the wrong number of files.
    """
    if not paths:
        raise InputError(f"{source.name}: give the trace's file")
    if len(paths) > 1 and not source.many_files:
        raise InputError(f"{source.name} reads one file, got {len(paths)}")
