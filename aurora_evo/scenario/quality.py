"""Quality control of scenarios: five layers a scenario passes before it trains or tests a program.

1. **bounds**: every number lies in a realistic range (the module constants below, each with its
   source), every demand fits within the largest node's capacity of its resource, every deadline is at
   least its task's duration;
2. **feasibility**: the SLAs can be met: every task fits on some node, every deadline can be met on
   some node when the task starts on arrival, the deadline work fits the cluster's capacity over the
   deadline window (a lower bound), and a clairvoyant packing meets at least
   :attr:`QualityConfig.sla_share` of the deadlines;
3. **realism**: the scenario's distributions (request shapes, durations, job inter-arrival gaps) look
   like the public traces, by two-sample Kolmogorov-Smirnov tests against the shipped reference samples
   (:func:`aurora_evo.scenario.traces.load_reference_samples`), plus a location check on each;
4. **diversity**: the scenario's :func:`features` lie far enough from every recently accepted
   scenario's;
5. **complexity**: task count, node count, offered load and deadline share lie in the ranges of the
   scenario's difficulty level (:mod:`aurora_evo.scenario.levels`).

:func:`check_scenario` runs all five (all of them, so the feedback names every problem) and returns a
:class:`QualityReport`; :class:`QualityMonitor` tracks validation rates, refusals per layer and the
drift of accepted scenarios over a run.

Units as in :mod:`aurora_evo.scenario.model`: cpu in cores, memory in GiB, gpu in devices, network in
Gbit/s, times in s, latency in ms, price in $/hour, power in W.
"""

from __future__ import annotations

import enum
import functools
import math
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from aurora_evo.scenario.generate import offered_load
from aurora_evo.scenario.levels import level as level_spec
from aurora_evo.scenario.model import Scenario

# --- bounds ---------------------------------------------------------------------------------------
# Realistic ranges. "Seeds" are the shipped seed scenarios (seeds/scenarios), drawn from the generator's
# machine catalogue (aurora_evo.scenario.generate.CATALOGUE); "schema" is scenario.schema.json.

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

_RESOURCE_NAMES = ("cpu", "memory", "gpu", "network")
_RESOURCE_UNITS = ("cpu cores", "GiB of memory", "gpus", "Gbit/s of network")
_NODE_RANGES = (NODE_CPU_RANGE, NODE_MEMORY_RANGE_GIB, NODE_GPU_RANGE, NODE_NETWORK_RANGE_GBPS)
_NODE_RANGE_UNITS = ("cores", "GiB", "gpus", "Gbit/s")

#: Relative tolerance of capacity comparisons (demands are rounded to 0.01 of a unit).
_EPS = 1e-9

#: Mean tasks per job in the Alibaba 2017 trace (trace_stats.json: alibaba_2017.arrivals.tasks_per_job).
TRACE_TASKS_PER_JOB = 6.22

#: The features of :func:`features`, in order.
FEATURE_NAMES = (
    "log10_tasks",
    "log10_nodes",
    "offered_load",
    "deadline_share",
    "cpu_p50",
    "cpu_p90",
    "memory_p50",
    "memory_p90",
    "log1p_job_interarrival_cv",
    "node_heterogeneity",
    "log10_duration_p50",
    "log10_tasks_per_shape",
)
#: Scale of each feature in the standardised distance: its standard deviation over the 50 shipped seed
#: scenarios, rounded up to one significant digit, with a floor of 0.05 so that no single feature
#: dominates (see :func:`feature_distance`).
FEATURE_SCALES = (0.9, 0.6, 0.3, 0.2, 0.08, 0.3, 0.05, 0.2, 0.3, 0.3, 0.7, 0.3)


class Layer(enum.StrEnum):
    """The quality-control layers, in the order :func:`check_scenario` runs them."""

    BOUNDS = "bounds"
    FEASIBILITY = "feasibility"
    REALISM = "realism"
    DIVERSITY = "diversity"
    COMPLEXITY = "complexity"


