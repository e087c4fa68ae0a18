"""The statistics of ``aurora-evo evaluate``: a bootstrap interval of each policy's mean, paired tests of
each policy against reference policies (Holm-corrected, with effect sizes), and Pareto membership and
hypervolume per scenario.

Every vector is per scenario: ``values[i]`` and ``reference[i]`` are two policies' results on the same
scenario ``i`` (same nodes, same tasks), so every comparison is paired. Values carry the objective's own
unit (seconds, $, kWh, a share...); nothing here knows which objective it is given, except through
``higher_is_better``. Every input must be finite: a missing value (e.g. the p99 latency of a scenario on
which no task finished) is the caller's to resolve first. Bad input raises
:class:`aurora_evo.errors.InputError`. No function here lets a NaN or a numerical warning out: the
degenerate cases (one scenario, identical policies, a reference mean of 0) have the documented values.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from aurora_evo.errors import InputError
from aurora_evo.sim.pareto import non_dominated

#: Bootstrap resamples of :func:`mean_interval` (scipy's own default).
DEFAULT_RESAMPLES = 9999

#: The reference point of a scenario's hypervolume lies this share of each objective's range below the
#: worst policy's value (see :func:`pareto_shares`).
REFERENCE_MARGIN = 0.1


def _finite_vector(values: ArrayLike, name: str) -> np.ndarray:
    try:
        vector = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: not numbers ({exc})") from None
    if vector.ndim != 1:
        raise InputError(f"{name}: expected one value per scenario (1-D), got shape {vector.shape}")
    if not np.all(np.isfinite(vector)):
        raise InputError(f"{name}: {int(np.sum(~np.isfinite(vector)))} values are NaN or infinite")
    return vector


# --- the mean and its interval ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """The mean of a policy's values over ``n`` scenarios and its two-sided bootstrap confidence interval
    ``[low, high]`` at ``level`` (same unit as the values).

    ``method`` says how the interval was found: ``"bca"`` (bias-corrected and accelerated), ``"percentile"``
    (BCa could not be computed, see :func:`mean_interval`) or ``"degenerate"`` (one value, or all values
    equal: ``low == high == mean``).
    """

    mean: float
    low: float
    high: float
    n: int
    level: float
    method: str


def mean_interval(
    values: ArrayLike, rng: np.random.Generator, level: float = 0.95, resamples: int = DEFAULT_RESAMPLES
) -> Interval:
    """The mean of ``values`` (shape ``(n_scenarios,)``) and its bootstrap confidence interval.

    The interval is :func:`scipy.stats.bootstrap`'s of :func:`numpy.mean` over ``resamples`` resamples
    drawn from ``rng`` (passed as scipy's ``rng``; the same generator state gives the same interval), BCa
    by default. BCa needs a jackknife and a bias correction that are undefined when the resampled means
    are degenerate (e.g. every resample on one side of the mean, which few distinct values and few
    resamples make likely); then the percentile interval of the same resamples is returned instead
    (``method="percentile"``), with no new draws.

    - ``n == 0``: :class:`InputError` (there is no mean).
    - ``n == 1`` or all values equal: no spread can be estimated, ``low == high == mean`` and
      ``method == "degenerate"``; ``rng`` is not drawn from.
    - ``n == 2``: BCa works (scipy needs two observations); the interval lies within the two values.
    """
    x = _finite_vector(values, "values")
    if len(x) == 0:
        raise InputError("values: no values, so no mean (was the policy run on no scenario?)")
    if not 0.0 < level < 1.0:
        raise InputError(f"level: {level} is not between 0 and 1 (e.g. 0.95)")
    if resamples < 1:
        raise InputError(f"resamples: {resamples} is not a positive number of resamples")
    if np.all(x == x[0]):
        # x[0], not np.mean(x): the mean of equal values can be off by one rounding.
        return Interval(float(x[0]), float(x[0]), float(x[0]), len(x), level, "degenerate")
    mean = float(np.mean(x))
    from scipy import stats

    options = {"confidence_level": level, "rng": rng}
    with warnings.catch_warnings():
        # A degenerate BCa warns and gives NaN bounds, which are handled right below.
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.bootstrap((x,), np.mean, n_resamples=resamples, method="BCa", **options)
    method = "bca"
    if not np.all(np.isfinite(result.confidence_interval)):
        method = "percentile"
        result = stats.bootstrap(
            (x,), np.mean, n_resamples=0, method="percentile", bootstrap_result=result, **options
        )
    low, high = (float(bound) for bound in result.confidence_interval)
    return Interval(mean, low, high, len(x), level, method)


# --- one policy against a reference -----------------------------------------------------------------------


@dataclass(frozen=True)
class PairedTest:
    """A policy against a reference policy on the same ``n`` scenarios, for one objective.

    The differences are ``values - reference``, scenario by scenario. Every signed field (``mean_difference``,
    ``relative_change``, ``cohens_dz``, ``rank_biserial``) is positive when the policy's values are *larger*
    than the reference's, whatever the objective's direction; ``better`` says whether that is good.

    - ``n``: pairs (scenarios); ``n_differing``: pairs whose difference is not 0, the ones the Wilcoxon
      test and the rank-biserial correlation use.
    - ``mean``, ``reference_mean``: each policy's mean (the objective's unit); ``mean_difference`` is
      ``mean - reference_mean``.
    - ``relative_change``: ``mean_difference / |reference_mean|`` (a fraction: -0.12 is 12 % below the
      reference, also when the reference mean is negative); 0.0 when both means are 0, ``+inf`` or
      ``-inf`` (the sign of ``mean``) when only the reference mean is 0.
    - ``t_pvalue``: two-sided paired t-test (:func:`scipy.stats.ttest_rel`). 1.0 when ``n < 2`` (no
      variance to estimate) or every difference is 0; 0.0 when every difference is the same non-zero
      number (the t statistic is infinite).
    - ``wilcoxon_pvalue``: two-sided Wilcoxon signed-rank test, :func:`scipy.stats.wilcoxon` of the
      non-zero differences. A scenario on which both policies score the same says nothing about which is
      better, so it is left out (Wilcoxon's own rule, scipy's ``zero_method="wilcox"``); it is left out
      *before* calling scipy because scipy, given zeros, takes the normal approximation above 13 pairs,
      whereas on the non-zero differences alone it takes the exact distribution when they are untied and
      at most 50 (an exhaustive permutation up to 13 tied ones: 2**n_differing orderings, about a second
      at 13 on the 2-core test machine, scipy 1.17). 1.0 when no difference is non-zero; with
      1 to 5 non-zero differences it cannot fall below 0.05 (its smallest value is ``2 / 2**n_differing``).
    - ``cohens_dz``: mean difference / standard deviation of the differences (``ddof=1``); 0.0 when every
      difference is 0, ``+-inf`` when they are all the same non-zero number or ``n == 1``.
    - ``rank_biserial``: matched-pairs rank-biserial correlation (Kerby 2014, "The simple difference
      formula", Innovative Teaching 3, doi:10.2466/11.IT.3.1), ``(R+ - R-) / (R+ + R-)`` with ``R+`` and
      ``R-`` the sums of the ranks of ``|difference|`` of the positive and the negative non-zero
      differences; in [-1, 1], 1 when every non-zero difference is positive, 0.0 when none is non-zero.
    - ``better``: the policy's mean beats the reference's in the objective's direction (ties are not).
    """

    n: int
    n_differing: int
    mean: float
    reference_mean: float
    mean_difference: float
    relative_change: float
    t_pvalue: float
    wilcoxon_pvalue: float
    cohens_dz: float
    rank_biserial: float
    better: bool


def paired_test(values: ArrayLike, reference: ArrayLike, higher_is_better: bool) -> PairedTest:
    """A policy's ``values`` against a ``reference`` policy's on the same scenarios (both
    ``(n_scenarios,)``, ``n_scenarios >= 1``, in the same order); see :class:`PairedTest` for the fields
    and their degenerate cases."""
    x = _finite_vector(values, "values")
    ref = _finite_vector(reference, "reference")
    if x.shape != ref.shape:
        raise InputError(f"values and reference: {len(x)} and {len(ref)} scenarios, expected the same")
    if len(x) == 0:
        raise InputError("values and reference: no scenarios to compare on")
    differences = x - ref
    mean, reference_mean = float(np.mean(x)), float(np.mean(ref))
    difference = mean - reference_mean
    return PairedTest(
        n=len(x),
        n_differing=int(np.count_nonzero(differences)),
        mean=mean,
        reference_mean=reference_mean,
        mean_difference=difference,
        relative_change=_relative_change(mean, reference_mean),
        t_pvalue=_t_pvalue(x, ref, differences),
        wilcoxon_pvalue=_wilcoxon_pvalue(differences),
        cohens_dz=_cohens_dz(differences),
        rank_biserial=_rank_biserial(differences),
        better=difference > 0 if higher_is_better else difference < 0,
    )


def _relative_change(mean: float, reference_mean: float) -> float:
    if reference_mean == 0.0:
        return 0.0 if mean == 0.0 else math.copysign(math.inf, mean)
    return (mean - reference_mean) / abs(reference_mean)


def _t_pvalue(x: np.ndarray, reference: np.ndarray, differences: np.ndarray) -> float:
    if len(differences) < 2 or not np.any(differences):
        return 1.0
    if np.all(differences == differences[0]):
        return 0.0
    from scipy import stats

    with warnings.catch_warnings():
        # Near-constant differences make scipy warn of precision loss; its p-value is still the limit, ~0.
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(stats.ttest_rel(x, reference).pvalue)


def _wilcoxon_pvalue(differences: np.ndarray) -> float:
    nonzero = differences[differences != 0]
    if len(nonzero) == 0:
        return 1.0
    from scipy import stats

    return float(stats.wilcoxon(nonzero, alternative="two-sided").pvalue)


def _cohens_dz(differences: np.ndarray) -> float:
    mean = float(np.mean(differences))
    if len(differences) < 2 or np.all(differences == differences[0]):
        return 0.0 if not np.any(differences) else math.copysign(math.inf, mean)
    return mean / float(np.std(differences, ddof=1))


def _rank_biserial(differences: np.ndarray) -> float:
    nonzero = differences[differences != 0]
    if len(nonzero) == 0:
        return 0.0
    from scipy import stats

    ranks = stats.rankdata(np.abs(nonzero))
    above, below = float(ranks[nonzero > 0].sum()), float(ranks[nonzero < 0].sum())
    return (above - below) / (above + below)


# --- many comparisons -------------------------------------------------------------------------------------


def holm(pvalues: ArrayLike) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values of ``pvalues`` (shape ``(m,)``, each in [0, 1], no NaN: a NaN
    p-value has no place in the order, so it is refused rather than guessed), in the order given.

    Step-down (Holm 1979, "A simple sequentially rejective multiple test procedure", Scand. J. Statist.
    6(2)): with the p-values sorted ascending, ``p_(1) <= ... <= p_(m)``, the ``k``-th adjusted value is
    ``max over j <= k of min(1, (m - j + 1) * p_(j))``. So the smallest is Bonferroni's ``m * p_(1)``, each
    adjusted value is at least its raw one and at most 1, and a smaller raw p-value never gets a larger
    adjusted one (equal raw p-values get equal adjusted ones). Rejecting where the adjusted value is below
    alpha controls the family-wise error rate at alpha over the ``m`` hypotheses.
    """
    p = _finite_vector(pvalues, "p-values")
    if np.any((p < 0.0) | (p > 1.0)):
        raise InputError("p-values: every p-value must be in [0, 1] (one is outside)")
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order])
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


