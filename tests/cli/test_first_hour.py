"""A new user's first hour (issue 18): presets by name from anywhere, errors naming the flag typed, every
file of a `scenarios validate` batch reported, tables as wide as the terminal, and accurate help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_run import run

from aurora_evo.cli import build_parser, evolve_settings
from aurora_evo.cli.console import PIPED_WIDTH, output_width
from aurora_evo.cli.exit_status import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROGRAM_FAILED
from aurora_evo.config import RunConfig
from aurora_evo.config_files import preset_names, save_config
from aurora_evo.seeds import seed_program_paths, seed_scenario_paths

BEST_FIT = str(seed_program_paths()["best_fit"])
EASY = [str(path) for path in seed_scenario_paths("easy", "cloud")]
EASY_ANY_DOMAIN = [str(path) for path in seed_scenario_paths("easy")]
REPO = Path(__file__).resolve().parents[2]


def evolve_config(*argv):
    return evolve_settings.evolve_config(build_parser().parse_args(["evolve", *argv]))


# --- presets by name, from any folder -----------------------------------------------------------------


def test_the_shipped_presets_are_listed_by_name():
    assert {"default", "cloud", "coevolution", "binpacking-weibull", "binpacking-or"} <= set(preset_names())


@pytest.mark.parametrize("spec", ["coevolution", "coevolution.toml", "islands/coevolution.toml"])
def test_a_shipped_preset_resolves_by_name_from_any_folder(tmp_path, monkeypatch, spec):
    monkeypatch.chdir(tmp_path)  # no islands/ here
    config = evolve_config("--preset", spec)
    assert config.stop.max_iterations == 300  # coevolution's, not the default's 100


def test_a_preset_resolves_by_path(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    assert evolve_config("--preset", "islands/binpacking-weibull.toml").task.domain == "binpacking"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my.toml").write_text("[islands]\nislands = 3\n")
    assert evolve_config("--preset", "./my.toml").islands.islands == 3
    assert evolve_config("--preset", str(tmp_path / "my.toml")).islands.islands == 3


def test_a_file_in_the_working_folder_wins_over_a_shipped_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "coevolution.toml").write_text("[islands]\nislands = 5\n")
    assert evolve_config("--preset", "coevolution.toml").islands.islands == 5


def test_an_unknown_preset_is_one_line_listing_the_shipped_names(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "evolve", "--preset", "coevolutoin")
    assert code == EXIT_BAD_INPUT and out == ""
    assert err.count("\n") == 1 and err.startswith("aurora-evo evolve: error: --preset coevolutoin: ")
    assert all(name in err for name in preset_names())
    assert not (tmp_path / "runs").exists()


def test_the_installed_command_finds_a_preset_by_name_from_another_folder(tmp_path):
    # --islands 0 stops the run once the preset is read: its error proves the preset was found.
    done = subprocess.run(
        [sys.executable, "-m", "aurora_evo", "evolve", "--preset", "coevolution", "--islands", "0"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == EXIT_BAD_INPUT
    assert done.stderr == "aurora-evo evolve: error: --islands must be at least 1\n"


# --- errors name the flag the user typed --------------------------------------------------------------

OPENAI = ["--mutator", "openai", "--model", "m"]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--islands", "0"], "--islands must be at least 1"),
        (["--iterations", "0"], "--iterations must be at least 1"),
        (["--max-seconds", "0"], "--max-seconds must be positive"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--seed", "-1"], "--seed must be >= 0"),
        (["--timeout", "0"], "--timeout must be positive and at most 86400 seconds"),
        (["--timeout", "nan"], "--timeout must be positive and at most 86400 seconds"),
        (["--memory-mb", "0"], "--memory-mb must be at least 1 (MiB)"),
        (["--mutators", ","], "--mutators must be among gp, edit, llm (at least one)"),
        (
            ["--mutators", "gp,edit", "--mutator-weights", "1"],
            "--mutator-weights: one per mutator in --mutators",
        ),
        (
            ["--mutators", "gp,edit", "--mutator-weights", "0,0"],
            "--mutator-weights must be finite and >= 0 with a positive sum",
        ),
        (
            ["--mutators", "gp,edit", "--mutator-weights", "inf,1"],
            "--mutator-weights must be finite and >= 0 with a positive sum",
        ),
        ([*OPENAI, "--rpm", "-1"], "--rpm must be >= 0 (0: no limit)"),
        ([*OPENAI, "--rpd", "-1"], "--rpd must be >= 0 (0: no limit)"),
        ([*OPENAI, "--max-cost", "-1", "--price", "m=0/0"], "--max-cost must be >= 0"),
        (["--max-calls", "-1"], "--max-calls must be >= 0"),
        ([*OPENAI, "--model", "n", "--model-weights", "1"], "--model-weights: one per model in --model"),
        ([*OPENAI, "--prompt-modes", "poem"], "--prompt-modes must be among best_shot, diff, rewrite"),
        ([*OPENAI, "--base-url", "ftp://x"], "--base-url must start with http:// or https://, got 'ftp://x'"),
    ],
)
def test_an_error_names_the_flag_typed_not_the_setting(capsys, tmp_path, flags, expected):
    code, out, err = run(capsys, "evolve", *flags, "--run-dir", str(tmp_path / "r"))
    assert code == EXIT_BAD_INPUT and out == ""
    assert err == f"aurora-evo evolve: error: {expected}\n"
    assert not (tmp_path / "r").exists()


def test_an_error_in_a_preset_names_the_file_and_the_setting(capsys, tmp_path):
    preset = tmp_path / "mine.toml"
    preset.write_text("[islands]\nislands = 0\n")
    code, _, err = run(capsys, "evolve", "--preset", str(preset), "--run-dir", str(tmp_path / "r"))
    assert code == EXIT_BAD_INPUT
    assert err == f"aurora-evo evolve: error: {preset}: islands.islands must be at least 1\n"
    preset.write_text("[evaluation]\nworkers = 0\n")
    code, _, err = run(capsys, "evolve", "--preset", str(preset), "--islands", "2")
    assert code == EXIT_BAD_INPUT
    assert err == f"aurora-evo evolve: error: {preset}: evaluation.workers must be at least 1\n"


def test_a_setting_a_flag_did_not_give_is_named_with_its_file(capsys, tmp_path):
    # --mutators llm needs a model: the setting at fault (llm.models) is the preset's.
    preset = tmp_path / "mine.toml"
    preset.write_text("[islands]\nislands = 2\n")
    code, _, err = run(capsys, "evolve", "--preset", str(preset), "--mutators", "gp,llm")
    assert code == EXIT_BAD_INPUT
    assert err == f"aurora-evo evolve: error: {preset}: llm.models: name at least one model (--model NAME)\n"


def test_a_resumed_run_names_the_flag_typed(capsys, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    save_config(RunConfig(), run_dir / "config.json")
    code, _, err = run(capsys, "evolve", "--resume", str(run_dir), "--workers", "0")
    assert code == EXIT_BAD_INPUT and err == "aurora-evo evolve: error: --workers must be at least 1\n"
    code, _, err = run(capsys, "evolve", "--resume", str(run_dir), "--islands", "3")
    assert code == EXIT_BAD_INPUT and "only --iterations, --max-seconds, --workers" in err


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--timeout", "0"], "--timeout must be positive and at most 86400 seconds"),
        (["--timeout", "-1"], "--timeout must be positive and at most 86400 seconds"),
        (["--timeout", "nan"], "--timeout must be positive and at most 86400 seconds"),
        (["--timeout", "1e12"], "--timeout must be positive and at most 86400 seconds"),
        (["--memory-mb", "-5"], "--memory-mb must be at least 1 (MiB)"),
    ],
)
@pytest.mark.parametrize(
    "verb",
    [["score", BEST_FIT, "--scenario", EASY[0]], ["bench", "allocation", BEST_FIT, "--levels", "easy"]],
)
def test_score_and_bench_refuse_sandbox_limits_they_cannot_keep(capsys, verb, flags, expected):
    code, out, err = run(capsys, *verb, *flags)
    assert code == EXIT_BAD_INPUT and out == ""
    assert err == f"aurora-evo {verb[0]}: error: {expected}\n"


# --- scenarios validate: every file of a batch ----------------------------------------------------------


def _scenario_file(folder: Path, name: str, edit=None) -> str:
    data = json.loads(Path(EASY[0]).read_text())
    if edit:
        edit(data)
    path = folder / name
    path.write_text(json.dumps(data))
    return str(path)


def _out_of_range(data: dict) -> None:
    data["tasks"][0]["cpu"] = 4000


def test_validate_reports_every_file_of_a_batch_past_a_malformed_one(capsys, tmp_path):
    malformed = tmp_path / "malformed.json"
    malformed.write_text("{ not json")
    out_of_range = _scenario_file(tmp_path, "range.json", _out_of_range)
    files = [EASY[0], str(malformed), out_of_range, EASY[1]]
    code, out, err = run(capsys, "scenarios", "validate", *files)
    assert code == EXIT_PROGRAM_FAILED and err == ""
    lines = out.splitlines()
    assert f"{EASY[0]}: complexity ok" in lines and f"{EASY[1]}: complexity ok" in lines
    assert (
        f"{malformed}: format REFUSED: invalid JSON at line 1 column 3: Expecting property name enclosed in double quotes"
        in lines
    )
    assert [line for line in lines if line.startswith(f"{out_of_range}: ")] == [
        f"{out_of_range}: format REFUSED: tasks[0].cpu: 4000 is outside 0-1024 cores"
    ]
    assert lines[-1] == "2 of 4 files refused (format)"


def test_a_malformed_file_given_as_a_dotted_path_is_named_once(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "malformed.json").write_text("{ not json")
    code, out, _ = run(capsys, "scenarios", "validate", "./malformed.json")
    assert code == EXIT_PROGRAM_FAILED
    assert out.splitlines()[0] == (
        "./malformed.json: format REFUSED: invalid JSON at line 1 column 3: "
        "Expecting property name enclosed in double quotes"
    )


def test_validate_json_reports_a_malformed_file_as_refused_by_format(capsys, tmp_path):
    malformed = tmp_path / "malformed.json"
    malformed.write_text("[]")
    code, out, _ = run(capsys, "scenarios", "validate", str(malformed), EASY[0], "--json")
    payload = json.loads(out)
    assert code == EXIT_PROGRAM_FAILED
    assert payload["checked"] == 2 and payload["refused"] == 1 and payload["unreadable"] == 0
    assert payload["files"][0]["refused_by"] == "format" and payload["files"][1]["passed"] is True
    assert payload["refused_by_layer"]["format"] == 1


@pytest.mark.parametrize("unreadable", ["missing.json", "folder"])
def test_a_file_that_cannot_be_read_exits_2_and_the_others_are_still_checked(capsys, tmp_path, unreadable):
    (tmp_path / "folder").mkdir()
    path = str(tmp_path / unreadable)
    code, out, err = run(capsys, "scenarios", "validate", path, EASY[0])
    assert code == EXIT_BAD_INPUT
    assert err.count("\n") == 1 and err.startswith(f"aurora-evo scenarios: error: {path}: ")
    assert f"{EASY[0]}: bounds ok" in out.splitlines()
    assert out.splitlines()[-1] == "1 of 1 files passed; 1 more could not be read"
    code, out, _ = run(capsys, "scenarios", "validate", path, EASY[0], "--json")
    payload = json.loads(out)
    assert code == EXIT_BAD_INPUT and payload["unreadable"] == 1 and payload["checked"] == 1
    assert payload["files"][0]["error"].startswith(path)


# --- tables as wide as the terminal ---------------------------------------------------------------------


def test_output_width_follows_columns_then_the_terminal_then_a_wide_default(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "97")
    assert output_width(sys.stdout) == 97
    monkeypatch.delenv("COLUMNS")
    assert output_width(sys.stdout) == PIPED_WIDTH  # captured: not a terminal


@pytest.mark.parametrize("columns", [120, 60])
def test_the_score_table_fits_the_terminal_and_keeps_its_title_on_one_line(capsys, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    code, out, _ = run(capsys, "score", BEST_FIT, "--scenario", EASY[0])
    lines = out.splitlines()
    assert code == EXIT_OK
    assert max(len(line) for line in lines) <= columns
    title = f"{BEST_FIT} (ran on the numpy path)"
    if len(title) <= columns:
        assert any(line.strip() == title for line in lines), out
    assert any("fairness (Gini, 0 = fair)" in line for line in lines)  # no label wrapped


def test_a_piped_score_table_is_not_wrapped(capsys, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    argv = [arg for path in EASY_ANY_DOMAIN[:5] for arg in ("--scenario", path)]
    code, out, _ = run(capsys, "score", BEST_FIT, *argv)
    assert code == EXIT_OK
    header = next(line for line in out.splitlines() if "scenario" in line and "reward" in line)
    for label in ("p99 latency (s)", "cpu util", "cost ($)", "energy (kWh)", "rejected"):
        assert label in header
    for path in EASY_ANY_DOMAIN[:5]:
        assert sum(Path(path).stem in line for line in out.splitlines()) == 1


# --- help -----------------------------------------------------------------------------------------------

VERBS = [
    [],
    ["score"],
    ["evolve"],
    ["export"],
    ["report"],
    ["bench"],
    ["bench", "binpacking"],
    ["bench", "allocation"],
    ["scenarios"],
    ["scenarios", "validate"],
    ["scenarios", "generate"],
]


@pytest.mark.parametrize("verb", VERBS, ids=lambda verb: " ".join(verb) or "aurora-evo")
def test_every_help_text_prints_and_fits_the_terminal(capsys, monkeypatch, verb):
    monkeypatch.setenv("COLUMNS", "100")
    code, out, err = run(capsys, *verb, "--help")
    assert code == EXIT_OK and err == "" and out.startswith("usage: aurora-evo")
    assert max(len(line) for line in out.splitlines()) <= 100


def test_help_says_what_a_new_user_needs(capsys):
    _, out, _ = run(capsys, "--help")
    assert all(verb in out for verb in ("score", "evolve", "export", "report", "bench", "scenarios"))
    _, out, _ = run(capsys, "evolve", "--help")
    text = " ".join(out.split())
    assert all(name in text for name in preset_names())
    assert "--timeout SECONDS" in text and "--memory-mb MIB" in text
    _, out, _ = run(capsys, "scenarios", "validate", "--help")
    text = " ".join(out.split())
    assert "1 when any is refused, 2 when a file cannot be read at all" in text
