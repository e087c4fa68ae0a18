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
    run = _Run(scenario, priority)
    run.run()
    metrics = _metrics(scenario, run.node_of, run.start, run.reject_time, run.busy_time)
    return ReferenceResult(run.node_of, run.start, run.reject_time, metrics)


class _Run:
    """One simulation: the nodes' state, the queue, the pending departures and each task's outcome."""

    def __init__(self, scenario: Scenario, priority: Callable):
        tasks, nodes = scenario.tasks, scenario.nodes
        self.tasks, self.nodes, self.priority = tasks, nodes, priority
        self.n_tasks, self.n_nodes = len(tasks), len(nodes)
        self.demand = [[float(x) for x in row] for row in tasks.demand]
        self.capacity = [[float(x) for x in row] for row in nodes.capacity]
        self.arrival = [float(x) for x in tasks.arrival]
        self.duration = [float(x) for x in tasks.duration]
        self.timeout = math.inf if scenario.queue_timeout_s is None else float(scenario.queue_timeout_s)

        self.order = sorted(range(self.n_tasks), key=lambda i: (self.arrival[i], i))
        self.rank = {task: r for r, task in enumerate(self.order)}
        self.free = [list(row) for row in self.capacity]
        self.running = [0] * self.n_nodes
        self.placed_count = [0] * self.n_nodes
        self.busy_until = [0.0] * self.n_nodes
        self.busy_since = [0.0] * self.n_nodes
        self.busy_time = [0.0] * self.n_nodes
        self.node_of = [-1] * self.n_tasks
        self.start = [math.nan] * self.n_tasks
        self.reject_time = [math.nan] * self.n_tasks
        self.never_fits = [
            not any(_fits(self.demand[i], self.capacity[n]) for n in range(self.n_nodes))
            for i in range(self.n_tasks)
        ]
        self.departures: list[tuple[float, int, int]] = []  # (finish, rank, task)
        self.queue: list[int] = []
        self.next_arrival = 0
        self.now = 0.0

    def run(self) -> None:
        """Every event time in turn: departures, queue timeouts, arrivals, then the queue's scan."""
        while True:
            if self.next_arrival == self.n_tasks and not self.departures:
                for i in self.queue:
                    self.reject_time[i] = self.now
                self.queue = []
                return
            candidates = []
            if self.next_arrival < self.n_tasks:
                candidates.append(self.arrival[self.order[self.next_arrival]])
            if self.departures:
                candidates.append(self.departures[0][0])
            self.now = min(candidates)
            self.depart()
            self.expire()
            self.arrive()
            self.place_queued()

    def depart(self) -> None:
        now, free, running = self.now, self.free, self.running
        while self.departures and self.departures[0][0] <= now:
            _, _, i = heapq.heappop(self.departures)
            n = self.node_of[i]
            running[n] -= 1
            if running[n] == 0:  # an empty node has exactly its capacity free
                free[n] = list(self.capacity[n])
                self.busy_time[n] += now - self.busy_since[n]
            else:
                for r in range(F.N_RESOURCES):
                    free[n][r] += self.demand[i][r]

    def expire(self) -> None:
        still_waiting = []
        for i in self.queue:
            if self.arrival[i] + self.timeout < self.now:
                self.reject_time[i] = self.arrival[i] + self.timeout
            else:
                still_waiting.append(i)
        self.queue = still_waiting

    def arrive(self) -> None:
        while self.next_arrival < self.n_tasks and self.arrival[self.order[self.next_arrival]] == self.now:
            i = self.order[self.next_arrival]
            self.next_arrival += 1
            if self.never_fits[i]:
                self.reject_time[i] = self.now
            else:
                self.queue.append(i)

    def place_queued(self) -> None:
        """Front to back, each queued task that fits goes to its highest-scoring feasible node."""
        n_nodes, free, running = self.n_nodes, self.free, self.running
        for i in list(self.queue):
            fits = [_fits(self.demand[i], free[n]) for n in range(n_nodes)]
            if not any(fits):
                continue
            scores = np.asarray(self.priority(self.task_vector(i), self.node_matrix(fits)), dtype=np.float64)
            if scores.shape != (n_nodes,):
                raise ReferenceOutputError(f"scores of shape {scores.shape} for {n_nodes} nodes")
            if not all(math.isfinite(s) for s in scores.tolist()):
                raise ReferenceOutputError("a score is not finite")
            best = max((n for n in range(n_nodes) if fits[n]), key=lambda n: (scores[n], -n))
            self.queue.remove(i)
            for r in range(F.N_RESOURCES):
                free[best][r] -= self.demand[i][r]
            if running[best] == 0:
                self.busy_since[best] = self.now
            running[best] += 1
            self.placed_count[best] += 1
            self.busy_until[best] = max(self.busy_until[best], self.now + self.duration[i])
            self.node_of[i] = best
            self.start[i] = self.now
            heapq.heappush(self.departures, (self.now + self.duration[i], self.rank[i], i))

    def node_matrix(self, fits: list[bool]) -> np.ndarray:
        """The program's ``nodes`` argument, ``(n_nodes, NODE_FEATURES)``."""
        nodes = self.nodes
        rows = []
        for n in range(self.n_nodes):
            row = [0.0] * F.NODE_FEATURES
            row[F.N_INDEX] = n
            for r in range(F.N_RESOURCES):
                row[F.N_FREE0 + r] = self.free[n][r]
                row[F.N_CAP0 + r] = self.capacity[n][r]
            row[F.N_PRICE] = nodes.price_per_hour[n]
            row[F.N_IDLE_W] = nodes.idle_watts[n]
            row[F.N_PEAK_W] = nodes.peak_watts[n]
            row[F.N_LATENCY] = nodes.latency_ms[n]
            row[F.N_ZONE] = nodes.zone[n]
            row[F.N_RUNNING] = self.running[n]
            row[F.N_PLACED] = self.placed_count[n]
            row[F.N_BUSY_UNTIL] = self.busy_until[n]
            row[F.N_FITS] = 1.0 if fits[n] else 0.0
            rows.append(row)
        return np.array(rows, dtype=np.float64)

    def task_vector(self, i: int) -> np.ndarray:
        """The program's ``task`` argument, ``(TASK_FEATURES,)``, at the current time."""
        tasks = self.tasks
        row = [0.0] * F.TASK_FEATURES
        row[F.T_INDEX] = i
        for r in range(F.N_RESOURCES):
            row[F.T_DEMAND0 + r] = self.demand[i][r]
        row[F.T_DURATION] = self.duration[i]
        row[F.T_PRIORITY] = tasks.priority[i]
        row[F.T_DEADLINE] = tasks.deadline[i]
        row[F.T_ARRIVAL] = self.arrival[i]
        row[F.T_WAIT] = self.now - self.arrival[i]
        row[F.T_NOW] = self.now
        row[F.T_OWNER] = tasks.owner[i]
        return np.array(row, dtype=np.float64)


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