@dataclass(frozen=True)
class Comparison:
    """``policy`` against ``reference`` for one objective: the :class:`PairedTest` and its two p-values
    Holm-adjusted over the objective's family of comparisons (see :func:`compare_policies`)."""

    policy: str
    reference: str
    test: PairedTest
    t_pvalue_holm: float
    wilcoxon_pvalue_holm: float


def compare_policies(
    table: Mapping[str, ArrayLike], reference_names: Sequence[str], higher_is_better: bool
) -> list[Comparison]:
    """Every policy of ``table`` against every reference policy named, for ONE objective.

    ``table`` maps a policy's name to its values on the scenarios, shape ``(n_scenarios,)``, the same
    scenarios in the same order for every policy; ``reference_names`` (e.g. ``["best_fit", "dqn"]``) must
    be keys of it. The comparisons come policy by policy in the table's order, and for each in the order
    of ``reference_names``; a reference is not compared with itself.

    The family of Holm's correction is this objective's comparisons, one family per test: the t-test's
    p-values are adjusted together, and so are the Wilcoxon test's. Per objective, because the report
    answers one question per objective ("is the program's latency better than best fit's, than DQN's?")
    and states its conclusions objective by objective; correcting over every objective too would make
    each objective's answer depend on how many other objectives are reported. Per test, because the two
    tests are two analyses of the same hypotheses (a parametric and a rank one), not more hypotheses; a
    reader uses one of them. For family-wise control over every objective at once, pass the raw p-values
    of all of them to :func:`holm`.
    """
    vectors = {name: _finite_vector(values, f"policy {name!r}") for name, values in table.items()}
    if len(set(reference_names)) != len(reference_names):
        raise InputError(f"reference policies: {list(reference_names)} names one twice")
    missing = [name for name in reference_names if name not in vectors]
    if missing:
        raise InputError(f"reference policies {missing} are not among the policies {list(vectors)}")
    lengths = {name: len(values) for name, values in vectors.items()}
    if len(set(lengths.values())) > 1:
        raise InputError(f"policies were measured on different numbers of scenarios: {lengths}")
    pairs = [(policy, ref) for policy in vectors for ref in reference_names if policy != ref]
    tests = [paired_test(vectors[policy], vectors[ref], higher_is_better) for policy, ref in pairs]
    t_adjusted = holm([test.t_pvalue for test in tests])
    wilcoxon_adjusted = holm([test.wilcoxon_pvalue for test in tests])
    return [
        Comparison(policy, ref, test, float(t_p), float(w_p))
        for (policy, ref), test, t_p, w_p in zip(pairs, tests, t_adjusted, wilcoxon_adjusted, strict=True)
    ]


