"""A plain-Python simulator of the same model, written for clarity; the test oracle of the numba one.

Nothing here is shared with :mod:`aurora_evo.sim.engine` or :mod:`aurora_evo.sim.metrics` except the
feature column numbers (the program contract): the event loop, the queue and every metric are derived
again from the definitions, so that agreement between the two means something. It is slow (it rescans
the whole queue at every event and rebuilds the program's inputs at every decision); use it only to
check the fast simulator.

The model, as :mod:`aurora_evo.sim.engine` states it: tasks in order of (arrival, index); at each event
time, departures (in order of finish time, then task order; a node left empty has exactly its capacity
free again), then queue timeouts (strictly expired),
then arrivals (rejected at once when no empty node could hold them), then a front-to-back scan of the
queue that places every task that fits on its highest-scoring feasible node (lowest index on ties).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from aurora_evo import features as F
from aurora_evo.scenario.model import OBJECTIVES, Scenario

EPS = 1e-9


class ReferenceOutputError(ValueError):
    """The program returned scores the simulator refuses (wrong shape, not finite)."""


@dataclass(frozen=True)
class ReferenceResult:
    """Per-task outcome in scenario order and the metrics as a plain dict (same keys as Metrics)."""

    node: list[int]
    start: list[float]
    reject_time: list[float]
    metrics: dict


def _fits(demand: list[float], free: list[float]) -> bool:
    return all(d <= f + EPS for d, f in zip(demand, free, strict=True))


def _percentile(values: list[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default method)."""
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _gini(values: list[float]) -> float:
    n = len(values)
    total = sum(values)
    if n < 2 or total <= 0:
        return 0.0
    mean = total / n
    return sum(abs(a - b) for a in values for b in values) / (2.0 * n * n * mean)


