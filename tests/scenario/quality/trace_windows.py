"""Real trace windows as scenarios, for the quality tests: a stand-in for the replay
(``aurora_evo/traces/replay.py``) until it lands, kept in tests only.

:func:`window_scenario` turns the tasks of one window (read by :mod:`aurora_evo.traces` through
:func:`aurora_evo.scenario.quality.build_trace_references.read_source`) into a scenario as the replay's
contract describes it: arrivals shifted to start at 0, the trace's durations, demands converted by
:data:`aurora_evo.traces.units.UNITS`, ``provenance["trace"]`` with the format and the window. The nodes
are copies of one machine per format (:data:`MACHINES`, assumptions of these tests, not trace facts),
as many as it takes for the window's peak concurrent demand (every task started on arrival) to be
:data:`PEAK_SHARE` of the capacity. Latency-sensitive tasks get a deadline of their duration plus
:data:`WAIT_ALLOWANCE_S`: Google 2011 scheduling classes 2-3 (the trace schema calls the higher classes
latency-sensitive), and every Azure LLM request and Alibaba GPU 2025 instance (that trace's README says
all its instances are latency-sensitive).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from aurora_evo.features import NO_DEADLINE
from aurora_evo.scenario.model import Domain, Nodes, Scenario, Tasks
from aurora_evo.scenario.quality.build_trace_references import read_source, window_arrays
from aurora_evo.traces.records import ReadSummary, TraceTask
from aurora_evo.traces.windows import Windows, cut_windows

REPO = Path(__file__).resolve().parents[3]
WINDOW_S = 1800.0
#: Per format, the machine every node is: (cores, GiB, GPUs). Assumptions of these tests: Google 2011
#: and Alibaba 2018 take the machine :mod:`aurora_evo.traces.units` scales their requests by; the GPU
#: trace lists no machine, so one big enough for its largest request (192 vCPUs, 1,000 GiB); the LLM
#: requests get the ND H100 v5 VM of the reader's service model; the VM trace lists none either (its
#: largest flavour is 16 cores and 112 GB: four of those); the iPSC/860 has 128 processors (the
#: log's MaxProcs) and records no memory.
MACHINES = {
    "google2011": (32.0, 128.0, 0.0),
    "alibaba2018": (96.0, 512.0, 0.0),
    "alibaba-gpu2025": (192.0, 1024.0, 8.0),
    "azure-llm2023": (96.0, 1900.0, 8.0),
    "azure-vm2017": (64.0, 448.0, 0.0),
    "swf": (128.0, 1.0, 0.0),
}
#: The window's peak concurrent demand over the cluster's capacity, in its bottleneck resource.
PEAK_SHARE = 0.85
#: Seconds a latency-sensitive task may wait before its deadline is missed (an assumption).
WAIT_ALLOWANCE_S = 60.0


def shared_data() -> Path:
    """``../shared/data`` beside the repository; the test skips, saying so, when it is absent."""
    path = REPO.parent / "shared" / "data"
    if not path.is_dir():
        pytest.skip(f"the real traces are not in ../shared/data beside this checkout ({REPO})")
    return path


def _peak_concurrent(arrival: np.ndarray, duration: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """``(4,)`` the largest demand running at once, every task started on arrival."""
    times = np.concatenate([arrival, arrival + duration])
    order = np.lexsort((np.r_[np.ones(arrival.size), np.zeros(arrival.size)], times))  # ends first
    steps = np.concatenate([demand, -demand])[order]
    return np.cumsum(steps, axis=0).max(axis=0)


def _deadlines(fmt: str, tasks: list[TraceTask], duration: np.ndarray) -> np.ndarray:
    if fmt == "google2011":
        sensitive = np.array([t.scheduling_class >= 2 for t in tasks])
    else:
        sensitive = np.full(len(tasks), fmt in ("azure-llm2023", "alibaba-gpu2025"))
    return np.where(sensitive, duration + WAIT_ALLOWANCE_S, NO_DEADLINE)


def window_scenario(fmt: str, tasks: list[TraceTask], start_s: float, window_s: float = WINDOW_S) -> Scenario:
    """The scenario of one window of ``fmt``'s tasks starting at ``start_s`` (see the module docstring)."""
    arrival, duration, demand, priority = window_arrays(fmt, tasks, start_s)
    machine = np.array([*MACHINES[fmt], 0.0])
    peak = _peak_concurrent(arrival, duration, demand)
    used = machine > 0
    n_nodes = max(2, math.ceil(float(np.max(peak[used] / (PEAK_SHARE * machine[used])))))
    nodes = Nodes(
        names=tuple(f"{fmt}-{k}" for k in range(n_nodes)),
        capacity=np.tile(machine, (n_nodes, 1)),
        price_per_hour=np.full(n_nodes, 1.0),
        idle_watts=np.full(n_nodes, 100.0),
        peak_watts=np.full(n_nodes, 300.0),
        latency_ms=np.full(n_nodes, 1.0),
        zone=np.zeros(n_nodes, dtype=np.int64),
        zones=("zone-0",),
    )
    work = Tasks(
        arrival=arrival,
        duration=duration,
        demand=demand,
        priority=np.clip(priority, 0, 11).astype(np.int64),
        deadline=_deadlines(fmt, tasks, duration),
        owner=np.zeros(arrival.size, dtype=np.int64),
        owners=("trace",),
    )
    return Scenario(
        name=f"{fmt}-{start_s:g}",
        domain=Domain.CLOUD,
        nodes=nodes,
        tasks=work,
        provenance={"trace": {"format": fmt, "window_s": window_s, "window_start_s": start_s}},
    )


def trace_windows(
    fmt: str, data_dir: Path, offset_s: float = WINDOW_S / 2, count: int | None = None
) -> Iterator[Scenario]:
    """Scenarios of ``fmt``'s back-to-back 30-minute windows, each file's first starting ``offset_s``
    after its first arrival (half a window by default: not the windows the references pool); the
    first ``count`` with at least one task of each file (all when ``None``)."""
    for stream in read_source(fmt, data_dir, ReadSummary()):
        first = next(stream, None)
        if first is None:
            continue
        windows = Windows(WINDOW_S, count=10**9, first_s=first.arrival_s + offset_s)
        cut = cut_windows(_chain(first, stream), windows)
        for start, members in islice(cut, count):
            yield window_scenario(fmt, members, start)


def _chain(first: TraceTask, rest: Iterator[TraceTask]) -> Iterator[TraceTask]:
    yield first
    yield from rest
