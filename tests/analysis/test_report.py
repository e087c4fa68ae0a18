"""``aurora-evo report``: every picture is written and readable, report.md sums the run up and links them,
the CLI verb."""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.image import imread

from aurora_evo.analysis.report import write_report
from aurora_evo.cli import main
from aurora_evo.cli.exit_status import EXIT_BAD_INPUT, EXIT_OK
from aurora_evo.errors import InputError

PICTURES = [
    "scores_by_island.png",
    "elo.png",
    "map_elites.png",
    "lineage.png",
    "outcomes.png",
    "attacker.png",
]


def _assert_readable_png(path):
    image = imread(path)
    assert image.ndim == 3 and image.shape[0] >= 300 and image.shape[1] >= 500, image.shape
    pixels = image.reshape(-1, image.shape[2])
    assert not np.all(pixels == pixels[0]), f"{path.name} is one colour"


def test_write_report_writes_every_picture_and_links_them(small_run, tmp_path):
    written = write_report(small_run, tmp_path / "report")
    assert [p.name for p in written] == [*PICTURES, "report.md"]  # no llm.png: an offline run
    for path in written[:-1]:
        _assert_readable_png(path)
    markdown = written[-1].read_text()
    assert markdown.startswith("# Run `small`")
    for picture in PICTURES:
        assert f"]({picture})" in markdown  # relative links
    for line in ("- domain: binpacking", "- iterations: 21", "- best training score:", "- best held-out score:",
                 "- the run's winner (what `aurora-evo export` ships first):", "- LLM calls: none"):  # fmt: skip
        assert line in markdown


def test_a_run_that_called_a_language_model_gets_its_picture_and_costs(llm_run, tmp_path):
    written = write_report(llm_run, tmp_path / "report")
    assert written[-2].name == "llm.png"
    _assert_readable_png(written[-2])
    markdown = written[-1].read_text()
    assert "](llm.png)" in markdown and "- LLM calls: 30 sent (10 refused)" in markdown


def test_a_run_with_nothing_evaluated_says_so(empty_run, tmp_path):
    written = write_report(empty_run, tmp_path / "report")
    assert [p.name for p in written] == [*PICTURES, "report.md"]
    for path in written[:-1]:
        _assert_readable_png(path)
    assert "- best training score: none yet" in written[-1].read_text()


def test_bad_input_is_an_input_error(small_run, tmp_path):
    with pytest.raises(InputError, match="not a run folder"):
        write_report(tmp_path, tmp_path / "report")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        write_report(small_run, tmp_path / "file")


def test_cli_report_prints_the_written_paths(small_run, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["report", str(small_run), "--out", str(out)]) == EXIT_OK
    printed, err = capsys.readouterr()
    assert err == ""
    paths = printed.splitlines()
    assert [p.rsplit("/", 1)[-1] for p in paths] == [*PICTURES, "report.md"]
    assert all((out / name).is_file() for name in [*PICTURES, "report.md"])


def test_cli_report_on_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == EXIT_BAD_INPUT
    printed, err = capsys.readouterr()
    assert printed == "" and len(err.splitlines()) == 1
    assert re.match(r"aurora-evo report: error: .*not a run folder", err)
    assert not (tmp_path / "report").exists()
