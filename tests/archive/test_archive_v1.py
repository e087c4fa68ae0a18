"""An archive written by aurora-evo before its store was split into parts (commit 58018d5) opens, reads
back through the parts exactly what the old ``Archive`` read from it, and takes new rows.

``data/archive_v1.sql`` is that archive's ``sqlite3`` dump: two runs with rows in every table (programs
with lineage, a failure, an eviction, validation; cells, ratings, matches; islands, events, saved state;
LLM calls, instructions, attacker scenarios, quality checks). ``data/archive_v1_reads.json`` is what the
old code returned for each read, as plain JSON (records as dicts, cell tuples as ``"3,5"`` keys), under
the name of the part's method that reads it now; the ``*_rows``, ``elites.rating_changes`` and
``ledger.llm_call_of`` entries are the rows that ``export.py`` and ``analysis/frames.py`` read then with
their own SQL.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sqlite3
from pathlib import Path

import pytest

from aurora_evo.archive import Archive, ProgramRecord

DATA = Path(__file__).parent / "data"


@pytest.fixture
def old_archive(tmp_path) -> Path:
    path = tmp_path / "archive.sqlite"
    connection = sqlite3.connect(path)
    connection.executescript((DATA / "archive_v1.sql").read_text(encoding="utf-8"))
    connection.close()
    return path


def plain(value):
    """``value`` as the JSON of the reads file holds it."""
    if dataclasses.is_dataclass(value):
        return plain(dataclasses.asdict(value))
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {",".join(map(str, k)) if isinstance(k, tuple) else str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def reads(a: Archive) -> dict:
    """Every read of the parts, keyed as in the reads file."""
    ids = [r.id for r in a.programs.of_run("r")] + [r.id for r in a.programs.of_run("other")]
    programs, elites, ledger = a.programs, a.elites, a.ledger
    runs = ("r", "other")
    return {
        "runs.all": a.runs.all(),
        "runs.get": a.runs.get("r"),
        "programs.of_run": programs.of_run("r"),
        "programs.of_run other": programs.of_run("other"),
        "programs.of_run by score": programs.of_run("r", order_by_score=True, limit=3),
        "programs.of_run filtered": programs.of_run("r", outcome="ok", island=0, include_evicted=False),
        "programs.get": {pid: programs.get(pid) for pid in ids},
        "programs.find_by_hash": programs.find_by_hash("r", programs.get(ids[3]).source_hash),
        "programs.parents": {pid: [x.id for x in programs.parents(pid)] for pid in ids},
        "programs.children": {pid: [x.id for x in programs.children(pid)] for pid in ids},
        "programs.ancestry": {pid: [x.id for x in programs.ancestry(pid)] for pid in ids},
        "programs.evaluations": {pid: programs.evaluations(pid) for pid in ids},
        "programs.case_scores": {pid: programs.case_scores(pid) for pid in ids},
        "programs.case_scores validation": {pid: programs.case_scores(pid, "validation") for pid in ids},
        "programs.mean_metrics": {pid: programs.mean_metrics(pid) for pid in ids},
        "programs.lineage_rows": programs.lineage_rows("r"),
        "programs.evaluation_rows": programs.evaluation_rows("r"),
        "elites.cells": {run: elites.cells(run) for run in runs},
        "elites.cell_history": {run: elites.cell_history(run) for run in runs},
        "elites.ratings": {run: elites.ratings(run) for run in runs},
        "elites.rated_programs": {run: elites.rated_programs(run) for run in runs},
        "elites.rating_history": {pid: elites.rating_history(pid) for pid in ids},
        "elites.rating_changes": elites.rating_changes("r"),
        "elites.matches": elites.matches("r"),
        "elites.matches 2": elites.matches("r", 2),
        "ledger.latest_islands": ledger.latest_islands("r"),
        "ledger.island_history": ledger.island_history("r"),
        "ledger.events": [(e.id, e.run_id, e.iteration, e.kind, e.data) for e in ledger.events("r")],
        "ledger.events other": [
            (e.id, e.run_id, e.iteration, e.kind, e.data) for e in ledger.events("other")
        ],
        "ledger.load_state": ledger.load_state("r"),
        "ledger.llm_calls": ledger.llm_calls("r"),
        "ledger.llm_spending": ledger.llm_spending("r"),
        "ledger.key_history": ledger.key_history("r", 1000.5),
        "ledger.llm_call_of": {pid: _model_and_mode(ledger.llm_call_of(pid)) for pid in ids},
        "ledger.instructions": ledger.instructions("r"),
        "ledger.scenario": ledger.scenario("r", "attack-hard-0001"),
        "ledger.scenario_rows": ledger.scenario_rows("r"),
        "ledger.quality_checks": ledger.quality_checks("r"),
    }


def _model_and_mode(call: dict | None) -> dict | None:
    return None if call is None else {"model": call["model"], "mode": call["mode"]}


def _schema(path: Path) -> set[tuple]:
    connection = sqlite3.connect(path)
    try:
        return set(connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall())
    finally:
        connection.close()


def test_an_old_archive_reads_as_it_did(old_archive):
    expected = json.loads((DATA / "archive_v1_reads.json").read_text(encoding="utf-8"))
    with Archive(old_archive) as a:
        assert a.integrity_check() == "ok"
        got = json.loads(json.dumps(plain(reads(a))))
    assert set(got) == set(expected)
    for name in expected:
        assert got[name] == expected[name], name


def test_a_new_archive_has_the_old_schema(old_archive, tmp_path):
    Archive(tmp_path / "new.sqlite").close()
    assert _schema(tmp_path / "new.sqlite") == _schema(old_archive)
    Archive(old_archive).close()
    assert _schema(old_archive) == _schema(tmp_path / "new.sqlite")  # opening it changed nothing


def test_an_old_archive_takes_new_rows(old_archive):
    with Archive(old_archive) as a, a.transaction():
        last = a.programs.of_run("r")[-1]
        child = ProgramRecord.new(
            "r", last.source + "# next\n", mutator="edit", iteration=3, outcome="ok", score=0.0
        )
        a.programs.add(child, [last.id])
        a.programs.add_evaluations(child.id, "train", {"a": {"score": 0.5}, "b": {"score": -0.5}})
        a.elites.offer("r", (0, 1), child.id, 0.0, 3)
        a.elites.set_rating(child.id, 1508.0, 1, 3)
        a.ledger.add_event("r", 3, "iteration", {"evaluated": 1})
        a.ledger.save_state("r", 3, {"best": [child.id, 0.0]})
    with Archive(old_archive) as a:
        assert a.integrity_check() == "ok"
        assert [p.id for p in a.programs.ancestry(child.id)][:1] == [last.id]
        assert a.elites.cells("r")[(0, 1)] == (child.id, 0.0)
        assert a.ledger.load_state("r") == (3, {"best": [child.id, 0.0]})
        assert [e.id for e in a.ledger.events("r")][-1] == 5  # after the old ids, never reusing one
