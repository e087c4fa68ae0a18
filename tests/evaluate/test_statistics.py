"""The statistics of `aurora-evo evaluate` against scipy on the same arrays, hand-worked examples, the
degenerate cases (one scenario, identical policies, a zero reference mean) and properties of Holm's
correction and of the per-scenario Pareto summary."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from aurora_evo.errors import InputError
from aurora_evo.evaluate.statistics import (
    REFERENCE_MARGIN,
    compare_policies,
    holm,
    mean_interval,
    paired_test,
    pareto_shares,
)
from aurora_evo.sim.pareto import hypervolume

# --- mean_interval ----------------------------------------------------------------------------------------


def test_interval_is_scipys_bca_interval_of_the_mean():
    values = np.random.default_rng(7).gamma(2.0, 1.5, size=30)
    interval = mean_interval(values, np.random.default_rng(11), resamples=2000)
    expected = stats.bootstrap(
        (values,), np.mean, n_resamples=2000, method="BCa", rng=np.random.default_rng(11)
    )
    assert interval.method == "bca"
    assert (interval.low, interval.high) == (
        expected.confidence_interval.low,
        expected.confidence_interval.high,
    )
    assert interval.mean == pytest.approx(values.mean())
    assert (interval.n, interval.level) == (30, 0.95)


def test_interval_contains_the_mean_and_narrows_with_more_scenarios():
    draws = np.random.default_rng(3).normal(10.0, 2.0, size=500)
    few = mean_interval(draws[:20], np.random.default_rng(1))
    many = mean_interval(draws, np.random.default_rng(1))
    for interval in (few, many):
        assert interval.low < interval.mean < interval.high
    # The width of a mean's interval shrinks like 1/sqrt(n): 25 times the scenarios, about a fifth as wide.
    assert (many.high - many.low) < 0.4 * (few.high - few.low)


def test_interval_is_wider_at_a_higher_level():
    values = np.random.default_rng(4).normal(size=40)
    narrow = mean_interval(values, np.random.default_rng(2), level=0.8)
    wide = mean_interval(values, np.random.default_rng(2), level=0.99)
    assert wide.low < narrow.low and narrow.high < wide.high


def test_interval_is_reproducible_from_the_seed_and_differs_with_another():
    values = np.random.default_rng(5).exponential(size=25)
    first = mean_interval(values, np.random.default_rng(42))
    again = mean_interval(values, np.random.default_rng(42))
    other = mean_interval(values, np.random.default_rng(43))
    assert first == again
    assert (first.low, first.high) != (other.low, other.high)


@pytest.mark.parametrize("values", [[3.5], [2.0, 2.0, 2.0], [0.0] * 50, [0.1] * 7])
def test_one_value_or_equal_values_give_a_point_interval_without_drawing(values):
    rng = np.random.default_rng(9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        interval = mean_interval(values, rng)
    assert interval.low == interval.high == interval.mean == values[0]
    assert (interval.n, interval.method) == (len(values), "degenerate")
    assert rng.random() == np.random.default_rng(9).random()


def test_a_degenerate_bca_falls_back_to_the_percentile_interval_of_the_same_resamples():
    values = np.array([0.0, 1.0])
    # With 3 resamples and this seed, every resampled mean is 1.0: BCa's bias correction is infinite.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bca = stats.bootstrap((values,), np.mean, n_resamples=3, method="BCa", rng=np.random.default_rng(4))
    assert np.isnan(bca.confidence_interval.low)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        interval = mean_interval(values, np.random.default_rng(4), resamples=3)
    assert interval.method == "percentile"
    assert (interval.low, interval.high) == (1.0, 1.0)
    assert interval.mean == 0.5


def test_two_values_give_an_interval_within_them():
    interval = mean_interval([1.0, 2.0], np.random.default_rng(0))
    assert interval.method == "bca"
    assert 1.0 <= interval.low < interval.high <= 2.0


@pytest.mark.parametrize(
    ("values", "options", "message"),
    [
        ([], {}, "no values"),
        ([1.0, math.nan], {}, "NaN"),
        ([[1.0, 2.0]], {}, "1-D"),
        ([1.0, 2.0], {"level": 1.5}, "level"),
        ([1.0, 2.0], {"resamples": 0}, "resamples"),
    ],
)
def test_bad_values_are_refused_in_one_line(values, options, message):
    with pytest.raises(InputError, match=message):
        mean_interval(values, np.random.default_rng(0), **options)


# --- paired_test ------------------------------------------------------------------------------------------


def test_paired_test_by_hand():
    values, reference = np.array([3.0, 5.0, 4.0, 6.0]), np.array([1.0, 6.0, 2.0, 3.0])
    # Differences 2, -1, 2, 3: mean 1.5, sample variance (0.25 + 6.25 + 0.25 + 2.25) / 3 = 3.
    # Ranks of |d| = 2, 1, 2, 3 are 2.5, 1, 2.5, 4: R+ = 9, R- = 1.
    test = paired_test(values, reference, higher_is_better=True)
    assert (test.n, test.n_differing) == (4, 4)
    assert (test.mean, test.reference_mean, test.mean_difference) == (4.5, 3.0, 1.5)
    assert test.relative_change == pytest.approx(0.5)
    assert test.cohens_dz == pytest.approx(1.5 / math.sqrt(3.0))
    assert test.rank_biserial == pytest.approx((9 - 1) / (9 + 1))
    assert test.better
    lower_is_better = paired_test(values, reference, higher_is_better=False)
    assert not lower_is_better.better
    assert (
        lower_is_better.cohens_dz == test.cohens_dz
    )  # the signs follow values - reference, not the direction


def test_paired_test_p_values_are_scipys():
    rng = np.random.default_rng(12)
    reference = rng.normal(5.0, 1.0, size=20)
    values = reference + rng.normal(0.5, 0.5, size=20)
    values[:3] = reference[:3]  # three scenarios on which the policies tie
    test = paired_test(values, reference, higher_is_better=False)
    assert test.n_differing == 17
    assert test.t_pvalue == stats.ttest_rel(values, reference).pvalue
    # The ties are left out before scipy's test, which then takes its exact distribution (given the zeros,
    # scipy would take the normal approximation: 0.0016 here, against the exact 0.00066).
    differing = (values - reference)[3:]
    assert test.wilcoxon_pvalue == stats.wilcoxon(differing, method="exact").pvalue
    assert test.wilcoxon_pvalue != pytest.approx(stats.wilcoxon(values - reference).pvalue, rel=0.1)
    assert test.t_pvalue < 0.05  # a shift of one sd over 17 differing scenarios is detected


def test_relative_change_is_against_the_size_of_a_negative_reference():
    assert paired_test([-2.0], [-4.0], higher_is_better=True).relative_change == pytest.approx(0.5)
    assert paired_test([-6.0], [-4.0], higher_is_better=True).relative_change == pytest.approx(-0.5)


@pytest.mark.parametrize(
    ("values", "relative_change"), [([0.0, 0.0], 0.0), ([1.0, 2.0], math.inf), ([-1.0, 0.0], -math.inf)]
)
def test_a_zero_reference_mean_gives_zero_or_a_signed_infinity(values, relative_change):
    test = paired_test(values, [0.0, 0.0], higher_is_better=True)
    assert test.relative_change == relative_change


def test_identical_policies():
    values = [0.2, 0.5, 0.1, 0.9]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        test = paired_test(values, list(values), higher_is_better=True)
    assert (test.t_pvalue, test.wilcoxon_pvalue) == (1.0, 1.0)
    assert (test.cohens_dz, test.rank_biserial, test.relative_change, test.mean_difference) == (0, 0, 0, 0)
    assert (test.n_differing, test.better) == (0, False)


def test_a_constant_shift_is_certain_for_the_t_test_and_an_infinite_effect():
    reference = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        test = paired_test(reference - 0.5, reference, higher_is_better=False)
    assert test.t_pvalue == 0.0
    assert test.cohens_dz == -math.inf
    assert test.rank_biserial == -1.0
    assert test.wilcoxon_pvalue == stats.wilcoxon(np.full(6, -0.5)).pvalue == pytest.approx(2 / 2**6)
    assert test.better


def test_one_scenario():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        test = paired_test([3.0], [1.0], higher_is_better=True)
    assert (test.n, test.t_pvalue, test.wilcoxon_pvalue) == (1, 1.0, 1.0)
    assert (test.cohens_dz, test.rank_biserial, test.relative_change) == (math.inf, 1.0, 2.0)
    assert test.better


def _small_ints(size):
    return arrays(np.float64, size, elements=st.integers(0, 3).map(float))


@pytest.mark.slow  # scipy's exhaustive permutation of 11 to 13 tied differences takes up to a second
@settings(max_examples=60, deadline=None)
@given(st.integers(1, 25).flatmap(lambda n: st.tuples(_small_ints(n), _small_ints(n))))
def test_paired_test_never_lets_out_a_nan_or_a_warning(pair):
    values, reference = pair
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        test = paired_test(values, reference, higher_is_better=True)
    assert 0.0 <= test.t_pvalue <= 1.0 and 0.0 <= test.wilcoxon_pvalue <= 1.0
    assert -1.0 <= test.rank_biserial <= 1.0
    assert not math.isnan(test.cohens_dz) and not math.isnan(test.relative_change)
    differences = values - reference
    if np.count_nonzero(differences):
        # The rank-biserial correlation is the Wilcoxon statistic (the smaller rank sum) made a share.
        nonzero = differences[differences != 0]
        scipys = stats.wilcoxon(nonzero)
        total = len(nonzero) * (len(nonzero) + 1) / 2
        assert abs(test.rank_biserial) == pytest.approx(1 - 2 * scipys.statistic / total)
        assert test.wilcoxon_pvalue == scipys.pvalue
        if np.all(differences >= 0) or np.all(differences <= 0):
            assert test.rank_biserial == np.sign(differences.sum())


def test_paired_test_refuses_mismatched_or_empty_scenarios():
    with pytest.raises(InputError, match="same"):
        paired_test([1.0, 2.0], [1.0], higher_is_better=True)
    with pytest.raises(InputError, match="no scenarios"):
        paired_test([], [], higher_is_better=True)
    with pytest.raises(InputError, match="reference: 1 values are NaN"):
        paired_test([1.0, 2.0], [1.0, math.inf], higher_is_better=True)


# --- holm -------------------------------------------------------------------------------------------------


def test_holm_by_hand():
    # Sorted: 0.005 (x4 = 0.02), 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04, raised to 0.06).
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # Sorted: 0.01 (x3 = 0.03), 0.6 (x2 = 1.2, capped), 0.7 (x1 = 0.7, raised to the 1.0 before it).
    assert holm([0.6, 0.7, 0.01]) == pytest.approx([1.0, 1.0, 0.03])
    assert holm([0.2, 0.2]) == pytest.approx([0.4, 0.4])
    assert holm([0.3]) == pytest.approx([0.3])
    assert holm([]).shape == (0,)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(1, 30), elements=st.floats(0.0, 1.0)))
def test_holm_properties(pvalues):
    adjusted = holm(pvalues)
    m = len(pvalues)
    assert adjusted.shape == pvalues.shape
    assert np.all(adjusted >= pvalues) and np.all(adjusted <= 1.0)
    # The smallest p-value gets Bonferroni's adjustment.
    assert adjusted.min() == pytest.approx(min(1.0, m * pvalues.min()))
    # A smaller raw p-value never gets a larger adjusted one, and equal raw ones get equal adjusted ones.
    order = np.argsort(pvalues, kind="stable")
    assert np.all(np.diff(adjusted[order]) >= 0)
    # Not more conservative than Bonferroni.
    assert np.all(adjusted <= np.minimum(1.0, m * pvalues) + 1e-12)
    # The order given does not matter.
    permutation = np.random.default_rng(m).permutation(m)
    assert holm(pvalues[permutation]) == pytest.approx(adjusted[permutation])


@pytest.mark.parametrize("pvalues", [[0.1, math.nan], [1.2], [-0.1], [[0.1, 0.2]]])
def test_holm_refuses_what_is_not_a_list_of_p_values(pvalues):
    with pytest.raises(InputError, match="p-values"):
        holm(pvalues)


# --- compare_policies -------------------------------------------------------------------------------------


def _latency_table():
    rng = np.random.default_rng(21)
    best_fit = rng.uniform(1.0, 2.0, size=15)
    return {
        "evolved": best_fit - rng.uniform(0.05, 0.3, size=15),
        "best_fit": best_fit,
        "random": best_fit + rng.normal(0.0, 0.2, size=15),
        "dqn": best_fit + rng.uniform(-0.1, 0.3, size=15),
    }


def test_compare_policies_pairs_each_policy_with_each_other_reference():
    table = _latency_table()
    comparisons = compare_policies(table, ["best_fit", "dqn"], higher_is_better=False)
    assert [(c.policy, c.reference) for c in comparisons] == [
        ("evolved", "best_fit"),
        ("evolved", "dqn"),
        ("best_fit", "dqn"),
        ("random", "best_fit"),
        ("random", "dqn"),
        ("dqn", "best_fit"),
    ]
    for comparison in comparisons:
        direct = paired_test(table[comparison.policy], table[comparison.reference], higher_is_better=False)
        assert comparison.test == direct
    evolved = comparisons[0].test
    assert evolved.better and evolved.relative_change < 0


def test_compare_policies_corrects_each_test_over_the_objectives_comparisons():
    comparisons = compare_policies(_latency_table(), ["best_fit", "dqn"], higher_is_better=False)
    t_raw = [c.test.t_pvalue for c in comparisons]
    wilcoxon_raw = [c.test.wilcoxon_pvalue for c in comparisons]
    assert [c.t_pvalue_holm for c in comparisons] == pytest.approx(holm(t_raw))
    assert [c.wilcoxon_pvalue_holm for c in comparisons] == pytest.approx(holm(wilcoxon_raw))
    assert min(c.t_pvalue_holm for c in comparisons) == pytest.approx(6 * min(t_raw))


def test_compare_policies_with_only_the_reference_compares_nothing():
    assert compare_policies({"best_fit": [1.0, 2.0]}, ["best_fit"], higher_is_better=True) == []


@pytest.mark.parametrize(
    ("table", "references", "message"),
    [
        ({"a": [1.0, 2.0], "best_fit": [1.0]}, ["best_fit"], "different numbers of scenarios"),
        ({"a": [1.0, 2.0]}, ["best_fit"], "not among the policies"),
        ({"a": [1.0], "best_fit": [1.0]}, ["best_fit", "best_fit"], "twice"),
        ({"a": [1.0, math.nan], "best_fit": [1.0, 2.0]}, ["best_fit"], "policy 'a'"),
    ],
)
def test_compare_policies_refuses_inconsistent_tables(table, references, message):
    with pytest.raises(InputError, match=message):
        compare_policies(table, references, higher_is_better=True)


# --- pareto_shares ----------------------------------------------------------------------------------------


def test_pareto_shares_by_hand():
    points = {
        "fast": np.array([[1.0, 0.0], [2.0, 0.0]]),
        "cheap": np.array([[0.0, 1.0], [0.0, 3.0]]),
        "dominated": np.array([[-1.0, -1.0], [-1.0, -1.0]]),
    }
    summary = pareto_shares(points)
    assert summary.policies == ("fast", "cheap", "dominated")
    assert summary.shares == {"fast": 1.0, "cheap": 1.0, "dominated": 0.0}
    assert summary.non_dominated.tolist() == [[True, True, False], [True, True, False]]
    # Scenario 0 scaled from the worst (-1, -1) to the best (1, 1): fast (1, 0.5), cheap (0.5, 1), dominated (0, 0).
    m = REFERENCE_MARGIN
    expected = [1.0 * (0.5 + m) / (1 + m), (0.5 + m) / (1 + m) * 1.0, (m / (1 + m)) ** 2]
    assert summary.hypervolume[0] == pytest.approx(expected)
    # Scenario 1 scaled from (-1, -1) to (2, 3): fast (1, 0.25), cheap (1/3, 1).
    assert summary.hypervolume[1, 0] == pytest.approx((0.25 + m) / (1 + m))
    assert summary.hypervolume[1, 1] == pytest.approx((1 / 3 + m) / (1 + m))


def test_a_policy_best_everywhere_has_hypervolume_one_and_is_alone_on_the_front():
    points = {"best": [[5.0, 5.0, 5.0]], "middle": [[4.0, 1.0, 5.0]], "worst": [[1.0, 0.0, 5.0]]}
    summary = pareto_shares(points)
    assert summary.shares == {"best": 1.0, "middle": 0.0, "worst": 0.0}
    assert summary.hypervolume[0, 0] == pytest.approx(1.0)
    # The third objective ties for all: it scales to 1 for each and does not change the volumes.
    without_tie = pareto_shares({name: [row[0][:2]] for name, row in points.items()})
    assert summary.hypervolume == pytest.approx(without_tie.hypervolume)


def test_equal_points_are_both_on_the_front():
    summary = pareto_shares({"a": [[1.0, 2.0]], "b": [[1.0, 2.0]], "c": [[0.5, 2.0]]})
    assert summary.shares == {"a": 1.0, "b": 1.0, "c": 0.0}


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(1, 3)),
        elements=st.floats(-5, 5),
    )
)
def test_hypervolume_is_pareto_hypervolume_of_the_scaled_point(cube):
    """(n_scenarios, n_policies, n_objectives): each volume is sim.pareto.hypervolume's of the point scaled
    per scenario, against the reference `margin` below, over the ideal point's volume."""
    summary = pareto_shares({f"p{i}": cube[:, i, :] for i in range(cube.shape[1])})
    k = cube.shape[2]
    reference = np.full(k, -REFERENCE_MARGIN)
    for s, scenario in enumerate(cube):
        worst, spread = scenario.min(axis=0), np.ptp(scenario, axis=0)
        for p, point in enumerate(scenario):
            scaled = np.array(
                [(v - w) / d if d > 0 else 1.0 for v, w, d in zip(point, worst, spread, strict=True)]
            )
            expected = hypervolume(scaled[None, :], reference) / (1 + REFERENCE_MARGIN) ** k
            assert summary.hypervolume[s, p] == pytest.approx(expected)
    assert np.all((summary.hypervolume > 0) & (summary.hypervolume <= 1 + 1e-12))


def test_pareto_shares_do_not_depend_on_units():
    rng = np.random.default_rng(8)
    points = {name: rng.uniform(size=(6, 3)) for name in ("a", "b", "c", "d")}
    rescaled = {
        name: p * np.array([1000.0, 0.01, 1.0]) + np.array([-50.0, 3.0, 0.0]) for name, p in points.items()
    }
    original, converted = pareto_shares(points), pareto_shares(rescaled)
    assert np.array_equal(original.non_dominated, converted.non_dominated)
    assert original.hypervolume == pytest.approx(converted.hypervolume)


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ({}, "no policies"),
        ({"a": [1.0, 2.0]}, "expected \\(scenarios, objectives\\)"),
        ({"a": [[1.0, 2.0]], "b": [[1.0, 2.0, 3.0]]}, "differ in shape"),
        ({"a": [[1.0, math.nan]]}, "finite"),
    ],
)
def test_pareto_shares_refuse_bad_points(points, message):
    with pytest.raises(InputError, match=message):
        pareto_shares(points)
