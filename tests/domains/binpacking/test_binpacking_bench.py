"""The benchmark: rows, published figures, and their JSON and text forms."""

from __future__ import annotations

import json

import numpy as np
import pytest

from aurora_evo.domains.binpacking import (
    PUBLISHED,
    PUBLISHED_SOURCE,
    Dataset,
    Instance,
    bench_table,
    bench_to_json,
    builtin_datasets,
    run_bench,
)
from aurora_evo.outcome import Outcome


@pytest.fixture(scope="module")
def rows():
    programs = {
        "Half Fit": "def priority(item, bins):\n    return -np.abs(bins - 2 * item)\n",
        "Broken": "def priority(item, bins):\n    return bins * np.nan\n",
    }
    return run_bench(programs)


def test_rows_per_dataset_in_order(rows):
    assert [(r.dataset, r.program, r.published) for r in rows] == [
        (dataset, program, published)
        for dataset in ("OR3", "Weibull 5k")
        for program, published in [
            ("First Fit", False),
            ("Best Fit", False),
            ("Half Fit", False),
            ("Broken", False),
            ("First Fit", True),
            ("Best Fit", True),
            ("FunSearch", True),
        ]
    ]


def test_measured_baselines_round_to_the_published_figures(rows):
    measured = {(r.dataset, r.program): r for r in rows if not r.published}
    for dataset, figures in PUBLISHED.items():
        for program in ("First Fit", "Best Fit"):
            assert round(measured[dataset, program].excess_percent, 2) == figures[program]
    assert measured["OR3", "Best Fit"].mean_bins == 212.0
    assert measured["OR3", "Best Fit"].l1_mean == pytest.approx(201.2)


def test_failed_and_published_rows(rows):
    broken = next(r for r in rows if r.program == "Broken")
    assert broken.status is Outcome.INVALID_OUTPUT
    assert broken.excess_percent is None and broken.mean_bins is None
    assert broken.message.startswith("OR3: instance u500_00, item 0")
    published = [r for r in rows if r.published]
    assert {r.message for r in published} == {PUBLISHED_SOURCE}
    assert all(r.mean_bins is None and r.status is Outcome.OK for r in published)
    assert [r.l1_mean for r in published if r.dataset == "Weibull 5k"] == [pytest.approx(1987.8)] * 3


def test_json_and_table(rows):
    records = json.loads(bench_to_json(rows))
    assert len(records) == len(rows)
    assert records[0] == {
        "dataset": "OR3",
        "program": "First Fit",
        "excess_percent": pytest.approx(5.7406, abs=1e-4),
        "mean_bins": 212.75,
        "l1_mean": pytest.approx(201.2),
        "status": "ok",
        "message": "",
        "published": False,
    }
    assert {r["status"] for r in records} == {"ok", "invalid_output"}
    table = bench_table(rows).splitlines()
    assert len(table) == len(rows) + 1
    assert "First Fit *" in table[5] and PUBLISHED_SOURCE in table[5]
    assert "invalid_output: OR3: instance u500_00" in table[4]


def test_custom_datasets_have_no_published_rows():
    dataset = Dataset("tiny", (Instance("a", 10.0, np.array([6.0, 5.0, 3.0, 5.0])),), "test")
    rows = run_bench(datasets={"tiny": dataset})
    assert [(r.program, r.mean_bins, r.l1_mean) for r in rows] == [
        ("First Fit", 2.0, 2.0),
        ("Best Fit", 2.0, 2.0),
    ]
    assert rows[0].excess_percent == 0.0
    assert set(builtin_datasets()) == set(PUBLISHED)


def test_vector_datasets_use_vector_baselines_and_programs(tmp_path):
    from aurora_evo.domains.binpacking import load_vbp

    path = tmp_path / "v.vbp"
    path.write_text("2\n10 10\n3\n6 2 1\n5 8 1\n4 7 2\n")
    dataset = load_vbp(path)
    mine = "def priority(item, bins):\n    return -bins.sum(axis=1)\n"
    syntax_error = "def priority(item, bins)\n    return 1\n"
    rows = run_bench({"Mine": mine, "Typo": syntax_error}, datasets={"v": dataset})
    by_name = {r.program: r for r in rows}
    # Items (6,2), (5,8), (4,7), (4,7): no two of the last three share a bin; (6,2) joins (4,7).
    assert by_name["First Fit"].mean_bins == 3.0 and by_name["Best Fit"].mean_bins == 3.0
    assert by_name["Mine"].status is Outcome.OK
    assert by_name["Typo"].excess_percent is None and "syntax error" in by_name["Typo"].message
