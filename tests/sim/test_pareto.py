"""Pareto helpers: non-dominated sets and exact hypervolume against independent computations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from aurora_evo.sim.pareto import dominates, hypervolume, non_dominated, pareto_front


def test_non_dominated_mask():
    points = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.4, 0.4], [1.0, 0.0]])
    assert non_dominated(points).tolist() == [True, True, True, False, True]
    assert pareto_front(points).tolist() == [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]
    assert dominates(np.array([0.5, 0.5]), np.array([0.4, 0.5]))
    assert not dominates(np.array([0.5, 0.5]), np.array([0.5, 0.5]))


def test_hypervolume_by_hand():
    assert hypervolume(np.array([[1.0, 1.0]])) == 1.0
    # Two boxes 1x0.5 and 0.5x1 overlap in 0.5x0.5.
    assert hypervolume(np.array([[1.0, 0.5], [0.5, 1.0]])) == pytest.approx(0.75)
    # (1, 1, 1) and (2, 0.5, 0.5) over the reference, overlapping in (1, 0.5, 0.5).
    assert hypervolume(np.array([[2.0, 2.0, 2.0], [3.0, 1.5, 1.5]]), reference=np.ones(3)) == pytest.approx(
        1.25
    )
    assert hypervolume(np.array([[0.5, -1.0]])) == 0.0


def _inclusion_exclusion(points: np.ndarray) -> float:
    """Volume of the union of the boxes [0, p] by inclusion-exclusion (exponential, for tiny sets)."""
    total = 0.0
    for size in range(1, len(points) + 1):
        for subset in itertools.combinations(points, size):
            total += (-1) ** (size + 1) * np.prod(np.min(subset, axis=0))
    return total


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 4)), elements=st.floats(0.01, 1.0)))
def test_hypervolume_matches_inclusion_exclusion(points):
    assert hypervolume(points) == pytest.approx(_inclusion_exclusion(points), rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 12), st.integers(2, 3)), elements=st.floats(0.0, 1.0)))
def test_front_members_are_not_dominated_and_the_rest_are(points):
    mask = non_dominated(points)
    for i, p in enumerate(points):
        dominated = any(dominates(q, p) for q in points)
        assert mask[i] == (not dominated)


def test_many_objectives_are_estimated_closely():
    rng = np.random.default_rng(3)
    points = rng.uniform(0.2, 1.0, size=(20, 8))
    estimate = hypervolume(points, rng=np.random.default_rng(1), samples=200_000)
    exact_of_a_box = hypervolume(np.ones((1, 8)) * 0.5)
    assert exact_of_a_box == pytest.approx(0.5**8, rel=0.02)
    # The union of 20 boxes lies between the largest box and the sum of all of them.
    boxes = np.prod(points, axis=1)
    assert boxes.max() * 0.98 <= estimate <= boxes.sum()


def test_nan_points_are_refused():
    with pytest.raises(ValueError, match="finite"):
        non_dominated(np.array([[np.nan, 1.0], [0.5, 0.5]]))