# --- Pareto per scenario ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParetoShares:
    """Pareto membership and hypervolume of each policy on each scenario.

    - ``policies``: the policies' names, in the input's order (the columns below).
    - ``non_dominated``: ``(n_scenarios, n_policies)`` bool, whether no other policy's point dominates the
      policy's on that scenario (policies with equal points are all non-dominated).
    - ``hypervolume``: ``(n_scenarios, n_policies)`` in (0, 1], each policy's point's hypervolume on that
      scenario, scaled as :func:`pareto_shares` says (1.0: best of the policies in every objective).
    """

    policies: tuple[str, ...]
    non_dominated: np.ndarray
    hypervolume: np.ndarray

    @property
    def shares(self) -> dict[str, float]:
        """Policy -> the share of scenarios (in [0, 1]) on which it is non-dominated."""
        return {name: float(np.mean(self.non_dominated[:, i])) for i, name in enumerate(self.policies)}


def pareto_shares(
    points_by_policy: Mapping[str, ArrayLike], margin: float = REFERENCE_MARGIN
) -> ParetoShares:
    """Which policies are Pareto-optimal on each scenario, and each one's hypervolume there.

    ``points_by_policy`` maps a policy's name to its ``(n_scenarios, n_objectives)`` results, the same
    scenarios and objectives in the same order for every policy, *oriented so that higher is better in
    every column*: negate the objectives to minimise (latency, SLA violations, cost, energy, rejections,
    Gini) before calling. Units do not matter, since each scenario is scaled on its own.

    Membership is :func:`aurora_evo.sim.pareto.non_dominated` of the scenario's policies' points.

    Hypervolume: on each scenario, each objective is scaled to [0, 1] from the worst policy's value (0)
    to the best's (1); an objective on which every policy scores the same is 1 for all. The reference
    point lies ``margin`` below 0 in every scaled objective (below the worst policy, so that a policy worst
    in one objective keeps a small volume instead of 0, which with ten objectives would be most policies),
    and the volume is divided by that of the ideal point, ``(1 + margin) ** n_objectives``. So each
    scenario's hypervolumes lie in (0, 1] whatever its units and scale, comparable across the scenarios of
    one evaluation, but not across evaluations of different sets of policies, which move the worst and
    best. One point's hypervolume is the volume of the box between it and the reference, the product of its
    sides, which is what :func:`aurora_evo.sim.pareto.hypervolume` returns for one point; computed here
    directly, since above four objectives that function estimates by Monte Carlo, with 200 000 draws a
    call.
    """
    if margin <= 0.0 or not math.isfinite(margin):
        raise InputError(f"margin: {margin} is not a positive share of the objectives' range (e.g. 0.1)")
    cube = _points_cube(points_by_policy)
    mask = np.array([non_dominated(scenario) for scenario in cube], dtype=bool)
    worst, best = cube.min(axis=1, keepdims=True), cube.max(axis=1, keepdims=True)
    spread = best - worst
    scaled = np.where(spread > 0, (cube - worst) / np.where(spread > 0, spread, 1.0), 1.0)
    volumes = np.prod((scaled + margin) / (1.0 + margin), axis=2)
    return ParetoShares(tuple(points_by_policy), mask, volumes)


def _points_cube(points_by_policy: Mapping[str, ArrayLike]) -> np.ndarray:
    """The policies' points stacked as ``(n_scenarios, n_policies, n_objectives)``, checked."""
    if not points_by_policy:
        raise InputError("points: no policies")
    arrays = {}
    for name, points in points_by_policy.items():
        try:
            array = np.asarray(points, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"policy {name!r}: points are not numbers ({exc})") from None
        if array.ndim != 2 or 0 in array.shape:
            raise InputError(
                f"policy {name!r}: points of shape {array.shape}, expected (scenarios, objectives)"
            )
        if not np.all(np.isfinite(array)):
            raise InputError(f"policy {name!r}: points must be finite (a NaN is neither better nor worse)")
        arrays[name] = array
    shapes = {name: array.shape for name, array in arrays.items()}
    if len(set(shapes.values())) > 1:
        raise InputError(f"policies' points differ in shape (scenarios, objectives): {shapes}")
    return np.stack(list(arrays.values()), axis=1)
