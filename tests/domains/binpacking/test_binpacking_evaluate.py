"""Online packing: FunSearch's exact procedure on both paths, the metric, and bad program outputs."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aurora_evo.contracts import Contract, OutputStatus
from aurora_evo.domains.binpacking import (
    Dataset,
    Instance,
    VectorInstance,
    baseline_programs,
    builtin_datasets,
    evaluate,
    excess_percent,
    extrapolated_excess,
    l1_bound,
    or_dataset,
    pack,
    pack_vector,
    settled_bins,
)
from aurora_evo.domains.binpacking.baselines import FUNSEARCH_WEIBULL_SOURCE
from aurora_evo.program_loading import CompiledProgram, compile_program


def funsearch_bins_used(priority, items: np.ndarray, capacity: float) -> int:
    """The FunSearch notebook's ``online_binpack`` + bin count, kept as the test oracle."""
    bins = np.array([capacity for _ in range(len(items))], dtype=np.float64)
    for item in items:
        valid_bin_indices = np.nonzero((bins - item) >= 0)[0]
        priorities = priority(item, bins[valid_bin_indices])
        best_bin = valid_bin_indices[np.argmax(priorities)]
        bins[best_bin] -= item
    return int((bins != capacity).sum())


@functools.cache
def program(source: str, contract: Contract = Contract.BINPACKING, jit: bool = True) -> CompiledProgram:
    return compile_program(source, contract, jit=jit)


def body(expression: str) -> str:
    return f"def priority(item, bins):\n    return {expression}\n"


@pytest.fixture(scope="module")
def baselines() -> dict[str, CompiledProgram]:
    return baseline_programs()


@pytest.fixture(scope="module")
def datasets() -> dict[str, Dataset]:
    return builtin_datasets()


# --- the headline reproduction ---------------------------------------------------------------------

HEADLINE = [
    ("OR3", "First Fit", 212.75, 201.2, 5.74),
    ("OR3", "Best Fit", 212.0, 201.2, 5.37),
    ("Weibull 5k", "First Fit", 2071.8, 1987.8, 4.23),
    ("Weibull 5k", "Best Fit", 2067.0, 1987.8, 3.98),
]


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize(("dataset", "name", "mean_bins", "l1_mean", "published"), HEADLINE)
def test_reproduces_funsearch_table_1(
    baselines, datasets, backend, dataset, name, mean_bins, l1_mean, published
):
    result = evaluate(baselines[name], datasets[dataset], backend=backend)
    assert result.status is OutputStatus.OK and result.message == ""
    assert result.mean_bins == pytest.approx(mean_bins)
    assert result.l1_mean == pytest.approx(l1_mean)
    assert round(result.excess_percent, 2) == published


@pytest.mark.parametrize("name", ["First Fit", "Best Fit", "Worst Fit"])
def test_both_paths_equal_the_notebook_per_instance(baselines, datasets, name):
    compiled = baselines[name]
    for instance in datasets["OR3"].instances:
        expected = funsearch_bins_used(compiled.python, instance.items, instance.capacity)
        assert pack(compiled, instance, backend="numba").bins_used == expected
        assert pack(compiled, instance, backend="numpy").bins_used == expected


def test_baselines_are_what_they_claim(baselines):
    # Bins after 6 and 5: [4, 5]. The 3 goes to the 4 (first and best fit) or the 5 (worst fit); then the
    # last 5 fits the remaining 5 bin, or needs a third bin under worst fit.
    instance = Instance("t", 10.0, [6.0, 5.0, 3.0, 5.0])
    assert pack(baselines["First Fit"], instance).bins_used == 2
    assert pack(baselines["Best Fit"], instance).bins_used == 2
    assert pack(baselines["Worst Fit"], instance).bins_used == 3
    assert pack(program(body("bins - item")), instance).bins_used == 4  # naive worst fit: a bin per item
    # Best fit and first fit differ: after 5, 7 the bins are [5, 3]; the 3 goes to the 5 (first fit) or
    # fills the 3 (best fit), and the final 5 then fits only under best fit.
    instance = Instance("u", 10.0, [5.0, 7.0, 3.0, 5.0])
    assert pack(baselines["First Fit"], instance).bins_used == 3
    assert pack(baselines["Best Fit"], instance).bins_used == 2


# --- both paths agree on arbitrary programs and instances ------------------------------------------

TEMPLATES = [
    "-(bins - item) ** 2 + {c} * bins",
    "{c} * bins - item / bins",
    "np.cumsum(bins) * {c} - bins",  # depends on the order and number of bins offered, empty ones included
    "-np.abs(bins - {c} * item)",
    "np.arange(len(bins)) * {c} + np.floor(bins / item)",
]


