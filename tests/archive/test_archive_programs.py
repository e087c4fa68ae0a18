"""The program store: programs, lineage and evaluations round trip; refusals change nothing."""

from __future__ import annotations

import numpy as np
import pytest

from aurora_evo.archive import ProgramRecord, program_id, source_hash
from aurora_evo.outcome import Outcome


def test_program_round_trip(archive, add, source):
    seed = add(archive, 1)
    record = ProgramRecord.new(
        "r",
        source(2),
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
    stored = archive.programs.add(record)
    assert stored == record
    got = archive.programs.get(record.id)
    assert got == record and got.outcome is Outcome.OK and got.parent_ids == (seed.id,)
    assert record.id == program_id("r", source(2)) and record.source_hash == source_hash(source(2))
    assert archive.programs.find_by_hash("r", source_hash(source(2))) == record
    assert archive.programs.find_by_hash("r", source_hash("x")) is None
    archive.programs.set_validation_score(record.id, 0.75)
    assert archive.programs.get(record.id).validation_score == 0.75


def test_failed_program_keeps_its_outcome(archive, add):
    failed = add(archive, 3, outcome=Outcome.TIMEOUT, score=None, message="killed at 2 s")
    got = archive.programs.get(failed.id)
    assert (got.outcome, got.score, got.message) == (Outcome.TIMEOUT, None, "killed at 2 s")


def test_programs_filters_and_orders(archive, add, source):
    for n in (3, 1, 2):
        add(archive, n, island=n % 2)
    add(archive, 4, outcome=Outcome.CRASHED, score=None, island=0)
    ids = {n: program_id("r", source(n)) for n in range(1, 5)}
    assert [p.id for p in archive.programs.of_run("r")] == [ids[3], ids[1], ids[2], ids[4]]
    assert [p.id for p in archive.programs.of_run("r", order_by_score=True)] == [
        ids[3],
        ids[2],
        ids[1],
        ids[4],
    ]
    assert [p.id for p in archive.programs.of_run("r", order_by_score=True, limit=2)] == [ids[3], ids[2]]
    assert [p.id for p in archive.programs.of_run("r", outcome="crashed")] == [ids[4]]
    assert [p.id for p in archive.programs.of_run("r", island=1)] == [ids[3], ids[1]]
    archive.programs.set_evicted([ids[3]])
    assert ids[3] not in [p.id for p in archive.programs.of_run("r", include_evicted=False)]
    assert archive.programs.get(ids[3]).evicted
    archive.programs.set_evicted([ids[3]], False)
    assert not archive.programs.get(ids[3]).evicted
    assert archive.programs.of_run("other") == []


def test_add_program_refusals(archive, add, source):
    one = add(archive, 1)
    with pytest.raises(ValueError, match="find_by_hash"):
        add(archive, 1)
    with pytest.raises(KeyError, match="add parents before"):
        add(archive, 2, parents=["missing"])
    with pytest.raises(KeyError, match=r"runs\.create"):
        archive.programs.add(ProgramRecord.new("nope", source(5), mutator="m", iteration=0, outcome="ok"))
    with pytest.raises(ValueError, match="itself"):
        archive.programs.add(
            ProgramRecord.new("r", source(6), mutator="m", iteration=0, outcome="ok"),
            [program_id("r", source(6))],
        )
    record = ProgramRecord.new("r", source(7), mutator="m", iteration=0, outcome="ok", parent_ids=[one.id])
    with pytest.raises(ValueError, match="differ"):
        archive.programs.add(record, ["x"])
    with pytest.raises(KeyError):
        archive.programs.set_evicted([one.id, "missing"])
    assert not archive.programs.get(one.id).evicted  # the failed call changed nothing
    with pytest.raises(KeyError):
        archive.programs.set_validation_score("missing", 1.0)
    assert [p.id for p in archive.programs.of_run("r")] == [one.id]
    assert not hasattr(archive, "delete_program")


def test_lineage_and_ancestry_with_evicted_ancestors(archive, add, source):
    #   1   2
    #   |\ /
    #   3 4      (4 = crossover of 1 and 2, 1 given twice)
    #    \|
    #     5
    p1, p2 = add(archive, 1), add(archive, 2)
    p3 = add(archive, 3, [p1.id])
    p4 = archive.programs.add(
        ProgramRecord.new("r", source(4), mutator="x", iteration=4, outcome="ok"), [p1.id, p2.id, p1.id]
    )
    p5 = add(archive, 5, [p3.id, p4.id])
    archive.programs.set_evicted([p1.id, p3.id])
    assert p4.parent_ids == (p1.id, p2.id)
    assert [p.id for p in archive.programs.parents(p5.id)] == [p3.id, p4.id]
    assert [p.id for p in archive.programs.parents(p4.id)] == [p1.id, p2.id]
    assert [p.id for p in archive.programs.children(p1.id)] == [p3.id, p4.id]
    assert archive.programs.children(p5.id) == []
    ancestry = archive.programs.ancestry(p5.id)
    assert [p.id for p in ancestry] == [p3.id, p4.id, p1.id, p2.id]
    assert [p.evicted for p in ancestry] == [True, False, True, False]
    assert archive.programs.ancestry(p1.id) == []
    assert archive.programs.get(p5.id).parent_ids == (p3.id, p4.id)
    assert [tuple(row.values()) for row in archive.programs.lineage_rows("r")] == [
        (p3.id, p1.id, 0),
        (p4.id, p1.id, 0),
        (p4.id, p2.id, 1),
        (p5.id, p3.id, 0),
        (p5.id, p4.id, 1),
    ]
    assert archive.programs.lineage_rows("other") == []
    with pytest.raises(KeyError):
        archive.programs.ancestry("missing")


def test_long_lineage_is_walked_in_one_pass_per_generation(archive, add):
    parent = add(archive, 0)
    for n in range(1, 60):
        parent = add(archive, n, [parent.id])
    assert [p.iteration for p in archive.programs.ancestry(parent.id)] == list(range(58, -1, -1))


def test_evaluations_round_trip(archive, add):
    p = add(archive, 1)
    train = {"b": {"score": 0.5, "bins": [3, 4]}, "a": {"score": np.float64(0.25), "n": np.int64(3)}}
    archive.programs.add_evaluations(p.id, "train", train)
    archive.programs.add_evaluations(p.id, "validation", {"c": {"score": None}})
    assert archive.programs.evaluations(p.id) == {
        "train": {"a": {"score": 0.25, "n": 3}, "b": {"score": 0.5, "bins": [3, 4]}},
        "validation": {"c": {"score": None}},
    }
    assert archive.programs.evaluations(p.id, "validation") == {"validation": {"c": {"score": None}}}
    assert archive.programs.case_scores(p.id) == {"a": 0.25, "b": 0.5}
    archive.programs.add_evaluations(p.id, "train", {"a": {"score": 1.0}})  # a re-evaluation replaces
    assert archive.programs.case_scores(p.id) == {"a": 1.0, "b": 0.5}
    assert archive.programs.evaluation_rows("r", "validation") == [
        {
            "program_id": p.id,
            "split": "validation",
            "case_name": "c",
            "score": None,
            "metrics": {"score": None},
        }
    ]
    assert [(r["split"], r["case_name"], r["metrics"]) for r in archive.programs.evaluation_rows("r")] == [
        ("train", "a", {"score": 1.0}),
        ("train", "b", {"score": 0.5, "bins": [3, 4]}),
        ("validation", "c", {"score": None}),
    ]
    with pytest.raises(ValueError, match="'score'"):
        archive.programs.add_evaluations(p.id, "train", {"a": {"reward": 1.0}})
    with pytest.raises(ValueError, match="split"):
        archive.programs.add_evaluations(p.id, "test", {"a": {"score": 1.0}})
    with pytest.raises(ValueError, match="NaN"):
        archive.programs.add_evaluations(p.id, "train", {"a": {"score": 1.0, "x": float("nan")}})
    with pytest.raises(KeyError):
        archive.programs.add_evaluations("missing", "train", {"a": {"score": 1.0}})
