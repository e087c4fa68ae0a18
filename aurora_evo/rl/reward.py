"""The reward of each placement decision: the change in the fitness it causes, so that an episode's
undiscounted return is the fitness of :mod:`aurora_evo.sim.fitness` exactly.

The fitness is known only when the episode ends, but most of it is a sum over decisions, each known
when the decision is made. A task placed at ``now`` on node ``n`` to finish at ``f``:

* extends the node's time on by ``max(0, f - max(now, busy_until[n]))``: tasks on a node start in
  time order, so the union of their runs, which the node is billed and powered for, is the sum of these
  extensions (when idle nodes sleep; when they do not, every node is on for the whole horizon and cost
  and energy are left to the end);
* costs its price times that, and draws its idle power for that and its dynamic power for the task's
  share of the cpu;
* has a latency (wait + duration + the node's network latency), which may miss its deadline.

Each decision's reward is minus these, each over best fit's total of the same objective on the scenario
and weighted as the fitness weighs it (cost, energy, half the latency weight for the mean latency, SLA
violations). The last decision's reward also holds the rest: the fitness minus the sum of the rewards
so far (the constant parts, p99 latency, utilisation, rejections, makespan, fairness, the clipping).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aurora_evo import features as F
from aurora_evo.scenario.model import OBJECTIVES, Scenario
from aurora_evo.sim.metrics import JOULES_PER_KWH, SECONDS_PER_HOUR, Metrics

_TINY = 1e-12


@dataclass
class StepReward:
    """Per-decision rewards of one episode on ``scenario`` against ``reference`` (best fit's metrics).

    Call :meth:`placed` for each decision; :meth:`remainder` once the episode has ended.
    """

    scenario: Scenario
    reference: Metrics

    def __post_init__(self):
        weights = dict(
            zip(OBJECTIVES, self.scenario.weight_vector / self.scenario.weight_vector.sum(), strict=True)
        )
        nodes, tasks = self.scenario.nodes, self.scenario.tasks
        self.busy_until = np.full(len(nodes), -np.inf)
        self.total = 0.0
        deadlines = int(np.count_nonzero(tasks.has_deadline))
        sleeps = self.scenario.idle_nodes_sleep
        self._per_dollar = weights["cost"] / max(self.reference.cost_usd, _TINY) if sleeps else 0.0
        self._per_kwh = weights["energy"] / max(self.reference.energy_kwh, _TINY) if sleeps else 0.0
        self._per_latency_s = (
            0.5 * weights["latency"] / (len(tasks) * max(self.reference.mean_latency_s, _TINY))
        )
        floor = max(self.reference.sla_violation_rate, 1.0 / max(deadlines, 1))
        self._per_violation = weights["sla"] / (max(deadlines, 1) * floor)

    def placed(self, task: np.ndarray, nodes: np.ndarray, node: int) -> float:
        """The reward of placing ``task`` (the contract's task vector) on ``node`` of ``nodes`` (the node
        matrix as the decision saw it), now ``task[T_NOW]``."""
        now, duration = task[F.T_NOW], task[F.T_DURATION]
        finish = now + duration
        extension = max(0.0, finish - max(now, self.busy_until[node]))
        self.busy_until[node] = max(self.busy_until[node], finish)
        row = nodes[node]
        dollars = row[F.N_PRICE] * extension / SECONDS_PER_HOUR
        cpu_share = task[F.T_CPU] / row[F.N_CPU_CAP] if row[F.N_CPU_CAP] > 0 else 0.0
        joules = row[F.N_IDLE_W] * extension + (row[F.N_PEAK_W] - row[F.N_IDLE_W]) * cpu_share * duration
        latency = task[F.T_WAIT] + duration + row[F.N_LATENCY] / 1000.0
        violated = task[F.T_DEADLINE] < F.NO_DEADLINE and latency > task[F.T_DEADLINE]
        reward = -(
            self._per_dollar * dollars
            + self._per_kwh * joules / JOULES_PER_KWH
            + self._per_latency_s * latency
            + self._per_violation * violated
        )
        self.total += reward
        return float(reward)

    def remainder(self, fitness: float) -> float:
        """What the episode's last reward adds so that the rewards sum to ``fitness``."""
        rest = fitness - self.total
        self.total = fitness
        return float(rest)
