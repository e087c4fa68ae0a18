"""What quality control measures differently on a replayed window of a real trace: whether a scenario is
one, the distributions realism compares, and the load offered within the window.

A replayed scenario records its trace in ``provenance["trace"]``: ``format`` (one of
:data:`aurora_evo.traces.FORMATS`), ``window_s`` (the window's length, s) and ``window_start_s``
(its start in the trace's seconds). Its arrivals are shifted so that the window starts at 0, every task
arriving in ``[0, window_s)``; durations are the trace's and may run far past the window; demands are
in cores, GiB and GPUs (:mod:`aurora_evo.traces.units`). A synthetic scenario has no ``trace`` key.

The distributions (:func:`window_samples`) are computed by one function for a replayed scenario and for
the windows of the raw trace that make its reference
(:mod:`aurora_evo.scenario.quality.trace_references`), so both sides are measured alike. The
scenario keeps no job ids, so its units of sampling are what its columns show:

* request sizes: the window's distinct (cpu, memory) request shapes, in cores and GiB. A trace repeats
  shapes: a Google 2011 job runs thousands of identical tasks, and one Alibaba 2018 task row yields
  its instances with one request. Counted once per window (as a synthetic scenario's shapes are, one
  per job), a window's shapes differed from the pooled shapes of all windows by a KS distance of
  0.1-0.2 on the Google 2011 shards' 30-minute windows, against 0.3-0.4 counted per task;
* durations: one per distinct (arrival, request, priority, duration) row: the instances of one
  Alibaba 2018 task row, which share start, request and duration, are one observation, not thousands;
* job inter-arrival gaps over their mean: a job is the tasks sharing a request and a priority,
  arriving with the first, as for a synthetic scenario (:func:`aurora_evo.scenario.quality.arrivals
  ._job_arrivals`) but without the owner, since not every trace records a user. Keyed on the arrival instant
  as well, Google 2011 windows differed from each other by a KS distance of 0.55 (one job submitting
  its tasks one by one fills a window with tiny gaps); keyed so, by 0.16.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from aurora_evo.errors import InputError
from aurora_evo.rows import unique_rows
from aurora_evo.scenario.model import Scenario
from aurora_evo.traces import FORMATS
from aurora_evo.traces.sizing import load_within_window

#: The trace formats a replayed scenario may name: those ``aurora-evo scenarios from-trace`` reads.
TRACE_FORMATS: tuple[str, ...] = FORMATS

#: The distributions :func:`window_samples` measures, in the order realism reports them.
SAMPLE_NAMES = ("cpu", "memory", "cpu_memory_ratio", "duration", "interarrival")


@dataclass(frozen=True)
class TraceWindow:
    """The window a replayed scenario was cut from (its ``provenance["trace"]``).

    Attributes:
        format: the trace format, one of :data:`TRACE_FORMATS`.
        window_s: the window's length, s (> 0).
        window_start_s: its start in the trace's seconds (``None`` when not recorded).
    """

    format: str
    window_s: float
    window_start_s: float | None = None


def trace_window(s: Scenario) -> TraceWindow | None:
    """The trace window of a replayed scenario; ``None`` for a synthetic one (no ``provenance["trace"]``).

    Raises:
        InputError: one line, when ``provenance["trace"]`` is not a mapping with a known ``format`` and
            a positive, finite ``window_s``.
    """
    record = s.provenance.get("trace")
    if record is None:
        return None
    if not isinstance(record, Mapping):
        raise InputError(f"{s.name}: provenance.trace must be an object, not {type(record).__name__}")
    fmt = record.get("format")
    if fmt not in TRACE_FORMATS:
        raise InputError(
            f"{s.name}: provenance.trace.format {fmt!r} is not one of {', '.join(TRACE_FORMATS)}"
        )
    window = record.get("window_s")
    if (
        isinstance(window, bool)
        or not isinstance(window, int | float)
        or not (math.isfinite(window) and window > 0)
    ):
        raise InputError(
            f"{s.name}: provenance.trace.window_s must be a positive number of seconds, not {window!r}"
        )
    start = record.get("window_start_s")
    start = float(start) if isinstance(start, int | float) and not isinstance(start, bool) else None
    return TraceWindow(str(fmt), float(window), start)


def job_arrivals(arrival: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Sorted arrival times of the jobs of ``n`` tasks, ``(n_jobs,)``: tasks sharing their row of
    ``key`` (``(n, k)``: their request, priority...) form a job, arriving with its first task."""
    _, inverse = unique_rows(key)
    first = np.full(int(inverse.max()) + 1, np.inf)
    np.minimum.at(first, inverse, arrival)
    return np.sort(first)


def window_samples(
    arrival: np.ndarray, duration: np.ndarray, demand: np.ndarray, priority: np.ndarray
) -> dict[str, np.ndarray]:
    """The distributions realism compares for one window of ``n`` tasks (see the module docstring):
    ``cpu`` (cores) and ``memory`` (GiB) of the distinct request shapes with a positive request,
    ``cpu_memory_ratio`` (cores per GiB, shapes positive in both), ``duration`` (s, per distinct row)
    and ``interarrival`` (job gaps over their mean; absent with fewer than two jobs or no gap). Each is
    a 1-D float64 array, possibly empty.

    Args:
        arrival, duration, priority: ``(n,)``; demand: ``(n, 4)`` cores, GiB, GPUs, Gbit/s.
    """
    arrival = np.asarray(arrival, dtype=np.float64)
    demand = np.asarray(demand, dtype=np.float64).reshape(arrival.size, -1)
    priority = np.asarray(priority, dtype=np.float64)
    shapes, _ = unique_rows(demand[:, :2])
    cpu, memory = shapes[:, 0], shapes[:, 1]
    both = (cpu > 0) & (memory > 0)
    rows, _ = unique_rows(np.column_stack([arrival, demand, priority, duration]))
    samples = {
        "cpu": cpu[cpu > 0],
        "memory": memory[memory > 0],
        "cpu_memory_ratio": cpu[both] / memory[both],
        "duration": rows[:, -1],
    }
    gaps = np.diff(job_arrivals(arrival, np.column_stack([demand, priority])))
    if gaps.size and gaps.mean() > 0:
        samples["interarrival"] = gaps / gaps.mean()
    return samples


def window_load(s: Scenario, window_s: float) -> float:
    """Load offered within the window by the bottleneck resource: ``max_r sum_k demand[k, r] x
    overlap_k / (C_r x window_s)``, where ``overlap_k`` is the part of task k's run inside
    ``[0, window_s]`` when it starts on arrival and ``C_r`` the cluster's total capacity of resource r.
    A task that outlasts the window counts only its part inside it: :func:`~aurora_evo.scenario
    .generate.offered_load` counts it whole, which on hand-made Google 2011 windows read 1.05-3.9
    where the peak concurrent demand was 0.7-0.95 of the capacity (issue 20)."""
    tasks = s.tasks
    capacity = s.nodes.capacity.sum(axis=0)
    loads = load_within_window(tasks.demand, tasks.arrival, tasks.duration, capacity, window_s)
    return float(np.max(loads[capacity > 0]))
