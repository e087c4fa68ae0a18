"""A trained baseline's trend over the last fifth of its budget."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from aurora_evo.evaluate.curves import GA_RISE, training_trend


def _checkpoints(rows: list[list[float]], every: int = 100) -> dict:
    return {
        "checkpoints": [
            {"timesteps": i * every, "fitness": float(np.mean(r)), "per_scenario": r}
            for i, r in enumerate(rows)
        ]
    }


def test_the_last_checkpoint_is_compared_with_the_one_at_four_fifths_paired_over_scenarios():
    rng = np.random.default_rng(3)
    rows = [list(rng.normal(0.01 * i, 0.002, 8)) for i in range(11)]
    trend = training_trend(_checkpoints(rows))
    assert (trend["start"], trend["end"]) == (800, 1000)
    assert trend["change"] == pytest.approx(np.mean(rows[10]) - np.mean(rows[8]))
    assert trend["pvalue"] == pytest.approx(stats.ttest_rel(rows[10], rows[8]).pvalue)
    assert trend["verdict"] == "rising"
    falling = training_trend(_checkpoints(rows[::-1]))
    assert falling["verdict"] == "falling" and falling["change"] < 0


def test_noise_without_a_trend_is_flat():
    rng = np.random.default_rng(4)
    rows = [list(rng.normal(0.0, 0.05, 8)) for _ in range(11)]
    trend = training_trend(_checkpoints(rows))
    assert trend["verdict"] == "flat" and trend["pvalue"] >= 0.05


def test_a_budget_not_cut_evenly_compares_with_the_last_checkpoint_before_four_fifths():
    record = _checkpoints([[0.0, 0.1], [0.1, 0.2], [0.2, 0.2], [0.3, 0.3]], every=300)  # 0 ... 900
    record["checkpoints"].append({"timesteps": 1000, "fitness": 0.35, "per_scenario": [0.3, 0.4]})
    assert training_trend(record)["start"] == 600  # 4/5 of 1,000 is 800: the checkpoint at 600


def test_the_ga_is_rising_while_its_best_so_far_gains_more_than_a_tenth_of_a_percent():
    def curve(bests):
        return {"curve": [{"generation": g, "best_so_far": b} for g, b in enumerate(bests)]}

    rising = training_trend(curve([0.0] * 9 + [0.002, 0.0025]))
    assert rising["verdict"] == "rising" and rising["change"] == pytest.approx(0.0025) and 0.0025 > GA_RISE
    assert rising["pvalue"] is None and (rising["start"], rising["end"]) == (8, 10)
    assert training_trend(curve([0.0] * 9 + [0.0005, 0.0009]))["verdict"] == "flat"


def test_too_few_points_say_nothing():
    assert training_trend({"checkpoints": []}) is None
    assert training_trend(_checkpoints([[0.1, 0.2]])) is None
    assert training_trend({"curve": [{"generation": 0, "best_so_far": 0.1}]}) is None