@settings(max_examples=60, deadline=None)
@given(
    template=st.sampled_from(TEMPLATES),
    c=st.sampled_from([-2.0, -0.5, 0.0, 0.25, 1.0, 3.0]),
    capacity=st.sampled_from([1.0, 10.0, 100.0, 150.0]),
    fractions=st.lists(
        st.floats(0.01, 1.0) | st.sampled_from([0.1, 0.2, 0.25, 0.5, 1.0]), min_size=1, max_size=60
    ),
)
def test_numba_and_numpy_paths_agree(template, c, capacity, fractions):
    compiled = program(body(template.format(c=c)))
    assert compiled.jitted is not None, compiled.jit_error
    instance = Instance("h", capacity, np.array(fractions) * capacity)
    numba_result = pack(compiled, instance, backend="numba")
    numpy_result = pack(compiled, instance, backend="numpy")
    assert numba_result == numpy_result
    if numpy_result.status is OutputStatus.OK:
        assert numpy_result.bins_used == funsearch_bins_used(compiled.python, instance.items, capacity)


# Programs whose slices overlap: numba writes them in order, numpy takes the right side whole.
OVERLAPPING = [
    FUNSEARCH_WEIBULL_SOURCE,
    "def priority(item, bins):\n    s = -(bins - item)\n    s[1:] = s[:-1]\n    return s\n",
    "def priority(item, bins):\n    s = bins - item\n    s -= s[::-1]\n    return s\n",
]


@settings(max_examples=30, deadline=None)
@given(
    source=st.sampled_from(OVERLAPPING),
    fractions=st.lists(st.floats(0.05, 1.0) | st.sampled_from([0.2, 0.3, 0.5]), min_size=2, max_size=60),
)
def test_a_program_numba_would_run_otherwise_packs_as_numpy_runs_it(source, fractions):
    compiled = program(source)
    assert compiled.jitted is None and "overlapping memory" in compiled.jit_error
    instance = Instance("h", 100.0, np.round(np.array(fractions) * 100.0))
    result = pack(compiled, instance)
    assert result.bins_used == funsearch_bins_used(compiled.python, instance.items, 100.0)


def test_funsearch_weibull_heuristic_scores_its_published_figure(datasets):
    result = evaluate(program(FUNSEARCH_WEIBULL_SOURCE), datasets["Weibull 5k"])
    assert result.excess_percent == pytest.approx(0.68, abs=0.005)  # numba's reading of it: 7.1 %


# --- bad outputs -------------------------------------------------------------------------------------

ITEMS = Instance("bad", 100.0, [10.0, 60.0, 20.0, 70.0, 30.0])

BAD_OUTPUTS = [
    # (source, status, numba compiles it, text in the message)
    (body("bins * np.nan"), OutputStatus.NOT_FINITE, True, "item 0 (size 10)"),
    (body("np.where(bins < 50, np.inf, bins)"), OutputStatus.NOT_FINITE, True, "item 2 (size 20)"),
    (body("np.zeros(len(bins) + 1)"), OutputStatus.WRONG_SHAPE, True, "(6 scores for 5 bins)"),
    (
        body("bins[:1]"),
        OutputStatus.WRONG_SHAPE,
        True,
        "item 0 (size 10): priority() returned an array of the wrong shape (1 scores for 5 bins)",
    ),
    (
        "def priority(item, bins):\n    if item > 50:\n        raise ValueError('boom')\n    return bins\n",
        OutputStatus.RAISED,
        True,
        "ValueError: boom",
    ),
    (body("list(bins)"), OutputStatus.WRONG_TYPE, False, "(got list)"),
    (body("bins.reshape(-1, 1)"), OutputStatus.WRONG_SHAPE, False, "(shape (5, 1) for 5 bins)"),
    (body("np.array(['a'] * len(bins))"), OutputStatus.WRONG_TYPE, False, "(got ndarray of dtype <U1)"),
    (body("None"), OutputStatus.WRONG_TYPE, False, "(got NoneType)"),
    (body("bins[10]"), OutputStatus.RAISED, False, "IndexError"),
]


@pytest.mark.parametrize(("source", "status", "jits", "text"), BAD_OUTPUTS)
def test_bad_outputs_get_their_status(source, status, jits, text):
    compiled = program(source)
    assert (compiled.jitted is not None) == jits, compiled.jit_error
    numpy_result = pack(compiled, ITEMS, backend="numpy")
    assert (numpy_result.bins_used, numpy_result.status) == (0, status)
    assert numpy_result.message.startswith("instance bad")
    assert text in numpy_result.message and "\n" not in numpy_result.message
    assert status.describe() in numpy_result.message
    if jits:
        numba_result = pack(compiled, ITEMS, backend="numba")
        assert (numba_result.bins_used, numba_result.status) == (0, status)
        assert text in numba_result.message
        if status is not OutputStatus.RAISED:  # numba does not say which item raised
            assert numba_result == numpy_result
    else:
        assert pack(compiled, ITEMS).status is status  # "auto" falls back to numpy
        with pytest.raises(ValueError, match="needs a jitted program"):
            pack(compiled, ITEMS, backend="numba")


