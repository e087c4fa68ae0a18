"""A fitness that separates policies: each objective's relative change against best fit's on the same
scenario, weighted by the scenario's objective weights.

The reward of :mod:`aurora_evo.sim.metrics` scores each objective against a fixed yardstick (cost and
energy against every node on at peak power for the whole horizon, latency as duration over latency), so
every sensible policy scores close to every other: on the expert seeds random placement is within a
few per cent of best fit. What an operator weighs is how much dearer, slower or less reliable one
policy is than a known one, so here each objective is measured against best fit's figure on the same
scenario (:func:`relative_changes`):

* latency: the mean of the relative changes of the mean and of the p99 latency;
* utilisation: of the mean of cpu and memory utilisation (those the cluster has);
* cost, energy, makespan: of the dollars, kWh and seconds;
* SLA and failure: of the violation and rejection rates, against at least one task's worth (one
  violation among the tasks with a deadline, one rejection among all) so that best fit's 0 does not
  make every violation infinitely worse;
* fairness: of the Gini coefficient, against at least :data:`GINI_FLOOR`.

Each change is signed so that positive is better than best fit and clipped to ``[-1, 1]`` (a policy
twice as dear as best fit is as bad as one ten times as dear: no single objective swamps the others).
The fitness is their mean weighted by the scenario's objective weights
(:data:`~aurora_evo.scenario.model.DEFAULT_WEIGHTS` per domain, or the scenario's own): 0 is best fit,
+0.1 is 10 % better on the weighted objectives. The reward stays what
:attr:`~aurora_evo.sim.metrics.Metrics.reward` holds.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from aurora_evo.scenario.model import OBJECTIVES, Scenario
from aurora_evo.sim.metrics import Metrics

#: Smallest Gini coefficient a change in fairness is measured against.
GINI_FLOOR = 0.01
#: Each objective's relative change is clipped to ``[-CLIP, CLIP]``.
CLIP = 1.0


def _lower_is_better(value: float, reference: float, floor: float) -> float:
    """``(reference - value) / max(reference, floor)``: positive when ``value`` is lower."""
    scale = max(abs(reference), floor)
    if scale <= 0:
        return 0.0 if value == reference else -CLIP
    return (reference - value) / scale


def _utilisation(metrics: Metrics) -> float:
    return float(metrics.scores["utilization"])


def relative_changes(scenario: Scenario, metrics: Metrics, reference: Metrics) -> dict[str, float]:
    """Per objective of :data:`~aurora_evo.scenario.model.OBJECTIVES`, ``metrics``' relative change
    against ``reference`` (best fit's on the same scenario), positive when better, clipped to
    ``[-1, 1]`` (see the module docstring)."""
    n_deadlines = int(np.count_nonzero(scenario.tasks.has_deadline))
    n_tasks = max(len(scenario.tasks), 1)
    tiny = 1e-12
    mean_latency = _lower_is_better(metrics.mean_latency_s, reference.mean_latency_s, tiny)
    p99_latency = _lower_is_better(metrics.p99_latency_s, reference.p99_latency_s, tiny)
    ref_util = _utilisation(reference)
    changes = {
        "latency": 0.5 * (mean_latency + p99_latency),
        "utilization": -_lower_is_better(_utilisation(metrics), ref_util, tiny),
        "cost": _lower_is_better(metrics.cost_usd, reference.cost_usd, tiny),
        "energy": _lower_is_better(metrics.energy_kwh, reference.energy_kwh, tiny),
        "sla": _lower_is_better(
            metrics.sla_violation_rate, reference.sla_violation_rate, 1.0 / max(n_deadlines, 1)
        ),
        "failure": _lower_is_better(metrics.failure_rate, reference.failure_rate, 1.0 / n_tasks),
        "makespan": _lower_is_better(metrics.makespan_s, reference.makespan_s, tiny),
        "fairness": _lower_is_better(metrics.fairness_gini, reference.fairness_gini, GINI_FLOOR),
    }
    return {term: float(np.clip(changes[term], -CLIP, CLIP)) for term in OBJECTIVES}


def weighted_fitness(scenario: Scenario, changes: Mapping[str, float]) -> float:
    """The mean of ``changes`` (per objective) weighted by the scenario's objective weights."""
    weights = scenario.weight_vector
    return float(np.dot(weights, [changes[term] for term in OBJECTIVES]) / weights.sum())


def relative_fitness(scenario: Scenario, metrics: Metrics, reference: Metrics) -> float:
    """The fitness of ``metrics`` on ``scenario`` against ``reference`` (best fit's): 0 for best fit
    itself, positive when better on the scenario's weighted objectives; at most 1, at least -1."""
    return weighted_fitness(scenario, relative_changes(scenario, metrics, reference))


def best_fit_metrics(scenario: Scenario) -> Metrics:
    """Best fit's metrics on ``scenario`` (the seed program ``best_fit``, vetted, run in this process):
    the reference of :func:`relative_fitness`."""
    from aurora_evo.scheduler import load_scheduler  # cycle: scheduler imports the simulator lazily
    from aurora_evo.seeds import seed_program_paths  # cycle: seeds loads scenarios

    result = load_scheduler(seed_program_paths()["best_fit"]).run(scenario)
    if result.metrics is None:  # a vetted seed never fails; say so loudly if it ever does
        raise RuntimeError(f"best fit failed on {scenario.name}: {result.message}")
    return result.metrics
