"""``aurora-evo evaluate --study scalability``: quality, latency and memory as the cluster grows."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sb3_contrib", reason="the rl extra is not installed (pip install -e '.[dev,rl]')")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_run import run

from aurora_evo.cli.exit_status import EXIT_BAD_INPUT, EXIT_PROGRAM_FAILED
from aurora_evo.scenario import benchmark_scenario
from aurora_evo.studies.scalability import (
    PROFILES,
    SEED_POLICIES,
    TRAINED_POLICIES,
    nodes_for,
    simulate_alone,
    sized_scenarios,
)

REPO = Path(__file__).resolve().parents[2]


def test_scenarios_have_the_size_asked_and_a_node_per_ten_tasks():
    for tasks in (10, 50, 1000):
        (scenario,) = sized_scenarios(tasks, 1, np.random.default_rng(0))
        assert len(scenario.tasks) == tasks and len(scenario.nodes) == nodes_for(tasks) == max(2, tasks // 10)
    again = sized_scenarios(50, 2, np.random.default_rng(0))
    assert [s.name for s in again] == ["scale-50-00", "scale-50-01"]
    assert np.array_equal(
        again[0].tasks.demand, sized_scenarios(50, 1, np.random.default_rng(0))[0].tasks.demand
    )


def test_the_simulations_peak_memory_grows_with_the_scenario():
    small = simulate_alone(sized_scenarios(10, 1, np.random.default_rng(1))[0])
    large = simulate_alone(benchmark_scenario(np.random.default_rng(0), n_tasks=20_000, n_nodes=500))
    assert small["decisions"] == 10 and large["decisions"] == 20_000
    assert 0 < small["memory_mib"] < 1 < large["memory_mib"]


def test_the_quick_study_measures_every_policy_at_every_size(capsys, tmp_path):
    failing = tmp_path / "failing.py"
    failing.write_text("def priority(task, nodes):\n    return nodes[:, 1] * undefined_name\n")
    code, out, err = run(
        capsys, "evaluate", REPO / "programs" / "cloud.py", failing, "--study", "scalability",
        "--profile", "quick", "--out", tmp_path,
    )  # fmt: skip
    assert code == EXIT_PROGRAM_FAILED, err
    assert {Path(line).name for line in out.split()} == {"results.json", "report.md", "scalability.png"}
    document = json.loads((tmp_path / "results.json").read_text())
    sizes = PROFILES["quick"]
    policies = [*SEED_POLICIES, *TRAINED_POLICIES, "cloud", "failing"]
    assert [(r["tasks"], r["policy"]) for r in document["rows"]] == [
        (t, p) for t in sizes.tasks for p in policies
    ]
    failed = [row for row in document["rows"] if row["policy"] == "failing"]
    assert all("NameError" in row["error"] and row["mean_fitness"] is None for row in failed)
    for row in (row for row in document["rows"] if row["policy"] != "failing"):
        assert not row["error"] and row["decision_ms"] > 0 and row["simulator_memory_mib"] > 0
        assert row["nodes"] == nodes_for(row["tasks"])
        assert row["mean_fitness"] == 0.0 if row["policy"] == "best_fit" else -1 <= row["mean_fitness"] <= 1
    (alone,) = document["simulator"]
    assert alone["tasks"] == sizes.simulator[0] and alone["decisions"] == alone["tasks"]
    assert set(document["training"]) == set(TRAINED_POLICIES)
    report = (tmp_path / "results.json").parent.joinpath("report.md").read_text()
    assert "## Scalability" in report and "| cloud | given |" in report and "ran in this process" in report
    assert "| failing | given | failed: " in report


def test_a_program_that_does_not_parse_is_one_line_before_the_study(capsys, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def priority(task, nodes):\n    return nodes[:, 1] +\n")
    code, _, err = run(capsys, "evaluate", broken, "--study", "scalability", "--out", tmp_path / "o")
    assert code == EXIT_BAD_INPUT and "broken.py" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
