"""The generator's parameters: defaults from the trace statistics, and the values refused."""

from __future__ import annotations

import pytest

from aurora_evo.scenario.params import GeneratorParams


def test_defaults_come_from_trace_stats():
    params = GeneratorParams(name="d")
    assert params.cpu_log_mu == pytest.approx(-2.7058, abs=1e-3)  # Google 2011 per-task fit
    assert params.duration_log_sigma == pytest.approx(1.82, abs=0.01)  # Alibaba 2017 terminated
    assert params.batch_mean == pytest.approx(6.22, abs=0.01)
    assert sum(s for _, s in params.priority_shares) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "bad",
    [
        {"n_tasks": 0},
        {"target_load": 0.0},
        {"diurnal_amplitude": 1.0},
        {"batch_mean": 0.5},
        {"deadline_slack": (2.0, 1.0)},
        {"priority_shares": ((12, 1.0),)},
    ],
)
def test_bad_params_are_refused(bad):
    with pytest.raises(ValueError, match="GeneratorParams"):
        GeneratorParams(name="bad", **bad)