@dataclass(frozen=True)
class Verdict:
    """One layer's judgement of one scenario.

    Attributes:
        layer: which layer.
        passed: whether the scenario passed it.
        reason: one line starting with the layer's name, e.g. ``"bounds: task 17 asks for 512 cpu
            cores, more than any node has (64)"``; for a pass, what was checked.
        details: plain, JSON-ready data (numbers, strings, lists, dicts): the statistics behind it.
    """

    layer: Layer
    passed: bool
    reason: str
    details: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "layer", Layer(self.layer))
        object.__setattr__(self, "reason", " ".join(str(self.reason).split()))
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    @property
    def message(self) -> str:
        """The reason without its leading ``"<layer>: "``."""
        return self.reason.removeprefix(f"{self.layer.value}: ")

    def as_dict(self) -> dict:
        """JSON-ready copy."""
        return {
            "layer": self.layer.value,
            "passed": self.passed,
            "reason": self.reason,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class QualityReport:
    """The verdicts of every layer on one scenario, in layer order."""

    scenario: str
    verdicts: tuple[Verdict, ...]

    @property
    def passed(self) -> bool:
        """True when every layer passed."""
        return all(v.passed for v in self.verdicts)

    @property
    def refused_by(self) -> Layer | None:
        """The first layer that refused the scenario, or ``None``."""
        return next((v.layer for v in self.verdicts if not v.passed), None)

    @property
    def refused_layers(self) -> tuple[Layer, ...]:
        """Every layer that refused the scenario, in layer order."""
        return tuple(v.layer for v in self.verdicts if not v.passed)

    def verdict(self, layer: Layer | str) -> Verdict:
        """The verdict of ``layer``."""
        return next(v for v in self.verdicts if v.layer == Layer(layer))

    @property
    def features(self) -> tuple[float, ...] | None:
        """The scenario's :func:`features`, as the diversity layer computed them (``None`` if absent)."""
        for v in self.verdicts:
            if v.layer is Layer.DIVERSITY and "features" in v.details:
                return tuple(v.details["features"])  # type: ignore[arg-type]
        return None

    def feedback(self) -> str:
        """The reasons of the refusing layers, one per line (empty when it passed): what an attacker
        is told about why its scenario was refused."""
        return "\n".join(v.reason for v in self.verdicts if not v.passed)

    def as_dict(self) -> dict:
        """JSON-ready copy."""
        refused = self.refused_by
        return {
            "scenario": self.scenario,
            "passed": self.passed,
            "refused_by": refused.value if refused else None,
            "verdicts": [v.as_dict() for v in self.verdicts],
        }


@dataclass(frozen=True)
class QualityConfig:
    """Thresholds of the quality-control layers.

    Attributes:
        sla_share: feasibility: the clairvoyant packing must meet at least this share of the deadlines
            (0-1). The shipped seeds reach 0.93-1.0 (the online seed programs 0.53-0.99: the biggest
            requests fit only the largest few nodes, and bursts of them queue).
        realism_alpha: realism: significance level of each two-sample KS test. A distribution is refused
            only when its test rejects at this level *and* its KS distance exceeds
            ``realism_max_distance``: with a thousand tasks a KS test detects differences far too small to
            matter (the generator's log-normal fits differ from the lumpy traces by D ~ 0.1 at
            p ~ 1e-7), so significance alone would refuse every realistic scenario.
        realism_max_distance: realism: largest tolerated KS distance D (0-1) between the scenario's
            median-centred log values and the smoothed reference's. Seeds and generated scenarios reach
            0.29, random attacker genomes (:mod:`aurora_evo.attacker.genome`) mostly under 0.38 (their
            burstiest arrivals, CV near 4, reach 0.55 and are refused); one repeated value scores 0.5.
        realism_min_samples: realism: fewer values than this (request shapes, tasks or job gaps) get the
            weak check only: the location test, no KS test.
        realism_smoothing: realism: standard deviation (natural log units) of the Gaussian kernel that
            smooths the reference sizes. The Google 2011 requests sit on a few favourite sizes (40% of the
            sample asks for exactly 1/16 of a machine), which a continuous draw can never match.
        size_location_factor: realism: the median cpu and memory request, as a share of the largest
            node's capacity, and the median cpu:memory ratio, must lie within this factor of the trace's
            (the generator's size_scale knob and the genome's log-means move them by up to ~13x).
        duration_location_factor: realism: the median duration must lie within this factor of the
            Alibaba 2017 median (31 s): edge scenarios run 20-80x shorter tasks.
        max_tasks_per_shape: realism: largest mean number of tasks per distinct request shape (tasks of
            a job share one shape): 5x the Alibaba 2017 mean of 6.22 tasks per job.
        diversity_min_distance: diversity: smallest standardised distance (:func:`feature_distance`) to
            the nearest recently accepted scenario. The closest two of the 50 seed scenarios are 0.16
            apart; a seed's generator parameters redrawn with another random seed land 0.3-1.2 away; a
            near-copy (a seed with every time stretched by 1%) lies under 0.01.
        diversity_recent: diversity: compare against at most this many of the most recent scenarios.
        trusted_window_factor: complexity and features: the arrival window a scenario's provenance
            records is used for its offered load only when it covers every arrival and, with enough
            jobs, is at most this many times the window the job arrivals suggest (else the window is
            estimated from the arrivals: a stale or forged provenance cannot shrink the load).
    """

    sla_share: float = 0.9
    realism_alpha: float = 0.001
    realism_max_distance: float = 0.4
    realism_min_samples: int = 20
    realism_smoothing: float = 0.3
    size_location_factor: float = 30.0
    duration_location_factor: float = 200.0
    max_tasks_per_shape: float = 5 * TRACE_TASKS_PER_JOB
    diversity_min_distance: float = 0.1
    diversity_recent: int = 50
    trusted_window_factor: float = 3.0

    def __post_init__(self) -> None:
        checks = (
            (0.0 <= self.sla_share <= 1.0, "sla_share must be in [0, 1]"),
            (0.0 < self.realism_alpha < 1.0, "realism_alpha must be in (0, 1)"),
            (0.0 < self.realism_max_distance <= 1.0, "realism_max_distance must be in (0, 1]"),
            (self.realism_min_samples >= 2, "realism_min_samples must be >= 2"),
            (self.realism_smoothing >= 0.0, "realism_smoothing must be >= 0"),
            (self.size_location_factor >= 1.0, "size_location_factor must be >= 1"),
            (self.duration_location_factor >= 1.0, "duration_location_factor must be >= 1"),
            (self.max_tasks_per_shape >= 1.0, "max_tasks_per_shape must be >= 1"),
            (self.diversity_min_distance >= 0.0, "diversity_min_distance must be >= 0"),
            (self.diversity_recent >= 0, "diversity_recent must be >= 0"),
            (self.trusted_window_factor >= 1.0, "trusted_window_factor must be >= 1"),
        )
        problems = [text for ok, text in checks if not ok]
        if problems:
            raise ValueError("QualityConfig: " + "; ".join(problems))


DEFAULT_CONFIG = QualityConfig()


# --- helpers --------------------------------------------------------------------------------------


def _quiet(check):
    """Run ``check`` with numpy's floating-point warnings off: extreme but valid values (a 1e-300
    request, a zero capacity) overflow ratios to inf, which the checks handle."""

    @functools.wraps(check)
    def wrapper(*args, **kwargs):
        with np.errstate(divide="ignore", over="ignore", invalid="ignore", under="ignore"):
            return check(*args, **kwargs)

    return wrapper


def _g(value: float) -> str:
    """A number in short text form (4 significant digits)."""
    return f"{float(value):.4g}"


def _num(value: float) -> float | None:
    """A JSON-safe float (``None`` for NaN or infinity)."""
    value = float(value)
    return value if math.isfinite(value) else None


def _join(layer: Layer, problems: list[str], limit: int = 3) -> str:
    more = len(problems) - limit
    text = "; ".join(problems[:limit]) + (f"; and {more} more" if more > 0 else "")
    return f"{layer.value}: {text}"


def _window(s: Scenario, config: QualityConfig) -> tuple[float, str]:
    """(arrival window in s, where it came from) for the offered load.

    The window the provenance records (the generator's) is used when it covers every arrival (give or
    take the generator's 1 s batch spread) and, for scenarios with at least ``realism_min_samples``
    jobs, is at most ``trusted_window_factor`` times the window the job arrivals suggest (span x J /
    (J - 1)): so a stale or forged provenance cannot hide a compressed arrival stream. Otherwise the
    window is estimated from the task arrivals as span x n / (n - 1); NaN when that is undefined (one
    task, or all arrive at once).
    """
    arrival = s.tasks.arrival
    n = arrival.size
    span = float(arrival.max() - arrival.min())
    estimate = span * n / (n - 1) if n > 1 and span > 0 else float("nan")
    derived = s.provenance.get("derived")
    recorded = derived.get("arrival_window_s") if isinstance(derived, Mapping) else None
    if isinstance(recorded, int | float) and math.isfinite(recorded) and recorded > 0:
        recorded = float(recorded)
        jobs = _job_arrivals(s)
        n_jobs, job_span = jobs.size, float(jobs[-1] - jobs[0])
        covers = span <= 1.05 * recorded + 1.0
        plausible = (
            n_jobs < config.realism_min_samples
            or recorded <= config.trusted_window_factor * job_span * n_jobs / (n_jobs - 1)
        )
        if covers and plausible:
            return recorded, "provenance"
        return estimate, "arrivals (the recorded window does not match them)"
    return estimate, "arrivals"


@_quiet
def scenario_load(s: Scenario, config: QualityConfig = DEFAULT_CONFIG) -> float:
    """Offered load of the bottleneck resource (:func:`~aurora_evo.scenario.generate.offered_load`)
    over the arrival window of :func:`_window`; NaN when the window is undefined."""
    window, _ = _window(s, config)
    if not (math.isfinite(window) and window > 0):
        return float("nan")
    return offered_load(s, window)


def _fits(demand: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """``(n_tasks, n_nodes)`` mask: the task's demand fits the node's capacity in every resource."""
    room = capacity[None, :, :] * (1.0 + _EPS) + _EPS
    return np.all(demand[:, None, :] <= room, axis=2)


# --- layer 1: bounds ------------------------------------------------------------------------------


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
    the largest node's capacity of its resource, every deadline at least its duration."""
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

    details = {"problems": problems, "n_tasks": len(tasks), "n_nodes": len(nodes)}
    if problems:
        return Verdict(Layer.BOUNDS, False, _join(Layer.BOUNDS, problems), details)
    return Verdict(Layer.BOUNDS, True, "bounds: every value within its realistic range", details)


# --- layer 2: feasibility -------------------------------------------------------------------------


#: Orders in which the clairvoyant packing inserts tasks: by last useful start time, or by due time
#: (arrival + deadline). Any packing is a valid schedule, so the better of the two counts.
PACKING_ORDERS = ("latest_start", "due")


def _earliest_start(
    a: float,
    last: float,
    length: float,
    d: np.ndarray,
    due: float,
    s_p: np.ndarray,
    e_p: np.ndarray,
    d_p: np.ndarray,
    n_p: np.ndarray,
    room: np.ndarray,
    cap: np.ndarray,
    scale: np.ndarray,
    lat: np.ndarray,
) -> tuple[float, int]:
    """(start, node) of the earliest feasible start in ``[a, last]`` of a task of ``length`` s and
    demand ``d`` on one of ``k`` nodes (``room``, ``cap``, ``scale``, ``lat`` are ``(k, ...)``), given
    the intervals placed on them (``s_p``, ``e_p``, ``d_p``, node ``n_p`` in 0..k-1) that overlap the
    window; ties go to the best fit. ``(nan, -1)`` when there is none.

    A start is the arrival or the end of an interval on that node, and the usage over [t, t + length)
    peaks at t or where an interval starts; so per node only those points are checked. All nodes at
    once, in flat arrays sorted by (node, time): O(intervals + nodes) per task.
    """
    k, q = room.shape[0], s_p.size
    is_cand = (e_p > a) & (e_p <= last)
    is_peak = (s_p > a) & (s_p < a + (last - a) + length)
    pt_node = np.concatenate([np.arange(k), n_p[is_cand], n_p[is_peak]])
    pt_time = np.concatenate([np.full(k, a), e_p[is_cand], s_p[is_peak]])
    pt_cand = np.concatenate(
        [np.ones(k + int(is_cand.sum()), dtype=bool), np.zeros(int(is_peak.sum()), dtype=bool)]
    )
    # usage events (+d at the start, clipped to a; -d at the end) merged with the points; at equal
    # times events come first, so a point sees the intervals active on [t, t + dt)
    node_all = np.concatenate([n_p, n_p, pt_node])
    time_all = np.concatenate([np.maximum(s_p, a), e_p, pt_time])
    kind = np.concatenate([np.zeros(2 * q, dtype=np.int8), np.ones(pt_time.size, dtype=np.int8)])
    order = np.lexsort((kind, time_all, node_all))
    delta = np.concatenate([d_p, -d_p, np.zeros((pt_time.size, 4))])[order]
    total = np.cumsum(delta, axis=0)
    node_sorted = node_all[order]
    first = np.concatenate([[True], node_sorted[1:] != node_sorted[:-1]])
    group = np.cumsum(first) - 1
    base = np.concatenate([np.zeros((1, 4)), total])[np.flatnonzero(first)]
    usage = total - base[group]
    point = kind[order] == 1
    usage, p_node, p_time = usage[point], node_sorted[point], time_all[order][point]
    p_cand = np.concatenate([np.zeros(2 * q, dtype=bool), pt_cand])[order][point]

    ok = np.ones(p_time.size, dtype=bool)
    for r in np.flatnonzero(d > 0):  # a resource the task does not use cannot overflow
        ok &= usage[:, r] + d[r] <= room[p_node, r]
    bad = np.flatnonzero(~ok)
    free_until = np.full(p_time.size, np.inf)
    if bad.size:
        nxt = np.searchsorted(bad, np.arange(p_time.size))
        has = nxt < bad.size
        nb = bad[np.minimum(nxt, bad.size - 1)]
        same = has & (p_node[nb] == p_node)
        free_until[same] = p_time[nb[same]]
    feasible = (
        p_cand
        & (free_until >= p_time + length * (1.0 - _EPS))
        & (p_time + length + lat[p_node] <= due * (1.0 + _EPS) + _EPS)
        & (p_time <= last + _EPS)
    )
    hits = np.flatnonzero(feasible)
    if hits.size == 0:
        return math.nan, -1
    leftover = ((cap[p_node[hits]] - usage[hits] - d) / scale[p_node[hits]]).sum(axis=1)
    # rounded, so that float noise in the sums does not decide ties between identical nodes
    pick = hits[np.lexsort((p_node[hits], np.round(leftover, 9), p_time[hits]))[0]]
    return float(p_time[pick]), int(p_node[pick])


def _insert_all(s: Scenario, chosen: np.ndarray, order_by: str) -> tuple[np.ndarray, np.ndarray]:
    """(start, node) of each task of ``chosen`` (NaN, -1 when missed), inserted one by one in
    ``order_by`` order at its earliest feasible start (see :func:`clairvoyant_deadline_packing`)."""
    tasks, nodes = s.tasks, s.nodes
    m = int(chosen.size)
    cap = nodes.capacity
    room = cap * (1.0 + _EPS) + _EPS
    scale = np.where(cap > 0, cap, 1.0)
    lat = nodes.latency_ms / 1000.0
    arrival = tasks.arrival[chosen]
    dur = tasks.duration[chosen]
    dem = tasks.demand[chosen]
    due = arrival + tasks.deadline[chosen]
    timeout = math.inf if s.queue_timeout_s is None else float(s.queue_timeout_s)
    fits = _fits(dem, cap)
    best_lat = np.where(fits, lat[None, :], np.inf).min(axis=1)
    latest = np.minimum(due - dur - best_lat, arrival + timeout)  # last useful start
    key = latest if order_by == "latest_start" else due

    # the placed intervals: start, end, demand, node
    starts, ends = np.empty(m), np.empty(m)
    demands, where_placed = np.empty((m, 4)), np.empty(m, dtype=np.int64)
    placed = 0
    start_of, node_of = np.full(m, np.nan), np.full(m, -1, dtype=np.int64)
    local = np.full(len(nodes), -1, dtype=np.int64)
    for k in np.lexsort((arrival, key)):
        a, last, d, length = arrival[k], latest[k], dem[k], dur[k]
        options = np.flatnonzero(fits[k])
        if last < a - _EPS or options.size == 0:
            continue
        local[options] = np.arange(options.size)
        horizon = last + length
        sel = np.flatnonzero(
            (starts[:placed] < horizon) & (ends[:placed] > a) & (local[where_placed[:placed]] >= 0)
        )
        local_of_sel = local[where_placed[sel]]
        local[options] = -1
        start, node = _earliest_start(
            a, last, length, d, due[k], starts[sel], ends[sel], demands[sel], local_of_sel,
            room[options], cap[options], scale[options], lat[options],
        )  # fmt: skip
        if node < 0:
            continue
        best = int(options[node])
        starts[placed], ends[placed], demands[placed], where_placed[placed] = start, start + length, d, best
        start_of[k], node_of[k] = start, best
        placed += 1
    return start_of, node_of


@dataclass(frozen=True)
class Packing:
    """The clairvoyant packing of the deadline tasks (:func:`clairvoyant_deadline_packing`).

    Attributes:
        tasks: scenario indices of the tasks with a deadline, ``(m,)``.
        start: start time (s) of each, NaN when it misses its deadline, ``(m,)``.
        node: node of each, -1 when it misses, ``(m,)``.
        order: the insertion order that produced it (one of :data:`PACKING_ORDERS`; "" when m = 0).
    """

    tasks: np.ndarray
    start: np.ndarray
    node: np.ndarray
    order: str

    @property
    def met(self) -> int:
        return int((self.node >= 0).sum())

    @property
    def share(self) -> float:
        """Share of the deadlines met (1 when there are none)."""
        return self.met / self.tasks.size if self.tasks.size else 1.0


@_quiet
def clairvoyant_deadline_packing(s: Scenario) -> Packing:
    """An offline packing of the tasks with a deadline, by a scheduler that knows every task.

    Only tasks with a deadline are packed: the others carry no SLA, and a clairvoyant scheduler would
    run them in the gaps (or let them time out). Tasks are taken one by one (by last useful start,
    then, unless every deadline is met, again by due time: :data:`PACKING_ORDERS`) and inserted on the
    node timelines at the earliest start >= arrival where the task fits for its whole duration, would
    finish in time (network latency included) and has not waited past the queue timeout; ties go to
    the best-fitting node (smallest leftover, summed over resources as shares of the node's). A task
    with no such start is missed. Any packing is a valid schedule, so the better one is a witness of
    what a scheduler can attain. Numpy over the intervals overlapping each task's window; ~0.2-0.5 s
    per order for the 1,000-task, 100-node seeds.
    """
    chosen = np.flatnonzero(s.tasks.has_deadline)
    best = Packing(chosen, np.full(chosen.size, np.nan), np.full(chosen.size, -1, dtype=np.int64), "")
    for order_by in PACKING_ORDERS:
        if chosen.size == 0 or best.met == chosen.size:
            break
        start, node = _insert_all(s, chosen, order_by)
        packing = Packing(chosen, start, node, order_by)
        if packing.met > best.met or not best.order:
            best = packing
    return best


@_quiet
def check_feasibility(s: Scenario, *, config: QualityConfig = DEFAULT_CONFIG) -> Verdict:
    """Layer 2: the scenario can meet its SLAs.

    Lower bounds first: every task fits on some node; at least ``sla_share`` of the deadline tasks can
    meet their deadline on some node they fit on when started at arrival (duration + the node's
    latency <= deadline: the generator allows the median node's latency, so a task that fits only on a
    far node may miss it whatever the scheduler does); per resource, the ``sla_share`` of the deadline
    tasks with the least work (demand x duration) fits the cluster's capacity over the deadline window
    (first arrival to last due time). Then the best clairvoyant packing
    (:func:`clairvoyant_deadline_packing`) must meet at least ``sla_share`` of the deadlines.
    """
    tasks, nodes = s.tasks, s.nodes
    cap = nodes.capacity
    lat = nodes.latency_ms / 1000.0
    problems: list[str] = []
    fits = _fits(tasks.demand, cap)
    homeless = np.flatnonzero(~fits.any(axis=1))
    if homeless.size:
        i = int(homeless[0])
        others = f" (and {homeless.size - 1} more)" if homeless.size > 1 else ""
        units = ("cpu", "GiB", "gpu", "Gbit/s")
        shown = ", ".join(f"{_g(v)} {u}" for v, u in zip(tasks.demand[i], units, strict=True) if v > 0)
        problems.append(f"task {i} ({shown}) fits on no single node{others}")

    has = tasks.has_deadline
    m = int(has.sum())
    details: dict[str, object] = {"deadline_tasks": m, "required_share": config.sla_share}
    if m:
        best_lat = np.where(fits, lat[None, :], np.inf).min(axis=1)
        late = np.flatnonzero(has & (tasks.duration + best_lat > tasks.deadline * (1.0 + _EPS) + _EPS))
        details["impossible_deadlines"] = int(late.size)
        if (m - late.size) / m < config.sla_share - 1e-12:
            i = int(late[0])
            where = (
                f"{_g(tasks.duration[i])} s duration + {_g(best_lat[i] * 1000.0)} ms latency"
                if math.isfinite(best_lat[i])
                else "it fits on no node"
            )
            problems.append(
                f"{late.size} of {m} deadlines cannot be met even if started on arrival, e.g. task {i}'s "
                f"{_g(tasks.deadline[i])} s ({where})"
            )

        arrival = tasks.arrival[has]
        window = float((arrival + tasks.deadline[has]).max() - arrival.min())
        work = tasks.demand[has] * tasks.duration[has][:, None]
        need = math.ceil(config.sla_share * m - 1e-9)
        smallest = np.sort(work, axis=0)[:need].sum(axis=0)
        total = cap.sum(axis=0)
        ratio = np.divide(smallest, total * window, out=np.zeros(4), where=total * window > 0)
        details["deadline_window_s"] = window
        details["deadline_work_over_capacity"] = {
            r: _num(v) for r, v in zip(_RESOURCE_NAMES, ratio, strict=True)
        }
        over = int(np.argmax(ratio))
        if ratio[over] > 1.0 + 1e-9:
            problems.append(
                f"the {need} least demanding deadline tasks need {_g(ratio[over])}x the cluster's "
                f"{_RESOURCE_NAMES[over]} capacity over the {_g(window)} s deadline window"
            )
        started = time.perf_counter()
        packing = clairvoyant_deadline_packing(s)
        met, share, strategy = packing.met, packing.share, packing.order
        details |= {
            "clairvoyant_met": met,
            "clairvoyant_share": share,
            "clairvoyant_order": strategy,
            "packing_s": round(time.perf_counter() - started, 4),
        }
        if share < config.sla_share - 1e-12:
            problems.append(
                f"a clairvoyant packing meets only {share:.0%} of the {m} deadlines ({met}), below the "
                f"required {config.sla_share:.0%}"
            )
    details["problems"] = problems
    if problems:
        return Verdict(Layer.FEASIBILITY, False, _join(Layer.FEASIBILITY, problems), details)
    if m == 0:
        return Verdict(
            Layer.FEASIBILITY, True, "feasibility: every task fits on some node; no deadlines", details
        )
    return Verdict(
        Layer.FEASIBILITY,
        True,
        f"feasibility: a clairvoyant packing meets {details['clairvoyant_share']:.0%} of the {m} deadlines",
        details,
    )


# --- layer 3: realism -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reference:
    """The reference distributions, ready for comparison (each a 1-D float64 array)."""

    log_cpu: np.ndarray  # log of cpu request, share of the largest machine (Google 2011, smoothed)
    log_memory: np.ndarray  # log of memory request, share of the largest machine (Google 2011, smoothed)
    log_ratio: np.ndarray  # log_cpu - log_memory
    log_duration: np.ndarray  # log of duration in s (Alibaba 2017, terminated tasks, de-rounded)
    gaps: np.ndarray  # job inter-arrival gaps over their mean (Alibaba 2017, de-rounded)
    sources: Mapping[str, str]


def _prepare_reference(samples: Mapping[str, np.ndarray], smoothing: float) -> _Reference:
    """Turn raw samples (the layout of :func:`~aurora_evo.scenario.traces.load_reference_samples`) into
    comparable distributions; the smoothing noise comes from a fixed seed, so this is deterministic.

    The traces record times in whole seconds: durations get U(-0.5, 0.5) s (floored at 0.5 s) and job
    arrivals U(0, 1) s, so that a continuous sample is not refused for missing the rounding.
    """
    rng = np.random.default_rng(20110601)
    pairs = np.asarray(samples["google_cpu_mem"], dtype=np.float64)
    pairs = pairs[(pairs[:, 0] > 0) & (pairs[:, 1] > 0)]
    log_cpu = (
        np.log(pairs[:, 0]) + rng.normal(0.0, smoothing, len(pairs)) if smoothing else np.log(pairs[:, 0])
    )
    log_mem = (
        np.log(pairs[:, 1]) + rng.normal(0.0, smoothing, len(pairs)) if smoothing else np.log(pairs[:, 1])
    )
    duration = np.asarray(samples["alibaba_duration_s"], dtype=np.float64)
    duration = np.maximum(duration + rng.uniform(-0.5, 0.5, duration.size), 0.5)
    arrivals = np.sort(np.asarray(samples["alibaba_job_arrival_s"], dtype=np.float64))
    arrivals = np.sort(arrivals + rng.uniform(0.0, 1.0, arrivals.size))
    gaps = np.diff(arrivals)
    return _Reference(
        log_cpu=log_cpu,
        log_memory=log_mem,
        log_ratio=log_cpu - log_mem,
        log_duration=np.log(duration),
        gaps=gaps / gaps.mean(),
        sources=MappingProxyType(
            {
                "cpu": "Google 2011 cpu requests",
                "memory": "Google 2011 memory requests",
                "cpu_memory_ratio": "Google 2011 cpu:memory ratios",
                "duration": "Alibaba 2017 durations",
                "interarrival": "Alibaba 2017 job inter-arrival gaps",
            }
        ),
    )


@functools.cache
def _shipped_reference(smoothing: float) -> _Reference:
    from aurora_evo.scenario.traces import load_reference_samples

    return _prepare_reference(load_reference_samples(), smoothing)


def _job_arrivals(s: Scenario) -> np.ndarray:
    """Sorted arrival times of the scenario's jobs: tasks sharing demand, priority and owner form a
    job (the generator's jobs share all three), arriving with their first task."""
    tasks = s.tasks
    key = np.column_stack([tasks.demand, tasks.priority, tasks.owner])
    _, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    first = np.full(int(inverse.max()) + 1, np.inf)
    np.minimum.at(first, inverse, tasks.arrival)
    return np.sort(first)


def _shapes(s: Scenario) -> np.ndarray:
    """Distinct (cpu, memory) request shapes, ``(k, 2)``, as shares of the largest node's capacity."""
    largest = s.nodes.capacity[:, :2].max(axis=0)
    shapes = np.unique(s.tasks.demand[:, :2], axis=0)
    return shapes / np.where(largest > 0, largest, 1.0)


@_quiet
def check_realism(
    s: Scenario, reference: Mapping[str, np.ndarray] | None = None, *, config: QualityConfig = DEFAULT_CONFIG
) -> Verdict:
    """Layer 3: the scenario's distributions look like the traces.

    Compared distributions (scenario side -> reference side):

    * cpu and memory requests of the distinct request shapes (one per job, since a job's tasks share
      theirs), as shares of the largest node's capacity -> Google 2011 requests, shares of the largest
      machine; and their cpu:memory ratio;
    * task durations (s) -> Alibaba 2017 terminated tasks;
    * job inter-arrival gaps over their mean (scale-free: the rate follows from the load) -> Alibaba
      2017 job arrivals.

    The calibration is scale-free: sizes and durations are compared in log space after subtracting
    each side's median, so that a scenario may scale the trace (bigger tasks, shorter edge tasks) and
    keep its shape. The medians get a separate, tolerant location check (``size_location_factor``,
    ``duration_location_factor``). A shape is refused when the KS test rejects at ``realism_alpha``
    and the KS distance exceeds ``realism_max_distance``. With fewer than ``realism_min_samples``
    values a distribution gets only the location check (``details["weak"]`` names them). Also refused:
    more than ``max_tasks_per_shape`` tasks per request shape, and many jobs all arriving at once.

    ``reference``: raw samples in the layout of
    :func:`~aurora_evo.scenario.traces.load_reference_samples`; ``None`` uses the shipped ones.
    """
    from scipy import stats  # here, not at the top: scipy takes ~0.5 s to import

    ref = (
        _shipped_reference(config.realism_smoothing)
        if reference is None
        else _prepare_reference(reference, config.realism_smoothing)
    )
    tasks = s.tasks
    problems: list[str] = []
    tests: dict[str, dict] = {}
    weak: list[str] = []

    shapes = _shapes(s)
    ok_shape = (shapes[:, 0] > 0) & (shapes[:, 1] > 0)
    shapes = shapes[ok_shape]
    jobs = _job_arrivals(s)
    raw_gaps = np.diff(jobs)
    size_factor, dur_factor = config.size_location_factor, config.duration_location_factor
    samples: list[tuple[str, np.ndarray, np.ndarray, float | None, str]] = []
    if len(shapes):
        samples += [
            ("cpu", np.log(shapes[:, 0]), ref.log_cpu, size_factor, "of the largest node's cpu"),
            ("memory", np.log(shapes[:, 1]), ref.log_memory, size_factor, "of the largest node's memory"),
            ("cpu_memory_ratio", np.log(shapes[:, 0] / shapes[:, 1]), ref.log_ratio, size_factor, ""),
        ]
    samples.append(("duration", np.log(tasks.duration), ref.log_duration, dur_factor, "s"))
    if raw_gaps.size and raw_gaps.mean() > 0:
        samples.append(("interarrival", raw_gaps / raw_gaps.mean(), ref.gaps, None, ""))

    for name, x, r, factor, unit in samples:
        entry: dict[str, object] = {"n": int(x.size), "reference": ref.sources[name]}
        tests[name] = entry
        if factor is not None:
            x_med, r_med = float(np.median(x)), float(np.median(r))
            shift = x_med - r_med
            entry["median"] = _num(np.exp(x_med))
            entry["reference_median"] = _num(np.exp(r_med))
            entry["median_factor"] = _num(np.exp(abs(shift)))
            if abs(shift) > math.log(factor):
                word = "above" if shift > 0 else "below"
                label = name.replace("_", " ")
                text = f"median {label} {_g(np.exp(x_med))}" + (f" {unit}" if unit else "")
                problems.append(
                    f"{text} is {_g(np.exp(abs(shift)))}x {word} the trace's {_g(np.exp(r_med))} "
                    f"({ref.sources[name]}; tolerance {_g(factor)}x)"
                )
            x, r = x - x_med, r - r_med
        if x.size < config.realism_min_samples:
            weak.append(name)
            continue
        result = stats.ks_2samp(x, r)
        d, p = float(result.statistic), float(result.pvalue)
        entry["ks_distance"], entry["p_value"] = d, p
        if p < config.realism_alpha and d > config.realism_max_distance:
            label = "job inter-arrival gap" if name == "interarrival" else name.replace("_", " ")
            problems.append(
                f"{label} distribution differs from the {ref.sources[name]} (KS D={d:.2f} > "
                f"{config.realism_max_distance:g}, p={p:.1e}, {x.size} values)"
            )

    per_shape = len(tasks) / max(len(np.unique(tasks.demand[:, :2], axis=0)), 1)
    tests["tasks_per_shape"] = {"value": per_shape, "max": config.max_tasks_per_shape}
    if per_shape > config.max_tasks_per_shape:
        problems.append(
            f"{len(tasks)} tasks share {len(tasks) / per_shape:.0f} request shapes "
            f"({per_shape:.0f} tasks per shape; Alibaba 2017 jobs average {TRACE_TASKS_PER_JOB:g} tasks, "
            f"tolerance {config.max_tasks_per_shape:g})"
        )
    if jobs.size >= config.realism_min_samples and raw_gaps.size and raw_gaps.max() == 0:
        problems.append(f"all {jobs.size} jobs arrive at the same instant")

    details: dict[str, object] = {"tests": tests, "weak": weak, "problems": problems}
    if weak:
        details["note"] = (
            f"weak check for {', '.join(weak)}: fewer than {config.realism_min_samples} values, location only"
        )
    if problems:
        return Verdict(Layer.REALISM, False, _join(Layer.REALISM, problems, limit=5), details)
    checked = [name for name in tests if name not in weak and name != "tasks_per_shape"]
    text = f"realism: {', '.join(checked)} match the traces" if checked else "realism: locations plausible"
    if weak:
        text += f" (weak check for {', '.join(weak)}: too few values)"
    return Verdict(Layer.REALISM, True, text, details)


# --- layer 4: diversity ---------------------------------------------------------------------------


@_quiet
def features(s: Scenario, config: QualityConfig = DEFAULT_CONFIG) -> np.ndarray:
    """The scenario's descriptor for diversity, in the order of :data:`FEATURE_NAMES` (float64, finite).

    log10 task and node counts; offered load (:func:`scenario_load`, capped at 10; 10 when undefined);
    share of tasks with a deadline; median and p90 of the cpu and memory requests as shares of the
    largest node's capacity; log(1 + CV) of the job inter-arrival gaps (jobs as in
    :func:`check_realism`); node heterogeneity (mean of the coefficients of variation of cpu and
    memory capacity); log10 of the median duration in s; log10 of the mean tasks per request shape.
    """
    tasks, nodes = s.tasks, s.nodes
    cap = nodes.capacity
    largest = cap.max(axis=0)
    share = tasks.demand / np.where(largest > 0, largest, 1.0)
    load = scenario_load(s, config)
    load = 10.0 if not math.isfinite(load) else min(load, 10.0)
    gaps = np.diff(_job_arrivals(s))
    cv = float(gaps.std() / gaps.mean()) if gaps.size and gaps.mean() > 0 else 0.0
    mean_cap = cap[:, :2].mean(axis=0)
    hetero = np.divide(cap[:, :2].std(axis=0), mean_cap, out=np.zeros(2), where=mean_cap > 0)
    shapes = len(np.unique(tasks.demand, axis=0))
    values = np.array(
        [
            math.log10(len(tasks)),
            math.log10(len(nodes)),
            load,
            float(tasks.has_deadline.mean()),
            float(np.median(share[:, 0])),
            float(np.quantile(share[:, 0], 0.9)),
            float(np.median(share[:, 1])),
            float(np.quantile(share[:, 1], 0.9)),
            math.log1p(cv),
            float(hetero.mean()),
            math.log10(float(np.median(tasks.duration))),
            math.log10(len(tasks) / shapes),
        ],
        dtype=np.float64,
    )
    return np.nan_to_num(values, nan=0.0, posinf=10.0, neginf=-10.0)


@_quiet
def feature_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Standardised Euclidean distance between two feature vectors, as a root mean square over the
    features: ``sqrt(mean(((a - b) / FEATURE_SCALES) ** 2))`` (1 = one typical spread per feature)."""
    diff = (np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) / np.asarray(FEATURE_SCALES)
    return float(np.sqrt(np.mean(diff**2)))


def _check_features(x: np.ndarray, recent: Sequence[np.ndarray], config: QualityConfig) -> Verdict:
    window = list(recent)[-config.diversity_recent :] if config.diversity_recent else []
    details: dict[str, object] = {"features": [float(v) for v in x], "compared": len(window)}
    if not window:
        details["note"] = "no recent scenarios to compare with"
        return Verdict(Layer.DIVERSITY, True, "diversity: no recent scenarios to compare with", details)
    distances = [feature_distance(x, other) for other in window]
    nearest = int(np.argmin(distances))
    distance = distances[nearest]
    # index counted back from the most recent (1 = the last one)
    details |= {
        "nearest_distance": distance,
        "nearest_back": len(window) - nearest,
        "min_distance": config.diversity_min_distance,
    }
    if distance < config.diversity_min_distance:
        other = np.asarray(window[nearest], dtype=np.float64)
        diff = np.abs(x - other) / np.asarray(FEATURE_SCALES)
        i = int(np.argmax(diff))
        unlike = (
            f"the largest difference is in {FEATURE_NAMES[i]} ({_g(x[i])} against {_g(other[i])})"
            if diff[i] > 0
            else "every feature is the same"
        )
        return Verdict(
            Layer.DIVERSITY,
            False,
            f"diversity: a near-copy of a recent scenario ({len(window) - nearest} back): standardised "
            f"distance {distance:.3f} < {config.diversity_min_distance:g}; {unlike}",
            details,
        )
    return Verdict(
        Layer.DIVERSITY,
        True,
        f"diversity: nearest of {len(window)} recent scenarios at distance {distance:.3f}",
        details,
    )


@_quiet
def check_diversity(
    s: Scenario, recent: Sequence[np.ndarray], *, config: QualityConfig = DEFAULT_CONFIG
) -> Verdict:
    """Layer 4: the scenario's :func:`features` lie at least ``diversity_min_distance`` (see
    :func:`feature_distance`) from those of each of the last ``diversity_recent`` entries of
    ``recent`` (feature vectors of recently accepted scenarios, oldest first). With none, it passes.
    ``details["features"]`` holds the scenario's features, for the caller to keep."""
    return _check_features(features(s, config), recent, config)


# --- layer 5: complexity --------------------------------------------------------------------------


@_quiet
def check_complexity(
    s: Scenario, level: str | None = None, *, config: QualityConfig = DEFAULT_CONFIG
) -> Verdict:
    """Layer 5: task count, node count, offered load (:func:`scenario_load`) and deadline share lie
    in the ranges of the difficulty level (``level``, else the scenario's own; no level: passes with a
    note).

    Raises:
        InputError: one line naming the levels, for an unknown level.
    """
    name = level if level is not None else s.level
    if name is None:
        return Verdict(
            Layer.COMPLEXITY, True, "complexity: no level to check against", {"note": "no level: not checked"}
        )
    spec = level_spec(name)
    window, source = _window(s, config)
    load = scenario_load(s, config)
    share = float(s.tasks.has_deadline.mean())
    measured = {
        "tasks": (len(s.tasks), spec.tasks, "tasks"),
        "nodes": (len(s.nodes), spec.nodes, "nodes"),
        "load": (load, spec.load, "offered load"),
        "deadline_share": (share, spec.deadline_share, "deadline share"),
    }
    problems = []
    for value, (low, high), label in measured.values():
        if not (low - 1e-9 <= value <= high + 1e-9):  # NaN fails too
            shown = (
                "undefined (all tasks arrive at once)"
                if isinstance(value, float) and math.isnan(value)
                else _g(value)
            )
            problems.append(f"{label} {shown} outside the {name} level's {_g(low)}-{_g(high)}")
    details = {
        "level": name,
        "measured": {key: _num(value) for key, (value, _, _) in measured.items()},
        "ranges": {key: list(rng) for key, (_, rng, _) in measured.items()},
        "load_window_s": _num(window),
        "load_window_source": source,
        "problems": problems,
    }
    if problems:
        return Verdict(Layer.COMPLEXITY, False, _join(Layer.COMPLEXITY, problems, limit=4), details)
    return Verdict(
        Layer.COMPLEXITY, True, f"complexity: sizes, load and deadlines fit the {name} level", details
    )


# --- all layers -----------------------------------------------------------------------------------


def check_scenario(
    s: Scenario,
    *,
    level: str | None = None,
    recent: Sequence[np.ndarray] = (),
    reference: Mapping[str, np.ndarray] | None = None,
    config: QualityConfig = DEFAULT_CONFIG,
) -> QualityReport:
    """Run the five layers in order, every one of them (a failure does not stop the rest, so that the
    feedback lists every problem). ``level`` overrides the scenario's own; ``recent`` holds the feature
    vectors of recently accepted scenarios, oldest first; ``reference`` replaces the shipped samples.

    Raises:
        InputError: one line naming the levels, for an unknown ``level``.
    """
    verdicts = (
        check_bounds(s),
        check_feasibility(s, config=config),
        check_realism(s, reference, config=config),
        check_diversity(s, recent, config=config),
        check_complexity(s, level, config=config),
    )
    return QualityReport(s.name, verdicts)


# --- monitoring -----------------------------------------------------------------------------------


class QualityMonitor:
    """Validation rate, refusals by layer and drift of the accepted scenarios over a run.

    :meth:`record` each checked scenario with its features and the iteration it was checked in;
    :meth:`summary` returns plain, JSON-ready data for the archive's events. Iterations are grouped
    into windows of ``window`` iterations; drift is the :func:`feature_distance` of each window's mean
    accepted feature vector from the first window's with accepted scenarios.
    """

    def __init__(self, window: int = 10) -> None:
        if window < 1:
            raise ValueError(f"QualityMonitor: window must be >= 1 (got {window})")
        self.window = window
        self._records: list[tuple[int, bool, tuple[str, ...], np.ndarray | None]] = []
        self._reasons: Counter[str] = Counter()

    def record(
        self, report: QualityReport, features: np.ndarray | Sequence[float] | None, iteration: int
    ) -> None:
        """Note one checked scenario (``features`` may be ``None`` when they could not be computed)."""
        vector = None if features is None else np.asarray(features, dtype=np.float64).copy()
        layers = tuple(layer.value for layer in report.refused_layers)
        self._records.append((int(iteration), report.passed, layers, vector))
        for verdict in report.verdicts:
            if not verdict.passed:
                self._reasons[verdict.reason[:200]] += 1

    def __len__(self) -> int:
        return len(self._records)

    def summary(self, top_reasons: int = 10) -> dict:
        """``checked``, ``accepted``, ``validation_rate``, ``refused_first_by`` and ``refused_by_layer``
        (counts per layer: the first refusing layer, and every refusing layer), ``top_reasons``,
        ``feature_names``, and per window ``{"window", "first_iteration", "checked", "accepted",
        "validation_rate", "mean_features", "drift"}``."""
        checked = len(self._records)
        accepted = sum(1 for _, ok, _, _ in self._records if ok)
        first_by = Counter(layers[0] for _, _, layers, _ in self._records if layers)
        any_by = Counter(layer for _, _, layers, _ in self._records for layer in layers)
        windows: dict[int, list] = {}
        for iteration, ok, _, vector in self._records:
            windows.setdefault(iteration // self.window, []).append((ok, vector))
        rows, baseline = [], None
        for index in sorted(windows):
            entries = windows[index]
            good = [v for ok, v in entries if ok and v is not None]
            mean = np.mean(good, axis=0) if good else None
            if mean is not None and baseline is None:
                baseline = mean
            n_ok = sum(1 for ok, _ in entries if ok)
            rows.append(
                {
                    "window": index,
                    "first_iteration": index * self.window,
                    "checked": len(entries),
                    "accepted": n_ok,
                    "validation_rate": n_ok / len(entries),
                    "mean_features": None if mean is None else [float(v) for v in mean],
                    "drift": None if mean is None else feature_distance(mean, baseline),
                }
            )
        return {
            "checked": checked,
            "accepted": accepted,
            "validation_rate": accepted / checked if checked else None,
            "refused_first_by": {layer.value: first_by.get(layer.value, 0) for layer in Layer},
            "refused_by_layer": {layer.value: any_by.get(layer.value, 0) for layer in Layer},
            "top_reasons": [[reason, count] for reason, count in self._reasons.most_common(top_reasons)],
            "feature_names": list(FEATURE_NAMES),
            "window_iterations": self.window,
            "windows": rows,
        }
