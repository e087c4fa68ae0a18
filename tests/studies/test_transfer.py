"""``aurora-evo evaluate --study transfer``: programs evolved on one domain, scored on another."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_run import run

from aurora_evo.cli.exit_status import EXIT_OK
from aurora_evo.studies.evolution import Winner
from aurora_evo.studies.transfer import BUDGETS, PAIRS, _pair_record, domains


def _scored(reward: list[float], fitness: list[float]) -> dict:
    return {"reward": np.array(reward), "fitness": np.array(fitness)}


def test_retention_is_the_transferred_reward_over_the_native_one():
    winners = {(d, s): Winner(d, s, "p", "", None, 1, 1.0) for d in ("cloud", "edge") for s in (0, 1)}
    scored = {
        (("cloud", 0), "edge"): _scored([0.6, 0.8], [0.01, 0.01]),
        (("edge", 0), "edge"): _scored([0.8, 0.8], [0.04, 0.04]),
        (("cloud", 1), "edge"): _scored([0.9, 0.9], [-0.02, 0.0]),
        (("edge", 1), "edge"): _scored([0.9, 0.9], [0.0, 0.0]),
    }
    baselines = {
        "edge": {"best fit": {"mean_reward": 0.7}, "first fit": {"mean_reward": 0.6}, "scenarios": 2}
    }
    record = _pair_record("cloud", "edge", winners, scored, baselines, np.random.default_rng(0))
    first, second = record["seeds"]
    assert first["retention"] == pytest.approx(0.875) and first["gain_retained"] == pytest.approx(0.25)
    assert second["retention"] == pytest.approx(1.0) and second["gain_retained"] is None
    assert record["retention"]["mean"] == pytest.approx(0.9375)
    test = record["transferred_vs_native"]
    assert test["n"] == 2 and test["mean_difference"] == pytest.approx(-0.02)


def test_the_quick_study_scores_every_pair(capsys, tmp_path):
    code, out, err = run(capsys, "evaluate", "--study", "transfer", "--profile", "quick", "--out", tmp_path)
    assert code == EXIT_OK, err
    assert {Path(line).name for line in out.split()} == {"results.json", "report.md", "transfer.png"}
    document = json.loads((tmp_path / "results.json").read_text())
    seeds = BUDGETS["quick"].seeds
    assert sorted((r["label"], r["seed"]) for r in document["runs"]) == sorted(
        (d, s) for d in domains() for s in range(seeds)
    )
    assert [(p["source"], p["target"]) for p in document["pairs"]] == list(PAIRS)
    for pair in document["pairs"]:
        assert [s["seed"] for s in pair["seeds"]] == list(range(seeds))
        assert pair["baselines"]["scenarios"] > 3 and 0 < pair["retention"]["mean"] <= 2
        for s in pair["seeds"]:
            assert s["retention"] == pytest.approx(s["transferred_reward"] / s["native_reward"])
    report = (tmp_path / "report.md").read_text()
    assert "## Transfer" in report and "| cloud -> edge |" in report