def reference_simulate(scenario: Scenario, priority: Callable) -> ReferenceResult:
    """Simulate ``priority`` on ``scenario``.

    Raises:
        ReferenceOutputError: the program returned scores that are not one finite number per node.
    """
    tasks, nodes = scenario.tasks, scenario.nodes
    n_tasks, n_nodes = len(tasks), len(nodes)
    demand = [[float(x) for x in row] for row in tasks.demand]
    capacity = [[float(x) for x in row] for row in nodes.capacity]
    arrival = [float(x) for x in tasks.arrival]
    duration = [float(x) for x in tasks.duration]
    timeout = math.inf if scenario.queue_timeout_s is None else float(scenario.queue_timeout_s)

    order = sorted(range(n_tasks), key=lambda i: (arrival[i], i))
    rank = {task: r for r, task in enumerate(order)}
    free = [list(row) for row in capacity]
    running = [0] * n_nodes
    placed_count = [0] * n_nodes
    busy_since = [0.0] * n_nodes
    busy_time = [0.0] * n_nodes
    node_of = [-1] * n_tasks
    start = [math.nan] * n_tasks
    reject_time = [math.nan] * n_tasks
    never_fits = [not any(_fits(demand[i], capacity[n]) for n in range(n_nodes)) for i in range(n_tasks)]

    departures: list[tuple[float, int, int]] = []  # (finish, rank, task)
    queue: list[int] = []
    next_arrival = 0
    now = 0.0

    def node_matrix(fits: list[bool]) -> np.ndarray:
        rows = []
        for n in range(n_nodes):
            row = [0.0] * F.NODE_FEATURES
            row[F.N_INDEX] = n
            for r in range(F.N_RESOURCES):
                row[F.N_FREE0 + r] = free[n][r]
                row[F.N_CAP0 + r] = capacity[n][r]
            row[F.N_PRICE] = nodes.price_per_hour[n]
            row[F.N_IDLE_W] = nodes.idle_watts[n]
            row[F.N_PEAK_W] = nodes.peak_watts[n]
            row[F.N_LATENCY] = nodes.latency_ms[n]
            row[F.N_ZONE] = nodes.zone[n]
            row[F.N_RUNNING] = running[n]
            row[F.N_PLACED] = placed_count[n]
            row[F.N_FITS] = 1.0 if fits[n] else 0.0
            rows.append(row)
        return np.array(rows, dtype=np.float64)

    def task_vector(i: int) -> np.ndarray:
        row = [0.0] * F.TASK_FEATURES
        row[F.T_INDEX] = i
        for r in range(F.N_RESOURCES):
            row[F.T_DEMAND0 + r] = demand[i][r]
        row[F.T_DURATION] = duration[i]
        row[F.T_PRIORITY] = tasks.priority[i]
        row[F.T_DEADLINE] = tasks.deadline[i]
        row[F.T_ARRIVAL] = arrival[i]
        row[F.T_WAIT] = now - arrival[i]
        row[F.T_NOW] = now
        row[F.T_OWNER] = tasks.owner[i]
        return np.array(row, dtype=np.float64)

    while True:
        if next_arrival == n_tasks and not departures:
            for i in queue:
                reject_time[i] = now
            queue = []
            break
        candidates = []
        if next_arrival < n_tasks:
            candidates.append(arrival[order[next_arrival]])
        if departures:
            candidates.append(departures[0][0])
        now = min(candidates)

        while departures and departures[0][0] <= now:
            _, _, i = heapq.heappop(departures)
            n = node_of[i]
            running[n] -= 1
            if running[n] == 0:  # an empty node has exactly its capacity free
                free[n] = list(capacity[n])
                busy_time[n] += now - busy_since[n]
            else:
                for r in range(F.N_RESOURCES):
                    free[n][r] += demand[i][r]

        still_waiting = []
        for i in queue:
            if arrival[i] + timeout < now:
                reject_time[i] = arrival[i] + timeout
            else:
                still_waiting.append(i)
        queue = still_waiting

        while next_arrival < n_tasks and arrival[order[next_arrival]] == now:
            i = order[next_arrival]
            next_arrival += 1
            if never_fits[i]:
                reject_time[i] = now
            else:
                queue.append(i)

        for i in list(queue):
            fits = [_fits(demand[i], free[n]) for n in range(n_nodes)]
            if not any(fits):
                continue
            scores = np.asarray(priority(task_vector(i), node_matrix(fits)), dtype=np.float64)
            if scores.shape != (n_nodes,):
                raise ReferenceOutputError(f"scores of shape {scores.shape} for {n_nodes} nodes")
            if not all(math.isfinite(s) for s in scores.tolist()):
                raise ReferenceOutputError("a score is not finite")
            best = max((n for n in range(n_nodes) if fits[n]), key=lambda n: (scores[n], -n))
            queue.remove(i)
            for r in range(F.N_RESOURCES):
                free[best][r] -= demand[i][r]
            if running[best] == 0:
                busy_since[best] = now
            running[best] += 1
            placed_count[best] += 1
            node_of[i] = best
            start[i] = now
            heapq.heappush(departures, (now + duration[i], rank[i], i))

    return ReferenceResult(
        node_of, start, reject_time, _metrics(scenario, node_of, start, reject_time, busy_time)
    )


