"""A run folder: created once (config.json first), checked in one line, and the run's id kept when the
folder is renamed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aurora_evo.config import RunConfig
from aurora_evo.errors import InputError
from aurora_evo.run_folder import ARCHIVE_FILE, CONFIG_FILE, RunFolder

REPO = Path(__file__).resolve().parents[1]


def test_a_folder_is_created_once_with_its_config_first(tmp_path):
    folder = RunFolder(tmp_path / "runs" / "first")
    folder.require_new()
    folder.create(RunConfig(seed=5))
    assert folder.config_path == tmp_path / "runs" / "first" / CONFIG_FILE
    assert folder.read_config().seed == 5 and not folder.archive_path.exists()
    folder.require_config()
    with pytest.raises(InputError, match="already holds a run; resume it with --resume"):
        folder.create(RunConfig(seed=6))
    assert folder.read_config().seed == 5


def test_an_archive_alone_is_a_run_too(tmp_path):
    folder = RunFolder(tmp_path)
    folder.archive_path.touch()
    with pytest.raises(InputError, match="already holds a run"):
        folder.require_new()
    with pytest.raises(InputError, match=f"no {CONFIG_FILE} here; is it a run folder"):
        folder.require_config()


def test_checks_name_what_is_missing(tmp_path):
    folder = RunFolder(tmp_path)
    with pytest.raises(InputError, match=f"not a run folder \\(no {ARCHIVE_FILE} or {CONFIG_FILE}\\)"):
        folder.require_run()
    folder.create(RunConfig())
    with pytest.raises(InputError, match="not a run folder"):
        folder.require_run()


def test_the_run_id_is_the_folder_name_when_it_began(tmp_path):
    folder = RunFolder(tmp_path / "before")
    folder.create(RunConfig())
    with folder.open_archive() as archive:
        assert folder.run_id(archive) == "before"  # a new run is named after its folder
        archive.runs.create("before", {}, 0)
    renamed = RunFolder(folder.path.rename(tmp_path / "after"))
    with renamed.open_archive() as archive:
        assert renamed.name == "after" and renamed.run_id(archive) == "before"
    archive, run_id = renamed.open_to_read()
    archive.close()
    assert run_id == "before"


def test_importing_it_leaves_the_archive_unimported():
    code = "import sys, aurora_evo.run_folder; print('sqlite_utils' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
