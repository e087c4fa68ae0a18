"""``aurora-evo evaluate --study ablation``: the full system against each part taken out, paired over seeds."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_run import run

from aurora_evo.cli.exit_status import EXIT_BAD_INPUT, EXIT_OK
from aurora_evo.config import ConfigError, override
from aurora_evo.config_files import load_preset, preset_path
from aurora_evo.domains import problem_of_domain
from aurora_evo.domains.allocation.problem import load_suite_once
from aurora_evo.program_text import normalise_source
from aurora_evo.studies.ablation import BUDGETS, PRESET, _statistics, arms
from aurora_evo.studies.evolution import run_config


def _flat(data: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        out |= _flat(value, f"{name}.") if isinstance(value, dict) else {name: value}
    return out


def test_each_ablation_differs_from_the_full_system_in_its_one_switch():
    budget = BUDGETS["quick"]
    configs = {
        arm: run_config(PRESET, budget, 3, {"task.suite": "google-2011", **s}) for arm, s in arms().items()
    }
    full = _flat(configs["full"].to_dict())
    differences = {
        arm: {k: v for k, v in _flat(config.to_dict()).items() if full[k] != v}
        for arm, config in configs.items()
        if arm != "full"
    }
    top = load_preset(preset_path(PRESET)).attacker.top_level
    assert differences == {
        "no attacker": {"attacker.enabled": False},
        "no policy database": {"islands.elite_share": 0.0},
        "no curriculum": {"attacker.start_level": top},
    }
    assert (
        full["islands.elite_share"] > 0 and full["attacker.enabled"] and full["attacker.start_level"] != top
    )
    assert (
        full["seed"] == 3
        and full["stop.max_iterations"] == budget.iterations
        and full["stop.patience"] is None
    )


def test_a_suite_can_be_cut_to_its_first_scenarios():
    config = override(
        load_preset(preset_path(PRESET)), **{"task.suite": "synthetic", "task.suite_scenarios": 2}
    )
    problem = problem_of_domain("cloud")
    cases = problem.cases(config.task, 0)
    whole = problem.cases(override(config, **{"task.suite_scenarios": None}).task, 0)
    assert [c.name for c in cases.train] == [c.name for c in whole.train[:2]] and len(whole.train) > 2
    assert len(cases.validation) == 2 and len(problem.test_cases(config.task)) == 2
    assert "suite synthetic (the first 2 of each split): train on its 2 train scenarios" in cases.description
    assert load_suite_once("synthetic") is load_suite_once("synthetic")  # read once, however it is cut
    with pytest.raises(ConfigError, match="suite_scenarios"):
        override(config, **{"task.suite_scenarios": 0})


def test_a_seed_whose_winner_failed_leaves_every_arm_pairing():
    per_seed = {"full": np.array([0.01, 0.02, 0.5, 0.03]), "no attacker": np.array([0.0, 0.01, np.nan, 0.01])}
    statistics = _statistics(per_seed, np.random.default_rng(0))
    (comparison,) = statistics["comparisons"]
    assert statistics["paired_seeds"] == [0, 1, 3]
    assert comparison["policy"] == "no attacker" and comparison["reference"] == "full"
    assert comparison["n"] == 3 and comparison["mean_difference"] == pytest.approx(-0.0133333333)
    assert statistics["intervals"]["full"]["mean"] == pytest.approx(0.02)
    nothing = _statistics(
        {"full": np.array([np.nan]), "no attacker": np.array([0.0])}, np.random.default_rng(0)
    )
    assert nothing == {"paired_seeds": [], "intervals": {}, "comparisons": []}


def test_the_quick_study_writes_its_section_of_the_report(capsys, tmp_path):
    code, out, err = run(
        capsys, "evaluate", "--study", "ablation", "--suite", "google-2011", "--profile", "quick",
        "--out", tmp_path / "report",
    )  # fmt: skip
    assert code == EXIT_OK, err
    assert {Path(line).name for line in out.split()} == {"results.json", "report.md", "ablation.png"}
    document = json.loads((tmp_path / "report" / "results.json").read_text())
    budget = BUDGETS["quick"]
    baselines = problem_of_domain("cloud").baselines()
    assert list(document["arms"]) == list(arms())
    for record in document["arms"].values():
        assert [r["seed"] for r in record["runs"]] == list(range(budget.seeds))
        for r in record["runs"]:
            assert len(r["test_fitness"]) == budget.suite_scenarios == document["run"]["scenarios"]
            assert r["evaluated"] > 0 and r["program_id"]
            named = [
                name
                for name, source in baselines.items()
                if normalise_source(source) == normalise_source(r["source"])
            ]
            assert r["seed_program"] == (named[0] if named else None)
    assert {(c["policy"], c["reference"]) for c in document["comparisons"]} == {
        (arm, "full") for arm in list(arms())[1:]
    }
    assert document["baselines"]["best fit"]["mean_test_fitness"] == 0.0
    report = (tmp_path / "report" / "report.md").read_text()
    assert "## Ablation" in report and all(f"| {arm} |" in report for arm in arms())
    assert "run 8 of 8" in err


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--study", "ablation"], "needs --suite"),
        (["--study", "ablation", "--suite", "no-such-suite"], "no-such-suite"),
        (["--study", "transfer", "--suite", "synthetic"], "takes no --suite"),
        (["programs/cloud.py", "--study", "ablation", "--suite", "synthetic"], "evolves its own programs"),
        (["--study", "transfer", "--jobs", "0"], "--jobs"),
        ([], "--suite NAME is needed"),
    ],
)
def test_bad_input_is_one_line_with_exit_2(capsys, tmp_path, arguments, expected):
    code, _, err = run(capsys, "evaluate", *arguments, "--profile", "quick", "--out", tmp_path / "o")
    assert code == EXIT_BAD_INPUT, err
    assert expected in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists()
