"""The numbers of an evaluation, JSON-ready: per objective and policy the mean with a 95 % bootstrap
interval, the paired comparisons against best fit and against DQN (Holm-corrected per objective and
test), and the Pareto shares (:mod:`aurora_evo.evaluate.statistics`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from aurora_evo.evaluate.run import PolicyResult
from aurora_evo.evaluate.statistics import compare_policies, mean_interval, pareto_shares
from aurora_evo.scenario.model import Scenario

#: The objectives reported: key, label, unit, higher is better. ``fitness`` is the relative fitness
#: against best fit (:mod:`aurora_evo.sim.fitness`), ``reward`` the simulator's weighted score.
OBJECTIVES = (
    ("fitness", "fitness", "", True),
    ("reward", "reward", "", True),
    ("mean_latency_s", "mean latency", "s", False),
    ("p99_latency_s", "p99 latency", "s", False),
    ("sla_violation_rate", "SLA violations", "", False),
    ("cpu_utilization", "cpu utilisation", "", True),
    ("memory_utilization", "memory utilisation", "", True),
    ("cost_usd", "cost", "$", False),
    ("energy_kwh", "energy", "kWh", False),
    ("failure_rate", "rejections", "", False),
    ("fairness_gini", "Gini", "", False),
)
#: Objectives of the Pareto comparison: the operator's own, not the aggregates (fitness, reward).
PARETO_OBJECTIVES = tuple(key for key, *_ in OBJECTIVES if key not in ("fitness", "reward"))
#: Policies every other is compared with, when they were measured.
REFERENCES = ("best_fit", "dqn")


def values(result: PolicyResult, key: str) -> np.ndarray:
    """``(n_scenarios,)`` one objective of one policy."""
    if key == "fitness":
        return np.asarray(result.fitness, dtype=np.float64)
    return np.array([getattr(m, key) for m in result.metrics], dtype=np.float64)


def summarise(results: Sequence[PolicyResult], rng: np.random.Generator) -> dict:
    """``objectives`` (key -> label, unit, direction, per policy interval, comparisons) and ``pareto``
    (per policy the share of scenarios where it is non-dominated, and its mean scaled hypervolume),
    over the policies that did not fail."""
    measured = [r for r in results if not r.error]
    references = [name for name in REFERENCES if any(r.name == name for r in measured)]
    objectives = {}
    for key, label, unit, higher in OBJECTIVES:
        table = {r.name: values(r, key) for r in measured}
        comparisons = compare_policies(table, references, higher)
        objectives[key] = {
            "label": label,
            "unit": unit,
            "higher_is_better": higher,
            "intervals": {name: dataclasses.asdict(mean_interval(v, rng)) for name, v in table.items()},
            "comparisons": [comparison_record(c) for c in comparisons],
        }
    points = {
        r.name: np.column_stack([values(r, key) * (1 if higher else -1) for key, _, _, higher in _pareto()])
        for r in measured
    }
    shares = pareto_shares(points)
    pareto = {
        "objectives": list(PARETO_OBJECTIVES),
        "share_non_dominated": shares.shares,
        "mean_hypervolume": {
            name: float(shares.hypervolume[:, i].mean()) for i, name in enumerate(shares.policies)
        },
    }
    return {"objectives": objectives, "pareto": pareto}


def _pareto():
    return [objective for objective in OBJECTIVES if objective[0] in PARETO_OBJECTIVES]


def comparison_record(comparison) -> dict:
    """A :class:`~aurora_evo.evaluate.statistics.Comparison`, JSON-ready."""
    return {
        "policy": comparison.policy,
        "reference": comparison.reference,
        **dataclasses.asdict(comparison.test),
        "t_pvalue_holm": comparison.t_pvalue_holm,
        "wilcoxon_pvalue_holm": comparison.wilcoxon_pvalue_holm,
    }


def per_scenario(results: Sequence[PolicyResult], scenarios: Sequence[Scenario]) -> dict:
    """Per policy: kind, error, decision time, training record, and each objective per scenario."""
    out = {}
    for r in results:
        out[r.name] = {
            "kind": r.kind,
            "error": r.error,
            "decision_ms": r.decision_ms,
            "training": r.training,
            "values": {} if r.error else {key: values(r, key).tolist() for key, *_ in OBJECTIVES},
        }
    return {"scenarios": [s.name for s in scenarios], "policies": out}
