"""The archive file: its schema, the refusal of foreign files, transactions across the parts, and
old archives gaining the tables added since."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from aurora_evo.archive import SCHEMA_VERSION, Archive, program_id
from aurora_evo.errors import InputError

TABLES = {
    "meta",
    "runs",
    "programs",
    "lineage",
    "evaluations",
    "cells",
    "cell_history",
    "ratings",
    "rating_history",
    "matches",
    "islands",
    "events",
    "state",
    "llm_calls",
    "instructions",
    "scenarios",
    "quality_checks",
}


def test_schema_is_created_once_and_reopens(tmp_path):
    path = tmp_path / "a.db"
    with Archive(path) as a:
        a.runs.create("r", config={}, seed=1)
    schema = sqlite_utils.Database(path).schema
    with Archive(path) as a:
        assert a.runs.get("r").seed == 1
        assert a.integrity_check() == "ok"
    a.close()  # closing twice is harmless
    db = sqlite_utils.Database(path)
    assert db.schema == schema
    assert set(db.table_names()) == TABLES
    assert db["meta"].get("schema_version")["value"] == str(SCHEMA_VERSION)
    assert db.journal_mode == "wal"


def test_in_memory_archive():
    with Archive(":memory:") as a:
        a.runs.create("r", config={}, seed=None)
        assert a.runs.get("r").seed is None and a.integrity_check() == "ok"


def test_plain_sqlite_tools_read_it(archive, add, source):
    add(archive, 1)
    conn = sqlite3.connect(archive.path)
    assert conn.execute("SELECT id, outcome, score FROM programs").fetchall() == [
        (program_id("r", source(1)), "ok", 1.0)
    ]
    assert conn.execute("SELECT json_extract(config_json, '$.islands') FROM runs").fetchone() == (2,)
    created = conn.execute("SELECT created_at FROM programs").fetchone()[0]
    assert created.endswith("Z") and conn.execute("SELECT datetime(?)", [created]).fetchone()[0]
    conn.close()


def test_refuses_another_schema_version_a_foreign_database_or_another_file(tmp_path):
    path = tmp_path / "a.db"
    Archive(path).close()
    db = sqlite_utils.Database(path)
    db["meta"].update("schema_version", {"value": "999"})
    db.close()
    with pytest.raises(InputError, match="schema version 999"):
        Archive(path)
    other = tmp_path / "other.db"
    sqlite_utils.Database(other)["things"].insert({"x": 1})
    with pytest.raises(InputError, match="not an aurora-evo archive"):
        Archive(other)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"garbage" * 100)
    with pytest.raises(InputError, match=r"garbage\.db: not a readable archive"):
        Archive(garbage)
    assert garbage.read_bytes() == b"garbage" * 100


def test_transaction_commits_atomically_and_rolls_back_on_error(archive, add):
    with archive.transaction():
        kept = add(archive, 1)
        archive.ledger.add_event("r", 1, "kept")
    with pytest.raises(RuntimeError), archive.transaction():
        lost = add(archive, 2, [kept.id])
        archive.elites.set_cell("r", (0,), lost.id, 2.0, 2)
        archive.ledger.save_state("r", 2, {"x": 1})
        assert archive.in_transaction
        raise RuntimeError("boom")
    assert not archive.in_transaction
    assert [p.id for p in archive.programs.of_run("r")] == [kept.id]
    assert archive.elites.cells("r") == {} and archive.ledger.load_state("r") is None
    assert [e.kind for e in archive.ledger.events("r")] == ["kept"]
    assert archive.programs.children(kept.id) == []


def test_failed_write_inside_a_transaction_leaves_the_rest(archive, add):
    with archive.transaction():
        one = add(archive, 1)
        with pytest.raises(ValueError):
            add(archive, 1)  # refused: the transaction goes on
        with pytest.raises(RuntimeError), archive.transaction():  # a nested block is a savepoint
            add(archive, 2)
            raise RuntimeError
        add(archive, 3, [one.id])
    assert [p.iteration for p in archive.programs.of_run("r")] == [1, 3]


def test_uncommitted_work_is_invisible_to_other_readers_and_lost_on_close(tmp_path, add):
    path = tmp_path / "a.db"
    writer = Archive(path)
    writer.runs.create("r", config={}, seed=0)
    reader = Archive(path)
    with writer.transaction():
        add(writer, 1)
        assert reader.programs.of_run("r") == []
    assert len(reader.programs.of_run("r")) == 1
    with pytest.raises(sqlite3.ProgrammingError), writer.transaction():  # closed before it could commit
        add(writer, 2)
        writer.close()
    assert len(reader.programs.of_run("r")) == 1
    reader.close()


def test_an_archive_made_before_the_llm_tables_gains_them_when_opened(tmp_path):
    path = tmp_path / "old.db"
    with Archive(path) as a:
        a.runs.create("r", config={}, seed=1)
    db = sqlite_utils.Database(path)
    db["llm_calls"].drop()
    db["instructions"].drop()
    db["scenarios"].drop()
    db["quality_checks"].drop()
    db.close()
    with Archive(path) as a:
        assert a.runs.get("r").seed == 1 and a.ledger.llm_spending("r") == (0, 0.0)
    assert {"llm_calls", "instructions", "scenarios", "quality_checks"} <= set(
        sqlite_utils.Database(path).table_names()
    )
