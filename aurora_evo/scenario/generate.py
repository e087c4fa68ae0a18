"""Parametric scenario generator calibrated on published trace statistics.

:func:`generate_scenario` draws one :class:`~aurora_evo.scenario.model.Scenario` from a
:class:`~aurora_evo.scenario.params.GeneratorParams` and an explicit ``numpy.random.Generator`` (no global
random state):

1. nodes: ``node_types`` machine shapes drawn from the domain's
   :data:`~aurora_evo.scenario.catalogue.CATALOGUE`, spread over zones;
2. jobs ("batches"): geometric sizes with mean ``batch_mean`` (Alibaba 2017: 6.2 tasks per job); the
   tasks of a job share their request, priority and owner (Google 2011: 99.8% of multi-task jobs have
   one request shape, 100% one priority);
3. requests (:mod:`~aurora_evo.scenario.sizes`): log-normal cpu and memory joined by a Gaussian copula
   (Google 2011 fit, as fractions of the scenario's largest node, since the trace normalises to its
   largest machine) times ``size_scale``; optional network and gpu demand; shrunk so every task fits on
   some node type;
4. durations (ibid.): log-normal (Alibaba 2017 fit of terminated tasks) times ``duration_scale``, clipped;
5. arrivals (:mod:`~aurora_evo.scenario.arrivals`): job epochs from a two-state Markov-modulated Poisson
   process whose inter-arrival CV matches ``interarrival_cv`` (Alibaba 2017 jobs: 1.89), modulated by a
   diurnal sinusoid, with the mean rate set so that the offered load of the bottleneck resource is
   ``target_load``;
6. deadlines (``slack x duration`` plus the median node latency, for a share of tasks), priorities
   (Google 2011 mix) and owners (Zipf).

Units: cpu in cores, memory in GiB, gpu in devices, network in Gbit/s, times in s, latency in ms,
price in $/hour, power in W.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from aurora_evo.features import NO_DEADLINE
from aurora_evo.scenario.arrivals import burst_ratio, job_epochs
from aurora_evo.scenario.catalogue import CATALOGUE, ZONE_LATENCY_MS, ZONE_PREFIX, NodeType
from aurora_evo.scenario.model import Domain, Nodes, Scenario, Tasks
from aurora_evo.scenario.params import TIME_DECIMALS, TIME_MAX_S, GeneratorParams, domain_params
from aurora_evo.scenario.sizes import clip_demand, durations, job_demand
from aurora_evo.scenario.traces import SOURCES, trace_stats_sha256

GENERATOR = "aurora_evo.scenario.generate.generate_scenario"
GENERATOR_VERSION = 1


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

    prefix = ZONE_PREFIX[params.domain]
    zone_names = [f"{prefix}-{i + 1}" for i in range(params.n_zones)]
    zone_base = {}
    for role, ((low, high), _) in ZONE_LATENCY_MS.items():
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
        low, high = ZONE_LATENCY_MS[shape.zone_role][1]
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


def _jobs(rng: np.random.Generator, params: GeneratorParams) -> tuple[int, np.ndarray]:
    """The number of jobs and the job of each task, ``(n_tasks,)``: job sizes are geometric with mean
    ``batch_mean``, the last one cut to ``n_tasks``."""
    sizes = rng.geometric(1.0 / params.batch_mean, size=params.n_tasks)
    n_jobs = int(np.searchsorted(np.cumsum(sizes), params.n_tasks) + 1)
    sizes = sizes[:n_jobs]
    sizes[-1] -= int(sizes.sum()) - params.n_tasks
    return n_jobs, np.repeat(np.arange(n_jobs), sizes)


def _deadlines(
    rng: np.random.Generator, params: GeneratorParams, duration: np.ndarray, nodes: Nodes
) -> np.ndarray:
    """``(n_tasks,)`` deadlines in s (``NO_DEADLINE`` for tasks without an SLA): ``slack x duration`` plus
    the median node latency, since the SLA covers the network latency too and must stay attainable."""
    has_deadline = rng.random(params.n_tasks) < params.deadline_share
    slack = rng.uniform(*params.deadline_slack, params.n_tasks)
    allowance = float(np.median(nodes.latency_ms)) / 1000.0
    return np.where(
        has_deadline,
        np.clip(np.round(slack * duration + allowance, TIME_DECIMALS), 1e-3, TIME_MAX_S),
        NO_DEADLINE,
    )


def _provenance(seed: dict, params: GeneratorParams, derived: dict) -> dict:
    """What a generated scenario records of its making: the generator, the random state it started from,
    the parameters, the values derived from the draw, and the trace statistics used."""
    return {
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


def generate_scenario(rng: np.random.Generator, params: GeneratorParams) -> Scenario:
    """Draw one scenario; every random choice comes from ``rng`` (see the module docstring).

    Every field lies within the scenario schema's bounds and every task fits on at least one node.
    """
    seed = _rng_record(rng)
    nodes, shapes = _make_nodes(rng, params)
    types = np.array([shape.capacity for shape in shapes], dtype=np.float64)

    n_jobs, job = _jobs(rng, params)
    demand = clip_demand(job_demand(rng, n_jobs, params, types), types)[job]
    duration = durations(rng, params.n_tasks, params)

    # Mean task rate so that the bottleneck resource sees target_load (from the realised draws).
    capacity = nodes.capacity.sum(axis=0)
    used = capacity > 0
    work = (demand * duration[:, None]).mean(axis=0)
    task_rate = params.target_load / float(np.max(work[used] / capacity[used]))
    epochs = job_epochs(rng, n_jobs, task_rate * n_jobs / params.n_tasks, params)
    arrival = epochs[job] + rng.uniform(0.0, params.batch_spread_s, params.n_tasks)
    arrival = np.round(np.clip(arrival - arrival.min(), 0.0, TIME_MAX_S), TIME_DECIMALS)

    levels = np.array([p for p, _ in params.priority_shares])
    shares = np.array([s for _, s in params.priority_shares], dtype=np.float64)
    priority = rng.choice(levels, size=n_jobs, p=shares / shares.sum())[job]
    owner_weights = 1.0 / np.arange(1, params.n_owners + 1) ** params.owner_skew
    owner = rng.choice(params.n_owners, size=n_jobs, p=owner_weights / owner_weights.sum())[job]

    deadline = _deadlines(rng, params, duration, nodes)

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
    return dataclasses.replace(scenario, provenance=_provenance(seed, params, derived))


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
