"""The archive's run registry: table ``runs``, one row per run, which every other table's ``run_id``
refers to.

* ``runs(id PK, created_at, status, seed, config_json, versions_json)``; ``status`` is free text such as
  ``running``, ``finished``, ``failed``.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlite_utils

from aurora_evo.archive.records import RunRecord, now
from aurora_evo.archive.tables import TableSpec, dumps, has_row, loads, update_one

RUNS = TableSpec(
    "runs",
    {"id": str, "created_at": str, "status": str, "seed": int, "config_json": str, "versions_json": str},
    pk="id",
    nullable=("seed",),
)


class RunRegistry:
    """The runs of an archive (``archive.runs``); shares the archive's connection and transaction.

    Args:
        db: the archive's open database.
        path: the archive's file, for error messages.
    """

    #: Its tables, in the order they are created.
    TABLES = (RUNS,)

    def __init__(self, db: sqlite_utils.Database, path: str):
        self._db = db
        self.path = path

    def create(
        self,
        run_id: str,
        config: Mapping,
        seed: int | None,
        versions: Mapping | None = None,
        *,
        status: str = "running",
    ) -> RunRecord:
        """Record a new run. ``config`` is the run's configuration as plain data; ``versions`` the
        versions of what produced it (package, numpy, model names...).

        Raises:
            ValueError: when a run with this id exists (resume it with :meth:`get` instead).
        """
        record = RunRecord(run_id, now(), status, seed, dict(config), dict(versions or {}))
        with self._db.atomic():
            if has_row(self._db, "runs", run_id):
                raise ValueError(f"run {run_id!r} already exists; resume it or choose another run id")
            self._db.table("runs").insert(
                {
                    "id": run_id,
                    "created_at": record.created_at,
                    "status": status,
                    "seed": seed,
                    "config_json": dumps(record.config, "config_json"),
                    "versions_json": dumps(record.versions, "versions_json"),
                }
            )
        return record

    def get(self, run_id: str) -> RunRecord:
        """The run with this id. Raises ``KeyError`` when there is none."""
        row = next(self._db.query("SELECT * FROM runs WHERE id = ?", [run_id]), None)
        if row is None:
            raise KeyError(f"no run {run_id!r} in {self.path}")
        return _run(row)

    def all(self) -> list[RunRecord]:
        """Every run, oldest first."""
        return [_run(row) for row in self._db.query("SELECT * FROM runs ORDER BY rowid")]

    def set_status(self, run_id: str, status: str) -> None:
        """Set a run's status (e.g. ``"finished"``). Raises ``KeyError`` for an unknown run."""
        update_one(
            self._db,
            "UPDATE runs SET status = ? WHERE id = ?",
            [status, run_id],
            f"no run {run_id!r}",
            self.path,
        )


def _run(row: dict) -> RunRecord:
    return RunRecord(
        row["id"],
        row["created_at"],
        row["status"],
        row["seed"],
        loads(row["config_json"]),
        loads(row["versions_json"]),
    )
