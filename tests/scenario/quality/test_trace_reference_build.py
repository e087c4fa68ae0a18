"""The shipped realism references of the real traces: their provenance, and the builder run on the raw
files in ``../shared/data`` reproducing every table (skipped when the data is absent)."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest
from trace_windows import shared_data

from aurora_evo.scenario.quality.build_trace_references import (
    N_QUANTILES,
    SOURCE_FILES,
    WINDOW_LENGTHS_S,
    grid_windows,
    measure_source,
    references_text,
)
from aurora_evo.scenario.quality.trace_references import FORMAT, REFERENCE_FILE, VERSION, parse_references
from aurora_evo.scenario.quality.trace_window import SAMPLE_NAMES, TRACE_FORMATS


@pytest.fixture(scope="module")
def shipped() -> dict:
    text = resources.files("aurora_evo.scenario").joinpath("data", REFERENCE_FILE).read_text("utf-8")
    return json.loads(text)


def test_the_shipped_file_says_where_every_table_comes_from(shipped):
    assert (shipped["format"], shipped["version"]) == (FORMAT, VERSION)
    assert shipped["window_lengths_s"] == list(WINDOW_LENGTHS_S)
    assert (
        shipped["built"]["command"]
        == "python -m aurora_evo.scenario.quality.build_trace_references ../shared/data"
    )
    assert len(shipped["built"]["date"]) == 10
    assert sorted(shipped["sources"]) == sorted(TRACE_FORMATS) == sorted(SOURCE_FILES)
    for fmt, entry in shipped["sources"].items():
        files = [record["file"] for record in entry["source"]["files"]]
        assert files == [f"shared/data/{name}" for group in SOURCE_FILES[fmt] for name in group]
        assert all(len(record["sha256"]) == 64 for record in entry["source"]["files"])
        assert entry["source"]["reader"].endswith("tasks") or "; " in entry["source"]["reader"]
        assert sorted(entry["windows"]) == sorted(f"{length:g}" for length in WINDOW_LENGTHS_S)
        for measured in entry["windows"].values():
            assert measured["windows"] > 0 and set(measured["distributions"]) <= set(SAMPLE_NAMES)
            for table in measured["distributions"].values():
                assert len(table["quantiles"]) == N_QUANTILES and table["n"] > 0
    parse_references(shipped)


def test_the_shipped_text_is_the_canonical_text(shipped):
    text = resources.files("aurora_evo.scenario").joinpath("data", REFERENCE_FILE).read_text("utf-8")
    assert references_text(shipped) == text


@pytest.mark.slow
@pytest.mark.parametrize("fmt", TRACE_FORMATS)
def test_the_builder_reproduces_the_shipped_tables_from_the_raw_files(fmt, shipped):
    """Up to two minutes for Alibaba 2018 (5 million task instances, four window lengths)."""
    data = shared_data()
    assert measure_source(fmt, data) == shipped["sources"][fmt]


def test_the_shifted_grids_start_a_share_of_the_length_later_and_skip_what_comes_before():
    """Tasks at 0, 5, ..., 35 s, 10-second windows: the first grid from 0, the half-shifted one from 5 s
    (the task at 0 in none of its windows); every window of a grid holds the tasks of its interval. The
    20-second windows, given no shift, have the first grid only. Out of arrival order, a window is a run
    of tasks in one interval."""
    arrival = np.arange(0.0, 40.0, 5.0)
    got = [
        (length, phase, start, arrival[rows].tolist())
        for length, phase, start, rows in grid_windows(arrival, [10.0, 20.0], {10.0: [0.5]})
    ]
    assert sorted(got) == [
        (10.0, 0.0, 0.0, [0.0, 5.0]),
        (10.0, 0.0, 10.0, [10.0, 15.0]),
        (10.0, 0.0, 20.0, [20.0, 25.0]),
        (10.0, 0.0, 30.0, [30.0, 35.0]),
        (10.0, 0.5, 5.0, [5.0, 10.0]),
        (10.0, 0.5, 15.0, [15.0, 20.0]),
        (10.0, 0.5, 25.0, [25.0, 30.0]),
        (10.0, 0.5, 35.0, [35.0]),
        (20.0, 0.0, 0.0, [0.0, 5.0, 10.0, 15.0]),
        (20.0, 0.0, 20.0, [20.0, 25.0, 30.0, 35.0]),
    ]
    unordered = np.array([0.0, 12.0, 3.0, 14.0])
    assert [(start, unordered[rows].tolist()) for _, _, start, rows in grid_windows(unordered, [10.0])] == [
        (0.0, [0.0]),
        (10.0, [12.0]),
        (0.0, [3.0]),
        (10.0, [14.0]),
    ]
