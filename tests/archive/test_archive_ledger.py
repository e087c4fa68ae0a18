"""The ledger: islands, events, resumable state, LLM calls, instructions, attacker scenarios."""

from __future__ import annotations

import numpy as np
import pytest

from aurora_evo.archive import Archive, IslandState, ProgramRecord


def test_islands_round_trip(archive, add):
    p1, p2 = add(archive, 1), add(archive, 2)
    archive.ledger.set_island_state("r", 0, 1, [p1.id], p1.id, 1.0)
    archive.ledger.set_island_state("r", 1, 1, [p2.id], p2.id, 2.0)
    archive.ledger.set_island_state("r", 0, 2, [p1.id, p2.id], p2.id, 2.0)
    archive.ledger.set_island_state("r", 1, 3, [], None, None)
    archive.ledger.set_island_state(
        "r", 2, 3, [[p1.id, 1.0, [0.5, 0.25]]], p1.id, 1.0
    )  # richer member records
    assert archive.ledger.latest_islands("r") == {
        0: IslandState("r", 0, 2, (p1.id, p2.id), p2.id, 2.0),
        1: IslandState("r", 1, 3, (), None, None),
        2: IslandState("r", 2, 3, ([p1.id, 1.0, [0.5, 0.25]],), p1.id, 1.0),
    }
    assert [(s.island, s.iteration) for s in archive.ledger.island_history("r")] == [
        (0, 1),
        (1, 1),
        (0, 2),
        (1, 3),
        (2, 3),
    ]
    assert [s.iteration for s in archive.ledger.island_history("r", 1)] == [1, 3]


def test_events_and_state_round_trip(archive):
    first = archive.ledger.add_event("r", 1, "migration", {"from": 0, "to": 1, "ids": ("a",)})
    second = archive.ledger.add_event("r", 2, "reset", {})
    assert second > first
    events = archive.ledger.events("r")
    assert [(e.id, e.kind, e.data) for e in events] == [
        (first, "migration", {"from": 0, "to": 1, "ids": ["a"]}),
        (second, "reset", {}),
    ]
    assert [e.id for e in archive.ledger.events("r", kind="reset")] == [second]
    assert archive.ledger.load_state("r") is None
    rng_state = np.random.default_rng(5).bit_generator.state
    archive.ledger.save_state("r", 7, {"rng": rng_state, "counters": {"evals": 3}})
    archive.ledger.save_state("r", 8, {"rng": rng_state, "counters": {"evals": 4}})
    iteration, state = archive.ledger.load_state("r")
    assert iteration == 8 and state["counters"] == {"evals": 4}
    resumed = np.random.default_rng()
    resumed.bit_generator.state = state["rng"]
    assert resumed.random() == np.random.default_rng(5).random()
    with pytest.raises(ValueError, match="NaN or infinity"):
        archive.ledger.save_state("r", 9, {"best": float("-inf")})


def test_llm_calls_spending_and_key_history(tmp_path):
    with Archive(tmp_path / "a.db") as a:
        a.runs.create("r", config={}, seed=1)
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
        ids = a.ledger.add_llm_calls("r", 3, [call, {**call, "key_index": 1, "when": 1001.0}, refused])
        program = a.programs.add(
            ProgramRecord.new("r", "def f(): pass", mutator="llm", iteration=3, outcome="ok")
        )
        assert a.ledger.llm_call_of(program.id) is None
        a.ledger.link_llm_call(ids[1], program.id)
        a.ledger.link_llm_call(ids[0], program.id)
        assert a.ledger.llm_call_of(program.id)["id"] == ids[0]  # the first call that made it
        with pytest.raises(KeyError):
            a.ledger.link_llm_call(ids[2], "missing")
        assert a.ledger.llm_spending("r") == (2, 0.5)  # the refused call was never sent
        assert a.ledger.key_history("r", since=1000.5) == [(1, 1001.0)]
        assert [c["iteration"] for c in a.ledger.llm_calls("r")] == [3, 3, 3]
        a.ledger.set_instructions("r", [{"id": "i1", "text": "t", "parent_ids": (), "origin": "seed", "born": 0,
                                  "children": 2, "improved": 1, "retired": False}])  # fmt: skip
        a.ledger.set_instructions("r", [{"id": "i1", "text": "t", "parent_ids": (), "origin": "seed", "born": 0,
                                  "children": 3, "improved": 1, "retired": True}])  # fmt: skip
        assert a.ledger.instructions("r") == [
            {"id": "i1", "run_id": "r", "text": "t", "parent_ids": [], "origin": "seed", "born": 0,
             "children": 3, "improved": 1, "retired": 1}
        ]  # fmt: skip


def test_attacker_scenarios_are_stored_once_by_name(tmp_path):
    with Archive(tmp_path / "a.db") as a:
        a.runs.create("r", config={}, seed=1)
        scenario = {"name": "attack-hard-0001", "level": "hard", "tasks": [1, 2]}
        assert a.ledger.add_scenario("r", 30, scenario, learnability=0.9, success_rate=0.5)
        assert not a.ledger.add_scenario(
            "r", 40, {**scenario, "tasks": []}, learnability=0.1, success_rate=0.0
        )
        assert a.ledger.scenario("r", "attack-hard-0001") == scenario  # the first one stays
        assert a.ledger.scenario_rows("r") == [
            {"run_id": "r", "name": "attack-hard-0001", "iteration": 30, "level": "hard",
             "learnability": 0.9, "success_rate": 0.5}
        ]  # fmt: skip
        with pytest.raises(KeyError, match="no scenario 'nope'"):
            a.ledger.scenario("r", "nope")
