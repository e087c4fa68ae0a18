"""``unique_rows`` gives what ``numpy.unique(a, axis=0, return_inverse=True)`` gives."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from aurora_evo.rows import unique_rows

#: Few distinct values, so that rows repeat; -0.0 beside 0.0.
VALUES = st.sampled_from([0.0, -0.0, 0.5, 1.0, 3.0, 1e9, -2.0, np.inf])


@given(st.integers(0, 40).flatmap(lambda n: st.integers(1, 7).flatmap(
    lambda k: arrays(np.float64, (n, k), elements=VALUES)
)))  # fmt: skip
def test_the_distinct_rows_and_their_indices_are_numpys(a):
    expected, expected_inverse = np.unique(a, axis=0, return_inverse=True)
    got, inverse = unique_rows(a)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(inverse, np.asarray(expected_inverse).ravel())
    np.testing.assert_array_equal(got[inverse], a)


def test_no_rows_have_no_distinct_rows():
    got, inverse = unique_rows(np.empty((0, 3)))
    assert got.shape == (0, 3) and inverse.shape == (0,)


def test_a_row_holding_a_nan_equals_no_other_row():
    got, inverse = unique_rows(np.array([[np.nan], [np.nan], [1.0], [1.0]]))
    assert got.shape == (3, 1) and inverse.tolist() == [1, 2, 0, 0]