def _metrics(scenario: Scenario, node_of, start, reject_time, busy_time) -> dict:
    tasks, nodes = scenario.tasks, scenario.nodes
    n_tasks, n_nodes = len(tasks), len(nodes)
    arrival = [float(x) for x in tasks.arrival]
    duration = [float(x) for x in tasks.duration]
    placed = [i for i in range(n_tasks) if node_of[i] >= 0]
    rejected = [i for i in range(n_tasks) if node_of[i] < 0]
    wait = {i: start[i] - arrival[i] for i in placed}
    latency = {i: wait[i] + duration[i] + nodes.latency_ms[node_of[i]] / 1000.0 for i in placed}

    t0 = min(arrival)
    t_end = max([start[i] + duration[i] for i in placed] + [reject_time[i] for i in rejected])
    horizon = t_end - t0
    on_time = list(busy_time) if scenario.idle_nodes_sleep else [horizon] * n_nodes

    cpu_work = [0.0] * n_nodes
    mem_work = [0.0] * n_nodes
    for i in placed:
        cpu_work[node_of[i]] += duration[i] * tasks.demand[i][0]
        mem_work[node_of[i]] += duration[i] * tasks.demand[i][1]
    cpu_cap = [float(c) for c in nodes.capacity[:, 0]]
    mem_cap = [float(c) for c in nodes.capacity[:, 1]]
    cpu_den = sum(cpu_cap[n] * on_time[n] for n in range(n_nodes))
    mem_den = sum(mem_cap[n] * on_time[n] for n in range(n_nodes))
    cpu_util = sum(cpu_work) / cpu_den if cpu_den > 0 else 0.0
    mem_util = sum(mem_work) / mem_den if mem_den > 0 else 0.0

    cost = sum(nodes.price_per_hour[n] * on_time[n] for n in range(n_nodes)) / 3600.0
    joules = 0.0
    for n in range(n_nodes):
        joules += nodes.idle_watts[n] * on_time[n]
        if cpu_cap[n] > 0:
            joules += (nodes.peak_watts[n] - nodes.idle_watts[n]) * cpu_work[n] / cpu_cap[n]
    energy = joules / 3.6e6

    with_deadline = [i for i in range(n_tasks) if tasks.deadline[i] < F.NO_DEADLINE]
    violations = sum(1 for i in with_deadline if node_of[i] < 0 or latency[i] > tasks.deadline[i])
    sla_rate = violations / len(with_deadline) if with_deadline else 0.0
    failure_rate = len(rejected) / n_tasks

    by_owner: dict[int, list[float]] = {}
    for i in placed:
        by_owner.setdefault(int(tasks.owner[i]), []).append(latency[i] / duration[i])
    fairness = _gini([sum(v) / len(v) for v in by_owner.values()])

    always_on_cost = sum(float(p) for p in nodes.price_per_hour) * horizon / 3600.0
    always_on_energy = sum(float(w) for w in nodes.peak_watts) * horizon / 3.6e6
    capacity = [[float(x) for x in row] for row in nodes.capacity]
    fittable = [
        i for i in range(n_tasks) if any(_fits(list(tasks.demand[i]), capacity[n]) for n in range(n_nodes))
    ]
    makespan_bound = max([arrival[i] + duration[i] for i in fittable], default=t0) - t0
    utilisations = [u for u, den in ((cpu_util, cpu_den), (mem_util, mem_den)) if den > 0]

    lat_values = [latency[i] for i in placed]
    total_latency = sum(lat_values)
    scores = {
        "latency": sum(duration[i] / latency[i] for i in placed) / len(placed) if placed else 0.0,
        "utilization": sum(utilisations) / len(utilisations) if utilisations else 0.0,
        "cost": 1.0 - cost / always_on_cost if always_on_cost > 0 else 1.0,
        "energy": 1.0 - energy / always_on_energy if always_on_energy > 0 else 1.0,
        "sla": 1.0 - sla_rate,
        "failure": 1.0 - failure_rate,
        "makespan": makespan_bound / horizon if horizon > 0 else 1.0,
        "fairness": 1.0 - fairness,
    }
    scores = {term: min(1.0, max(0.0, value)) for term, value in scores.items()}
    weights = scenario.objective
    reward = sum(weights[k] * scores[k] for k in OBJECTIVES) / sum(weights[k] for k in OBJECTIVES)
    return {
        "n_tasks": n_tasks,
        "n_placed": len(placed),
        "n_rejected": len(rejected),
        "mean_latency_s": total_latency / len(placed) if placed else 0.0,
        "p95_latency_s": _percentile(lat_values, 95) if placed else 0.0,
        "p99_latency_s": _percentile(lat_values, 99) if placed else 0.0,
        "mean_wait_s": sum(wait.values()) / len(placed) if placed else 0.0,
        "cpu_utilization": cpu_util,
        "memory_utilization": mem_util,
        "cost_usd": cost,
        "energy_kwh": energy,
        "sla_violation_rate": sla_rate,
        "failure_rate": failure_rate,
        "makespan_s": horizon,
        "fairness_gini": fairness,
        "scores": scores,
        "reward": reward,
    }
