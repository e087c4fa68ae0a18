"""Layer 1, bounds: every number lies in a realistic range (the module constants, each with its
source), every demand fits within the largest node's capacity of its resource, every deadline is at
least its task's duration."""

from __future__ import annotations

import math

import numpy as np

from aurora_evo.scenario.model import Scenario
from aurora_evo.scenario.quality.report import _EPS, _RESOURCE_NAMES, Layer, Verdict, _g, _join, _quiet
from aurora_evo.scenario.quality.trace_window import trace_window

# Realistic ranges. "Seeds" are the shipped seed scenarios (seeds/scenarios), drawn from the generator's
# machine catalogue (aurora_evo.scenario.catalogue.CATALOGUE); "schema" is scenario.schema.json.

#: Node cpu capacity, cores: half a core (the smallest cloud VM slices) to 512 (an 8-socket host of
#: 64-core parts). Seeds: 4-96; Alibaba 2018 machines: 96 cores each.
NODE_CPU_RANGE = (0.5, 512.0)
#: Node memory, GiB: 0.5 (a small edge board) to 12,288 (12 TiB, the largest memory-optimised cloud
#: hosts). Seeds: 4-384.
NODE_MEMORY_RANGE_GIB = (0.5, 12_288.0)
#: GPUs per node: 0 to 16 (16-GPU servers are the largest sold; the schema's maximum). Seeds: 0-4.
NODE_GPU_RANGE = (0.0, 16.0)
#: Node network bandwidth, Gbit/s: 0.1 (a 100 Mbit/s edge link) to 400 (400 GbE; the schema's maximum);
#: 0 means the scenario does not model the network. Seeds: 1-200.
NODE_NETWORK_RANGE_GBPS = (0.1, 400.0)
#: Smallest task request: 0.01 cores and 1 MiB; a task asks for some cpu and some memory. The Google
#: 2011 sample's smallest requests are 6e-4 of its largest machine; the seeds' are 0.22 cores and
#: 0.38 GiB.
TASK_MIN_CPU_CORES = 0.01
TASK_MIN_MEMORY_GIB = 1.0 / 1024.0
#: Task durations, s: 1 ms (the schema's floor: edge inference requests; the edge seeds go down to
#: 50 ms) to 30 days (the schema's ceiling; the Alibaba 2017 trace's longest task ran 8.2 hours).
DURATION_RANGE_S = (0.001, 30 * 86_400.0)
#: Every task arrives within 30 days of the first: the Google 2011 trace spans 29 days (Alibaba 2017:
#: 17 hours; the seeds: at most 21 minutes).
ARRIVAL_HORIZON_S = 30 * 86_400.0
#: Longest deadline, s: one year (the schema's maximum arrival time and deadline).
DEADLINE_MAX_S = 365 * 86_400.0
#: Priorities: 0-11, the Google 2011 priority levels whose mix the generator samples.
PRIORITY_RANGE = (0, 11)
#: Price, $/hour: 0 (owned hardware) to 250 (the largest public-cloud instances list at 100-220).
#: Seeds: 0.002-12.24.
PRICE_MAX_PER_HOUR = 250.0
#: Power per node, W: up to 10,000 (an 8-GPU server peaks near 10 kW; the schema's maximum). Seeds:
#: idle 1.5-225 W, peak 6.4-1,404 W.
WATTS_MAX = 10_000.0
#: Network latency to a node, ms: up to 1,000 (a geostationary satellite hop is ~600 ms). Seeds:
#: 0.6-79 ms.
LATENCY_MAX_MS = 1_000.0
#: Queue timeout, s: up to 30 days (the schema's maximum).
QUEUE_TIMEOUT_MAX_S = 30 * 86_400.0

_RESOURCE_UNITS = ("cpu cores", "GiB of memory", "gpus", "Gbit/s of network")
_NODE_RANGES = (NODE_CPU_RANGE, NODE_MEMORY_RANGE_GIB, NODE_GPU_RANGE, NODE_NETWORK_RANGE_GBPS)
_NODE_RANGE_UNITS = ("cores", "GiB", "gpus", "Gbit/s")


