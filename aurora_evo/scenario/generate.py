"""Parametric scenario generator calibrated on published trace statistics.

:func:`generate_scenario` draws one :class:`~aurora_evo.scenario.model.Scenario` from a
:class:`GeneratorParams` and an explicit ``numpy.random.Generator`` (no global random state):

1. nodes: ``node_types`` machine shapes drawn from the domain's :data:`CATALOGUE`, spread over zones;
2. jobs ("batches"): geometric sizes with mean ``batch_mean`` (Alibaba 2017: 6.2 tasks per job); the
   tasks of a job share their request, priority and owner (Google 2011: 99.8% of multi-task jobs have
   one request shape, 100% one priority);
3. requests: log-normal cpu and memory joined by a Gaussian copula (Google 2011 fit, as fractions of
   the scenario's largest node, since the trace normalises to its largest machine) times
   ``size_scale``; optional network and gpu demand; shrunk so every task fits on some node type;
4. durations: log-normal (Alibaba 2017 fit of terminated tasks) times ``duration_scale``, clipped;
5. arrivals: job epochs from a two-state Markov-modulated Poisson process whose inter-arrival CV matches
   ``interarrival_cv`` (Alibaba 2017 jobs: 1.89), modulated by a diurnal sinusoid, with the mean rate
   set so that the offered load of the bottleneck resource is ``target_load``;
6. deadlines (``slack x duration`` plus the median node latency, for a share of tasks), priorities
   (Google 2011 mix) and owners (Zipf).

Units: cpu in cores, memory in GiB, gpu in devices, network in Gbit/s, times in s, latency in ms,
price in $/hour, power in W.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType

import numpy as np

from aurora_evo.features import NO_DEADLINE
from aurora_evo.scenario.model import Domain, Nodes, Scenario, Tasks
from aurora_evo.scenario.traces import SOURCES, load_trace_stats, trace_stats_sha256

GENERATOR = "aurora_evo.scenario.generate.generate_scenario"
GENERATOR_VERSION = 1

# Schema bounds of task fields (scenario.schema.json); generated values are clipped into them.
TASK_CPU_RANGE = (0.1, 32.0)
TASK_MEMORY_MAX_GIB = 1024.0
TASK_GPU_MAX = 16.0
TASK_NETWORK_MAX_GBPS = 400.0
DURATION_MAX_S = 2_592_000.0
TIME_MAX_S = 31_536_000.0

# Rounding grid of generated requests, in steps per unit (cores, GiB, Gbit/s); requests are floored
# to it so that rounding never breaks a fit.
_CPU_PER_UNIT, _MEM_PER_UNIT, _NET_PER_UNIT = 100, 100, 1000
_TIME_DECIMALS = 3


# --- machine shapes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeType:
    """One machine shape: capacities, price and power; ``zone_role`` places it ("edge", "region", ...)."""

    name: str
    cpu: float
    memory_gib: float
    gpu: float
    network_gbps: float
    price_per_hour: float
    idle_watts: float
    peak_watts: float
    zone_role: str = "site"

    @property
    def capacity(self) -> tuple[float, float, float, float]:
        return (self.cpu, self.memory_gib, self.gpu, self.network_gbps)


def _server(name: str, cpu: float, mem: float, gpu: float, net: float, price: float) -> NodeType:
    """A datacenter shape; power prorated from an assumed 2-socket host (idle 1.9 W and peak 5.6 W per
    core, 0.1 W per GiB) plus 35 W idle / 300 W peak per GPU. Indicative, not measured."""
    idle = 1.9 * cpu + 0.1 * mem + 35.0 * gpu
    peak = 5.6 * cpu + 0.1 * mem + 300.0 * gpu
    return NodeType(name, cpu, mem, gpu, net, price, round(idle, 1), round(peak, 1))


#: Machine shapes per domain. Cloud and network shapes follow public-cloud instance families (vCPU,
#: GiB, GPUs, Gbit/s) with indicative on-demand $/hour; "metal-96" is the Alibaba 2018 machine (96
#: cores; its memory and price are assumptions). Edge devices use commonly reported power figures.
CATALOGUE: Mapping[Domain, tuple[NodeType, ...]] = MappingProxyType(
    {
        Domain.CLOUD: (
            _server("general-8", 8, 32, 0, 10, 0.384),
            _server("general-16", 16, 64, 0, 10, 0.768),
            _server("general-32", 32, 128, 0, 10, 1.536),
            _server("general-64", 64, 256, 0, 20, 3.072),
            _server("compute-16", 16, 32, 0, 10, 0.68),
            _server("compute-36", 36, 72, 0, 10, 1.53),
            _server("memory-16", 16, 128, 0, 10, 1.008),
            _server("memory-32", 32, 256, 0, 10, 2.016),
            _server("gpu-8", 8, 61, 1, 10, 3.06),
            _server("gpu-32", 32, 244, 4, 10, 12.24),
            _server("metal-96", 96, 384, 0, 25, 4.608),
        ),
        Domain.EDGE: (
            NodeType("pi-4", 4, 8, 0, 1, 0.002, 2.7, 6.4, "edge"),
            NodeType("jetson-nano", 4, 4, 1, 1, 0.004, 1.5, 10.0, "edge"),
            NodeType("nuc-8", 8, 32, 0, 2.5, 0.02, 8.0, 60.0, "edge"),
            NodeType("edge-server-16", 16, 64, 0, 10, 0.12, 60.0, 180.0, "edge"),
            dataclasses.replace(_server("region-32", 32, 128, 0, 10, 1.536), zone_role="region"),
        ),
        Domain.NETWORK: (
            _server("net-16-25g", 16, 42, 0, 25, 0.864),
            _server("net-36-50g", 36, 96, 0, 50, 1.944),
            _server("net-72-100g", 72, 192, 0, 100, 3.888),
            _server("general-16-10g", 16, 64, 0, 10, 0.768),
            _server("dpu-32-200g", 32, 128, 0, 200, 3.0),
        ),
    }
)

#: Latency ranges (ms) of a zone's base and of a node's extra latency, per zone role.
_ZONE_LATENCY_MS = MappingProxyType(
    {
        "site": ((0.5, 2.0), (0.0, 0.5)),
        "edge": ((2.0, 12.0), (0.0, 3.0)),
        "region": ((40.0, 80.0), (0.0, 5.0)),
    }
)
_ZONE_PREFIX = MappingProxyType({Domain.CLOUD: "az", Domain.EDGE: "edge", Domain.NETWORK: "pod"})


# --- parameters -----------------------------------------------------------------------------------


@cache
def _stat_defaults() -> MappingProxyType:
    """Generator defaults taken from the shipped trace statistics (read once)."""
    s = load_trace_stats()
    google, alibaba = s["google_2011"]["per_task"], s["alibaba_2017"]
    duration = alibaba["duration"]["terminated"]
    shares = s["google_2011"]["priority_shares"]
    return MappingProxyType(
        {
            "cpu_log_mu": google["cpu"]["log_mu"],
            "cpu_log_sigma": google["cpu"]["log_sigma"],
            "mem_log_mu": google["memory"]["log_mu"],
            "mem_log_sigma": google["memory"]["log_sigma"],
            "cpu_mem_corr": google["cpu_mem_log_corr"],
            "duration_log_mu": duration["log_mu"],
            "duration_log_sigma": duration["log_sigma"],
            "duration_max_s": duration["max"],
            "batch_mean": alibaba["arrivals"]["tasks_per_job"]["mean"],
            "interarrival_cv": alibaba["arrivals"]["job_interarrival_cv"],
            "diurnal_amplitude": alibaba["arrivals"]["diurnal_amplitude"],
            "priority_shares": tuple((int(k), float(v)) for k, v in shares.items()),
        }
    )


def _stat(name: str):
    return field(default_factory=lambda: _stat_defaults()[name])


@dataclass(frozen=True)
class GeneratorParams:
    """Everything :func:`generate_scenario` needs besides the random generator.

    Fields marked *trace* default to the shipped statistics (``load_trace_stats()``).

    Attributes:
        name, domain, level: the scenario's identity (``level``: easy, medium, hard, expert or None).
        n_tasks, n_nodes: sizes (>= 1).
        target_load: offered load of the bottleneck resource, lambda x E[demand x duration] / capacity.
        batch_mean: mean tasks per job (geometric sizes; 1 = no batches). *trace* (Alibaba 2017)
        batch_spread_s: tasks of a job arrive within this many seconds of its epoch (Alibaba: <= 1 s).
        interarrival_cv: coefficient of variation of job inter-arrival times (1 = Poisson). *trace*
        burst_share: share of time the arrival process spends in its burst state.
        burst_dwell: mean length of a burst, in mean job inter-arrival times.
        diurnal_amplitude: A of the rate factor 1 + A sin(2 pi t / period + phase), in [0, 1). *trace*
        diurnal_period_s: the period; ``None``: one cycle over the expected arrival window.
        cpu_log_mu, cpu_log_sigma, mem_log_mu, mem_log_sigma: log-normal requests, as fractions of the
            largest node's cpu (memory) capacity. *trace* (Google 2011)
        cpu_mem_corr: correlation of log cpu and log memory (the Gaussian copula). *trace*
        size_scale: multiplies every cpu, memory and network request (a difficulty knob: bigger tasks
            pack worse and contend more).
        net_log_mu, net_log_sigma, net_cpu_corr: log-normal network demand as a fraction of the
            largest node's bandwidth, and its log-correlation with cpu; ``net_log_mu=None``: none.
        gpu_share: share of jobs that need gpus (1, 2 or 4), when some node has gpus.
        duration_log_mu, duration_log_sigma: log-normal duration in s. *trace* (Alibaba 2017)
        duration_scale: multiplies durations; duration_min_s, duration_max_s: clip (s).
        node_types: distinct machine shapes drawn from :data:`CATALOGUE` (1 = homogeneous).
        n_zones: zones the non-region nodes are spread over.
        deadline_share: share of tasks with an SLA; deadline_slack: (low, high) of the uniform slack,
            deadline = slack x duration + the median node latency.
        n_owners, owner_skew: owners and the Zipf exponent of their job shares.
        priority_shares: ((priority, share), ...) sampled per job. *trace* (Google 2011)
        queue_timeout_s: reject a task queued this long (s); None: never.
        idle_nodes_sleep: see :class:`~aurora_evo.scenario.model.Scenario`.
    """

    name: str
    domain: Domain = Domain.CLOUD
    level: str | None = None
    n_tasks: int = 100
    n_nodes: int = 10
    target_load: float = 0.8
    batch_mean: float = _stat("batch_mean")
    batch_spread_s: float = 1.0
    interarrival_cv: float = _stat("interarrival_cv")
    burst_share: float = 0.2
    burst_dwell: float = 25.0
    diurnal_amplitude: float = _stat("diurnal_amplitude")
    diurnal_period_s: float | None = None
    cpu_log_mu: float = _stat("cpu_log_mu")
    cpu_log_sigma: float = _stat("cpu_log_sigma")
    mem_log_mu: float = _stat("mem_log_mu")
    mem_log_sigma: float = _stat("mem_log_sigma")
    cpu_mem_corr: float = _stat("cpu_mem_corr")
    size_scale: float = 1.0
    net_log_mu: float | None = None
    net_log_sigma: float = 1.0
    net_cpu_corr: float = 0.3
    gpu_share: float = 0.0
    duration_log_mu: float = _stat("duration_log_mu")
    duration_log_sigma: float = _stat("duration_log_sigma")
    duration_scale: float = 1.0
    duration_min_s: float = 1.0
    duration_max_s: float = _stat("duration_max_s")
    node_types: int = 2
    n_zones: int = 1
    deadline_share: float = 0.3
    deadline_slack: tuple[float, float] = (1.5, 4.0)
    n_owners: int = 4
    owner_skew: float = 1.0
    priority_shares: tuple[tuple[int, float], ...] = _stat("priority_shares")
    queue_timeout_s: float | None = None
    idle_nodes_sleep: bool = True

    def __post_init__(self) -> None:
        problems = []
        if self.n_tasks < 1 or self.n_nodes < 1:
            problems.append(f"n_tasks and n_nodes must be >= 1 (got {self.n_tasks}, {self.n_nodes})")
        if not self.target_load > 0:
            problems.append(f"target_load must be > 0 (got {self.target_load})")
        if self.batch_mean < 1:
            problems.append(f"batch_mean must be >= 1 (got {self.batch_mean})")
        if not 0 <= self.diurnal_amplitude < 1:
            problems.append(f"diurnal_amplitude must be in [0, 1) (got {self.diurnal_amplitude})")
        if not 0 < self.burst_share < 1 or self.burst_dwell <= 0 or self.interarrival_cv <= 0:
            problems.append("burst_share must be in (0, 1), burst_dwell and interarrival_cv > 0")
        if not 0 < self.duration_min_s <= self.duration_max_s:
            problems.append(f"need 0 < duration_min_s <= duration_max_s (got {self.duration_min_s}, ...)")
        low, high = self.deadline_slack
        if not 0 < low <= high or not 0 <= self.deadline_share <= 1:
            problems.append("need 0 < deadline_slack[0] <= deadline_slack[1] and deadline_share in [0, 1]")
        if self.node_types < 1 or self.n_zones < 1 or self.n_owners < 1:
            problems.append("node_types, n_zones and n_owners must be >= 1")
        if not all(0 <= p <= 11 for p, _ in self.priority_shares) or not self.priority_shares:
            problems.append("priority_shares must be non-empty with priorities in 0-11")
        if self.queue_timeout_s is not None and not 0 < self.queue_timeout_s <= DURATION_MAX_S:
            problems.append(f"queue_timeout_s must be in (0, {DURATION_MAX_S:g}] or None")
        if problems:
            raise ValueError(f"GeneratorParams {self.name!r}: " + "; ".join(problems))

    @classmethod
    def from_dict(cls, data: Mapping) -> GeneratorParams:
        """Inverse of :meth:`as_dict` (e.g. the ``params`` a scenario's provenance records)."""
        values = dict(data)
        values["domain"] = Domain(values["domain"])
        values["deadline_slack"] = tuple(values["deadline_slack"])
        values["priority_shares"] = tuple((int(p), float(s)) for p, s in values["priority_shares"])
        return cls(**values)

    def as_dict(self) -> dict:
        """JSON-ready copy (the domain as its value, tuples as lists)."""
        out = dataclasses.asdict(self)
        out["domain"] = self.domain.value
        out["deadline_slack"] = list(self.deadline_slack)
        out["priority_shares"] = [list(pair) for pair in self.priority_shares]
        return out


# --- arrivals -------------------------------------------------------------------------------------


def burst_ratio(interarrival_cv: float, burst_share: float) -> float:
    """Rate ratio R (burst / calm) of a two-state MMPP whose inter-arrival CV is ``interarrival_cv``.

    With slow switching the gaps are a mixture of exponentials, so with burst share p and the mean
    rate normalised to 1, CV^2 = 2 (1 - p + pR)(1 - p + p/R) - 1; solved for R >= 1 (1 when CV <= 1).
    """
    p = burst_share

    def excess(r: float) -> float:
        return 2.0 * (1 - p + p * r) * (1 - p + p / r) - 1.0 - interarrival_cv**2

    if excess(1.0) >= 0:
        return 1.0
    from scipy import optimize  # here, not at the top: scipy takes ~0.5 s to import

    return float(optimize.brentq(excess, 1.0, 1e9, xtol=1e-12))


def _mmpp_switches(rng: np.random.Generator, until: float, params: GeneratorParams, batch_rate: float):
    """(switch times (k,), burst flag per segment (k,)) of the modulating chain, covering [0, until]."""
    dwell_burst = params.burst_dwell / batch_rate
    dwell_calm = dwell_burst * (1.0 - params.burst_share) / params.burst_share
    burst = bool(rng.random() < params.burst_share)
    times, flags, t = [0.0], [burst], 0.0
    while t <= until:
        t += rng.exponential(dwell_burst if burst else dwell_calm)
        burst = not burst
        times.append(t)
        flags.append(burst)
    return np.array(times), np.array(flags)


def job_epochs(
    rng: np.random.Generator, n_jobs: int, batch_rate: float, params: GeneratorParams
) -> np.ndarray:
    """Arrival epochs (s) of ``n_jobs`` jobs, shape ``(n_jobs,)``, non-decreasing, the first at 0.

    Unit-rate Poisson points are mapped through the inverse cumulative intensity
    ``Lambda(t) = batch_rate * integral of mmpp(s) * (1 + A sin(2 pi s / period + phase)) ds``, both
    factors having mean 1. The process is then conditioned on its window: times are scaled so that the
    next (unused) job would arrive at exactly ``n_jobs / batch_rate``, so the realised mean rate is
    ``batch_rate``. Without this a bursty process misses its rate by 10-25% on 10^4 jobs.
    """
    points = np.concatenate([[0.0], np.cumsum(rng.exponential(1.0, n_jobs))])
    horizon = n_jobs / batch_rate
    period = params.diurnal_period_s or horizon
    phase = rng.uniform(0.0, 2.0 * np.pi)
    ratio = burst_ratio(params.interarrival_cv, params.burst_share)
    calm = 1.0 / (1.0 - params.burst_share + params.burst_share * ratio)
    until = 2.0 * horizon + 4.0 * params.burst_dwell / batch_rate
    switches, flags = _mmpp_switches(rng, until, params, batch_rate)
    while True:
        steps = int(min(max(40 * n_jobs, 4000), 4_000_000))
        grid = np.linspace(0.0, until, steps + 1)
        state = flags[np.searchsorted(switches, grid, side="right") - 1]
        rate = np.where(state, ratio * calm, calm) * (
            1.0 + params.diurnal_amplitude * np.sin(2.0 * np.pi * grid / period + phase)
        )
        cumulative = np.concatenate([[0.0], np.cumsum(rate[:-1] * np.diff(grid))]) * batch_rate
        if cumulative[-1] >= points[-1]:
            times = np.interp(points, cumulative, grid)
            return times[:-1] * (horizon / times[-1])
        # Rare: a long calm spell; extend the chain and the grid.
        until *= 2.0
        more_t, more_f = _mmpp_switches(rng, until - switches[-1], params, batch_rate)
        switches = np.concatenate([switches, switches[-1] + more_t[1:]])
        flags = np.concatenate([flags, more_f[1:] if flags[-1] == more_f[0] else ~more_f[1:]])


# --- sizes and durations --------------------------------------------------------------------------


def correlated_lognormal(
    rng: np.random.Generator, n: int, mu: np.ndarray, sigma: np.ndarray, corr: np.ndarray
) -> np.ndarray:
    """``(n, d)`` draws of a Gaussian copula with log-normal marginals.

    ``mu`` and ``sigma`` (shape ``(d,)``) are the mean and standard deviation of each log; ``corr``
    (``(d, d)``, positive definite) is the correlation of the logs.
    """
    z = rng.standard_normal((n, mu.size)) @ np.linalg.cholesky(corr).T
    return np.exp(mu + sigma * z)


def _job_demand(
    rng: np.random.Generator, n_jobs: int, params: GeneratorParams, types: np.ndarray
) -> np.ndarray:
    """``(n_jobs, 4)`` requests (cores, GiB, gpus, Gbit/s) before fitting; ``types`` is ``(k, 4)``."""
    largest = types.max(axis=0)
    has_net = params.net_log_mu is not None
    mu = [params.cpu_log_mu, params.mem_log_mu] + ([params.net_log_mu] if has_net else [])
    sigma = [params.cpu_log_sigma, params.mem_log_sigma] + ([params.net_log_sigma] if has_net else [])
    rho, rho_net = params.cpu_mem_corr, params.net_cpu_corr
    corr = np.array([[1.0, rho, rho_net], [rho, 1.0, rho * rho_net], [rho_net, rho * rho_net, 1.0]])
    d = len(mu)
    draws = correlated_lognormal(rng, n_jobs, np.array(mu), np.array(sigma), corr[:d, :d])
    demand = np.zeros((n_jobs, 4))
    demand[:, 0] = draws[:, 0] * params.size_scale * largest[0]
    demand[:, 1] = draws[:, 1] * params.size_scale * largest[1]
    if has_net:
        demand[:, 3] = draws[:, 2] * params.size_scale * largest[3]
    if largest[2] > 0 and params.gpu_share > 0:
        wants = rng.random(n_jobs) < params.gpu_share
        count = rng.choice(np.array([1.0, 2.0, 4.0]), size=n_jobs, p=[0.7, 0.2, 0.1])
        demand[:, 2] = np.where(wants, np.minimum(count, largest[2]), 0.0)
    return demand


def fit_to_types(demand: np.ndarray, types: np.ndarray) -> np.ndarray:
    """Shrink each request just enough to fit on at least one node type.

    ``demand`` is ``(n, 4)`` and ``types`` ``(k, 4)``; gpu counts are kept (the caller caps them at the
    largest gpu capacity) and the other resources scale down together, keeping the request's shape.
    Returns a new ``(n, 4)`` array.
    """
    out = np.array(demand, dtype=np.float64)
    wanted = np.broadcast_to(out[:, None, :], (out.shape[0], types.shape[0], out.shape[1]))
    room = np.divide(types[None, :, :], wanted, out=np.full(wanted.shape, np.inf), where=wanted > 0)
    scalable = room[:, :, [0, 1, 3]].min(axis=2)
    scalable[types[None, :, 2] < out[:, None, 2]] = -np.inf  # a type without enough gpus cannot help
    factor = np.minimum(scalable.max(axis=1), 1.0)
    if not np.all(factor > 0):
        raise ValueError("a request needs a resource (or more gpus) that no node type has")
    out[:, [0, 1, 3]] *= factor[:, None]
    return out


def _floor_to(values: np.ndarray, per_unit: int) -> np.ndarray:
    """Round down to a multiple of 1 / per_unit; k / per_unit is the double JSON reads back for it."""
    return np.floor(values * per_unit + 1e-9) / per_unit


def _clip_demand(demand: np.ndarray, types: np.ndarray) -> np.ndarray:
    """Schema-clip, fit, round down to the grid and apply the lower bounds; ``(n, 4)``."""
    out = demand.copy()
    out[:, 0] = np.minimum(out[:, 0], TASK_CPU_RANGE[1])
    out[:, 1] = np.minimum(out[:, 1], TASK_MEMORY_MAX_GIB)
    out[:, 2] = np.minimum(out[:, 2], TASK_GPU_MAX)
    out[:, 3] = np.minimum(out[:, 3], TASK_NETWORK_MAX_GBPS)
    out = fit_to_types(out, types)
    out[:, 0] = np.maximum(_floor_to(out[:, 0], _CPU_PER_UNIT), TASK_CPU_RANGE[0])
    out[:, 1] = np.maximum(_floor_to(out[:, 1], _MEM_PER_UNIT), 1.0 / _MEM_PER_UNIT)
    net = np.maximum(_floor_to(out[:, 3], _NET_PER_UNIT), 1.0 / _NET_PER_UNIT)
    out[:, 3] = np.where(out[:, 3] > 0, net, 0.0)
    return out


def _durations(rng: np.random.Generator, n: int, params: GeneratorParams) -> np.ndarray:
    """``(n,)`` service times in s: log-normal x duration_scale, clipped and rounded to 1 ms."""
    raw = rng.lognormal(params.duration_log_mu, params.duration_log_sigma, n) * params.duration_scale
    high = min(params.duration_max_s, DURATION_MAX_S)
    rounded = np.round(np.clip(raw, params.duration_min_s, high), _TIME_DECIMALS)
    return np.clip(rounded, 10.0**-_TIME_DECIMALS, high)


# --- nodes ----------------------------------------------------------------------------------------


def _index_names(names: list[str]) -> tuple[tuple[str, ...], np.ndarray]:
    """Unique names in order of first appearance and the index of each (as the JSON loader does)."""
    uniques = tuple(dict.fromkeys(names))
    lookup = {name: i for i, name in enumerate(uniques)}
    return uniques, np.array([lookup[name] for name in names], dtype=np.int64)


def _make_nodes(rng: np.random.Generator, params: GeneratorParams) -> tuple[Nodes, tuple[NodeType, ...]]:
    """The nodes, and the node types used (each at least once)."""
    catalogue = CATALOGUE[params.domain]
    k = min(params.node_types, len(catalogue), params.n_nodes)
    chosen = [catalogue[i] for i in sorted(rng.choice(len(catalogue), size=k, replace=False))]
    counts = np.ones(k, dtype=np.int64) + rng.multinomial(params.n_nodes - k, rng.dirichlet(np.full(k, 2.0)))
    kinds = rng.permutation(np.repeat(np.arange(k), counts))

    prefix = _ZONE_PREFIX[params.domain]
    zone_names = [f"{prefix}-{i + 1}" for i in range(params.n_zones)]
    zone_base = {}
    for role, ((low, high), _) in _ZONE_LATENCY_MS.items():
        zone_base[role] = rng.uniform(low, high, params.n_zones if role != "region" else 1)
    names, zones, latency = [], [], []
    for i, kind in enumerate(kinds):
        shape = chosen[kind]
        names.append(f"{shape.name}-{i:03d}")
        if shape.zone_role == "region":
            zones.append("region")
            base = zone_base["region"][0]
        else:
            z = int(rng.integers(params.n_zones))
            zones.append(zone_names[z])
            base = zone_base[shape.zone_role][z]
        low, high = _ZONE_LATENCY_MS[shape.zone_role][1]
        latency.append(round(base + rng.uniform(low, high), 3))
    zone_tuple, zone_index = _index_names(zones)
    shapes = [chosen[kind] for kind in kinds]
    nodes = Nodes(
        names=tuple(names),
        capacity=[s.capacity for s in shapes],
        price_per_hour=[s.price_per_hour for s in shapes],
        idle_watts=[s.idle_watts for s in shapes],
        peak_watts=[s.peak_watts for s in shapes],
        latency_ms=latency,
        zone=zone_index,
        zones=zone_tuple,
    )
    return nodes, tuple(chosen)


# --- the scenario ---------------------------------------------------------------------------------


def offered_load(scenario: Scenario, window_s: float | None = None) -> float:
    """Offered load of the bottleneck resource: ``max_r sum_k demand[k, r] duration[k] / (C_r window)``.

    ``C_r`` is the cluster's total capacity of resource r. ``window_s`` defaults to the generator's
    arrival window when the provenance records one, else to the arrival span x n / (n - 1) (NaN when
    all tasks arrive at once).
    """
    tasks, nodes = scenario.tasks, scenario.nodes
    if window_s is None:
        window_s = scenario.provenance.get("derived", {}).get("arrival_window_s")
    if window_s is None:
        n, span = len(tasks), float(tasks.arrival.max() - tasks.arrival.min())
        window_s = span * n / (n - 1) if n > 1 and span > 0 else float("nan")
    capacity = nodes.capacity.sum(axis=0)
    work = (tasks.demand * tasks.duration[:, None]).sum(axis=0)
    used = capacity > 0
    return float(np.max(work[used] / capacity[used]) / window_s)


def _rng_record(rng: np.random.Generator) -> dict:
    """Seed and starting state of ``rng`` (big integers as strings), enough to replay the draw."""
    record: dict[str, object] = {"bit_generator": type(rng.bit_generator).__name__}
    seq = getattr(rng.bit_generator, "seed_seq", None)
    if isinstance(seq, np.random.SeedSequence):
        record["seed"] = str(seq.entropy)
        record["spawn_key"] = list(seq.spawn_key)
    state = rng.bit_generator.state.get("state")
    if isinstance(state, dict):
        record["state"] = {key: str(value) for key, value in state.items()}
    return record


def generate_scenario(rng: np.random.Generator, params: GeneratorParams) -> Scenario:
    """Draw one scenario; every random choice comes from ``rng`` (see the module docstring).

    Every field lies within the scenario schema's bounds and every task fits on at least one node.
    """
    seed = _rng_record(rng)
    nodes, shapes = _make_nodes(rng, params)
    types = np.array([shape.capacity for shape in shapes], dtype=np.float64)

    # Jobs and their sizes: geometric with mean batch_mean, the last one cut to n_tasks.
    sizes = rng.geometric(1.0 / params.batch_mean, size=params.n_tasks)
    n_jobs = int(np.searchsorted(np.cumsum(sizes), params.n_tasks) + 1)
    sizes = sizes[:n_jobs]
    sizes[-1] -= int(sizes.sum()) - params.n_tasks
    job = np.repeat(np.arange(n_jobs), sizes)

    demand = _clip_demand(_job_demand(rng, n_jobs, params, types), types)[job]
    duration = _durations(rng, params.n_tasks, params)

    # Mean task rate so that the bottleneck resource sees target_load (from the realised draws).
    capacity = nodes.capacity.sum(axis=0)
    used = capacity > 0
    work = (demand * duration[:, None]).mean(axis=0)
    task_rate = params.target_load / float(np.max(work[used] / capacity[used]))
    epochs = job_epochs(rng, n_jobs, task_rate * n_jobs / params.n_tasks, params)
    arrival = epochs[job] + rng.uniform(0.0, params.batch_spread_s, params.n_tasks)
    arrival = np.round(np.clip(arrival - arrival.min(), 0.0, TIME_MAX_S), _TIME_DECIMALS)

    levels = np.array([p for p, _ in params.priority_shares])
    shares = np.array([s for _, s in params.priority_shares], dtype=np.float64)
    priority = rng.choice(levels, size=n_jobs, p=shares / shares.sum())[job]
    owner_weights = 1.0 / np.arange(1, params.n_owners + 1) ** params.owner_skew
    owner = rng.choice(params.n_owners, size=n_jobs, p=owner_weights / owner_weights.sum())[job]

    # The SLA covers the network latency too; allow the median node's, so deadlines stay attainable.
    has_deadline = rng.random(params.n_tasks) < params.deadline_share
    slack = rng.uniform(*params.deadline_slack, params.n_tasks)
    allowance = float(np.median(nodes.latency_ms)) / 1000.0
    deadline = np.where(
        has_deadline,
        np.clip(np.round(slack * duration + allowance, _TIME_DECIMALS), 1e-3, TIME_MAX_S),
        NO_DEADLINE,
    )

    order = np.argsort(arrival, kind="stable")
    owners, owner_index = _index_names([f"tenant-{owner[k]:02d}" for k in order])
    tasks = Tasks(
        arrival=arrival[order],
        duration=duration[order],
        demand=demand[order],
        priority=priority[order],
        deadline=deadline[order],
        owner=owner_index,
        owners=owners,
    )
    derived = {
        "n_jobs": n_jobs,
        "arrival_window_s": float(f"{params.n_tasks / task_rate:.10g}"),
        "task_rate_per_s": float(f"{task_rate:.10g}"),
        "burst_ratio": float(f"{burst_ratio(params.interarrival_cv, params.burst_share):.10g}"),
        "node_types": [shape.name for shape in shapes],
    }
    scenario = Scenario(
        name=params.name,
        domain=params.domain,
        nodes=nodes,
        tasks=tasks,
        queue_timeout_s=params.queue_timeout_s,
        idle_nodes_sleep=params.idle_nodes_sleep,
        level=params.level,
        description=(
            f"Synthetic {params.domain.value} workload from published trace statistics (Google 2011 sizes, "
            f"Alibaba 2017 durations and arrivals): {params.n_tasks} tasks in {n_jobs} jobs on "
            f"{params.n_nodes} nodes of {len(types)} types, target load {params.target_load:g}."
        ),
        provenance={},
    )
    derived["offered_load"] = float(f"{offered_load(scenario, derived['arrival_window_s']):.6g}")
    provenance = {
        "generator": GENERATOR,
        "generator_version": GENERATOR_VERSION,
        "rng": seed,
        "params": params.as_dict(),
        "derived": derived,
        "stats": {
            "file": "aurora_evo/scenario/data/trace_stats.json",
            "sha256": trace_stats_sha256(),
            "sources": {name: source["commit"] for name, source in SOURCES.items()},
        },
    }
    return dataclasses.replace(scenario, provenance=provenance)


def domain_params(name: str, domain: Domain, **overrides) -> GeneratorParams:
    """:class:`GeneratorParams` with the domain's usual shape, then ``overrides``.

    * cloud: durations and sizes as in the traces, 5% of jobs on gpus (when gpu nodes are drawn),
      3 availability zones;
    * edge: short (x0.05) tasks with small streams (median 2% of the largest node's bandwidth), 10%
      of jobs on gpus (when Jetson nodes are drawn), more and tighter deadlines, 4 sites plus a far
      "region" zone when that node type is drawn;
    * network: bandwidth-heavy tasks (median 10% of the largest node's bandwidth, against 6.7% of its
      cpu, so the network is the bottleneck), half-length durations, 4 pods.
    """
    base: dict[str, object] = {"domain": domain}
    if domain is Domain.CLOUD:
        base |= {"gpu_share": 0.05, "n_zones": 3}
    elif domain is Domain.EDGE:
        base |= {
            "duration_scale": 0.05,
            "duration_min_s": 0.05,
            "batch_spread_s": 0.05,
            "net_log_mu": float(np.log(0.02)),
            "gpu_share": 0.1,
            "n_zones": 4,
            "deadline_share": 0.6,
            "deadline_slack": (1.2, 3.0),
        }
    elif domain is Domain.NETWORK:
        base |= {
            "net_log_mu": float(np.log(0.1)),
            "net_log_sigma": 1.0,
            "net_cpu_corr": 0.4,
            "duration_scale": 0.5,
            "n_zones": 4,
        }
    return GeneratorParams(name=name, **(base | overrides))


def benchmark_scenario(
    rng: np.random.Generator, n_tasks: int = 100_000, n_nodes: int = 1_000, target_load: float = 0.9
) -> Scenario:
    """A large cloud scenario that keeps the cluster busy, for the simulator throughput benchmark.

    Offered load ``target_load`` (default 0.9) on four node types, trace-shaped sizes, durations and
    bursty arrivals, a one-hour queue timeout so the queue stays bounded.
    """
    params = domain_params(
        f"benchmark-cloud-{n_tasks}x{n_nodes}",
        Domain.CLOUD,
        level=None,
        n_tasks=n_tasks,
        n_nodes=n_nodes,
        node_types=4,
        target_load=target_load,
        n_owners=16,
        queue_timeout_s=3600.0,
    )
    return generate_scenario(rng, params)
