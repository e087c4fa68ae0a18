"""Random instances: FunSearch's distributions, determinism per seed, no global random state."""

from __future__ import annotations

import numpy as np
import pytest

from aurora_evo.domains.binpacking import or_dataset, or_instance, weibull_dataset, weibull_instance


def truncated_weibull_pmf() -> np.ndarray:
    """P(size = k) for k = 0..100 of floor(clip(45 * Weibull(3), 1, 100))."""
    cdf = lambda x: 1.0 - np.exp(-((np.maximum(x, 0.0) / 45.0) ** 3))  # noqa: E731
    pmf = np.zeros(101)
    k = np.arange(2, 100, dtype=float)
    pmf[2:100] = cdf(k + 1) - cdf(k)  # size k collects [k, k + 1)
    pmf[1] = cdf(2.0)  # clipped at 1: [0, 2) all becomes 1
    pmf[100] = 1.0 - cdf(100.0)  # clipped at 100
    return pmf


def test_weibull_distribution_matches_funsearch_recipe():
    sizes = weibull_instance(np.random.default_rng(7), n_items=200_000).items
    assert sizes.min() >= 1 and sizes.max() <= 100
    assert np.array_equal(sizes, np.floor(sizes))
    pmf = truncated_weibull_pmf()
    assert pmf.sum() == pytest.approx(1.0)
    support = np.arange(101)
    mean, std = support @ pmf, np.sqrt((support**2) @ pmf - (support @ pmf) ** 2)
    # Standard error of the mean is 14.6 / sqrt(2e5) = 0.033; rounding instead would shift it by 0.5.
    assert sizes.mean() == pytest.approx(mean, abs=0.15)
    assert sizes.std() == pytest.approx(std, abs=0.15)
    empirical = np.bincount(sizes.astype(int), minlength=101) / sizes.size
    assert 0.5 * np.abs(empirical - pmf).sum() < 0.01  # total variation distance


def test_weibull_generator_matches_the_released_test_set():
    """The shipped Weibull 5k items follow the truncated recipe (chi-square on the size histogram)."""
    from scipy import stats

    from aurora_evo.domains.binpacking import builtin_datasets

    items = np.concatenate([i.items for i in builtin_datasets()["Weibull 5k"].instances]).astype(int)
    observed = np.bincount(items, minlength=101)
    pmf = truncated_weibull_pmf()
    keep = pmf * items.size > 5  # chi-square needs expected counts above ~5
    expected = pmf[keep] / pmf[keep].sum() * observed[keep].sum()
    assert stats.chisquare(observed[keep], expected).pvalue > 0.05
    assert items.mean() == pytest.approx(np.arange(101) @ pmf, abs=3 * 14.6 / np.sqrt(items.size))


def test_weibull_dataset_shape():
    dataset = weibull_dataset(np.random.default_rng(0), n_instances=3, n_items=100)
    assert [i.name for i in dataset.instances] == ["test_0", "test_1", "test_2"]
    assert {(i.capacity, i.items.shape) for i in dataset.instances} == {(100.0, (100,))}
    assert dataset.name == "Weibull 3x100"


def test_or_distribution():
    sizes = or_instance(np.random.default_rng(3), n_items=50_000).items
    assert set(np.unique(sizes).tolist()) == set(range(20, 101))  # both ends included
    assert sizes.mean() == pytest.approx(60.0, abs=0.3)
    dataset = or_dataset(np.random.default_rng(0), n_instances=2, n_items=120)
    assert [i.name for i in dataset.instances] == ["u120_00", "u120_01"]
    assert {i.capacity for i in dataset.instances} == {150.0}


@pytest.mark.parametrize("make", [weibull_dataset, or_dataset])
def test_same_seed_same_data_and_no_global_state(make):
    # The legacy global generator must be left untouched.
    np.random.seed(123)  # noqa: NPY002
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    first = make(np.random.default_rng(42), n_instances=2, n_items=300)
    again = make(np.random.default_rng(42), n_instances=2, n_items=300)
    other = make(np.random.default_rng(43), n_instances=2, n_items=300)
    assert first == again
    assert first.instances != other.instances
    assert first.instances[0] != first.instances[1]  # instances are not copies of each other
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002
