"""Elo ratings: expected results, zero-sum updates, matches from per-case scores."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aurora_evo.archive import INITIAL_RATING, elo

# Realistic ratings: within a few thousand points, where expected() is strictly inside (0, 1).
ratings = st.floats(0.0, 5_000.0)
results = st.sampled_from([0.0, 0.5, 1.0]) | st.floats(0.0, 1.0)
ks = st.floats(0.1, 64.0)


@given(ratings, ratings)
def test_expected_is_a_probability_and_symmetric(ra, rb):
    e = elo.expected(ra, rb)
    assert 0.0 < e < 1.0
    assert e + elo.expected(rb, ra) == pytest.approx(1.0)
    assert elo.expected(ra, ra) == 0.5


@given(ratings, ratings, st.floats(0.0, 5_000.0))
def test_expected_grows_with_the_rating_gap(ra, rb, gap):
    assert elo.expected(ra + gap, rb) >= elo.expected(ra, rb)


def test_expected_known_values_and_extremes():
    assert elo.expected(1900.0, 1500.0) == pytest.approx(10 / 11)
    assert 0.0 < elo.expected(0.0, 1e9) <= 1e-300  # no overflow
    assert elo.expected(1e9, 0.0) == 1.0


@given(ratings, ratings, results, ks)
def test_update_is_zero_sum_and_symmetric(ra, rb, result, k):
    na, nb = elo.update(ra, rb, result, k)
    assert na + nb == pytest.approx(ra + rb, abs=1e-9)
    assert abs(na - ra) <= k * (1 + 1e-9)
    assert elo.update(rb, ra, 1.0 - result, k) == pytest.approx((nb, na))


@given(ratings, ratings, ks)
def test_winner_gains_and_loser_loses(ra, rb, k):
    na, nb = elo.update(ra, rb, 1.0, k)
    assert na >= ra and nb <= rb
    na, nb = elo.update(ra, rb, 0.0, k)
    assert na <= ra and nb >= rb


def test_update_known_value_and_bad_result():
    assert elo.update(1500.0, 1500.0, 1.0, 16.0) == (1508.0, 1492.0)
    with pytest.raises(ValueError, match="result"):
        elo.update(1500.0, 1500.0, 2.0)


def test_match_results_over_shared_cases():
    a = {"x": 1.0, "y": 0.5, "z": 2.0, "only_a": 9.0, "gone": None, "nan": math.nan}
    b = {"x": 0.5, "y": 0.5 + 1e-12, "z": 3.0, "only_b": 9.0, "gone": 1.0, "nan": 1.0}
    assert elo.match_results(a, b) == [("x", 1.0), ("y", 0.5), ("z", 0.0)]
    assert elo.match_results(a, b, tol=2.0) == [("x", 0.5), ("y", 0.5), ("z", 0.5)]
    assert elo.match_results({}, b) == []


@given(st.dictionaries(st.sampled_from("abcdef"), st.floats(-5, 5), max_size=6), st.data())
def test_match_results_are_antisymmetric(a, data):
    b = data.draw(st.dictionaries(st.sampled_from("abcdef"), st.floats(-5, 5), max_size=6))
    forward, backward = elo.match_results(a, b), elo.match_results(b, a)
    assert [c for c, _ in forward] == sorted(a.keys() & b.keys())
    assert [1.0 - r for _, r in forward] == [r for _, r in backward]


def test_play_applies_matches_in_order_without_changing_its_input():
    start = {"a": 1600.0, "c": 1400.0}
    results = [("x", 1.0), ("y", 0.0), ("z", 0.5)]
    new = elo.play(start, "a", "b", results, k=20.0)
    ra, rb = 1600.0, INITIAL_RATING
    for _, r in results:
        ra, rb = elo.update(ra, rb, r, 20.0)
    assert new == {"a": ra, "b": rb, "c": 1400.0}
    assert start == {"a": 1600.0, "c": 1400.0}
    assert elo.play(start, "a", "b", [r for _, r in results], k=20.0) == new  # bare results work too
    assert elo.play(start, "a", "c", []) == start
    with pytest.raises(ValueError, match="itself"):
        elo.play(start, "a", "a", results)
