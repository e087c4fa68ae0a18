"""The generator's arrival model: the MMPP's burst ratio, and job epochs at the rate and burstiness asked for."""

from __future__ import annotations

import numpy as np
import pytest

from aurora_evo.scenario.arrivals import burst_ratio, job_epochs
from aurora_evo.scenario.params import GeneratorParams


def test_burst_ratio_inverts_the_hyperexponential_cv():
    assert burst_ratio(1.0, 0.2) == 1.0
    p = 0.2
    r = burst_ratio(1.9, p)
    assert 2 * (1 - p + p * r) * (1 - p + p / r) - 1 == pytest.approx(1.9**2)


def test_job_epochs_have_the_rate_and_burstiness_asked_for():
    params = GeneratorParams(name="a", diurnal_amplitude=0.0, interarrival_cv=1.9)
    epochs = job_epochs(np.random.default_rng(0), 20_000, 2.0, params)
    assert epochs[0] == 0 and np.all(np.diff(epochs) >= 0)
    assert epochs[-1] == pytest.approx(20_000 / 2.0, rel=0.01)
    gaps = np.diff(epochs)
    assert gaps.std() / gaps.mean() == pytest.approx(1.9, rel=0.15)
    poisson = job_epochs(
        np.random.default_rng(0), 20_000, 2.0, GeneratorParams(name="p", interarrival_cv=1.0)
    )
    gaps = np.diff(poisson)
    assert gaps.std() / gaps.mean() < 1.2  # only the diurnal swing on top of Poisson
