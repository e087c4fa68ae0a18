"""``aurora-evo evaluate``: every baseline and the programs given on a suite's split, with statistics."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("sb3_contrib", reason="the rl extra is not installed (pip install -e '.[dev,rl]')")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_run import run

from aurora_evo.cli.exit_status import EXIT_BAD_INPUT, EXIT_OK
from aurora_evo.evaluate.report import finite
from aurora_evo.evaluate.run import BASELINES, PROFILES, evaluate_policies
from aurora_evo.suites import load_suite

REPO = Path(__file__).resolve().parents[2]


def test_the_quick_profile_reports_every_baseline_with_p_values(capsys, tmp_path):
    """On the synthetic suite, whose scenarios are a fifth of google-2011's: README's example (tested
    in test_docs.py) runs the same command on google-2011."""
    code, out, err = run(
        capsys, "evaluate", str(REPO / "programs" / "cloud.py"), "--suite", "synthetic", "--split", "test",
        "--profile", "quick", "--out", str(tmp_path),
    )  # fmt: skip
    assert code == EXIT_OK, err
    written = {Path(line).name for line in out.split()}
    assert written == {"results.json", "report.md", "objectives.png", "learning_curves.png"}
    document = json.loads((tmp_path / "results.json").read_text())
    policies = document["per_scenario"]["policies"]
    assert list(policies) == [*BASELINES, "cloud"] and not any(p["error"] for p in policies.values())
    assert document["run"]["scenarios"] == PROFILES["quick"].test_scenarios
    fitness = document["summary"]["objectives"]["fitness"]
    pairs = {(c["policy"], c["reference"]) for c in fitness["comparisons"]}
    assert (
        ("cloud", "best_fit") in pairs and ("cloud", "dqn") in pairs and ("best_fit", "best_fit") not in pairs
    )
    for comparison in fitness["comparisons"]:
        assert 0 <= comparison["t_pvalue_holm"] <= 1 and comparison["t_pvalue"] <= comparison["t_pvalue_holm"]
    assert set(document["summary"]["pareto"]["share_non_dominated"]) == set(policies)
    for name in ("ga", "dqn", "ppo"):
        training = policies[name]["training"]
        assert training["curve"] and policies[name]["decision_ms"] > 0
        assert training["trend"]["verdict"] in ("rising", "flat", "falling")
    for name in ("dqn", "ppo"):
        assert policies[name]["training"]["checkpoints"][0]["timesteps"] == 0
    report = (tmp_path / "report.md").read_text()
    assert all(f"| {name} |" in report for name in policies) and "## p99 latency (s)" in report
    assert "## Training" in report


def test_best_fit_is_the_fitness_reference_and_scores_zero():
    suite = load_suite("synthetic")
    results = evaluate_policies([], suite.test[:3], {}, None, ("first_fit",), PROFILES["quick"])
    assert [r.name for r in results] == ["first_fit", "best_fit"]
    assert results[1].fitness == [0.0, 0.0, 0.0] and len(results[0].metrics) == 3


def test_the_networks_take_the_test_scenarios_nodes_too():
    """Trained on scenarios of fewer nodes than a test scenario has, DQN still schedules it: its
    network is as wide as the largest scenario of either split (an Azure test window has 111 nodes
    where every training window had at most 107)."""
    from aurora_evo.seeds import seed_scenarios

    train, test = seed_scenarios("medium", "cloud")[:2], seed_scenarios("hard", "cloud")[:1]
    assert max(len(s.nodes) for s in train) < len(test[0].nodes)
    results = evaluate_policies(train, test, {}, None, ("dqn",), PROFILES["quick"])
    dqn = next(r for r in results if r.name == "dqn")
    assert not dqn.error and len(dqn.metrics) == 1


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--suite", "google-2011", "--baselines", "dqn,nosuch"], "--baselines: unknown nosuch"),
        (["--suite", "nosuch"], "nosuch"),
        (["--suite", "google-2011", "--seed", "-1"], "--seed must be >= 0"),
        (["--suite", "google-2011", "--split", "nosuch", "--baselines", "first_fit"], "nosuch"),
    ],
)
def test_bad_input_is_one_line_with_exit_2(capsys, tmp_path, arguments, expected):
    code, _, err = run(capsys, "evaluate", *arguments, "--profile", "quick", "--out", str(tmp_path / "o"))
    assert code == EXIT_BAD_INPUT, err
    assert expected in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_the_results_hold_no_infinity_or_nan():
    assert finite({"a": [1.0, float("inf")], "b": {"c": float("nan"), "d": "x"}}) == {
        "a": [1.0, None],
        "b": {"c": None, "d": "x"},
    }


def test_the_command_line_names_the_same_baselines_as_the_library():
    """The CLI keeps its own copy (parsing must not import numpy): it must not drift."""
    from aurora_evo.cli.evaluate import ALL_BASELINES

    assert ALL_BASELINES == BASELINES
