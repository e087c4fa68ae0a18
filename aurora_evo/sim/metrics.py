"""Metrics of a finished simulation and the multi-objective reward.

Definitions (the reference simulator re-derives each one independently):

* latency of a placed task = wait in the queue + duration + the node's network latency; mean, p95 and
  p99 over placed tasks (numpy's linear percentile), 0 when none was placed;
* horizon = from the first arrival to the last finish or rejection; makespan = its length;
* a node is *on* while it runs a task, or for the whole horizon when ``idle_nodes_sleep`` is false;
* utilisation of cpu (memory) = work done / capacity while on, in core-seconds (GiB-seconds);
* cost = sum of price x on-time; energy = idle power x on-time + (peak - idle) x cpu work / cpu capacity;
* SLA-violation rate = share of tasks with a deadline that were rejected or whose latency exceeded it;
* failure rate = share of tasks rejected (timed out in the queue, or larger than every node);
* fairness = Gini coefficient of the owners' mean slowdown (latency / duration) over placed tasks.

Each term is also scored in [0, 1] (1 is best): latency as the mean of duration / latency over placed
tasks; utilisation as the mean of cpu and memory utilisation (of those the cluster has); cost and
energy as the share saved against every node on, at peak power, for the whole horizon; SLA and
failure as one minus their rates; makespan as its lower bound (the latest arrival + duration) over its
value; fairness as one minus the Gini coefficient. The reward is the weighted mean of the scores with
the scenario's weights.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from aurora_evo.scenario.model import OBJECTIVES, Scenario
from aurora_evo.sim.engine import fits_anywhere

SECONDS_PER_HOUR = 3600.0
JOULES_PER_KWH = 3.6e6


@dataclass(frozen=True)
class Metrics:
    """What one program achieved on one scenario; units in the field names."""

    n_tasks: int
    n_placed: int
    n_rejected: int
    mean_latency_s: float
    p95_latency_s: float
    p99_latency_s: float
    mean_wait_s: float
    cpu_utilization: float
    memory_utilization: float
    cost_usd: float
    energy_kwh: float
    sla_violation_rate: float
    failure_rate: float
    makespan_s: float
    fairness_gini: float
    scores: dict[str, float]
    reward: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Placement:
    """Raw per-task and per-node outcome of a simulation, tasks in scenario order.

    ``node``: (n_tasks,) int, -1 when rejected; ``start``/``finish``: (n_tasks,) s, NaN when rejected;
    ``reject_time``: (n_tasks,) s, NaN when placed; ``busy_time``: (n_nodes,) s with at least one task.
    """

    node: np.ndarray
    start: np.ndarray
    finish: np.ndarray
    reject_time: np.ndarray
    busy_time: np.ndarray


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0: all equal); 0 for fewer than two values."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.size
    if n < 2 or x.sum() <= 0:
        return 0.0
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return float(2.0 * np.sum(ranks * x) / (n * x.sum()) - (n + 1.0) / n)


def _ratio(num: float, den: float, empty: float) -> float:
    return empty if den <= 0 else float(num / den)


def compute_metrics(scenario: Scenario, placement: Placement) -> Metrics:
    """Compute every metric, the per-term scores and the reward of one simulation."""
    tasks, nodes = scenario.tasks, scenario.nodes
    n_tasks = len(tasks)
    node = placement.node
    placed = node >= 0
    rejected = ~placed
    where = node[placed]
    duration = tasks.duration
    wait = placement.start[placed] - tasks.arrival[placed]
    latency = wait + duration[placed] + nodes.latency_ms[where] / 1000.0

    t0 = float(tasks.arrival.min())
    ends = np.concatenate([placement.finish[placed], placement.reject_time[rejected]])
    horizon = float(ends.max()) - t0

    on_time = placement.busy_time if scenario.idle_nodes_sleep else np.full(len(nodes), horizon)
    cpu_cap, mem_cap = nodes.capacity[:, 0], nodes.capacity[:, 1]
    cpu_work = np.bincount(where, weights=duration[placed] * tasks.demand[placed, 0], minlength=len(nodes))
    mem_work = np.bincount(where, weights=duration[placed] * tasks.demand[placed, 1], minlength=len(nodes))
    cpu_den, mem_den = float(np.sum(cpu_cap * on_time)), float(np.sum(mem_cap * on_time))
    cpu_util = _ratio(cpu_work.sum(), cpu_den, 0.0)
    mem_util = _ratio(mem_work.sum(), mem_den, 0.0)

    cost = float(np.sum(nodes.price_per_hour * on_time)) / SECONDS_PER_HOUR
    dynamic = np.divide(
        (nodes.peak_watts - nodes.idle_watts) * cpu_work, cpu_cap, out=np.zeros(len(nodes)), where=cpu_cap > 0
    )
    energy = float(np.sum(nodes.idle_watts * on_time + dynamic)) / JOULES_PER_KWH

    has_deadline = tasks.has_deadline
    violated = has_deadline & rejected
    violated[placed] |= has_deadline[placed] & (latency > tasks.deadline[placed])
    sla_rate = _ratio(float(violated.sum()), float(has_deadline.sum()), 0.0)
    failure_rate = float(rejected.sum()) / n_tasks

    slowdown = latency / duration[placed]
    owners = tasks.owner[placed]
    counts = np.bincount(owners, minlength=len(tasks.owners))
    sums = np.bincount(owners, weights=slowdown, minlength=len(tasks.owners))
    fairness = gini(sums[counts > 0] / counts[counts > 0])

    # The reference of cost and energy: every node on, at peak power, for the whole horizon.
    always_on_cost = float(np.sum(nodes.price_per_hour)) * horizon / SECONDS_PER_HOUR
    always_on_energy = float(np.sum(nodes.peak_watts)) * horizon / JOULES_PER_KWH
    could_fit = fits_anywhere(tasks.demand, nodes.capacity)
    makespan_bound = float(np.max((tasks.arrival + duration)[could_fit], initial=t0)) - t0
    has_capacity = [util for util, den in ((cpu_util, cpu_den), (mem_util, mem_den)) if den > 0]

    scores = {
        # Mean of duration / latency (1 / slowdown): every task counts alike, so the queueing of many
        # short tasks is not drowned by a few long ones.
        "latency": float(np.mean(duration[placed] / latency)) if latency.size else 0.0,
        "utilization": float(np.mean(has_capacity)) if has_capacity else 0.0,
        "cost": 1.0 - _ratio(cost, always_on_cost, 0.0),
        "energy": 1.0 - _ratio(energy, always_on_energy, 0.0),
        "sla": 1.0 - sla_rate,
        "failure": 1.0 - failure_rate,
        "makespan": _ratio(makespan_bound, horizon, 1.0),
        "fairness": 1.0 - fairness,
    }
    # The fit tolerance lets a task overfill a node by EPS: with tiny capacities a ratio could stray.
    scores = {term: min(1.0, max(0.0, value)) for term, value in scores.items()}
    weights = scenario.weight_vector
    reward = float(np.dot(weights, [scores[k] for k in OBJECTIVES]) / weights.sum())

    has_latency = latency.size > 0
    return Metrics(
        n_tasks=n_tasks,
        n_placed=int(placed.sum()),
        n_rejected=int(rejected.sum()),
        mean_latency_s=float(latency.mean()) if has_latency else 0.0,
        p95_latency_s=float(np.percentile(latency, 95)) if has_latency else 0.0,
        p99_latency_s=float(np.percentile(latency, 99)) if has_latency else 0.0,
        mean_wait_s=float(wait.mean()) if has_latency else 0.0,
        cpu_utilization=cpu_util,
        memory_utilization=mem_util,
        cost_usd=cost,
        energy_kwh=energy,
        sla_violation_rate=sla_rate,
        failure_rate=failure_rate,
        makespan_s=horizon,
        fairness_gini=fairness,
        scores=scores,
        reward=reward,
    )
