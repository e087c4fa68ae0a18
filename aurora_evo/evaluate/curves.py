"""Was a trained baseline still learning when its budget ran out? The change of its training curve over
the last fifth of the budget.

DQN and PPO: the greedy network's fitness on the same few training scenarios at the last checkpoint
against the checkpoint at (or just before) four fifths of the budget, tested paired over those scenarios
(:func:`~aurora_evo.evaluate.statistics.paired_test`). The GA: its best fitness so far (on the whole
train split, measured without noise) at the last generation against four fifths of the way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from aurora_evo.evaluate.statistics import paired_test

#: The share of the budget at the end whose change is measured.
LAST_SHARE = 0.2
#: A GA whose best fitness rose by more than this over the last fifth is still rising (its fitness is
#: exact, so there is no test; 0.001 is a tenth of a percent on the weighted objectives).
GA_RISE = 0.001
#: Below this p-value, a change of the networks' checkpoints counts as a rise or a fall.
SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class Trend:
    """A curve's change over the last fifth of training.

    Attributes:
        start, end: the budget (decisions, or generations for the GA) at the two points compared.
        before, after: the fitness there.
        change: ``after - before``.
        pvalue: paired t-test over the checkpoint scenarios (``None`` for the GA).
        verdict: ``"rising"``, ``"falling"`` or ``"flat"``.
    """

    start: int
    end: int
    before: float
    after: float
    change: float
    pvalue: float | None
    verdict: str


def training_trend(training: dict) -> dict | None:
    """The :class:`Trend` (as a dict) of a trained baseline's record (``budget``, ``curve``, and for DQN
    and PPO ``checkpoints``); ``None`` when it has too few points to say."""
    if "checkpoints" in training:
        return _network_trend(training["checkpoints"])
    return _ga_trend(training.get("curve", []))


def _point_before(points: list[dict], key: str) -> dict:
    """The last point at or before four fifths of the final point's ``key``."""
    cut = (1 - LAST_SHARE) * points[-1][key]
    return [p for p in points[:-1] if p[key] <= cut][-1]


def _network_trend(checkpoints: list[dict]) -> dict | None:
    if len(checkpoints) < 2:
        return None
    first, last = _point_before(checkpoints, "timesteps"), checkpoints[-1]
    test = paired_test(last["per_scenario"], first["per_scenario"], higher_is_better=True)
    p = test.t_pvalue
    verdict = "flat" if not p < SIGNIFICANCE else ("rising" if test.mean_difference > 0 else "falling")
    trend = Trend(
        first["timesteps"],
        last["timesteps"],
        first["fitness"],
        last["fitness"],
        test.mean_difference,
        p,
        verdict,
    )
    return asdict(trend)


def _ga_trend(curve: list[dict]) -> dict | None:
    if len(curve) < 2:
        return None
    first, last = _point_before(curve, "generation"), curve[-1]
    change = last["best_so_far"] - first["best_so_far"]
    verdict = "rising" if change > GA_RISE else "flat"
    trend = Trend(
        first["generation"],
        last["generation"],
        first["best_so_far"],
        last["best_so_far"],
        change,
        None,
        verdict,
    )
    return asdict(trend)