def test_evaluate_stops_at_the_first_failing_instance():
    fine = Instance("fine", 100.0, [10.0, 20.0])
    failing = Instance("failing", 100.0, [10.0, 60.0])
    dataset = Dataset("d", (fine, failing, Instance("later", 100.0, [5.0])), "test")
    result = evaluate(program(body("np.where(item > 50, np.nan, -bins)")), dataset)
    assert result.status is OutputStatus.NOT_FINITE
    assert result.bins == (1,) and result.l1 == (1, 1, 1)
    assert result.excess_percent is None and result.mean_bins is None
    assert result.message.startswith("instance failing, item 1 (size 60)")


def test_pack_checks_the_contract():
    vector = program(body("bins[:, 0]"), Contract.VECTOR_BINPACKING, False)
    with pytest.raises(ValueError, match="needs a binpacking program"):
        pack(vector, ITEMS)
    with pytest.raises(ValueError, match="needs a vector_binpacking program"):
        pack_vector(program(body("bins")), VectorInstance("v", np.ones(2), np.ones((1, 2))))


# --- the metric -------------------------------------------------------------------------------------


def test_l1_bound():
    assert l1_bound(Instance("a", 10.0, [3.0, 3.0, 3.0])) == 1
    assert l1_bound(Instance("a", 10.0, [3.0, 3.0, 3.0, 1.0])) == 1
    assert l1_bound(Instance("a", 10.0, [3.0, 3.0, 3.0, 1.5])) == 2
    vector = VectorInstance("v", np.array([10.0, 4.0]), np.array([[1.0, 3.0], [1.0, 3.0], [1.0, 3.0]]))
    assert l1_bound(vector) == 3  # ceil(9 / 4) on the second dimension


def test_excess_percent_is_a_ratio_of_means():
    assert excess_percent(np.array([10, 30]), np.array([9, 20])) == pytest.approx(100 * (20 - 14.5) / 14.5)
    with pytest.raises(ValueError, match="equal non-empty shapes"):
        excess_percent(np.array([1, 2]), np.array([1]))


def test_settled_bins_are_those_no_item_of_the_instance_fits_in_any_more():
    instance = Instance("a", 10.0, [6.0, 3.0, 5.0, 4.0, 2.0, 1.5])  # smallest item 1.5
    # loads 9 (room 1), 9 (room 1), 3.5 (room 6.5): two bins settled, holding 1.8 bins of load
    assert settled_bins(instance, np.array([0, 0, 1, 1, 2, 2])) == (2, pytest.approx(1.8))
    assert settled_bins(instance, np.arange(6)) == (0, 0.0)


def test_extrapolated_excess_moves_from_the_measured_excess_to_the_settled_rate():
    settled = (9, 8.0)  # 1 bin of waste over 8 bins of load: a rate of 12.5 %
    assert extrapolated_excess(20.0, settled, 100, 100) == 20.0  # at its own length, what was measured
    assert extrapolated_excess(20.0, settled, 100, 400) == pytest.approx(12.5 + 7.5 / 4)
    assert extrapolated_excess(20.0, settled, 100, 10**9) == pytest.approx(12.5)
    assert extrapolated_excess(20.0, (0, 0.0), 100, 400) == 20.0  # nothing settled: nothing to go on


def test_extrapolating_short_instances_predicts_long_ones_better_than_their_measured_excess(baselines):
    # On 120-item instances the bins still open at the end weigh four times what they do on 500: the
    # estimate for 500 items from 120-item packings must land nearer the 500-item excess than the
    # 120-item excess does, for best fit and for a policy that keeps rooms open (the OR probe).
    probe = program(
        "import numpy as np\n\n\ndef priority(item, bins):\n    room = bins - item\n"
        "    tightest = (bins == np.min(bins)) * 1.0\n"
        "    return -room - tightest * (room > 8.5) * 1000.0 - (np.abs(room - 14.0) <= 5.0) * 1000.0\n"
    )
    short = or_dataset(np.random.default_rng(1), 300, 120)
    long = or_dataset(np.random.default_rng(2), 60, 500)
    for policy in (baselines["Best Fit"], probe):
        measured = evaluate(policy, short).excess_percent
        settled = [settled_bins(instance, pack(policy, instance).assignment) for instance in short.instances]
        total = (sum(bins for bins, _ in settled), sum(load for _, load in settled))
        estimate = extrapolated_excess(measured, total, 120, 500)
        target = evaluate(policy, long).excess_percent
        assert abs(estimate - target) < abs(measured - target) / 2


