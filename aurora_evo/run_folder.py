"""A run folder (``runs/NAME/``): where a run keeps its settings and its archive, and which run it holds.

Light on purpose (the archive's modules are imported only when one is opened): the CLI checks a folder
before it imports the controller.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from aurora_evo.config import RunConfig
from aurora_evo.config_files import read_config, save_config
from aurora_evo.errors import InputError

if TYPE_CHECKING:
    from aurora_evo.archive import Archive

#: Every setting of the run, so that it resumes as it began.
CONFIG_FILE = "config.json"
#: The run's SQLite archive.
ARCHIVE_FILE = "archive.sqlite"


class RunFolder:
    """The folder of one run: its ``config.json`` (written first: a folder holding it is a run, and
    resumes even if the run was killed right after) and its ``archive.sqlite``.

    Args:
        path: the folder; it need not exist before :meth:`create`.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def archive_path(self) -> Path:
        return self.path / ARCHIVE_FILE

    @property
    def name(self) -> str:
        """The folder's name now (the id of a run that begins here)."""
        return self.path.resolve().name

    def holds_run(self) -> bool:
        """Whether a run began here (either file exists)."""
        return self.config_path.exists() or self.archive_path.exists()

    # --- checks, each one InputError line --------------------------------------------------------------

    def require_new(self) -> None:
        """Raise ``InputError`` when a run began here already."""
        if self.holds_run():
            raise InputError(f"{self.path}: already holds a run; resume it with --resume {self.path}")

    def require_config(self) -> None:
        """Raise ``InputError`` unless the folder holds a run's settings (enough to resume it)."""
        if not self.config_path.exists():
            raise InputError(f"{self.path}: no {CONFIG_FILE} here; is it a run folder?")

    def require_run(self) -> None:
        """Raise ``InputError`` unless the folder holds both a run's settings and its archive."""
        if not self.archive_path.is_file() or not self.config_path.is_file():
            raise InputError(f"{self.path}: not a run folder (no {ARCHIVE_FILE} or {CONFIG_FILE})")

    # --- a run's life ---------------------------------------------------------------------------------

    def create(self, config: RunConfig) -> None:
        """Begin a run here: make the folder and write ``config.json``.

        Raises:
            InputError: a run began here already (resume it instead).
        """
        self.require_new()
        self.path.mkdir(parents=True, exist_ok=True)
        save_config(config, self.config_path)

    def read_config(self) -> RunConfig:
        """The run's settings, as it began."""
        return read_config(self.config_path)

    def open_archive(self) -> Archive:
        """The run's archive, opened for writing (created with its tables when missing)."""
        from aurora_evo.archive import Archive  # heavy: sqlite-utils is slow to import; only when opened

        return Archive(self.archive_path)

    def open_to_read(self) -> tuple[Archive, str]:
        """The archive of a run that began (its folder as :meth:`require_run` wants it), and the run's id.

        Raises:
            InputError: the folder holds no run, its archive is empty or not SQLite, or the run was never
                registered in it (killed at once).
        """
        self.require_run()
        if self.archive_path.stat().st_size == 0:
            raise InputError(f"{self.archive_path}: empty file, not an archive (the run never started)")
        archive = self.open_archive()
        run_id = self.run_id(archive)
        try:
            archive.runs.get(run_id)
        except KeyError:
            archive.close()
            raise InputError(
                f"{self.path}: the run was never registered in its archive (killed at once?)"
            ) from None
        return archive, run_id

    def run_id(self, archive: Archive) -> str:
        """The id of the run here: its folder's name when it began, kept if the folder has been renamed
        since (``archive`` is this folder's, open)."""
        runs = archive.runs.all()
        return runs[0].id if len(runs) == 1 else self.name
