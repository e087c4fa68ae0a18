"""Trace statistics: the shipped copy, its reference samples, and a fresh measurement of shared/data."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from aurora_evo.scenario.traces import (
    SAMPLE_FILES,
    SOURCES,
    load_reference_samples,
    load_trace_stats,
    lognormal_summary,
    measure_trace_stats,
    reference_samples,
)

SHARED_DATA = Path(
    os.environ.get("AURORA_EVO_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")
)
needs_shared = pytest.mark.skipif(
    not all((SHARED_DATA / name).is_file() for name in SOURCES),
    reason=f"no trace samples under {SHARED_DATA}",
)
DATA = resources.files("aurora_evo.scenario").joinpath("data")


def _fit_ok(fit: dict) -> None:
    assert fit["n"] > 0 and fit["log_sigma"] > 0 and fit["min"] <= fit["mean"] <= fit["max"]
    q = list(fit["quantiles"].values())
    assert q == sorted(q) and fit["min"] <= q[0] and q[-1] <= fit["max"]


def test_shipped_stats_have_the_expected_shape_and_key_numbers():
    stats = load_trace_stats()
    assert stats["format"] == "aurora-evo/trace-stats"
    google, alibaba, machines = stats["google_2011"], stats["alibaba_2017"], stats["alibaba_2018_machines"]
    assert google["rows"] == 33_302 and google["jobs"] == 1_145
    assert alibaba["rows"] == 80_553 and alibaba["rows_without_request"] == 9_017
    assert machines["machines"] == 4_034 and machines["cpu_cores_counts"] == {"96.0": 17_592}
    for fit in (google["per_task"]["cpu"], google["per_task"]["memory"], alibaba["sizes"]["cpu"]):
        _fit_ok(fit)
    _fit_ok(alibaba["duration"]["terminated"])
    assert sum(google["priority_shares"].values()) == pytest.approx(1.0)
    assert 0 < google["per_task"]["cpu_mem_log_corr"] < 1
    arrivals = alibaba["arrivals"]
    assert arrivals["job_interarrival_cv"] > 1  # bursty, not Poisson
    assert len(arrivals["hourly_job_counts"]) == 17 and 0 < arrivals["diurnal_amplitude"] < 1
    assert load_trace_stats() is not load_trace_stats()  # callers may mutate their copy


def test_reference_samples_match_the_fits():
    samples = load_reference_samples()
    assert samples["google_cpu_mem"].shape == (2000, 2) and samples["alibaba_cpu_mem"].shape == (2000, 2)
    assert samples["alibaba_duration_s"].shape == (2000,) and samples["alibaba_job_arrival_s"].shape == (
        2000,
    )
    assert np.all(samples["google_cpu_mem"] > 0) and np.all(samples["alibaba_duration_s"] > 0)
    assert np.all(np.diff(samples["alibaba_job_arrival_s"]) >= 0)
    google = load_trace_stats()["google_2011"]["per_task"]
    logs = np.log(samples["google_cpu_mem"])
    assert logs[:, 0].mean() == pytest.approx(google["cpu"]["log_mu"], abs=0.06)
    assert logs[:, 1].std() == pytest.approx(google["memory"]["log_sigma"], abs=0.06)
    duration = load_trace_stats()["alibaba_2017"]["duration"]["terminated"]
    assert np.log(samples["alibaba_duration_s"]).mean() == pytest.approx(duration["log_mu"], abs=0.15)


def test_shipped_data_is_small_and_documented():
    total = sum(DATA.joinpath(name).stat().st_size for name in (*SAMPLE_FILES, "trace_stats.json"))
    assert total < 300_000
    provenance = DATA.joinpath("PROVENANCE.md").read_text("utf-8")
    for name, source in SOURCES.items():
        assert name in provenance and source["commit"] in provenance
    for name in SAMPLE_FILES:
        assert name in provenance


def test_lognormal_summary_recovers_known_parameters():
    x = np.random.default_rng(0).lognormal(1.5, 0.7, 100_000)
    fit = lognormal_summary(x)
    assert fit["log_mu"] == pytest.approx(1.5, abs=0.01) and fit["log_sigma"] == pytest.approx(0.7, abs=0.01)
    assert fit["quantiles"]["p50"] == pytest.approx(np.exp(1.5), rel=0.02)


@needs_shared
def test_shipped_stats_equal_a_fresh_measurement():
    assert measure_trace_stats(SHARED_DATA) == load_trace_stats()


@needs_shared
def test_shipped_samples_equal_a_fresh_draw():
    for name, text in reference_samples(SHARED_DATA).items():
        assert DATA.joinpath(name).read_text("utf-8") == text, name


def test_missing_data_dir_says_what_to_pass(tmp_path):
    with pytest.raises(FileNotFoundError, match="shared/data"):
        measure_trace_stats(tmp_path)
