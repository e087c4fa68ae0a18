"""The compiled clairvoyant packing places every task where the numpy reference does."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aurora_evo.features import NO_DEADLINE
from aurora_evo.scenario.quality.feasibility import PACKING_ORDERS, _insert_all, insert_all_reference
from aurora_evo.seeds import seed_scenarios


@st.composite
def crowded(draw) -> dict:
    """Arguments of a small scenario whose tasks collide: whole-second arrivals, a few sizes, a few nodes
    (some identical, some without a resource, some far), deadlines tight, loose or none, a queue
    timeout or none."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n, m = int(rng.integers(1, 30)), int(rng.integers(1, 5))
    capacity = rng.choice([0.0, 2.0, 4.0], size=(m, 4))
    capacity[:, 0] = rng.choice([2.0, 4.0], size=m)
    if m > 1 and rng.random() < 0.5:
        capacity[1] = capacity[0]  # identical nodes: ties go to the rounded leftover, then the node
    duration = rng.choice([0.5, 1.0, 2.0, 5.0], size=n)
    slack = rng.choice([0.0, 1.0, 4.0, 30.0], size=n)
    return {
        "capacity": capacity,
        "demand": rng.choice([0.0, 0.5, 1.0, 2.0], size=(n, 4)),
        "arrival": np.round(rng.uniform(0.0, 8.0, n)),
        "duration": duration,
        "deadline": np.where(rng.random(n) < 0.7, duration + slack, NO_DEADLINE),
        "latency": rng.choice([0.0, 0.0, 500.0], size=m),
        "timeout": float(rng.choice([2.0, 10.0])) if rng.random() < 0.5 else None,
    }


def assert_same_packing(s, order_by: str, eager: bool) -> None:
    with np.errstate(invalid="ignore"):  # a task that fits no node has no last useful start (inf - inf)
        start, node = _insert_all(s, order_by, eager)
        want_start, want_node = insert_all_reference(s, order_by, eager)
    np.testing.assert_array_equal(node, want_node)
    np.testing.assert_array_equal(start, want_start)  # NaN where NaN


@settings(max_examples=300, deadline=None)
@given(crowded(), st.sampled_from(PACKING_ORDERS), st.booleans())
def test_the_compiled_packing_places_as_the_numpy_reference(make_scenario, arguments, order_by, eager):
    capacity, demand, arrival, duration = (
        arguments.pop(k) for k in ("capacity", "demand", "arrival", "duration")
    )
    assert_same_packing(make_scenario(capacity, demand, arrival, duration, **arguments), order_by, eager)


def test_the_seed_scenarios_pack_alike():
    for level in ("hard", "expert"):
        for s in seed_scenarios(level, "cloud")[:2]:
            for order_by in PACKING_ORDERS:
                assert_same_packing(s, order_by, eager=True)
