"""The best fit on arrival that sizes a replayed window's nodes: compiled, it places as the plain
numpy loop it replaced does (kept as :func:`places_on_arrival_reference`)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aurora_evo.traces.sizing import fits_some_node, places_on_arrival, places_on_arrival_reference


def test_places_on_arrival_sees_the_fragmentation_a_total_hides():
    """Two 4-core nodes and tasks of 3, 3 and 2 cores: 8 cores asked of 8, yet the third finds 1 free core
    on each node; a third node places it. A task ending when the next arrives makes room for it."""
    demand = np.array([[3.0, 0, 0, 0], [3.0, 0, 0, 0], [2.0, 0, 0, 0]])
    arrival, duration = np.array([0.0, 1.0, 2.0]), np.full(3, 100.0)
    node = np.array([4.0, 16.0, 0, 0])
    assert not places_on_arrival(demand, arrival, duration, np.array([node, node]))
    assert places_on_arrival(demand, arrival, duration, np.array([node, node, node]))
    assert places_on_arrival(demand, arrival, np.ones(3), np.array([node]))
    must = np.array([True, True, False])  # the third may wait
    assert places_on_arrival(demand, arrival, duration, np.array([node, node]), must=must)
    assert not places_on_arrival(demand, arrival, duration, np.array([node, node]), must=~must)


@st.composite
def windows(draw):
    """Small windows whose tasks collide often: whole-second arrivals, few sizes, a few nodes (some
    without a resource), zero-length runs among them."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 40)), int(rng.integers(1, 5))
    demand = rng.choice([0.0, 0.5, 1.0, 2.0], size=(n, 4))
    arrival = np.round(rng.uniform(0.0, 10.0, n))
    duration = rng.choice([0.0, 1.0, 2.0, 5.0], size=n)
    capacity = rng.choice([0.0, 1.0, 2.0, 4.0], size=(m, 4))
    must = rng.random(n) < 0.7 if draw(st.booleans()) else None
    return demand, arrival, duration, capacity, must


@settings(max_examples=300, deadline=None)
@given(windows())
def test_the_compiled_best_fit_places_as_the_numpy_loop_does(window):
    assert places_on_arrival(*window) == places_on_arrival_reference(*window)


@given(windows())
def test_a_task_fits_some_node_when_it_fits_one_of_them_empty(window):
    """Compared by distinct request and node shape, as each task against each node."""
    demand, _, _, capacity, _ = window
    each = (demand[:, None, :] <= capacity[None, :, :] + 1e-9).all(axis=2).any(axis=1)
    np.testing.assert_array_equal(fits_some_node(demand, capacity), each)
    assert fits_some_node(demand[:0], capacity).shape == (0,)
