"""The generator's task sizes: the log-normal copula, and requests shrunk to fit some node type."""

from __future__ import annotations

import numpy as np
import pytest

from aurora_evo.scenario.sizes import correlated_lognormal, fit_to_types
from aurora_evo.sim.engine import fits_anywhere


def test_correlated_lognormal_has_the_asked_log_moments():
    corr = np.array([[1.0, 0.54], [0.54, 1.0]])
    x = correlated_lognormal(
        np.random.default_rng(1), 50_000, np.array([-2.7, -3.2]), np.array([0.8, 0.9]), corr
    )
    logs = np.log(x)
    assert logs.mean(axis=0) == pytest.approx([-2.7, -3.2], abs=0.02)
    assert logs.std(axis=0) == pytest.approx([0.8, 0.9], abs=0.02)
    assert np.corrcoef(logs.T)[0, 1] == pytest.approx(0.54, abs=0.02)


def test_fit_to_types_shrinks_only_what_does_not_fit():
    types = np.array([[8.0, 32.0, 0.0, 10.0], [4.0, 64.0, 1.0, 10.0]])
    demand = np.array([[2.0, 4.0, 0.0, 0.0], [16.0, 16.0, 0.0, 0.0], [8.0, 8.0, 1.0, 0.0]])
    out = fit_to_types(demand, types)
    assert np.array_equal(out[0], demand[0])
    assert out[1] == pytest.approx([8.0, 8.0, 0.0, 0.0])  # halved onto the 8-core type
    assert out[2] == pytest.approx([4.0, 4.0, 1.0, 0.0])  # the gpu task must use the gpu type
    assert fits_anywhere(out, types).all()
