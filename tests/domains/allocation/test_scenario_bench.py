"""The allocation benchmark on a set of scenarios: every objective, a mean over the scenarios."""

from __future__ import annotations

import json
import math

import pytest

from aurora_evo.domains.allocation.problem import AllocationProblem
from aurora_evo.domains.allocation.scenario_bench import (
    OBJECTIVE_COLUMNS,
    SCENARIO_BASELINES,
    objective_row,
    run_scenario_bench,
    scenario_bench_table,
    scenario_bench_to_json,
)
from aurora_evo.evaluation import EvalResult
from aurora_evo.outcome import Outcome
from aurora_evo.seeds import seed_program_paths, seed_scenarios

OBJECTIVES = ("reward", "mean_latency_s", "p99_latency_s", "sla_violation_rate", "cpu_utilization",
              "memory_utilization", "cost_usd", "energy_kwh", "failure_rate", "fairness_gini")  # fmt: skip


@pytest.fixture(scope="module")
def scenarios():
    return seed_scenarios("easy", "cloud")[:3]


@pytest.fixture(scope="module")
def bench(scenarios):
    """Untrusted programs run in this process here: the test only checks the arithmetic and the rows."""
    worst_fit = seed_program_paths()["worst_fit"].read_text(encoding="utf-8")
    return run_scenario_bench("folder x", scenarios, AllocationProblem().evaluate, {"mine": worst_fit})


def test_every_objective_is_a_column():
    assert tuple(key for _, key in OBJECTIVE_COLUMNS) == OBJECTIVES


def test_rows_are_the_baselines_the_shipped_program_then_the_given(bench):
    assert [row.program for row in bench.rows] == [*SCENARIO_BASELINES, "cloud", "mine"]
    assert [row.kind for row in bench.rows] == ["baseline"] * 4 + ["shipped", "given"]
    assert bench.ok and bench.scenarios == 3


def test_each_cell_is_the_mean_over_the_scenarios(bench, scenarios):
    source = seed_program_paths()["best_fit"].read_text(encoding="utf-8")
    per_case = AllocationProblem().evaluate(source, scenarios).per_case.values()
    best_fit = next(row for row in bench.rows if row.program == "best_fit")
    for key in OBJECTIVES:
        assert best_fit.means[key] == pytest.approx(sum(case[key] for case in per_case) / 3, rel=1e-12)


def test_a_failed_program_has_no_means_and_says_why():
    row = objective_row("bad", "given", EvalResult(Outcome.INVALID_OUTPUT, "s1: NaN"))
    assert row.means is None and row.status is Outcome.INVALID_OUTPUT and row.message == "s1: NaN"


def test_json_has_the_label_the_count_and_every_mean(bench):
    document = json.loads(scenario_bench_to_json(bench))
    assert document["scenarios"] == {"label": "folder x", "count": 3}
    assert document["objectives"] == list(OBJECTIVES)
    for row in document["rows"]:
        assert row["status"] == "ok" and set(row["means"]) == set(OBJECTIVES)
        assert all(math.isfinite(value) for value in row["means"].values())


def test_the_table_names_the_scenarios_and_marks_the_kinds(bench):
    lines = scenario_bench_table(bench).splitlines()
    assert lines[0].startswith("folder x: 3 scenario(s)")
    assert all(heading in lines[1] for heading, _ in OBJECTIVE_COLUMNS)
    assert lines[2].startswith("random_choice *") and lines[6].startswith("cloud +")
    assert lines[7].split()[0] == "mine"
    assert max(len(line) for line in lines) <= 120  # fits a 120-column terminal unwrapped


def test_no_scenarios_is_refused():
    with pytest.raises(ValueError, match="at least one scenario"):
        run_scenario_bench("empty", [], AllocationProblem().evaluate)
