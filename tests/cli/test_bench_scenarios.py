"""``aurora-evo bench allocation --scenarios DIR``: every objective of the baselines, the shipped
evolved program and the given programs over a folder of scenarios; bad input is one line."""

from __future__ import annotations

import json
import shutil

import pytest
from cli_run import run

from aurora_evo.cli.exit_status import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROGRAM_FAILED
from aurora_evo.seeds import seed_program_paths, seed_scenario_paths


@pytest.fixture
def folder(tmp_path):
    """Three easy cloud seeds in a folder, beside a file that is not a scenario's (*.json only)."""
    for path in seed_scenario_paths("easy", "cloud")[:3]:
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "notes.txt").write_text("not a scenario\n")
    return tmp_path


def test_a_folder_gives_every_objective_for_baselines_shipped_and_given(capsys, folder):
    worst_fit = str(seed_program_paths()["worst_fit"])
    code, out, err = run(capsys, "bench", "allocation", worst_fit, "--scenarios", str(folder), "--json")
    assert code == EXIT_OK, err
    document = json.loads(out)
    assert document["scenarios"] == {"label": f"folder {folder}", "count": 3}
    rows = document["rows"]
    assert [r["program"] for r in rows] == [
        "random_choice", "round_robin", "first_fit", "best_fit", "cloud", "worst_fit"
    ]  # fmt: skip
    assert [r["kind"] for r in rows] == ["baseline"] * 4 + ["shipped", "given"]
    for row in rows:
        assert set(row["means"]) == set(document["objectives"]) and 0 < row["means"]["reward"] < 1


def test_the_table_names_the_folder_and_the_count(capsys, folder):
    code, out, err = run(capsys, "bench", "allocation", "--scenarios", str(folder))
    assert code == EXIT_OK, err
    lines = out.splitlines()
    assert lines[0].startswith(f"folder {folder}: 3 scenario(s)")
    for heading in (
        "reward",
        "p99 lat s",
        "SLA viol",
        "cpu util",
        "mem util",
        "cost $",
        "energy kWh",
        "Gini",
    ):
        assert heading in lines[1]
    assert max(len(line) for line in lines[1:]) <= 120  # the heading holds the folder's path, any length


def test_a_failing_program_is_a_row_and_exit_1(capsys, folder, tmp_path_factory):
    program = tmp_path_factory.mktemp("programs") / "nan.py"
    program.write_text("def priority(task, nodes):\n    return nodes[:, 0] * float('nan')\n")
    code, out, _ = run(capsys, "bench", "allocation", str(program), "--scenarios", str(folder))
    assert code == EXIT_PROGRAM_FAILED
    assert next(line for line in out.splitlines() if line.startswith("nan ")).split()[1] == "invalid_output:"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--suite", "google-2011"], "--scenarios and --suite exclude each other"),
        (["--levels", "easy"], "--scenarios and --levels exclude each other (--levels picks seed scenarios)"),
        (["--domain", "edge"], "--scenarios and --domain exclude each other (--domain picks seed scenarios)"),
        (["--split", "test"], "--split goes with --suite"),
    ],
)
def test_mixed_sources_are_one_line(capsys, folder, extra, expected):
    code, out, err = run(capsys, "bench", "allocation", "--scenarios", str(folder), *extra)
    assert code == EXIT_BAD_INPUT and out == ""
    assert err.strip() == f"aurora-evo bench: error: {expected}"


def test_split_without_a_suite_is_one_line_on_the_seeds_too(capsys):
    code, _, err = run(capsys, "bench", "allocation", "--split", "test")
    assert code == EXIT_BAD_INPUT and err.strip() == "aurora-evo bench: error: --split goes with --suite"


def test_bad_folders_are_one_line(capsys, tmp_path):
    missing, empty, broken = tmp_path / "missing", tmp_path / "empty", tmp_path / "broken"
    empty.mkdir()
    broken.mkdir()
    (broken / "a.json").write_text("{not json")
    expected = {
        missing: f"--scenarios {missing}: no such folder",
        empty: f"--scenarios {empty}: no scenario files (*.json) in it",
        broken: str(broken / "a.json"),
    }
    for path, message in expected.items():
        code, out, err = run(capsys, "bench", "allocation", "--scenarios", str(path))
        assert code == EXIT_BAD_INPUT and out == "" and message in err and len(err.splitlines()) == 1


def test_a_suite_split_is_benched_the_test_split_by_default(capsys, tiny_suite):
    code, out, err = run(capsys, "bench", "allocation", "--suite", "tiny", "--split", "validation", "--json")
    assert code == EXIT_OK, err
    assert json.loads(out)["scenarios"] == {"label": "suite tiny, split validation", "count": 2}
    code, out, err = run(capsys, "bench", "allocation", "--suite", "tiny")
    assert code == EXIT_OK, err
    assert out.splitlines()[0].startswith("suite tiny, split test: 2 scenario(s)")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--suite", "tiny", "--split", "holdout"],
            "unknown split 'holdout'; a suite has train, validation, test",
        ),
        (["--suite", "no-such-suite"], "unknown suite 'no-such-suite'; known: google-2011"),
        (["--suite", "tiny", "--levels", "easy"], "--suite and --levels exclude each other"),
    ],
)
def test_a_bad_suite_or_split_is_one_line(capsys, tiny_suite, argv, expected):
    code, out, err = run(capsys, "bench", "allocation", *argv)
    assert code == EXIT_BAD_INPUT and out == ""
    assert err.startswith(f"aurora-evo bench: error: {expected}") and len(err.splitlines()) == 1
