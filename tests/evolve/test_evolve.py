"""The controller end to end on tiny runs: what the archive holds, reproducibility, resume, stopping."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

from aurora_evo.archive import Archive
from aurora_evo.config import override
from aurora_evo.domains import get_problem
from aurora_evo.evolver import build_evolver
from aurora_evo.program_text import normalise_source

sys.path.insert(0, str(Path(__file__).resolve().parent))
from archive_snapshot import snapshot


def run(config, path, resume: bool = False):
    evolution = build_evolver(config, path, resume=resume)
    try:
        reason = evolution.run()
    finally:
        evolution.close()
    return reason


def test_a_run_fills_every_part_of_the_archive(tmp_path, tiny_config):
    reason = run(tiny_config, tmp_path / "r")
    assert reason == "reached 8 iterations"
    with Archive(tmp_path / "r" / "archive.sqlite") as archive:
        assert archive.integrity_check() == "ok"
        programs = archive.programs.of_run("r")
        ok = [p for p in programs if p.outcome == "ok"]
        assert len(ok) >= 10
        children = [p for p in programs if p.iteration > 0]
        fresh = ("gp.random", "gp.seed", "edit.seed")  # made from nothing, when no parent suits
        assert children and all(p.parent_ids for p in children if p.mutator not in fresh)
        best = max(ok, key=lambda p: p.score)
        assert best.validation_score is not None  # a new best is scored on held-out cases
        assert archive.programs.evaluations(best.id)["validation"]
        assert archive.elites.cells("r") and archive.elites.ratings("r")
        assert set(archive.ledger.latest_islands("r")) == {0, 1, 2}
        kinds = {event.kind for event in archive.ledger.events("r")}
        assert {"iteration", "migration", "reset", "new_best"} <= kinds
        # Near-duplicates are refused before evaluation: no two stored programs normalise alike.
        normalised = [normalise_source(p.source) for p in programs]
        assert len(set(normalised)) == len(normalised)


def test_the_same_seed_with_one_worker_gives_the_same_archive(tmp_path, tiny_config):
    run(tiny_config, tmp_path / "a")
    run(tiny_config, tmp_path / "a2")
    first, second = snapshot(tmp_path / "a"), snapshot(tmp_path / "a2")
    # Program ids include the run id; compare everything else.
    assert [row[1:] for row in first["programs"]] == [row[1:] for row in second["programs"]]
    assert len(first["lineage"]) == len(second["lineage"]) and len(first["cells"]) == len(second["cells"])


def test_a_resumed_run_ends_where_an_uninterrupted_one_does(tmp_path, tiny_config):
    whole = tmp_path / "same"
    run(tiny_config, whole)
    expected = snapshot(whole)

    halves = tmp_path / "halves"
    halves.mkdir()
    parted = halves / "same"  # the same run id, so program ids match
    run(override(tiny_config, **{"stop.max_iterations": 4}), parted)
    run(tiny_config, parted, resume=True)
    assert snapshot(parted) == expected


def test_stop_criteria(tmp_path, tiny_config):
    evolution = build_evolver(override(tiny_config, **{"stop.max_iterations": None}), tmp_path / "s")
    try:
        assert evolution.stop_reason() is None
        evolution.population.best_history = [-5.0] * 60
        assert evolution.stop_reason() == "no improvement in 50 iterations"
        evolution.population.best_history = [-5.0 + 0.0001 * i for i in range(120)]
        assert evolution.stop_reason().startswith("less than 1% improvement in 100 iterations")
        evolution.population.best_history = [-5.0 + 0.1 * i for i in range(120)]
        assert evolution.stop_reason() is None
        evolution.config = override(evolution.config, **{"stop.target_score": -1.0})
        evolution.population.best = ("p", -0.5)
        assert evolution.stop_reason() == "reached the target score -1"
        evolution.config = override(evolution.config, **{"stop.max_cost_usd": 0.5})
        evolution.budget.cost_usd = 0.75
        assert evolution.stop_reason() == "spent the $0.5 budget"
        evolution.config = override(evolution.config, **{"stop.max_cost_usd": None, "stop.max_calls": 3})
        evolution.budget.calls = 3
        assert evolution.stop_reason() == "made the 3 LLM calls allowed"
    finally:
        evolution.close()


def test_validate_more_scores_one_program_per_training_score_the_smallest(tmp_path, tiny_config):
    run(tiny_config, tmp_path / "r")
    evolution = build_evolver(tiny_config, tmp_path / "r", resume=True, evolving=False)
    try:
        ran = [p for p in evolution.archive.programs.of_run("r") if p.outcome == "ok"]
        before = {p.id for p in ran if p.validation_score is not None}
        assert len({p.score for p in ran}) < len(ran)  # programs that tie, or the test shows nothing
        count = evolution.validate_more(10_000)
        validated = [p for p in evolution.archive.programs.of_run("r") if p.validation_score is not None]
    finally:
        evolution.close()
    scores = [p.score for p in validated]
    assert len(scores) == len(set(scores)) == len({p.score for p in ran})
    assert count == len(validated) - len(before)
    for program in validated:
        if program.id not in before:
            assert program.complexity == min(p.complexity for p in ran if p.score == program.score)


def test_a_run_folder_cannot_be_started_twice(tmp_path, tiny_config):
    run(override(tiny_config, **{"stop.max_iterations": 1}), tmp_path / "once")
    with pytest.raises(Exception, match="already"):
        build_evolver(tiny_config, tmp_path / "once")


def test_baseline_validation_scores_first_and_best_fit_on_the_held_out_cases(tiny_config, tmp_path):
    from aurora_evo.domains.binpacking import BEST_FIT_SOURCE, FIRST_FIT_SOURCE

    evolution = build_evolver(tiny_config, tmp_path / "run")
    try:
        baselines = evolution.baseline_validation()
        validation = evolution.cases.validation
    finally:
        evolution.close()
    assert list(baselines) == ["first fit", "best fit"]
    binpacking = get_problem("binpacking")
    assert baselines["first fit"] == binpacking.evaluate(FIRST_FIT_SOURCE, validation).score
    assert baselines["best fit"] == binpacking.evaluate(BEST_FIT_SOURCE, validation).score


def test_a_run_whose_every_candidate_fails_goes_on(tmp_path, tiny_config):
    # Nothing finishes within a microsecond: no best program, and the state must still save.
    config = override(tiny_config, **{"evaluation.timeout_s": 1e-6, "stop.max_iterations": 2})
    assert run(config, tmp_path / "failing") == "reached 2 iterations"
    with Archive(tmp_path / "failing" / "archive.sqlite") as archive:
        programs = archive.programs.of_run("failing")
        assert programs and all(p.outcome != "ok" for p in programs)
        assert archive.ledger.load_state("failing")[0] == 2


def test_a_renamed_run_folder_resumes_the_same_run(tmp_path, tiny_config):
    run(override(tiny_config, **{"stop.max_iterations": 2}), tmp_path / "before")
    (tmp_path / "before").rename(tmp_path / "after")
    run(override(tiny_config, **{"stop.max_iterations": 4}), tmp_path / "after", resume=True)
    with Archive(tmp_path / "after" / "archive.sqlite") as archive:
        assert [r.id for r in archive.runs.all()] == ["before"]
        assert archive.ledger.load_state("before")[0] == 4


def test_a_run_killed_before_its_archive_existed_resumes(tmp_path, tiny_config):
    from aurora_evo.config_files import save_config

    folder = tmp_path / "early"
    folder.mkdir()
    save_config(tiny_config, folder / "config.json")  # what a kill right after writing it leaves
    with pytest.raises(Exception, match="already holds a run"):
        build_evolver(tiny_config, folder)
    assert run(override(tiny_config, **{"stop.max_iterations": 1}), folder, resume=True)
    with Archive(folder / "archive.sqlite") as archive:
        assert archive.ledger.load_state("early")[0] == 1


def test_a_batch_smaller_than_the_islands_reaches_every_island(tmp_path, tiny_config):
    config = override(tiny_config, **{"batch": 1, "stop.max_iterations": 6})
    run(config, tmp_path / "small")
    with Archive(tmp_path / "small" / "archive.sqlite") as archive:
        islands = {p.island for p in archive.programs.of_run("small") if p.iteration > 0}
    assert islands == {0, 1, 2}


def test_elo_matches_do_not_depend_on_the_run_folder_name(tmp_path, tiny_config):
    def matches(name):
        run(tiny_config, tmp_path / name)
        with sqlite3.connect(tmp_path / name / "archive.sqlite") as db:
            source = dict(db.execute("select id, source from programs"))
            rows = db.execute("select iteration, program_a, program_b, case_name, result from matches")
            return sorted((i, source[a], source[b], c, r) for i, a, b, c, r in rows)

    assert matches("one") == matches("another")


def test_programs_pushed_off_every_island_are_marked_evicted(tmp_path, tiny_config):
    run(override(tiny_config, **{"stop.max_iterations": 12}), tmp_path / "e")
    with sqlite3.connect(tmp_path / "e" / "archive.sqlite") as db:
        ever = {
            pid
            for (members,) in db.execute("select members_json from islands")
            for pid, *_ in json.loads(members)
        }
        last = db.execute("select max(iteration) from islands").fetchone()[0]
        now = {
            pid
            for (members,) in db.execute("select members_json from islands where iteration = ?", [last])
            for pid, *_ in json.loads(members)
        }
        now |= {pid for (pid,) in db.execute("select program_id from cells")}
        evicted = {pid for (pid,) in db.execute("select id from programs where evicted")}
    # (A program can also come and go within one iteration, never seen in a saved island.)
    assert ever - now and ever - now <= evicted and not evicted & now


def test_a_run_draws_gp_constants_from_its_settings(tmp_path, tiny_config):
    # mutators.gp_constants and gp_p_constant reach the run's GP (the OR preset's 1-2-5 ladder).
    config = override(
        tiny_config,
        **{"stop.max_iterations": 2, "mutators.gp_constants": [123.0], "mutators.gp_p_constant": 1.0},
    )
    run(config, tmp_path / "r")
    with Archive(tmp_path / "r" / "archive.sqlite") as archive:
        genotypes = [p.genotype or "" for p in archive.programs.of_run("r") if p.mutator.startswith("gp.")]
    assert any("123.0" in g for g in genotypes)  # never drawn otherwise


def test_a_run_adds_rules_by_its_settings(tmp_path, tiny_config):
    # mutators.gp_rule_weight reaches the run's GP (the OR preset's rule mutation); none by default.
    def mutators(config) -> set[str]:
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        run(override(config, **{"stop.max_iterations": 3}), folder)
        with Archive(folder / "archive.sqlite") as archive:
            return {p.mutator for p in archive.programs.of_run(folder.name)}

    assert "gp.mutate_rule" not in mutators(tiny_config)
    assert "gp.mutate_rule" in mutators(override(tiny_config, **{"mutators.gp_rule_weight": 5.0}))


def test_with_the_policy_database_parents_come_from_the_elites(tmp_path, tiny_config):
    """``islands.elite_share = 1``: every proposal's parents are MAP-Elites elites (the ones at the time,
    so each parent was an elite at some point); at 0 the run is the islands-only one, draw for draw."""
    run(override(tiny_config, **{"islands.elite_share": 1.0}), tmp_path / "e")
    with Archive(tmp_path / "e" / "archive.sqlite") as archive:
        ever_elite = {change.program_id for change in archive.elites.cell_history("e")}
        children = [p for p in archive.programs.of_run("e") if p.iteration > 0 and p.parent_ids]
        assert children and all(set(p.parent_ids) <= ever_elite for p in children)
    run(override(tiny_config, **{"islands.elite_share": 0.0}), tmp_path / "z")
    run(tiny_config, tmp_path / "d")
    elites, zero, default = (snapshot(tmp_path / name)["programs"] for name in ("e", "z", "d"))
    assert [row[1:] for row in zero] == [row[1:] for row in default]
    assert [row[1:] for row in elites] != [row[1:] for row in default]
