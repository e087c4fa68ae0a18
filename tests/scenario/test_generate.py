"""The parametric scenario generator: determinism, schema bounds, fit, load and provenance."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aurora_evo.features import NO_DEADLINE
from aurora_evo.scenario import Domain, load_scenario, save_scenario, scenario_from_dict, scenario_to_dict
from aurora_evo.scenario.catalogue import CATALOGUE
from aurora_evo.scenario.generate import benchmark_scenario, generate_scenario, offered_load
from aurora_evo.scenario.params import domain_params
from aurora_evo.sim.engine import fits_anywhere

DOMAINS = (Domain.CLOUD, Domain.EDGE, Domain.NETWORK)


def _dict(scenario) -> dict:
    return json.loads(json.dumps(scenario_to_dict(scenario)))


def _check_bounds(scenario) -> None:
    """Every task and node field within the schema's bounds; every task fits on some node."""
    demand, cap = scenario.tasks.demand, scenario.nodes.capacity
    assert np.all((demand[:, 0] >= 0.1) & (demand[:, 0] <= 32))
    assert np.all((demand[:, 1] >= 0) & (demand[:, 1] <= 1024))
    assert np.all((demand[:, 2] >= 0) & (demand[:, 2] <= 16))
    assert np.all((demand[:, 3] >= 0) & (demand[:, 3] <= 400))
    assert np.all((scenario.tasks.duration > 0) & (scenario.tasks.duration <= 2_592_000))
    assert np.all((scenario.tasks.arrival >= 0) & (scenario.tasks.arrival <= 31_536_000))
    assert np.all((scenario.tasks.priority >= 0) & (scenario.tasks.priority <= 11))
    deadline = scenario.tasks.deadline
    assert np.all((deadline == NO_DEADLINE) | ((deadline > 0) & (deadline <= 31_536_000)))
    assert np.all(cap[:, 0] <= 1024) and np.all(cap[:, 2] <= 16) and np.all(cap[:, 3] <= 400)
    assert np.all(scenario.nodes.peak_watts >= scenario.nodes.idle_watts)
    assert fits_anywhere(demand, cap).all()
    scenario_from_dict(_dict(scenario))  # the JSON Schema itself


@pytest.mark.parametrize("domain", DOMAINS)
def test_same_seed_same_scenario_and_other_seed_differs(domain):
    params = domain_params(f"det-{domain.value}", domain, n_tasks=60, n_nodes=8, node_types=3)
    first = _dict(generate_scenario(np.random.default_rng(7), params))
    again = _dict(generate_scenario(np.random.default_rng(7), params))
    other = _dict(generate_scenario(np.random.default_rng(8), params))
    assert first == again
    assert first["tasks"] != other["tasks"]


def test_global_random_state_is_neither_used_nor_touched():
    # The legacy global generator is used on purpose: the generator must neither read nor advance it.
    params = domain_params("g", Domain.EDGE, n_tasks=40, n_nodes=5)
    np.random.seed(1)  # noqa: NPY002
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    a = _dict(generate_scenario(np.random.default_rng(3), params))
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    np.random.seed(99)  # noqa: NPY002
    assert _dict(generate_scenario(np.random.default_rng(3), params)) == a


@pytest.mark.parametrize("domain", DOMAINS)
def test_bounds_fit_and_domain_shape(domain):
    params = domain_params(f"b-{domain.value}", domain, n_tasks=400, n_nodes=30, node_types=5, size_scale=4.0)
    scenario = generate_scenario(np.random.default_rng(11), params)
    _check_bounds(scenario)
    assert scenario.domain is domain and len(scenario.tasks) == 400 and len(scenario.nodes) == 30
    names = {t.name for t in CATALOGUE[domain]}
    assert set(scenario.provenance["derived"]["node_types"]) <= names
    if domain is Domain.NETWORK:  # bandwidth-heavy: the network is the bottleneck of most draws
        assert np.all(scenario.tasks.demand[:, 3] > 0)
    if domain is Domain.EDGE:
        assert len(scenario.nodes.zones) >= 2
        assert scenario.nodes.latency_ms.min() >= 2.0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    domain=st.sampled_from(DOMAINS),
    n_tasks=st.integers(1, 60),
    n_nodes=st.integers(1, 12),
    node_types=st.integers(1, 6),
    load=st.floats(0.05, 3.0),
    size=st.floats(0.05, 20.0),
    batch=st.floats(1.0, 30.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_params_give_a_valid_scenario(domain, n_tasks, n_nodes, node_types, load, size, batch, seed):
    params = domain_params(
        "h",
        domain,
        n_tasks=n_tasks,
        n_nodes=n_nodes,
        node_types=node_types,
        target_load=load,
        size_scale=size,
        batch_mean=batch,
        deadline_share=1.0,
        queue_timeout_s=30.0,
    )
    scenario = generate_scenario(np.random.default_rng(seed), params)
    _check_bounds(scenario)
    assert np.all(np.diff(scenario.tasks.arrival) >= 0) and scenario.tasks.arrival[0] == 0


def test_offered_load_matches_the_target():
    for target in (0.5, 1.2):
        params = domain_params("load", Domain.CLOUD, n_tasks=500, n_nodes=20, target_load=target)
        scenario = generate_scenario(np.random.default_rng(5), params)
        assert offered_load(scenario) == pytest.approx(target, rel=1e-3)
        assert scenario.provenance["derived"]["offered_load"] == pytest.approx(target, rel=1e-3)


def test_round_trip_through_json_is_exact(tmp_path):
    scenario = generate_scenario(np.random.default_rng(2), domain_params("rt", Domain.NETWORK, n_tasks=50))
    loaded = load_scenario(save_scenario(scenario, tmp_path / "rt.json"))
    assert _dict(loaded) == _dict(scenario)
    for name in ("arrival", "duration", "demand", "priority", "deadline", "owner"):
        assert np.array_equal(getattr(loaded.tasks, name), getattr(scenario.tasks, name))
    assert loaded.tasks.owners == scenario.tasks.owners and loaded.nodes.zones == scenario.nodes.zones


def test_provenance_records_seed_params_and_stats():
    rng = np.random.default_rng(np.random.SeedSequence(1234, spawn_key=(3,)))
    params = domain_params("p", Domain.EDGE, n_tasks=10, n_nodes=4, level="easy")
    scenario = generate_scenario(rng, params)
    prov = scenario.provenance
    assert prov["generator"].endswith("generate_scenario")
    assert prov["rng"]["seed"] == "1234" and prov["rng"]["spawn_key"] == [3]
    assert prov["params"] == params.as_dict()
    assert len(prov["stats"]["sha256"]) == 64 and prov["stats"]["file"].endswith("trace_stats.json")
    assert scenario.level == "easy"
    # The recorded state replays the draw.
    replay = np.random.default_rng()
    replay.bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {k: int(v) for k, v in prov["rng"]["state"].items()},
        "has_uint32": 0,
        "uinteger": 0,
    }
    replayed = _dict(generate_scenario(replay, params))
    for doc in (replayed, original := _dict(scenario)):
        del doc["provenance"]["rng"]
    assert replayed == original


def test_benchmark_scenario_is_a_busy_cloud():
    scenario = benchmark_scenario(np.random.default_rng(0), n_tasks=3000, n_nodes=30)
    assert scenario.domain is Domain.CLOUD and len(scenario.tasks) == 3000 and len(scenario.nodes) == 30
    assert offered_load(scenario) == pytest.approx(0.9, rel=1e-3)
    assert scenario.queue_timeout_s is not None
    _check_bounds(scenario)
