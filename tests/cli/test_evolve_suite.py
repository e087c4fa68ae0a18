"""``aurora-evo evolve --suite NAME``: train on the suite's train split, choose on its validation split,
report on its test split; the run resumes with its suite, and old run folders (no suite) still resume."""

from __future__ import annotations

import json
import sqlite3

import pytest
from cli_run import run

from aurora_evo.cli.exit_status import EXIT_BAD_INPUT, EXIT_OK

PRESET = """
seed = 1
[islands]
islands = 2
population = 4
[stop]
max_iterations = 2
[task]
domain = "cloud"
levels = ["easy"]
[attacker]
enabled = false
[evaluation]
full_warm_up = false
"""


@pytest.fixture
def preset(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(PRESET)
    return path


def test_a_suite_run_reports_its_test_split_and_resumes(capsys, tmp_path, preset, tiny_suite):
    run_dir = tmp_path / "run"
    code, out, err = run(
        capsys, "evolve", "--preset", preset, "--suite", "tiny", "--run-dir", run_dir, "--no-progress"
    )
    assert code == EXIT_OK, err
    test_line = next(line for line in out.splitlines() if line.startswith("test split of suite tiny"))
    assert "(2 scenarios, never trained or chosen on): chosen program " in test_line
    assert ", first fit 0." in test_line and ", best fit 0." in test_line
    assert json.loads((run_dir / "config.json").read_text())["task"]["suite"] == "tiny"

    code, out, err = run(capsys, "evolve", "--resume", run_dir, "--iterations", "3", "--no-progress")
    assert code == EXIT_OK, err
    assert "reached 3 iterations" in out and "test split of suite tiny (2 scenarios" in out


def test_a_run_scored_by_fitness_trains_chooses_and_reports_on_it(capsys, tmp_path, preset, tiny_suite):
    run_dir = tmp_path / "run"
    code, out, err = run(
        capsys, "evolve", "--preset", preset, "--suite", "tiny", "--score", "fitness", "--run-dir", run_dir,
        "--no-progress",
    )  # fmt: skip
    assert code == EXIT_OK, err
    assert "held-out fitness against best fit: evolved " in out and ", best fit +0.0000, first fit " in out
    test_line = next(line for line in out.splitlines() if line.startswith("test split of suite tiny"))
    assert ", best fit +0.0000, first fit " in test_line
    with sqlite3.connect(run_dir / "archive.sqlite") as db:
        seeds = db.execute(
            "select score, validation_score from programs where mutator like '%.seed'"
        ).fetchall()
    # The seeds' scores are fitness: best fit's is 0 on both splits (itself), random placement's below.
    assert (0.0, 0.0) in seeds and min(score for score, _ in seeds) < -0.01

    code, out, err = run(capsys, "export", run_dir, "--top", "1", "--out", tmp_path / "programs")
    assert code == EXIT_OK, err
    assert "validation (fitness against best fit) " in open(out.strip()).read()


def test_an_old_run_folder_without_a_suite_resumes_on_the_seeds(capsys, tmp_path, preset):
    run_dir = tmp_path / "run"
    code, _, err = run(
        capsys, "evolve", "--preset", preset, "--iterations", "1", "--run-dir", run_dir, "--no-progress"
    )
    assert code == EXIT_OK, err
    config = json.loads((run_dir / "config.json").read_text())
    del config["task"]["suite"]  # as a run folder written before suites kept it
    (run_dir / "config.json").write_text(json.dumps(config))
    code, out, err = run(capsys, "evolve", "--resume", run_dir, "--iterations", "2", "--no-progress")
    assert code == EXIT_OK, err
    assert "reached 2 iterations" in out and "test split" not in out


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--domain", "binpacking", "--suite", "tiny"],
         "--suite goes with an allocation domain (cloud, edge, network), not --domain binpacking"),
        (["--suite", "no-such-suite"], "unknown suite 'no-such-suite'"),
    ],
)  # fmt: skip
def test_a_suite_the_run_cannot_have_is_one_line_and_makes_no_folder(capsys, tmp_path, extra, expected):
    run_dir = tmp_path / "run"
    code, _, err = run(capsys, "evolve", *extra, "--run-dir", run_dir, "--no-progress")
    assert code == EXIT_BAD_INPUT
    assert err.startswith("aurora-evo evolve: error: ") and expected in err and len(err.splitlines()) == 1
    assert not run_dir.exists()


def test_a_resumed_run_keeps_its_suite(capsys, tmp_path, preset):
    run_dir = tmp_path / "run"
    code, _, err = run(
        capsys, "evolve", "--preset", preset, "--iterations", "1", "--run-dir", run_dir, "--no-progress"
    )
    assert code == EXIT_OK, err
    code, _, err = run(capsys, "evolve", "--resume", run_dir, "--suite", "tiny")
    assert code == EXIT_BAD_INPUT and "--resume continues a run with its own settings" in err
