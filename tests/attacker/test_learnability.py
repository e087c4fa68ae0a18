"""The learnability curve (property tests) and what counts as the defender's success."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aurora_evo.attacker.learnability import (
    LearnabilityConfig,
    learnability,
    scenario_learnability,
    success,
    success_rate,
)
from aurora_evo.sim.metrics import Metrics

# Multiples of 1e-6, so that 1 - (1 - p) is p to rounding (tiny p would vanish in 1 - p).
rates = st.integers(0, 10**6).map(lambda i: i / 10**6)
spots = st.floats(0.02, 0.98, allow_nan=False)
widths = st.floats(0.02, 1.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(rates, min_size=1, max_size=20), spots, widths)
def test_in_unit_interval(values, spot, width):
    assert 0.0 <= learnability(values, spot, width) <= 1.0


@settings(max_examples=200, deadline=None)
@given(rates, spots, widths)
def test_maximum_is_one_at_the_sweet_spot(p, spot, width):
    assert learnability([spot], spot, width) == pytest.approx(1.0)
    assert learnability([p], spot, width) <= learnability([spot], spot, width) + 1e-12


@settings(max_examples=200, deadline=None)
@given(rates, rates, spots, widths)
def test_unimodal(p, q, spot, width):
    low, high = sorted((p, q))
    if high <= spot:  # rising below the sweet spot
        assert learnability([low], spot, width) <= learnability([high], spot, width) + 1e-12
    if low >= spot:  # falling above it
        assert learnability([low], spot, width) >= learnability([high], spot, width) - 1e-12


@settings(max_examples=200, deadline=None)
@given(rates, widths)
def test_symmetric_about_one_half(p, width):
    assert learnability([p], 0.5, width) == pytest.approx(
        learnability([1.0 - p], 0.5, width), rel=1e-6, abs=1e-12
    )


@settings(max_examples=200, deadline=None)
@given(rates, spots, widths)
def test_mirror_of_the_sweet_spot(p, spot, width):
    mirrored = learnability([1.0 - p], 1.0 - spot, width)
    assert learnability([p], spot, width) == pytest.approx(mirrored, rel=1e-6, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(spots, widths)
def test_nothing_to_learn_when_all_or_none_succeed(spot, width):
    assert learnability([0.0, 0.0, 0.0], spot, width) == 0.0
    assert learnability([1.0, 1.0], spot, width) == 0.0


@settings(max_examples=100, deadline=None)
@given(rates)
def test_special_cases_are_the_classic_curves(p):
    assert learnability([p], 0.5, 0.25) == pytest.approx((4 * p * (1 - p)) ** 2, abs=1e-12)
    assert learnability([p], 0.5, 1 / (2 * math.sqrt(2))) == pytest.approx(4 * p * (1 - p), abs=1e-12)


def test_the_mean_rate_counts():
    assert learnability([0.0, 1.0]) == pytest.approx(1.0)
    assert learnability([0.0, 0.0, 1.0, 1.0]) == learnability([0.5])
    assert learnability([0.2], 0.2, 0.1) == pytest.approx(1.0)
    assert learnability([0.6], 0.2, 0.1) < 0.01


@pytest.mark.parametrize(
    "values, spot, width",
    [([], 0.5, 0.25), ([1.5], 0.5, 0.25), ([-0.1], 0.5, 0.25), ([0.5], 0.0, 0.25), ([0.5], 1.0, 0.25),
     ([0.5], 0.5, 0.0), ([float("nan")], 0.5, 0.25)],
)  # fmt: skip
def test_bad_input_is_one_line(values, spot, width):
    with pytest.raises(ValueError) as info:
        learnability(values, spot, width)
    assert "\n" not in str(info.value)


def _metrics(reward, sla=0.0, failure=0.0):
    return {"reward": reward, "sla_violation_rate": sla, "failure_rate": failure}


def test_success_needs_reward_and_few_sla_violations():
    config = LearnabilityConfig(reward_threshold=0.8, max_sla_violation_rate=0.1)
    assert success(_metrics(0.8), config=config)
    assert not success(_metrics(0.79), config=config)
    assert not success(_metrics(0.9, sla=0.2), config=config)
    assert success(_metrics(0.9, sla=0.1, failure=0.5), config=config)  # failures unlimited by default
    assert not success(_metrics(0.9, failure=0.5), config=LearnabilityConfig(max_failure_rate=0.2))
    assert success(_metrics(0.5), 0.4, config)  # an explicit threshold wins
    assert not success(_metrics(float("nan")), config=config)
    assert not success({}, config=config)
    assert not success({"reward": 0.95})  # a checked metric that is missing fails
    assert success({"reward": 0.95}, config=LearnabilityConfig(max_sla_violation_rate=1.0))


def test_success_reads_metrics_objects():
    fields = dict.fromkeys(Metrics.__dataclass_fields__, 0.0) | {"scores": {}}
    good = Metrics(**(fields | {"reward": 0.9, "sla_violation_rate": 0.05}))
    bad = Metrics(**(fields | {"reward": 0.9, "sla_violation_rate": 0.5}))
    assert success(good) and not success(bad)


def test_success_rate_and_scenario_learnability():
    runs = [_metrics(0.9), _metrics(0.9, sla=0.5), _metrics(0.2), _metrics(0.95)]
    assert success_rate(runs) == 0.5
    assert scenario_learnability(runs) == pytest.approx(1.0)
    assert scenario_learnability([_metrics(0.99)] * 4) == 0.0
    with pytest.raises(ValueError):
        success_rate([])


@pytest.mark.parametrize(
    "field, value",
    [("reward_threshold", 1.5), ("max_sla_violation_rate", -0.1), ("sweet_spot", 1.0), ("width", 0.0)],
)
def test_config_is_checked(field, value):
    with pytest.raises(ValueError, match=field if field != "width" else "width"):
        LearnabilityConfig(**{field: value})
