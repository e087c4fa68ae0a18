"""The linear policy's terms and its program text: a valid program, standalone, that scores nodes as the
weights say."""

from __future__ import annotations

import runpy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aurora_evo import features
from aurora_evo.baselines.linear_policy import (
    TERM_NAMES,
    TERMS,
    full_weights,
    linear_program_source,
    linear_terms,
)
from aurora_evo.contracts import Contract
from aurora_evo.errors import InputError
from aurora_evo.program_loading import compile_program
from aurora_evo.program_text import parse_program
from aurora_evo.scenario import load_scenario
from aurora_evo.scheduler import load_scheduler
from aurora_evo.seeds import seed_scenario_paths

weights_in_bounds = st.floats(-1.0, 1.0, allow_nan=False)


@pytest.fixture(scope="module")
def decision():
    """A task and the nodes it is shown, mid-run: the third task of a hard cloud seed with some nodes
    partly used and one running tasks."""
    scenario = load_scenario(seed_scenario_paths("hard", "cloud")[0])
    task = features.task_vector(scenario, 2, now=5.0)
    free = np.array(scenario.nodes.capacity, dtype=np.float64)
    free[::3] *= 0.5
    running = np.zeros(len(scenario.nodes), dtype=np.int64)
    running[::3] = 2
    return task, features.node_matrix(scenario, task, free=free, running=running)


def weighted_sum(weights: np.ndarray, terms) -> np.ndarray:
    """Each node's score, the terms added in TERMS order."""
    total = weights[0] * terms[0]
    for weight, term in zip(weights[1:], terms[1:], strict=True):
        total = total + weight * term
    return total


def test_the_terms_are_one_array_per_term_and_scale_free(decision):
    task, nodes = decision
    terms = linear_terms(task, nodes)
    assert len(terms) == len(TERMS) == len(set(TERM_NAMES))
    assert all(t.shape == (nodes.shape[0],) and np.all(np.isfinite(t)) for t in terms)
    by_name = dict(zip(TERM_NAMES, terms, strict=True))
    for name in ("price", "idle_power", "power_per_core", "latency", "load"):
        assert by_name[name].max() == pytest.approx(1.0) and by_name[name].min() >= 0.0, name
    # Scaling every price (or power) of the cluster changes nothing: the terms are shares.
    scaled = nodes.copy()
    scaled[:, [features.N_PRICE, features.N_IDLE_W, features.N_PEAK_W]] *= 7.0
    for name, term in zip(TERM_NAMES, linear_terms(task, scaled), strict=True):
        np.testing.assert_allclose(term, by_name[name], rtol=1e-12, err_msg=name)
    assert set(np.unique(by_name["empty"])) == {0.0, 1.0}
    assert np.array_equal(by_name["empty"] == 1.0, nodes[:, features.N_RUNNING] == 0)


@settings(max_examples=25, deadline=None)
@given(weights=st.lists(weights_in_bounds, min_size=len(TERMS), max_size=len(TERMS)))
def test_the_program_scores_each_node_by_its_weighted_terms(weights, decision):
    task, nodes = decision
    program = compile_program(linear_program_source(weights), Contract.ALLOCATION, jit=False)
    expected = weighted_sum(np.array(weights), linear_terms(task, nodes))
    assert np.array_equal(program.python(task, nodes), expected)  # the same floats, not close ones


@settings(max_examples=25, deadline=None)
@given(
    names=st.lists(st.sampled_from(TERM_NAMES), min_size=1, max_size=len(TERMS), unique=True),
    data=st.data(),
)
def test_a_subset_of_the_terms_weighs_as_the_others_at_zero(names, data, decision):
    weights = data.draw(st.lists(weights_in_bounds, min_size=len(names), max_size=len(names)))
    task, nodes = decision
    source = linear_program_source(weights, names)
    program = compile_program(source, Contract.ALLOCATION, jit=False)
    full = full_weights(weights, names)
    assert np.array_equal(program.python(task, nodes), weighted_sum(full, linear_terms(task, nodes)))
    # A comment names each weighted term, and only those.
    weighted_lines = [line for line in source.splitlines() if " * " in line and "  # " in line]
    assert sorted(line.split(" * ")[1].split()[0] for line in weighted_lines) == sorted(names)


def test_the_program_stands_alone_loads_as_a_scheduler_and_passes_lint(tmp_path, decision, ruff):
    weights = np.linspace(-1.0, 1.0, len(TERMS))
    path = tmp_path / "linear.py"
    path.write_text(linear_program_source(weights))
    parse_program(path.read_text())
    assert ruff([path]) == ""
    task, nodes = decision
    # runpy gives the file only its own globals: every constant it reads, it defines.
    standalone = runpy.run_path(str(path))["priority"]
    expected = weighted_sum(weights, linear_terms(task, nodes))
    assert np.array_equal(standalone(task, nodes), expected)
    scheduler = load_scheduler(path)
    assert scheduler.contract is Contract.ALLOCATION
    fitting = np.flatnonzero(nodes[:, features.N_FITS] > 0.5)
    assert scheduler.place(task, nodes) == fitting[np.argmax(expected[fitting])]


def test_numba_compiles_the_program():
    program = compile_program(linear_program_source(np.full(len(TERMS), 0.5)), Contract.ALLOCATION)
    assert program.compiled, program.jit_error


@pytest.mark.parametrize(
    ("weights", "names", "message"),
    [
        ([0.1, 0.2], ("cpu_spare",), r"2 linear weight\(s\) for 1 term\(s\)"),
        ([float("nan")], ("cpu_spare",), "must be finite"),
        (["x"], ("cpu_spare",), "must be numbers"),
        ([0.1], ("cpu_spares",), "unknown linear term 'cpu_spares'"),
        ([0.1, 0.2], ("price", "price"), "distinct"),
        ([], (), "at least one"),
    ],
)
def test_bad_weights_or_names_are_one_line_input_errors(weights, names, message):
    with pytest.raises(InputError, match=message) as caught:
        linear_program_source(weights, names)
    assert "\n" not in str(caught.value)