def _range_problems(what: str, values: np.ndarray, low: float, high: float, unit: str) -> list[str]:
    """One problem text for the first value outside [low, high], with the count of the others."""
    bad = np.flatnonzero(~((values >= low) & (values <= high)))
    if bad.size == 0:
        return []
    i = int(bad[0])
    others = f" (and {bad.size - 1} more)" if bad.size > 1 else ""
    return [f"{what} {i} has {_g(values[i])} {unit}, outside {_g(low)}-{_g(high)}{others}"]


@_quiet
def check_bounds(s: Scenario) -> Verdict:
    """Layer 1: every number in its realistic range (see the module constants), every demand within
    the largest node's capacity of its resource, every deadline at least its duration.

    A replayed trace window (``provenance["trace"]``) is not held to the smallest task request
    (:data:`TASK_MIN_CPU_CORES`, :data:`TASK_MIN_MEMORY_GIB`): a request is what the trace records,
    and real traces record none at times (Google 2011 tasks with a zero cpu request, SWF logs without
    memory). ``details["zero_requests"]`` counts those tasks per resource.

    Raises:
        InputError: one line, for a malformed ``provenance["trace"]``.
    """
    nodes, tasks = s.nodes, s.tasks
    problems: list[str] = []
    cap, demand = nodes.capacity, tasks.demand
    for r in range(4):
        low, high = _NODE_RANGES[r]
        values = cap[:, r]
        if r >= 2:  # gpu and network may be absent (0)
            values = np.where(values == 0, max(low, 0.0), values)
        problems += _range_problems(
            "node", values, low, high, f"{_NODE_RANGE_UNITS[r]} of {_RESOURCE_NAMES[r]}"
        )
    problems += _range_problems("node", nodes.price_per_hour, 0.0, PRICE_MAX_PER_HOUR, "$/hour")
    problems += _range_problems("node", nodes.peak_watts, 0.0, WATTS_MAX, "peak watts")
    problems += _range_problems("node", nodes.latency_ms, 0.0, LATENCY_MAX_MS, "ms of latency")

    largest = cap.max(axis=0)
    for r in range(4):
        over = np.flatnonzero(demand[:, r] > largest[r] * (1.0 + _EPS) + _EPS)
        if over.size:
            i = int(over[0])
            others = f" (and {over.size - 1} more tasks)" if over.size > 1 else ""
            problems.append(
                f"task {i} asks for {_g(demand[i, r])} {_RESOURCE_UNITS[r]}, more than any node has "
                f"({_g(largest[r])}){others}"
            )
    trace = trace_window(s) is not None
    if not trace:
        problems += _range_problems("task", demand[:, 0], TASK_MIN_CPU_CORES, math.inf, "cpu cores")
        problems += _range_problems("task", demand[:, 1], TASK_MIN_MEMORY_GIB, math.inf, "GiB of memory")
    problems += _range_problems("task", tasks.duration, *DURATION_RANGE_S, "s of duration")
    start = float(tasks.arrival.min())
    problems += _range_problems(
        "task", tasks.arrival - start, 0.0, ARRIVAL_HORIZON_S, "s of arrival after the first task's"
    )
    problems += _range_problems("task", tasks.priority, *PRIORITY_RANGE, "as priority")
    has = tasks.has_deadline
    short = np.flatnonzero(has & (tasks.deadline < tasks.duration))
    if short.size:
        i = int(short[0])
        others = f" (and {short.size - 1} more)" if short.size > 1 else ""
        problems.append(
            f"task {i} has a {_g(tasks.deadline[i])} s deadline, shorter than its {_g(tasks.duration[i])} s "
            f"duration{others}"
        )
    problems += _range_problems(
        "task", np.where(has, tasks.deadline, 1.0), 0.0, DEADLINE_MAX_S, "s of deadline"
    )
    if s.queue_timeout_s is not None and s.queue_timeout_s > QUEUE_TIMEOUT_MAX_S:
        problems.append(f"queue timeout {_g(s.queue_timeout_s)} s exceeds {_g(QUEUE_TIMEOUT_MAX_S)} s")

    details: dict[str, object] = {"problems": problems, "n_tasks": len(tasks), "n_nodes": len(nodes)}
    if trace:
        details["zero_requests"] = {
            "cpu": int((demand[:, 0] == 0).sum()),
            "memory": int((demand[:, 1] == 0).sum()),
        }
    if problems:
        return Verdict(Layer.BOUNDS, False, _join(Layer.BOUNDS, problems), details)
    return Verdict(Layer.BOUNDS, True, "bounds: every value within its realistic range", details)
