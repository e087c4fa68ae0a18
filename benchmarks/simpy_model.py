"""A straightforward simpy model of the aurora-evo cluster, the baseline of ``sim_throughput.py``.

Written the way a simpy user would: one process per arriving task, a scheduler woken by arrivals and
departures that scans the queue and asks the program (plain Python/numpy) where each task goes, node
state in Python lists. It follows the same rules as :mod:`aurora_evo.sim.engine` (departures, then
timeouts, then arrivals, then a front-to-back scan) so that its placements can be compared.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import simpy

from aurora_evo import features as F
from aurora_evo.scenario import Scenario

EPS = 1e-9


def simpy_simulate(scenario: Scenario, priority: Callable) -> dict:
    """Run ``priority`` on ``scenario`` in simpy; returns placements, mean wait and rejections."""
    env = simpy.Environment()
    tasks, nodes = scenario.tasks, scenario.nodes
    n_nodes = len(nodes)
    free = [list(row) for row in nodes.capacity.tolist()]
    running = [0] * n_nodes
    placed_count = [0] * n_nodes
    base = np.zeros((n_nodes, F.NODE_FEATURES))
    base[:, F.N_INDEX] = np.arange(n_nodes)
    base[:, F.N_CAP0 : F.N_CAP0 + F.N_RESOURCES] = nodes.capacity
    base[:, F.N_PRICE] = nodes.price_per_hour
    base[:, F.N_IDLE_W] = nodes.idle_watts
    base[:, F.N_PEAK_W] = nodes.peak_watts
    base[:, F.N_LATENCY] = nodes.latency_ms
    base[:, F.N_ZONE] = nodes.zone
    timeout = np.inf if scenario.queue_timeout_s is None else scenario.queue_timeout_s
    demand = tasks.demand.tolist()
    capacity = nodes.capacity.tolist()
    queue: list[int] = []
    waits: list[float] = []
    rejected = [0]
    wake = [env.event()]

    def fits(i: int, node_free: list[float]) -> bool:
        return all(d <= f + EPS for d, f in zip(demand[i], node_free, strict=True))

    def run_task(i: int, n: int):
        yield env.timeout(float(tasks.duration[i]))
        for r in range(F.N_RESOURCES):
            free[n][r] += demand[i][r]
        running[n] -= 1
        if not wake[0].triggered:
            wake[0].succeed()

    def arrivals():
        for i in np.argsort(tasks.arrival, kind="stable").tolist():
            yield env.timeout(float(tasks.arrival[i]) - env.now)
            if any(fits(i, capacity[n]) for n in range(n_nodes)):
                queue.append(i)
            else:
                rejected[0] += 1
            if not wake[0].triggered:
                wake[0].succeed()

    def scheduler():
        while True:
            yield wake[0]
            yield env.timeout(0)  # let every other event at this instant happen first
            wake[0] = env.event()
            now = env.now
            for i in list(queue):
                if float(tasks.arrival[i]) + timeout < now:
                    queue.remove(i)
                    rejected[0] += 1
            for i in list(queue):
                feasible = [fits(i, free[n]) for n in range(n_nodes)]
                if not any(feasible):
                    continue
                node_matrix = base.copy()
                node_matrix[:, F.N_FREE0 : F.N_FREE0 + F.N_RESOURCES] = free
                node_matrix[:, F.N_RUNNING] = running
                node_matrix[:, F.N_PLACED] = placed_count
                node_matrix[:, F.N_FITS] = feasible
                task = np.zeros(F.TASK_FEATURES)
                task[F.T_INDEX] = i
                task[F.T_DEMAND0 : F.T_DEMAND0 + F.N_RESOURCES] = demand[i]
                task[F.T_DURATION] = tasks.duration[i]
                task[F.T_PRIORITY] = tasks.priority[i]
                task[F.T_DEADLINE] = tasks.deadline[i]
                task[F.T_ARRIVAL] = tasks.arrival[i]
                task[F.T_WAIT] = now - tasks.arrival[i]
                task[F.T_NOW] = now
                task[F.T_OWNER] = tasks.owner[i]
                scores = np.where(feasible, priority(task, node_matrix), -np.inf)
                n = int(np.argmax(scores))
                queue.remove(i)
                for r in range(F.N_RESOURCES):
                    free[n][r] -= demand[i][r]
                running[n] += 1
                placed_count[n] += 1
                waits.append(now - float(tasks.arrival[i]))
                env.process(run_task(i, n))

    env.process(arrivals())
    env.process(scheduler())
    env.run()
    return {
        "placed": len(waits),
        "rejected": rejected[0] + len(queue),
        "mean_wait_s": float(np.mean(waits)) if waits else 0.0,
    }
