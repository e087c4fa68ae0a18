"""The archive file: one SQLite database, written through ``sqlite-utils``, shared by the archive's parts.

:class:`Archive` opens the file, makes its tables, and owns the connection and the transaction; its
parts read and write their own tables through that one connection:

* ``archive.runs`` (:class:`~aurora_evo.archive.runs.RunRegistry`): the runs;
* ``archive.programs`` (:class:`~aurora_evo.archive.programs.ProgramStore`): programs, lineage and
  evaluations;
* ``archive.elites`` (:class:`~aurora_evo.archive.elites.Elites`): MAP-Elites cells and Elo ratings,
  the elite archive over the programs;
* ``archive.ledger`` (:class:`~aurora_evo.archive.ledger.Ledger`): islands, events, resumable state,
  LLM calls, prompt instructions, attacker scenarios, quality checks.

Each part's module describes its tables. Storage only: which program takes a MAP-Elites cell, how
ratings move, which programs are evicted are decided by :mod:`~aurora_evo.archive.map_elites`,
:mod:`~aurora_evo.archive.elo` and the controller, and recorded here.

The file is plain SQLite, meant to be read with ``sqlite-utils``, the ``sqlite3`` shell or Datasette;
the conventions of its columns are in :mod:`~aurora_evo.archive.tables`. Foreign keys are enforced and
nothing is ever deleted. ``meta(key PK, value)`` holds ``schema_version`` (:data:`SCHEMA_VERSION`) and
``created_at``; timestamps are ISO-8601 UTC text (``2025-01-31T12:00:00.000Z``).

Transactions: :meth:`Archive.transaction` makes everything inside it, in every part, one atomic commit
(one evolution iteration = one transaction); an exception inside rolls it all back. Transactions nest
(inner ones are savepoints). Outside a transaction each write method is atomic on its own and commits
before it returns.

Crash safety: the database runs in WAL mode with ``synchronous=NORMAL``. A process killed at any moment
(SIGKILL included) loses only the transaction it had not committed; whatever a commit returned from is
on disk for the next opener. (A power cut may lose the last few commits, never corrupt the file.)
One process writes an archive at a time; other processes may read it while it runs.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator

import sqlite_utils

from aurora_evo.archive.elites import Elites
from aurora_evo.archive.ledger import Ledger
from aurora_evo.archive.programs import ProgramStore
from aurora_evo.archive.records import now
from aurora_evo.archive.runs import RunRegistry
from aurora_evo.archive.tables import TableSpec, create_tables
from aurora_evo.errors import InputError

#: Version of the table layout; an archive written with another version is refused.
SCHEMA_VERSION = 1

META = TableSpec("meta", {"key": str, "value": str}, pk="key")

#: Every table, in the order they are created (the runs before what refers to them).
TABLES = (META, *RunRegistry.TABLES, *ProgramStore.TABLES, *Elites.TABLES, *Ledger.TABLES)


class Archive:
    """An archive file: open (or create) it, and read and write its rows through its parts
    (:attr:`runs`, :attr:`programs`, :attr:`elites`, :attr:`ledger`). See the module docstring for the
    parts, transactions and crash safety.

    Use it as a context manager, or call :meth:`close`. It holds one connection: use it from the thread
    that opened it.

    Args:
        path: the database file (created with its tables when missing), or ``":memory:"``.
        busy_timeout_ms: how long a write waits for a reader's lock before failing.

    Raises:
        InputError: when the file is not SQLite (or SQLite cannot open it), not an aurora-evo archive, or
            has another schema version.
    """

    def __init__(self, path: str | os.PathLike, *, busy_timeout_ms: int = 5_000):
        self.path = os.fspath(path)
        self._closed = False
        self._db = sqlite_utils.Database(self.path)
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self._db.enable_wal()
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._ensure_schema()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise InputError(f"{self.path}: not a readable archive ({exc})") from None
        except BaseException:
            self._db.close()
            raise
        self.runs = RunRegistry(self._db, self.path)
        self.programs = ProgramStore(self._db, self.path)
        self.elites = Elites(self._db, self.path)
        self.ledger = Ledger(self._db, self.path)

    def _ensure_schema(self) -> None:
        names = set(self._db.table_names())
        if names and "meta" not in names:
            raise InputError(
                f"{self.path}: not an aurora-evo archive (tables {', '.join(sorted(names)[:5])} but no meta "
                "table); give a new file name"
            )
        if "meta" in names:
            row = next(self._db.query("SELECT value FROM meta WHERE key = 'schema_version'"), None)
            if row is None or row["value"] != str(SCHEMA_VERSION):
                found = "none" if row is None else row["value"]
                raise InputError(
                    f"{self.path}: archive schema version {found}, this aurora-evo reads version "
                    f"{SCHEMA_VERSION}; open it with the aurora-evo that wrote it, or start a new archive"
                )
            if names >= {spec.name for spec in TABLES}:
                return
        # One transaction, so a crash while creating leaves either no tables or all of them. Tables added
        # to this version after an archive was made (the LLM ones) are created when it is next opened.
        with self._db.atomic():
            create_tables(self._db, TABLES)
            self._db.table("meta").insert_all(
                [
                    {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                    {"key": "created_at", "value": now()},
                ],
                ignore=True,
            )

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Archive]:
        """Everything written inside, by any part, commits at once when the block ends, or not at all if
        it raises. Nested blocks are savepoints: an exception caught inside the outer block undoes only
        the inner."""
        with self._db.atomic():
            yield self

    @property
    def in_transaction(self) -> bool:
        return self._db.conn.in_transaction

    def integrity_check(self) -> str:
        """``"ok"`` when SQLite's ``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check`` find
        nothing wrong, else their findings, one per line."""
        problems = [row[0] for row in self._db.execute("PRAGMA integrity_check").fetchall()]
        if problems == ["ok"]:
            problems = []
        problems += [
            f"{table} row {rowid}: no matching row in {parent}"
            for table, rowid, parent, _ in self._db.execute("PRAGMA foreign_key_check").fetchall()
        ]
        return "\n".join(problems) or "ok"

    def close(self) -> None:
        """Close the connection (again: nothing happens); a transaction still open is rolled back."""
        if self._closed:
            return
        self._closed = True
        self._db.rollback()
        self._db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Archive({self.path!r})"
