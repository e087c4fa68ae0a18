"""The third problem, two-dimensional vector packing: one folder and one registry line, and it runs end to
end through evolve, score, export and report like the others."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import aurora_evo
from aurora_evo.cli import main
from aurora_evo.cli.exit_status import EXIT_OK
from aurora_evo.config import RunConfig, TaskConfig, override
from aurora_evo.domains import PROBLEMS, get_problem
from aurora_evo.domains.vector_packing.instances import FLAVOURS, HOST
from aurora_evo.evolver import make_mutators
from aurora_evo.llm import CallBudget, connect
from aurora_evo.mutators.llm.prompts import PromptMode, build_prompt

PACKAGE = Path(aurora_evo.__file__).parent
FOLDER = PACKAGE / "domains" / "vector_packing"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_nothing_outside_its_folder_names_it_but_the_registry_line():
    mentions = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in PACKAGE.rglob("*.py")
        if FOLDER not in path.parents
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"vector_packing|VectorPacking", line)
    ]
    assert len(mentions) == 1 and mentions[0].startswith("domains/__init__.py:"), mentions
    assert PROBLEMS["vector_packing"] == "aurora_evo.domains.vector_packing.problem:VectorPackingProblem"


def test_its_cases_are_virtual_machines_on_hosts_drawn_from_the_seed_alone():
    problem = get_problem("vector_packing")
    task = TaskConfig(domain="vector_packing", train_instances=3, train_items=50, validation_items=80)
    cases = problem.cases(task, seed=4)
    assert len(cases.train) == 3 and len(cases.validation) == 1
    instance = cases.train[0].instances[0]
    assert instance.items.shape == (50, 2) and tuple(instance.capacities) == HOST
    assert {tuple(row) for row in instance.items} <= set(FLAVOURS)
    again = problem.cases(task, seed=4)
    assert np.array_equal(again.train[1].instances[0].items, cases.train[1].instances[0].items)
    assert not np.array_equal(problem.cases(task, seed=5).train[0].instances[0].items, instance.items)


def test_genetic_programming_is_refused_with_what_to_use_instead(capsys, tmp_path):
    code, _, err = run(
        capsys, "evolve", "--domain", "vector_packing", "--run-dir", tmp_path / "gp", "--no-progress"
    )
    assert code != EXIT_OK and "use --mutators edit" in err and not (tmp_path / "gp").exists()


@pytest.mark.slow
def test_it_runs_through_evolve_score_export_and_report(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_dir = tmp_path / "runs" / "vp"
    code, _, err = run(
        capsys, "evolve", "--domain", "vector_packing", "--mutators", "edit", "--islands", "2",
        "--iterations", "3", "--seed", "3", "--run-dir", run_dir, "--no-progress",
    )  # fmt: skip
    assert code == EXIT_OK, err
    code, _, err = run(capsys, "export", run_dir, "--top", "2", "--out", tmp_path / "programs")
    assert code == EXIT_OK, err
    exported = sorted((tmp_path / "programs").glob("*.py"))
    assert exported and "# domain: vector_packing" in exported[0].read_text()
    dataset = tmp_path / "hosts.vbp"
    dataset.write_text("2\n32 128\n3\n16 64 2\n8 16 3\n2 8 4\n")
    argv = ["score", exported[0], "--domain", "vector_packing", "--dataset", dataset, "--json"]
    code, out, err = run(capsys, *argv)
    assert code == EXIT_OK and json.loads(out)["outcome"] == "ok", err
    code, _, err = run(capsys, "report", run_dir, "--out", tmp_path / "report")
    assert code == EXIT_OK, err
    summary = (tmp_path / "report" / "report.md").read_text()
    assert "vector_packing" in summary and (tmp_path / "report" / "scores_by_island.png").exists()


def test_its_test_cases_are_fixed_and_unlike_any_run_s():
    problem = get_problem("vector_packing")
    task = TaskConfig(domain="vector_packing", validation_items=60)
    (test,) = problem.test_cases(task)
    assert len(test.instances) == 5 and test.instances[0].items.shape == (60, 2)
    assert np.array_equal(problem.test_cases(task)[0].instances[2].items, test.instances[2].items)
    validation = problem.cases(task, seed=0).validation[0].instances[0].items
    assert not any(np.array_equal(validation, instance.items) for instance in test.instances)


def test_a_language_model_is_told_of_machines_and_hosts():
    problem = get_problem("vector_packing")
    config = override(
        RunConfig(),
        **{"task.domain": "vector_packing", "mutators.kinds": ("llm",), "mutators.weights": (1.0,),
           "llm.models": ("m",), "llm.base_url": "http://127.0.0.1:9/v1"},
    )  # fmt: skip
    connection = connect(config.llm, environ={"OPENAI_API_KEY": "test"})
    mutator = make_mutators(config, problem, CallBudget(), connection)["llm"]
    prompt = build_prompt(PromptMode.REWRITE, problem.contract, [], "Start simple.", context=mutator.context)
    assert "## The problem\n\nPlacing virtual machines on hosts" in prompt.user
    assert "32 cpu cores and 128 GiB" in prompt.user and "Online vector bin packing" not in prompt.user
    # A problem that keeps the contract's own words says nothing of its own.
    assert get_problem("binpacking").prompt_context() is None
