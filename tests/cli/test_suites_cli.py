"""``aurora-evo suites``: list and build, with one-line errors."""

from __future__ import annotations

import pytest
from cli_run import run

from aurora_evo.cli.exit_status import EXIT_BAD_INPUT, EXIT_OK


def test_list_names_every_suite_and_where_it_is(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("AURORA_EVO_SUITES", str(tmp_path))
    code, out, _ = run(capsys, "suites", "list")
    assert code == EXIT_OK
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["google-2011", "alibaba-2018", "azure", "synthetic"]
    assert "not built" in lines[1] and "60/20/20" in lines[1]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["build", "nope"], "unknown suite 'nope'"),
        (["build", "google-2011"], "give the folder holding them with --data DIR"),
        (["build", "azure", "--data", "/nonexistent"], "which is missing"),
    ],
)
def test_bad_input_is_one_line_with_exit_2(capsys, tmp_path, monkeypatch, args, expected):
    monkeypatch.setenv("AURORA_EVO_SUITES", str(tmp_path))
    code, _, err = run(capsys, "suites", *args)
    assert code == EXIT_BAD_INPUT
    assert expected in err and len(err.strip().splitlines()) == 1


def test_an_out_that_is_a_file_is_one_line_before_the_build(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("AURORA_EVO_SUITES", str(tmp_path))
    (tmp_path / "file").write_text("")
    code, _, err = run(capsys, "suites", "build", "synthetic", "--out", str(tmp_path / "file"))
    assert code == EXIT_BAD_INPUT
    assert err.strip().endswith("file: exists and is not a folder") and len(err.strip().splitlines()) == 1
