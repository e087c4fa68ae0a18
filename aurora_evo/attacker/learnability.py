"""The attacker's reward: a scenario is worth most when the defenders solve it about half the time.

A scenario every current elite solves teaches nothing, and neither does one none can solve; the
useful ones sit in between (the "learnability" of Unsupervised Environment Design, PLR and OMNI-EPIC,
whose ``p (1 - p)`` peaks at p = 1/2). :func:`learnability` generalises that curve to any sweet spot s
and width w:

    f(p) = (p / s) ** (s k) * ((1 - p) / (1 - s)) ** ((1 - s) k),  with k = s (1 - s) / w ** 2,

where p is the mean success rate of the elites. f(s) = 1 is its maximum, f(0) = f(1) = 0, and near s it
behaves like a Gaussian of standard deviation w (the curvature of log f at s is -1 / w ** 2). With
s = 1/2 and w = 1/4 it is ``(4 p (1 - p)) ** 2``; with w = 1/(2 sqrt 2), ``4 p (1 - p)`` itself. It is
symmetric about 1/2 when s = 1/2, and in general ``f_s(p) = f_(1 - s)(1 - p)``.

:func:`success` says what "the defender succeeds on a scenario" means for one program's metrics
there (:class:`LearnabilityConfig`): a reward of at least a threshold and at most a share of SLA
violations (and of rejected tasks).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LearnabilityConfig:
    """What counts as success, and the shape of the learnability curve.

    Attributes:
        reward_threshold: a program succeeds on a scenario when its reward (in [0, 1]) is at least this.
            0.85: best fit meets it (with the SLA limit) on about half of the random easy and medium
            genomes, a third of the hard ones and a fifth of the expert ones.
        max_sla_violation_rate: ... and its SLA-violation rate (share of deadline tasks late or rejected)
            is at most this (1.0: no limit).
        max_failure_rate: ... and its failure rate (share of tasks rejected) is at most this (1.0: no limit).
        sweet_spot: the elites' mean success rate at which a scenario is most learnable, in (0, 1).
        width: how fast learnability falls away from the sweet spot (about a standard deviation), > 0.
    """

    reward_threshold: float = 0.85
    max_sla_violation_rate: float = 0.1
    max_failure_rate: float = 1.0
    sweet_spot: float = 0.5
    width: float = 0.25

    def __post_init__(self) -> None:
        for name in ("reward_threshold", "max_sla_violation_rate", "max_failure_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"LearnabilityConfig.{name} must be in [0, 1], got {value}")
        _check_curve(self.sweet_spot, self.width)


def _check_curve(sweet_spot: float, width: float) -> None:
    if not 0.0 < sweet_spot < 1.0:
        raise ValueError(f"sweet_spot must be in (0, 1), got {sweet_spot}")
    if not (width > 0.0 and math.isfinite(width)):
        raise ValueError(f"width must be a positive number, got {width}")


def learnability(success_rates: Sequence[float], sweet_spot: float = 0.5, width: float = 0.25) -> float:
    """How worth training on a scenario is, in [0, 1], from the elites' success rates on it.

    ``success_rates`` holds one rate per elite (each in [0, 1]: 0 or 1 for a single evaluation, or a
    share over seeds); their mean p goes through the curve of the module docstring: 1 at
    ``sweet_spot``, 0 at p = 0 and p = 1.

    Raises:
        ValueError: no rates, a rate outside [0, 1], ``sweet_spot`` outside (0, 1) or ``width <= 0``.
    """
    _check_curve(sweet_spot, width)
    rates = [float(r) for r in success_rates]
    if not rates:
        raise ValueError("learnability needs at least one success rate")
    if not all(0.0 <= r <= 1.0 for r in rates):
        raise ValueError(f"success rates must be in [0, 1], got {[r for r in rates if not 0 <= r <= 1][:3]}")
    p = min(max(math.fsum(rates) / len(rates), 0.0), 1.0)
    if p in (0.0, 1.0):
        return 0.0
    s = sweet_spot
    k = s * (1.0 - s) / width**2
    log_value = s * k * math.log(p / s) + (1.0 - s) * k * math.log((1.0 - p) / (1.0 - s))
    return min(1.0, max(0.0, math.exp(log_value)))


def _metric(metrics: Mapping[str, Any] | Any, key: str) -> float:
    value = metrics[key] if isinstance(metrics, Mapping) else getattr(metrics, key)
    return float(value)


def success(
    metrics: Mapping[str, Any] | Any,
    threshold: float | None = None,
    config: LearnabilityConfig = LearnabilityConfig(),
) -> bool:
    """Whether one program succeeded on one scenario.

    ``metrics`` is a per-scenario metrics mapping (as the sandbox returns: ``reward``,
    ``sla_violation_rate``, ``failure_rate``) or a :class:`~aurora_evo.sim.metrics.Metrics`. Success
    means ``reward >= threshold`` (default ``config.reward_threshold``) and ``sla_violation_rate <=
    config.max_sla_violation_rate`` and ``failure_rate <= config.max_failure_rate``. A missing or NaN
    metric that is checked is a failure (a program that crashed has no metrics); limits of 1.0 are not
    checked, so their metrics may be absent.
    """
    limit = config.reward_threshold if threshold is None else threshold
    checks = [("reward", limit, 1.0)]
    for key, cap in (
        ("sla_violation_rate", config.max_sla_violation_rate),
        ("failure_rate", config.max_failure_rate),
    ):
        if cap < 1.0:
            checks.append((key, -cap, -1.0))
    for key, low, sign in checks:
        try:
            value = sign * _metric(metrics, key)
        except (KeyError, AttributeError, TypeError, ValueError):
            return False
        if not value >= low:  # NaN fails too
            return False
    return True


def success_rate(
    runs: Iterable[Mapping[str, Any] | Any], config: LearnabilityConfig = LearnabilityConfig()
) -> float:
    """Share of ``runs`` (one program's metrics on one scenario, e.g. over seeds) that succeed."""
    outcomes = [success(m, config=config) for m in runs]
    if not outcomes:
        raise ValueError("success_rate needs at least one run")
    return sum(outcomes) / len(outcomes)


def scenario_learnability(
    elite_metrics: Iterable[Mapping[str, Any] | Any],
    config: LearnabilityConfig = LearnabilityConfig(),
) -> float:
    """Learnability of one scenario from each elite's metrics on it (one run per elite)."""
    rates = [1.0 if success(m, config=config) else 0.0 for m in elite_metrics]
    return learnability(rates, config.sweet_spot, config.width)
