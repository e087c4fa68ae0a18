"""``aurora-evo evaluate --study continual``: a search continued on another suite, and what it forgets."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_run import run

from aurora_evo.cli.exit_status import EXIT_BAD_INPUT, EXIT_OK
from aurora_evo.studies.continual import BUDGETS, RUNS, _paired


def test_a_paired_difference_leaves_out_seeds_measured_on_one_side():
    record = _paired([0.03, np.nan, 0.01], [0.01, 0.02, 0.0], np.random.default_rng(0))
    assert record["test"]["n"] == 2 and record["difference"]["mean"] == pytest.approx(0.015)
    assert _paired([np.nan], [0.0], np.random.default_rng(0)) == {}


def test_the_quick_study_scores_every_run_on_both_suites(capsys, tmp_path):
    code, out, err = run(
        capsys, "evaluate", "--study", "continual", "--suite", "google-2011", "--then", "azure",
        "--profile", "quick", "--out", tmp_path,
    )  # fmt: skip
    assert code == EXIT_OK, err
    assert {Path(line).name for line in out.split()} == {"results.json", "report.md", "continual.png"}
    document = json.loads((tmp_path / "results.json").read_text())
    seeds = BUDGETS["quick"].seeds
    assert sorted((r["label"], r["seed"]) for r in document["runs"]) == sorted(
        (name, s) for name in RUNS for s in range(seeds)
    )
    for row in document["seeds"]:
        for metric in ("fitness", "reward"):
            assert set(row[metric]) == set(RUNS)
            assert all(set(v) == {"google-2011", "azure"} for v in row[metric].values())
    forgetting = [
        r["fitness"]["first"]["google-2011"] - r["fitness"]["continued"]["google-2011"]
        for r in document["seeds"]
    ]
    assert document["forgetting_on_first"]["difference"]["mean"] == pytest.approx(np.mean(forgetting))
    report = (tmp_path / "report.md").read_text()
    assert "## Continual learning" in report and "forgetting on google-2011" in report


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--study", "continual", "--suite", "synthetic"], "--then NAME goes with --study continual"),
        (["--study", "ablation", "--suite", "synthetic", "--then", "azure"], "--then NAME goes with"),
        (["--study", "continual", "--suite", "azure", "--then", "azure"], "another than --suite azure"),
        (["--study", "continual", "--suite", "azure", "--then", "no-such-suite"], "no-such-suite"),
        (["--study", "continual", "--then", "azure"], "needs --suite"),
    ],
)
def test_bad_input_is_one_line_with_exit_2(capsys, tmp_path, arguments, expected):
    code, _, err = run(capsys, "evaluate", *arguments, "--profile", "quick", "--out", tmp_path / "o")
    assert code == EXIT_BAD_INPUT, err
    assert expected in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists()