def test_score_items_needs_one_dimensional_instances():
    with pytest.raises(ValueError, match="score_items needs one-dimensional instances"):
        Dataset("v", (VectorInstance("v0", np.ones(2), np.ones((1, 2))),), "test", score_items=10)
    with pytest.raises(ValueError, match="score_items needs"):
        Dataset("a", (Instance("a0", 10.0, [1.0]),), "test", score_items=0)


# --- vector bin packing -----------------------------------------------------------------------------


def vector_oracle(priority, items: np.ndarray, capacities: np.ndarray) -> int:
    bins = np.tile(capacities, (len(items), 1))
    for item in items:
        valid = np.nonzero(np.all(bins - item >= 0, axis=1))[0]
        bins[valid[np.argmax(priority(item, bins[valid]))]] -= item
    return int(np.any(bins != capacities, axis=1).sum())


@settings(max_examples=30, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(1, 10), st.integers(0, 6)), min_size=1, max_size=40),
    expression=st.sampled_from(
        ["-(bins - item).sum(axis=1)", "np.zeros(len(bins))", "-(bins[:, 1] - item[1])"]
    ),
)
def test_vector_packing_matches_oracle(rows, expression):
    instance = VectorInstance("v", np.array([10.0, 6.0]), np.array(rows, dtype=float))
    compiled = program(body(expression), Contract.VECTOR_BINPACKING, False)
    result = pack_vector(compiled, instance)
    assert result == pack(compiled, instance)
    assert result.status is OutputStatus.OK
    assert result.bins_used == vector_oracle(compiled.python, instance.items, instance.capacities)
    assert result.bins_used >= l1_bound(instance)


def test_one_dimensional_vector_packing_equals_scalar_packing(baselines, datasets):
    instance = datasets["OR3"].instances[0]
    vector = VectorInstance(instance.name, np.array([instance.capacity]), instance.items[:, None])
    vector_best_fit = program(body("-(bins[:, 0] - item[0])"), Contract.VECTOR_BINPACKING, False)
    assert pack_vector(vector_best_fit, vector) == pack(baselines["Best Fit"], instance)
    assert l1_bound(vector) == l1_bound(instance)


def test_vector_bad_output():
    instance = VectorInstance("v", np.array([10.0, 6.0]), np.array([[1.0, 1.0], [9.0, 1.0]]))
    result = pack_vector(program(body("bins[:, 0] * np.nan"), Contract.VECTOR_BINPACKING, False), instance)
    assert result.status is OutputStatus.NOT_FINITE
    assert result.message.startswith("instance v, item 0 (size [1.0, 1.0])")


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_pack_reports_the_bin_of_every_item(backend):
    from aurora_evo.domains.binpacking import builtin_datasets

    instance = builtin_datasets()["OR3"].instances[0]
    result = pack(program(body("-(bins - item)")), instance, backend=backend)
    assignment = result.assignment
    assert assignment.shape == instance.items.shape
    loads = np.bincount(assignment, weights=instance.items)
    assert loads.max() <= instance.capacity
    assert np.count_nonzero(loads) == result.bins_used == np.unique(assignment).size


@settings(max_examples=60, deadline=None)
@given(
    capacity=st.sampled_from([1.0, 10.0, 100.0, 150.0]),
    fractions=st.lists(
        st.floats(0.01, 1.0) | st.sampled_from([0.1, 0.2, 0.25, 0.3, 0.5, 0.7, 1.0]), min_size=1, max_size=60
    ),
)
def test_the_numpy_path_shows_the_program_exactly_what_funsearch_does(capacity, fractions):
    # Exact fits (an item equal to a bin's room) included: the path tests bins >= item, FunSearch
    # (bins - item) >= 0.
    def recorder(calls):
        def priority(item, bins):
            calls.append((type(item), float(item), bins.tolist()))
            return np.cumsum(bins) * 0.25 - bins

        return priority

    seen, expected = [], []
    instance = Instance("h", capacity, np.array(fractions) * capacity)
    traced = CompiledProgram("", Contract.BINPACKING, recorder(seen), None, "not compiled")
    result = pack(traced, instance, backend="numpy")
    assert result.bins_used == funsearch_bins_used(recorder(expected), instance.items, capacity)
    assert seen == expected and seen[0][0] is np.float64
