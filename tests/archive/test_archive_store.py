"""The archive's storage: schema, round trips of every table, lineage, transactions, refusals."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
import sqlite_utils

from aurora_evo.archive import (
    SCHEMA_VERSION,
    Archive,
    CellChange,
    IslandState,
    Match,
    ProgramRecord,
    Rating,
    program_id,
    source_hash,
)
from aurora_evo.errors import InputError
from aurora_evo.outcome import Outcome

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


def src(n: int) -> str:
    return f"def priority(item, bins):\n    return bins * {n}\n"


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "a.db") as a:
        a.create_run("r", config={"islands": 2}, seed=7)
        yield a


def add(archive, n, parents=(), **fields):
    fields.setdefault("outcome", Outcome.OK)
    fields.setdefault("score", float(n))
    record = ProgramRecord.new("r", src(n), mutator="test", iteration=n, parent_ids=parents, **fields)
    return archive.add_program(record)


# --- schema ------------------------------------------------------------------------------------------


def test_schema_is_created_once_and_reopens(tmp_path):
    path = tmp_path / "a.db"
    with Archive(path) as a:
        a.create_run("r", config={}, seed=1)
        schema = a.database.schema
    with Archive(path) as a:
        assert a.database.schema == schema
        assert a.get_run("r").seed == 1
        assert a.integrity_check() == "ok"
    a.close()  # closing twice is harmless
    db = sqlite_utils.Database(path)
    assert set(db.table_names()) == TABLES
    assert db["meta"].get("schema_version")["value"] == str(SCHEMA_VERSION)
    assert db.journal_mode == "wal"


def test_in_memory_archive():
    with Archive(":memory:") as a:
        a.create_run("r", config={}, seed=None)
        assert a.get_run("r").seed is None and a.integrity_check() == "ok"


def test_plain_sqlite_tools_read_it(archive):
    add(archive, 1)
    conn = sqlite3.connect(archive.path)
    assert conn.execute("SELECT id, outcome, score FROM programs").fetchall() == [
        (program_id("r", src(1)), "ok", 1.0)
    ]
    assert conn.execute("SELECT json_extract(config_json, '$.islands') FROM runs").fetchone() == (2,)
    created = conn.execute("SELECT created_at FROM programs").fetchone()[0]
    assert created.endswith("Z") and conn.execute("SELECT datetime(?)", [created]).fetchone()[0]
    conn.close()


def test_refuses_another_schema_version_or_a_foreign_database(tmp_path):
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


# --- runs and programs -------------------------------------------------------------------------------


def test_run_round_trip(archive):
    run = archive.create_run("s", {"a": [1, 2]}, 3, {"numpy": np.__version__})
    assert archive.get_run("s") == run
    archive.update_run_status("s", "finished")
    assert archive.get_run("s").status == "finished"
    assert [r.id for r in archive.runs()] == ["r", "s"]
    with pytest.raises(ValueError, match="already exists"):
        archive.create_run("s", config={}, seed=0)
    with pytest.raises(KeyError):
        archive.get_run("nope")
    with pytest.raises(KeyError):
        archive.update_run_status("nope", "x")


def test_program_round_trip(archive):
    seed = add(archive, 1)
    record = ProgramRecord.new(
        "r",
        src(2),
        mutator="llm.diff",
        iteration=4,
        outcome="ok",
        parent_ids=[seed.id],
        message="",
        score=-1.25,
        compiled=True,
        complexity=42,
        reasoning="why",
        genotype="(add x y)",
        island=1,
        descriptor={"complexity": 42.0, "specialisation": 0.5},
    )
    stored = archive.add_program(record)
    assert stored == record
    got = archive.get_program(record.id)
    assert got == record and got.outcome is Outcome.OK and got.parent_ids == (seed.id,)
    assert record.id == program_id("r", src(2)) and record.source_hash == source_hash(src(2))
    assert archive.find_by_hash("r", source_hash(src(2))) == record
    assert archive.find_by_hash("r", source_hash("x")) is None
    archive.set_validation_score(record.id, 0.75)
    assert archive.get_program(record.id).validation_score == 0.75


def test_failed_program_keeps_its_outcome(archive):
    failed = add(archive, 3, outcome=Outcome.TIMEOUT, score=None, message="killed at 2 s")
    got = archive.get_program(failed.id)
    assert (got.outcome, got.score, got.message) == (Outcome.TIMEOUT, None, "killed at 2 s")


def test_programs_filters_and_orders(archive):
    for n in (3, 1, 2):
        add(archive, n, island=n % 2)
    add(archive, 4, outcome=Outcome.CRASHED, score=None, island=0)
    ids = {n: program_id("r", src(n)) for n in range(1, 5)}
    assert [p.id for p in archive.programs("r")] == [ids[3], ids[1], ids[2], ids[4]]
    assert [p.id for p in archive.programs("r", order_by_score=True)] == [ids[3], ids[2], ids[1], ids[4]]
    assert [p.id for p in archive.programs("r", order_by_score=True, limit=2)] == [ids[3], ids[2]]
    assert [p.id for p in archive.programs("r", outcome="crashed")] == [ids[4]]
    assert [p.id for p in archive.programs("r", island=1)] == [ids[3], ids[1]]
    archive.set_evicted([ids[3]])
    assert ids[3] not in [p.id for p in archive.programs("r", include_evicted=False)]
    assert archive.get_program(ids[3]).evicted
    archive.set_evicted([ids[3]], False)
    assert not archive.get_program(ids[3]).evicted
    assert archive.programs("other") == []


def test_add_program_refusals(archive):
    one = add(archive, 1)
    with pytest.raises(ValueError, match="find_by_hash"):
        add(archive, 1)
    with pytest.raises(KeyError, match="add parents before"):
        add(archive, 2, parents=["missing"])
    with pytest.raises(KeyError, match="create_run"):
        archive.add_program(ProgramRecord.new("nope", src(5), mutator="m", iteration=0, outcome="ok"))
    with pytest.raises(ValueError, match="itself"):
        archive.add_program(
            ProgramRecord.new("r", src(6), mutator="m", iteration=0, outcome="ok"), [program_id("r", src(6))]
        )
    record = ProgramRecord.new("r", src(7), mutator="m", iteration=0, outcome="ok", parent_ids=[one.id])
    with pytest.raises(ValueError, match="differ"):
        archive.add_program(record, ["x"])
    with pytest.raises(KeyError):
        archive.set_evicted([one.id, "missing"])
    assert not archive.get_program(one.id).evicted  # the failed call changed nothing
    with pytest.raises(KeyError):
        archive.set_validation_score("missing", 1.0)
    assert [p.id for p in archive.programs("r")] == [one.id]
    assert not hasattr(archive, "delete_program")


# --- lineage -----------------------------------------------------------------------------------------


def test_lineage_and_ancestry_with_evicted_ancestors(archive):
    #   1   2
    #   |\ /
    #   3 4      (4 = crossover of 1 and 2, 1 given twice)
    #    \|
    #     5
    p1, p2 = add(archive, 1), add(archive, 2)
    p3 = add(archive, 3, [p1.id])
    p4 = archive.add_program(
        ProgramRecord.new("r", src(4), mutator="x", iteration=4, outcome="ok"), [p1.id, p2.id, p1.id]
    )
    p5 = add(archive, 5, [p3.id, p4.id])
    archive.set_evicted([p1.id, p3.id])
    assert p4.parent_ids == (p1.id, p2.id)
    assert [p.id for p in archive.parents(p5.id)] == [p3.id, p4.id]
    assert [p.id for p in archive.parents(p4.id)] == [p1.id, p2.id]
    assert [p.id for p in archive.children(p1.id)] == [p3.id, p4.id]
    assert archive.children(p5.id) == []
    ancestry = archive.ancestry(p5.id)
    assert [p.id for p in ancestry] == [p3.id, p4.id, p1.id, p2.id]
    assert [p.evicted for p in ancestry] == [True, False, True, False]
    assert archive.ancestry(p1.id) == []
    assert archive.get_program(p5.id).parent_ids == (p3.id, p4.id)
    with pytest.raises(KeyError):
        archive.ancestry("missing")


def test_long_lineage_is_walked_in_one_pass_per_generation(archive):
    parent = add(archive, 0)
    for n in range(1, 60):
        parent = add(archive, n, [parent.id])
    assert [p.iteration for p in archive.ancestry(parent.id)] == list(range(58, -1, -1))


# --- evaluations, cells, ratings, islands, events, state ---------------------------------------------


def test_evaluations_round_trip(archive):
    p = add(archive, 1)
    train = {"b": {"score": 0.5, "bins": [3, 4]}, "a": {"score": np.float64(0.25), "n": np.int64(3)}}
    archive.add_evaluations(p.id, "train", train)
    archive.add_evaluations(p.id, "validation", {"c": {"score": None}})
    assert archive.evaluations(p.id) == {
        "train": {"a": {"score": 0.25, "n": 3}, "b": {"score": 0.5, "bins": [3, 4]}},
        "validation": {"c": {"score": None}},
    }
    assert archive.evaluations(p.id, "validation") == {"validation": {"c": {"score": None}}}
    assert archive.case_scores(p.id) == {"a": 0.25, "b": 0.5}
    archive.add_evaluations(p.id, "train", {"a": {"score": 1.0}})  # a re-evaluation replaces
    assert archive.case_scores(p.id) == {"a": 1.0, "b": 0.5}
    with pytest.raises(ValueError, match="'score'"):
        archive.add_evaluations(p.id, "train", {"a": {"reward": 1.0}})
    with pytest.raises(ValueError, match="split"):
        archive.add_evaluations(p.id, "test", {"a": {"score": 1.0}})
    with pytest.raises(ValueError, match="NaN"):
        archive.add_evaluations(p.id, "train", {"a": {"score": 1.0, "x": float("nan")}})
    with pytest.raises(KeyError):
        archive.add_evaluations("missing", "train", {"a": {"score": 1.0}})


def test_cells_round_trip(archive):
    p1, p2 = add(archive, 1), add(archive, 2)
    archive.set_cell("r", (3, 5), p1.id, 1.0, 1)
    archive.set_cell("r", (0, 0), p1.id, 1.0, 1)
    archive.set_cell("r", (3, 5), p2.id, 2.0, 2)
    assert archive.cells("r") == {(0, 0): (p1.id, 1.0), (3, 5): (p2.id, 2.0)}
    assert archive.cell_history("r") == [
        CellChange((3, 5), p1.id, 1.0, 1),
        CellChange((0, 0), p1.id, 1.0, 1),
        CellChange((3, 5), p2.id, 2.0, 2),
    ]
    assert archive.database["cells"].get(("r", "3,5"))["program_id"] == p2.id


def test_ratings_and_matches_round_trip(archive):
    p1, p2 = add(archive, 1), add(archive, 2)
    archive.set_rating(p1.id, 1508.0, 1, 3)
    archive.set_rating(p2.id, 1492.0, 1, 3)
    archive.set_rating(p1.id, 1515.5, 2, 4)
    assert archive.ratings("r") == {
        p1.id: Rating(p1.id, 1515.5, 2, 4),
        p2.id: Rating(p2.id, 1492.0, 1, 3),
    }
    assert archive.rating_history(p1.id) == [(3, 1508.0), (4, 1515.5)]
    matches = [Match("r", 3, p1.id, p2.id, "case1", 1.0), Match("r", 4, p1.id, p2.id, "case2", 0.5)]
    assert archive.add_matches(matches) == 2
    assert archive.matches("r") == matches
    assert archive.matches("r", iteration=4) == matches[1:]
    assert archive.add_matches([("r", 5, p2.id, p1.id, "case3", 0.0)]) == 1  # tuples in field order
    assert archive.matches("r", iteration=5) == [Match("r", 5, p2.id, p1.id, "case3", 0.0)]
    with pytest.raises(ValueError, match="result"):
        archive.add_matches([Match("r", 3, p1.id, p2.id, "c", 2.0)])


def test_islands_round_trip(archive):
    p1, p2 = add(archive, 1), add(archive, 2)
    archive.set_island_state("r", 0, 1, [p1.id], p1.id, 1.0)
    archive.set_island_state("r", 1, 1, [p2.id], p2.id, 2.0)
    archive.set_island_state("r", 0, 2, [p1.id, p2.id], p2.id, 2.0)
    archive.set_island_state("r", 1, 3, [], None, None)
    archive.set_island_state("r", 2, 3, [[p1.id, 1.0, [0.5, 0.25]]], p1.id, 1.0)  # richer member records
    assert archive.latest_islands("r") == {
        0: IslandState("r", 0, 2, (p1.id, p2.id), p2.id, 2.0),
        1: IslandState("r", 1, 3, (), None, None),
        2: IslandState("r", 2, 3, ([p1.id, 1.0, [0.5, 0.25]],), p1.id, 1.0),
    }
    assert [(s.island, s.iteration) for s in archive.island_history("r")] == [
        (0, 1),
        (1, 1),
        (0, 2),
        (1, 3),
        (2, 3),
    ]
    assert [s.iteration for s in archive.island_history("r", 1)] == [1, 3]


def test_events_and_state_round_trip(archive):
    first = archive.add_event("r", 1, "migration", {"from": 0, "to": 1, "ids": ("a",)})
    second = archive.add_event("r", 2, "reset", {})
    assert second > first
    events = archive.events("r")
    assert [(e.id, e.kind, e.data) for e in events] == [
        (first, "migration", {"from": 0, "to": 1, "ids": ["a"]}),
        (second, "reset", {}),
    ]
    assert [e.id for e in archive.events("r", kind="reset")] == [second]
    assert archive.load_state("r") is None
    rng_state = np.random.default_rng(5).bit_generator.state
    archive.save_state("r", 7, {"rng": rng_state, "counters": {"evals": 3}})
    archive.save_state("r", 8, {"rng": rng_state, "counters": {"evals": 4}})
    iteration, state = archive.load_state("r")
    assert iteration == 8 and state["counters"] == {"evals": 4}
    resumed = np.random.default_rng()
    resumed.bit_generator.state = state["rng"]
    assert resumed.random() == np.random.default_rng(5).random()
    with pytest.raises(ValueError, match="NaN or infinity"):
        archive.save_state("r", 9, {"best": float("-inf")})


# --- transactions ------------------------------------------------------------------------------------


def test_transaction_commits_atomically_and_rolls_back_on_error(archive):
    with archive.transaction():
        kept = add(archive, 1)
        archive.add_event("r", 1, "kept")
    with pytest.raises(RuntimeError), archive.transaction():
        lost = add(archive, 2, [kept.id])
        archive.set_cell("r", (0,), lost.id, 2.0, 2)
        archive.save_state("r", 2, {"x": 1})
        assert archive.in_transaction
        raise RuntimeError("boom")
    assert not archive.in_transaction
    assert [p.id for p in archive.programs("r")] == [kept.id]
    assert archive.cells("r") == {} and archive.load_state("r") is None
    assert [e.kind for e in archive.events("r")] == ["kept"]
    assert archive.children(kept.id) == []


def test_failed_write_inside_a_transaction_leaves_the_rest(archive):
    with archive.transaction():
        one = add(archive, 1)
        with pytest.raises(ValueError):
            add(archive, 1)  # refused: the transaction goes on
        with pytest.raises(RuntimeError), archive.transaction():  # a nested block is a savepoint
            add(archive, 2)
            raise RuntimeError
        add(archive, 3, [one.id])
    assert [p.iteration for p in archive.programs("r")] == [1, 3]


def test_uncommitted_work_is_invisible_to_other_readers_and_lost_on_close(tmp_path):
    path = tmp_path / "a.db"
    writer = Archive(path)
    writer.create_run("r", config={}, seed=0)
    reader = Archive(path)
    with writer.transaction():
        add(writer, 1)
        assert reader.programs("r") == []
    assert len(reader.programs("r")) == 1
    writer.database.begin()
    add(writer, 2)
    writer.close()
    assert len(reader.programs("r")) == 1
    reader.close()


def test_an_archive_made_before_the_llm_tables_gains_them_when_opened(tmp_path):
    path = tmp_path / "old.db"
    with Archive(path) as a:
        a.create_run("r", config={}, seed=1)
    db = sqlite_utils.Database(path)
    db["llm_calls"].drop()
    db["instructions"].drop()
    db["scenarios"].drop()
    db["quality_checks"].drop()
    db.close()
    with Archive(path) as a:
        assert {"llm_calls", "instructions", "scenarios", "quality_checks"} <= set(a.database.table_names())
        assert a.get_run("r").seed == 1 and a.llm_spending("r") == (0, 0.0)


def test_llm_calls_spending_and_key_history(tmp_path):
    with Archive(tmp_path / "a.db") as a:
        a.create_run("r", config={}, seed=1)
        call = {
            "backend": "gemini", "model": "m", "purpose": "program", "mode": "diff", "instruction_id": "i1",
            "attempt": 1, "key_index": 0, "prompt_tokens": 10, "completion_tokens": 5, "latency_s": 0.2,
            "cost_usd": 0.25, "outcome": "ok", "error": "", "program_id": None, "when": 1000.0,
        }  # fmt: skip
        refused = {
            **call,
            "attempt": 0,
            "key_index": None,
            "cost_usd": 0.0,
            "outcome": "budget",
            "when": 1002.0,
        }
        a.add_llm_calls("r", 3, [call, {**call, "key_index": 1, "when": 1001.0}, refused])
        assert a.llm_spending("r") == (2, 0.5)  # the refused call was never sent
        assert a.key_history("r", since=1000.5) == [(1, 1001.0)]
        assert [c["iteration"] for c in a.llm_calls("r")] == [3, 3, 3]
        a.set_instructions("r", [{"id": "i1", "text": "t", "parent_ids": (), "origin": "seed", "born": 0,
                                  "children": 2, "improved": 1, "retired": False}])  # fmt: skip
        a.set_instructions("r", [{"id": "i1", "text": "t", "parent_ids": (), "origin": "seed", "born": 0,
                                  "children": 3, "improved": 1, "retired": True}])  # fmt: skip
        assert a.instructions("r") == [
            {"id": "i1", "run_id": "r", "text": "t", "parent_ids": [], "origin": "seed", "born": 0,
             "children": 3, "improved": 1, "retired": 1}
        ]  # fmt: skip


def test_attacker_scenarios_are_stored_once_by_name(tmp_path):
    with Archive(tmp_path / "a.db") as a:
        a.create_run("r", config={}, seed=1)
        scenario = {"name": "attack-hard-0001", "level": "hard", "tasks": [1, 2]}
        assert a.add_scenario("r", 30, scenario, learnability=0.9, success_rate=0.5)
        assert not a.add_scenario("r", 40, {**scenario, "tasks": []}, learnability=0.1, success_rate=0.0)
        assert a.scenario("r", "attack-hard-0001") == scenario  # the first one stays
        assert a.scenario_rows("r") == [
            {"run_id": "r", "name": "attack-hard-0001", "iteration": 30, "level": "hard",
             "learnability": 0.9, "success_rate": 0.5}
        ]  # fmt: skip
        with pytest.raises(KeyError, match="no scenario 'nope'"):
            a.scenario("r", "nope")
