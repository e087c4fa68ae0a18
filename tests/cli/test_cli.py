"""The aurora-evo command: score and bench, JSON output, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys

import pytest
from cli_run import run

from aurora_evo.cli.exit_status import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROGRAM_FAILED
from aurora_evo.seeds import seed_program_paths, seed_scenario_paths

BEST_FIT = str(seed_program_paths()["best_fit"])
EASY = str(seed_scenario_paths("easy")[0])
BINPACK_BEST_FIT = "import numpy as np\ndef priority(item, bins):\n    return -(bins - item)\n"


def test_score_a_scenario_prints_the_metrics(capsys):
    code, out, err = run(capsys, "score", BEST_FIT, "--scenario", EASY)
    assert code == EXIT_OK and err == ""
    for label in ("reward", "p99 latency (s)", "cost ($)", "energy (kWh)", "SLA violations", "Gini"):
        assert label in out


def test_score_json_is_one_object_with_an_outcome(capsys):
    code, out, _ = run(capsys, "score", BEST_FIT, "--scenario", EASY, "--scenario", EASY, "--json")
    payload = json.loads(out)
    # Five tasks: below the threshold of jit="auto", the program runs on the numpy path.
    assert code == EXIT_OK and payload["outcome"] == "ok" and payload["compiled"] is False
    assert len(payload["cases"]) == 2  # the same scenario twice keeps both entries
    case = next(iter(payload["cases"].values()))
    assert 0 <= case["reward"] <= 1 and payload["score"] == pytest.approx(case["reward"])


def test_score_binpacking_on_a_shipped_dataset(capsys, tmp_path):
    program = tmp_path / "bf.py"
    program.write_text(BINPACK_BEST_FIT)
    code, out, _ = run(capsys, "score", str(program), "--domain", "binpacking", "--dataset", "OR3", "--json")
    payload = json.loads(out)
    assert code == EXIT_OK and payload["outcome"] == "ok"
    assert payload["cases"]["OR3"]["excess_percent"] == pytest.approx(5.37, abs=0.005)


@pytest.mark.parametrize(
    ("source", "outcome"),
    [
        ("def priority(task, nodes)\n    return 1\n", "syntax_error"),
        ("def other(task, nodes):\n    return 1\n", "syntax_error"),
        (
            "import numpy as np\ndef priority(task, nodes):\n    return nodes[:, 0] * np.nan\n",
            "invalid_output",
        ),
        ("def priority(task, nodes):\n    raise ValueError('no')\n", "runtime_error"),
        (
            "import numpy as np\nx = 1 / 0\ndef priority(task, nodes):\n    return nodes[:, 0]\n",
            "runtime_error",
        ),
    ],
)
def test_a_failing_program_reports_its_outcome_and_exits_1(capsys, tmp_path, source, outcome):
    program = tmp_path / "p.py"
    program.write_text(source)
    code, out, _ = run(capsys, "score", str(program), "--scenario", EASY, "--json")
    payload = json.loads(out)
    assert code == EXIT_PROGRAM_FAILED and payload["outcome"] == outcome and payload["message"]
    code, out, _ = run(capsys, "score", str(program), "--scenario", EASY)
    assert code == EXIT_PROGRAM_FAILED and outcome in out


def bad_scenario(tmp_path, text: str) -> str:
    path = tmp_path / "bad.json"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("make_args", "expected"),
    [
        (lambda t: ["score", BEST_FIT, "--scenario", bad_scenario(t, "{oops")], "invalid JSON at line 1"),
        (
            lambda t: ["score", BEST_FIT, "--scenario", bad_scenario(t, _with(domain="mars"))],
            'domain: "mars"',
        ),
        (
            lambda t: ["score", BEST_FIT, "--scenario", bad_scenario(t, _with_task(cpu="2"))],
            "must be a number",
        ),
        (lambda t: ["score", BEST_FIT, "--scenario", str(t / "missing.json")], "missing.json: no such file"),
        (lambda t: ["score", str(t / "nope.py"), "--scenario", EASY], "nope.py: no such program file"),
        (lambda t: ["score", BEST_FIT], "give --scenario FILE"),
        (lambda t: ["score", BEST_FIT, "--domain", "binpacking"], "needs --dataset"),
        (lambda t: ["score", BEST_FIT, "--domain", "moon"], "invalid choice: 'moon'"),
        (lambda t: ["score", BEST_FIT, "--domain", "cloud"], "--domain cloud needs --scenario FILE"),
        (
            lambda t: ["score", BEST_FIT, "--scenario", EASY, "--dataset", "OR3"],
            "--dataset goes with --domain",
        ),
        (lambda t: ["score", BEST_FIT, "--domain", "vector_packing"], "needs --dataset FILE (a .vbp file"),
        (
            lambda t: ["score", BEST_FIT, "--domain", "vector_packing", "--scenario", EASY],
            "--scenario and --domain vector_packing exclude each other; give --dataset instead",
        ),
        (
            lambda t: ["score", BEST_FIT, "--domain", "vector_packing", "--dataset", one_dimensional(t)],
            "one-dimensional items; vector packing needs a .vbp file",
        ),
        (
            lambda t: ["score", BEST_FIT, "--domain", "binpacking", "--dataset", bad_scenario(t, "{")],
            "bad.json",
        ),
        (lambda t: ["bench", "binpacking", "--dataset", str(t / "none.txt")], "none.txt"),
        (lambda t: ["bench", "allocation", "--levels", "easy,extreme"], "--levels: expected"),
        (lambda t: ["bench", "allocation", str(t / "nope.py")], "nope.py: no such program file"),
        (lambda t: ["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_input_is_one_line_on_stderr_with_exit_2(capsys, tmp_path, make_args, expected):
    code, out, err = run(capsys, *make_args(tmp_path))
    assert code == EXIT_BAD_INPUT
    assert out == ""
    assert err.count("\n") == 1 and expected in err, err
    assert "Traceback" not in err


def one_dimensional(tmp_path) -> str:
    """An OR-Library file of one problem of three items: a bin-packing dataset, not a vector one."""
    path = tmp_path / "one.txt"
    path.write_text("1\nu1\n10 3 2\n6\n5\n4\n")
    return str(path)


def _with(**fields) -> str:
    data = json.loads(open(EASY).read())
    data.update(fields)
    return json.dumps(data)


def _with_task(**fields) -> str:
    data = json.loads(open(EASY).read())
    data["tasks"][0].update(fields)
    return json.dumps(data)


def test_bench_binpacking_json_reproduces_funsearch_table_1(capsys):
    code, out, _ = run(capsys, "bench", "binpacking", "--json")
    rows = {(r["dataset"], r["program"], r["published"]): r for r in json.loads(out)}
    assert code == EXIT_OK
    assert round(rows["OR3", "First Fit", False]["excess_percent"], 2) == 5.74
    assert round(rows["OR3", "Best Fit", False]["excess_percent"], 2) == 5.37
    assert round(rows["Weibull 5k", "First Fit", False]["excess_percent"], 2) == 4.23
    assert round(rows["Weibull 5k", "Best Fit", False]["excess_percent"], 2) == 3.98
    assert rows["Weibull 5k", "FunSearch", True]["excess_percent"] == 0.68


def test_bench_with_a_program_adds_its_rows(capsys, tmp_path):
    program = tmp_path / "mine.py"
    program.write_text(BINPACK_BEST_FIT)
    code, out, _ = run(capsys, "bench", "binpacking", str(program), "--dataset", "OR3")
    assert code == EXIT_OK
    mine = [line for line in out.splitlines() if line.split()[1:2] == ["mine"]]
    assert len(mine) == 1 and "5.37" in mine[0]
    assert max(len(line) for line in out.splitlines()) <= 120  # fits a 120-column terminal unwrapped


def test_bench_allocation_scores_baselines_and_programs_on_the_evolve_split(capsys):
    worst_fit = str(seed_program_paths()["worst_fit"])
    code, out, _ = run(capsys, "bench", "allocation", worst_fit, "--levels", "easy", "--json")
    rows = {r["program"]: r for r in json.loads(out)}
    assert code == EXIT_OK
    assert list(rows) == ["first_fit", "best_fit", "worst_fit"]
    assert [r["baseline"] for r in rows.values()] == [True, True, False]
    # Four easy cloud seeds: every third in name order (easy-cloud-03) is held out.
    for row in rows.values():
        assert 0.0 < row["held_out"] < 1.0 and 0.0 < row["train"] < 1.0 and row["cases"] == [3, 1, 14]
    code, out, _ = run(capsys, "bench", "allocation", "--levels", "easy")
    assert code == EXIT_OK and "train (3)" in out and "held out (1)" in out and "unseen levels (14)" in out
    assert max(len(line) for line in out.splitlines()) <= 120


def test_bench_allocation_reports_a_failing_program_with_exit_1(capsys, tmp_path):
    program = tmp_path / "nan.py"
    program.write_text("def priority(task, nodes):\n    return nodes[:, 0] * float('nan')\n")
    code, out, _ = run(capsys, "bench", "allocation", str(program), "--levels", "easy")
    assert code == EXIT_PROGRAM_FAILED
    assert "invalid_output" in out.splitlines()[3]


def test_the_installed_command_runs_without_a_traceback(tmp_path):
    missing = tmp_path / "missing.json"
    done = subprocess.run(
        [sys.executable, "-m", "aurora_evo", "score", BEST_FIT, "--scenario", str(missing)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == EXIT_BAD_INPUT
    assert done.stderr.strip() == f"aurora-evo score: error: {missing}: no such file"


def test_score_and_bench_take_vector_datasets(capsys, tmp_path):
    dataset = tmp_path / "v.vbp"
    dataset.write_text("2\n10 10\n3\n6 2 1\n5 8 1\n4 7 2\n")
    program = tmp_path / "vector.py"
    program.write_text("def priority(item, bins):\n    return -bins.sum(axis=1)\n")
    code, out, _ = run(
        capsys, "score", str(program), "--domain", "binpacking", "--dataset", str(dataset), "--json"
    )
    assert code == EXIT_OK and json.loads(out)["cases"]["v"]["bins"] == [3]
    code, out, _ = run(capsys, "bench", "binpacking", str(program), "--dataset", str(dataset), "--json")
    assert code == EXIT_OK and [r["program"] for r in json.loads(out)] == ["First Fit", "Best Fit", "vector"]


def test_score_takes_a_vector_packing_program_and_vbp_dataset(capsys, tmp_path):
    dataset = tmp_path / "hosts.vbp"
    dataset.write_text("2\n32 128\n3\n16 64 2\n8 16 3\n2 8 4\n")  # 9 machines: 44 cores, 232 GiB
    program = tmp_path / "vector.py"
    program.write_text("def priority(item, bins):\n    return -(bins - item).sum(axis=1)\n")
    argv = ["score", str(program), "--domain", "vector_packing", "--dataset", str(dataset)]
    code, out, err = run(capsys, *argv, "--json")
    payload = json.loads(out)
    assert code == EXIT_OK and err == "" and payload["outcome"] == "ok", err
    assert payload["domain"] == "vector_packing" and payload["cases"]["hosts"]["l1"] == [2]
    bins = payload["cases"]["hosts"]["bins"]
    code, out, _ = run(capsys, *argv)
    assert code == EXIT_OK
    assert "dataset" in out and "excess over L1" in out and "hosts" in out
    assert f"{bins[0]:.2f}" in out and "2.00" in out  # mean bins, mean L1 bound


def test_markup_in_paths_and_messages_is_printed_as_text(capsys, tmp_path):
    program = tmp_path / "a[b]c.py"
    program.write_text("def priority(task, nodes):\n    raise ValueError('[/] [bold]x')\n")
    code, out, err = run(capsys, "score", str(program), "--scenario", EASY)
    assert code == EXIT_PROGRAM_FAILED and "internal error" not in err
    assert "a[b]c.py" in out and "[/] [bold]x" in out


def test_a_program_raising_system_exit_does_not_end_the_command(capsys, tmp_path):
    for body in ("raise SystemExit(0)", "pass"):
        program = tmp_path / "exit.py"
        where = "module" if body == "pass" else "function"
        program.write_text(
            ("raise SystemExit(0)\n" if where == "module" else "")
            + f"def priority(task, nodes):\n    {body if where == 'function' else 'return nodes[:, 1] * 1.0'}\n"
        )
        code, out, _ = run(capsys, "score", str(program), "--scenario", EASY, "--json")
        assert code == EXIT_PROGRAM_FAILED and json.loads(out)["outcome"] == "forbidden"


TINY_PRESET = """
seed = 1
[islands]
islands = 2
population = 4
[stop]
max_iterations = 3
[task]
domain = "binpacking"
train_instances = 2
train_items = 100
validation_instances = 1
validation_items = 200
[evaluation]
full_warm_up = false
"""


def test_evolve_then_export(capsys, tmp_path):
    preset = tmp_path / "tiny.toml"
    preset.write_text(TINY_PRESET)
    run_dir = tmp_path / "run"
    code, out, err = run(
        capsys, "evolve", "--preset", str(preset), "--run-dir", str(run_dir), "--no-progress"
    )
    assert code == EXIT_OK, err
    assert "stopped: reached 3 iterations" in out and f"aurora-evo export {run_dir}" in out
    # Scores as the problem shows them: excess in percent, not the negated figure the search maximises.
    assert re.search(
        r"best program \w+: excess bins over L1 \d+\.\d\d% in training, \d+\.\d\d% held out", out
    )
    code, out, _ = run(capsys, "evolve", "--resume", str(run_dir), "--iterations", "5", "--no-progress")
    assert code == EXIT_OK and "reached 5 iterations" in out
    code, out, _ = run(capsys, "export", str(run_dir), "--top", "2", "--out", str(tmp_path / "programs"))
    assert code == EXIT_OK and len(out.splitlines()) == 2
    assert all(line.endswith(".py") for line in out.splitlines())
    assert "validation (minus % excess over L1) -" in open(out.splitlines()[0]).read()

    # --validate scores more programs on the held-out cases before ranking them.
    def validated() -> int:
        with sqlite3.connect(run_dir / "archive.sqlite") as db:
            return db.execute("select count(*) from programs where validation_score is not null").fetchone()[
                0
            ]

    before = validated()
    code, out, err = run(capsys, "export", str(run_dir), "--validate", "4", "--out", str(tmp_path / "more"))
    scored = int(err.split("scored ")[1].split(" more program(s) on the held-out cases")[0])
    assert code == EXIT_OK and 1 <= scored <= 4  # one per training score: the tiny run has few
    assert validated() == before + scored


@pytest.mark.parametrize(
    ("make_args", "expected"),
    [
        (lambda t: ["evolve", "--resume", str(t / "nothing")], "is this a run folder?"),
        (lambda t: ["evolve", "--preset", str(t / "missing.toml")], "missing.toml: no such preset"),
        (
            lambda t: ["evolve", "--preset", _preset(t, "[islands]\nislandz = 3\n")],
            "p.toml: unknown setting 'islands.islandz'",
        ),
        (lambda t: ["evolve", "--preset", _preset(t, "[islands\n")], "invalid TOML"),
        (
            lambda t: ["evolve", "--preset", _preset(t, '[mutators]\ngp_leave_out = ["n"]\n')],
            "mutators.gp_leave_out: the allocation GP language has no n; it has",
        ),
        (
            lambda t: ["evolve", "--preset", _preset(t, "[mutators]\ngp_p_constant = 2\n")],
            "p.toml: mutators.gp_p_constant must be within [0, 1]",
        ),
        (
            lambda t: ["evolve", "--preset", _preset(t, "[mutators]\ngp_constants = [1.0, inf]\n")],
            "mutators.gp_constants must be finite",
        ),
        (
            lambda t: ["evolve", "--preset", _preset(t, '[mutators]\ngp_constants = ["a"]\n')],
            "mutators.gp_constants: must be a list of float",
        ),
        (
            lambda t: ["evolve", "--preset", _preset(t, "[mutators]\ngp_rule_weight = -1.0\n")],
            "mutators.gp_rule_weight must be finite and >= 0",
        ),
        (
            lambda t: ["evolve", "--islands", "0", "--run-dir", str(t / "r")],
            "error: --islands must be at least 1",
        ),
        (
            lambda t: ["evolve", "--mutators", "gp,nope", "--run-dir", str(t / "r")],
            "error: --mutators must be among gp, edit, llm",
        ),
        (
            lambda t: ["evolve", "--mutators", "gp,llm", "--run-dir", str(t / "r")],
            "llm.models: name at least one model (--model NAME)",
        ),
        (
            lambda t: [
                "evolve",
                "--mutators",
                "gp,edit",
                "--mutator-weights",
                "1",
                "--run-dir",
                str(t / "r"),
            ],
            "error: --mutator-weights: one per mutator in --mutators",
        ),
        (
            lambda t: ["evolve", "--model", "m", "--run-dir", str(t / "r")],
            "go with --mutator gemini or --mutator openai",
        ),
        (
            lambda t: [
                "evolve",
                "--mutator",
                "openai",
                "--model",
                "m",
                "--base-url",
                "ftp://x",
                "--run-dir",
                str(t / "r"),
            ],
            "error: --base-url must start with http:// or https://",
        ),
        (
            lambda t: [
                "evolve",
                "--mutator",
                "openai",
                "--model",
                "m",
                "--prompt-modes",
                "diff,poem",
                "--run-dir",
                str(t / "r"),
            ],
            "error: --prompt-modes must be among best_shot, diff, rewrite",
        ),
        (
            lambda t: ["evolve", "--max-calls", "-1", "--run-dir", str(t / "r")],
            "error: --max-calls must be >= 0",
        ),
        (
            lambda t: [
                "evolve",
                "--mutator",
                "openai",
                "--model",
                "qwen",
                "--base-url",
                "http://127.0.0.1:9/v1",
                "--max-cost",
                "1",
                "--run-dir",
                str(t / "r"),
            ],
            "--max-cost needs a price for model 'qwen': give it with --price qwen=INPUT/OUTPUT",
        ),
        (
            lambda t: [
                "evolve",
                "--mutator",
                "openai",
                "--model",
                "m",
                "--price",
                "m=1",
                "--run-dir",
                str(t / "r"),
            ],
            "error: --price: 'm=1' is not MODEL=INPUT/OUTPUT",
        ),
        (
            lambda t: ["evolve", "--cluster", "dask.example:8786", "--run-dir", str(t / "r")],
            "--cluster 'dask.example:8786': expected local:N",
        ),
        (
            lambda t: ["evolve", "--cluster", "local:2", "--workers", "2", "--run-dir", str(t / "r")],
            "--workers counts evaluations on this machine; with --cluster",
        ),
        (lambda t: ["export", str(t)], "not a run folder"),
        (lambda t: ["export", str(t), "--top", "0"], "--top must be at least 1"),
        (lambda t: ["export", str(t), "--validate", "-2"], "--validate must be >= 0"),
        (lambda t: ["evolve", "--seed", "-1", "--run-dir", str(t / "r")], "error: --seed must be >= 0"),
        (
            lambda t: ["evolve", "--preset", _preset(t, '[islands]\nislands = "8"\n')],
            "p.toml: islands.islands: must be an int, got '8'",
        ),
        (
            lambda t: ["evolve", "--preset", _preset(t, '[task]\nlevels = ["easy", "impossible"]\n')],
            "task.levels must be among",
        ),
        (
            lambda t: ["evolve", "--preset", _preset(t, '[stop]\ncurriculum_level = "godlike"\n')],
            "p.toml: stop.curriculum_level must be one of easy, medium, hard, expert, beyond",
        ),
        (
            lambda t: [
                "evolve",
                "--preset",
                _preset(t, '[task]\nscore = "elo"\n'),
                "--run-dir",
                str(t / "r"),
            ],
            "p.toml: task.score must be one of reward, fitness",
        ),
        (
            lambda t: ["evolve", "--domain", "binpacking", "--score", "fitness", "--run-dir", str(t / "r")],
            "--score 'fitness' goes with an allocation domain (cloud, edge, network); --domain binpacking "
            "has one score",
        ),
    ],
)
def test_evolve_and_export_bad_input_is_one_line(capsys, tmp_path, make_args, expected):
    code, out, err = run(capsys, *make_args(tmp_path))
    assert code == EXIT_BAD_INPUT and out == ""
    assert err.count("\n") == 1 and expected in err, err
    assert not (tmp_path / "r").exists()  # refused before a run folder was made


def _preset(tmp_path, text: str) -> str:
    path = tmp_path / "p.toml"
    path.write_text(text)
    return str(path)
