"""The parameters of the scenario generator: :class:`GeneratorParams`, whose defaults are the shipped trace
statistics, each domain's usual shape (:func:`domain_params`), and the schema's bounds that generated
values are kept within.

Units: cpu in cores, memory in GiB, gpu in devices, network in Gbit/s, times in s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType

import numpy as np

from aurora_evo.scenario.model import Domain
from aurora_evo.scenario.traces import load_trace_stats

# The generator's ranges of task fields (cores, GiB, gpus, Gbit/s, s), within the format's wider ones
# (scenario.schema.json, which replayed traces need: requests of 0 cores, 192-core instances, month-long
# runs); generated values are clipped into them.
TASK_CPU_RANGE = (0.1, 32.0)
TASK_MEMORY_MAX_GIB = 1024.0
TASK_GPU_MAX = 16.0
TASK_NETWORK_MAX_GBPS = 400.0
DURATION_MAX_S = 2_592_000.0
TIME_MAX_S = 31_536_000.0
#: Generated times are rounded to this many decimals (1 ms).
TIME_DECIMALS = 3


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
    """Everything :func:`~aurora_evo.scenario.generate.generate_scenario` needs besides the random
    generator.

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
        node_types: distinct machine shapes drawn from :data:`~aurora_evo.scenario.catalogue.CATALOGUE`
            (1 = homogeneous).
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
