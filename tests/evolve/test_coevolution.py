"""Co-evolution inside the controller: attacker steps, the changing training set, the curriculum."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from aurora_evo.archive import Archive
from aurora_evo.attacker.coevolution import Attacker
from aurora_evo.attacker.generate import generate_scenarios
from aurora_evo.attacker.genome import ScenarioGenome
from aurora_evo.config import RunConfig, override
from aurora_evo.evolver import build_evolver
from aurora_evo.island_model import Member
from aurora_evo.run_folder import ARCHIVE_FILE
from aurora_evo.scenario.io import scenario_from_dict, scenario_to_dict
from aurora_evo.scenario.model import Domain

SMALL_CLOUD = {
    "task.levels": ("easy",),
    "islands.islands": 3,
    "islands.population": 5,
    "stop.max_iterations": 16,
    "stop.patience": None,
    "stop.window": None,
    "evaluation.full_warm_up": False,
    "attacker.interval": 2,
}


def run(config, path, *, resume=False):
    evolution = build_evolver(config, path, resume=resume)
    try:
        return evolution.run(), evolution
    finally:
        evolution.close()


@pytest.fixture(scope="module")
def coevolved(tmp_path_factory):
    path = tmp_path_factory.mktemp("co") / "co"
    config = override(RunConfig(seed=3), **SMALL_CLOUD)
    _, evolution = run(config, path)
    return config, path, evolution


@pytest.mark.slow
def test_attacker_steps_are_recorded_and_feed_the_training_set(coevolved):
    config, path, evolution = coevolved
    with Archive(path / ARCHIVE_FILE) as archive:
        steps = archive.ledger.events("co", "attacker")
        assert [e.iteration for e in steps] == list(range(2, 17, 2))
        assert all(e.data["proposed"] == config.attacker.candidates for e in steps)
        changed = [e for e in steps if e.data["training_changed"]]
        assert changed, "some candidate should have been learnable"
        # The attacker's scenarios in the training set were scored for every island member.
        active = [s.name for s in evolution.attacker.training_scenarios()]
        assert set(active) <= {c.name for c in evolution.cases.train}
        for member in (m for island in evolution.islands for m in island.members):
            assert set(active) <= set(archive.programs.case_scores(member.program_id, "train"))
        # Quality control's monitoring is stored at every step: validation rate and refusals by layer.
        quality = archive.ledger.events("co", "quality")
        assert [e.iteration for e in quality] == [e.iteration for e in steps]
        last = quality[-1].data
        assert last["checked"] == sum(e.data["proposed"] for e in steps)
        assert last["accepted"] == last["checked"] - sum(e.data["refused"] for e in steps)
        # Each scenario in the training set carries its Elo rating from its matches against the elites.
        for event in changed:
            assert set(event.data["scenario_elo"]) == set(event.data["active"])
        # Every refused candidate names its layers.
        for event in steps:
            assert sum(event.data["refusals"].values()) >= event.data["refused"]
            assert len(event.data["reasons"]) == event.data["refused"]


@pytest.mark.slow
def test_the_curriculum_climbs_with_the_defender_near_the_sweet_spot(coevolved):
    """Easy scenarios are passed (every sensible program ties best fit there); at the levels above,
    the elites succeed on some of the new scenarios and fail on others."""
    _, path, _ = coevolved
    with Archive(path / ARCHIVE_FILE) as archive:
        advances = archive.ledger.events("co", "curriculum")
        steps = archive.ledger.events("co", "attacker")
    ranks = [e.data["level_rank"] for e in advances]
    assert ranks and ranks == sorted(ranks) and ranks[0] == 1  # easy -> medium first, then upwards
    above_easy = [  # None: no candidate of the step passed quality control
        e.data["mean_success"]
        for e in steps
        if e.data["level"] != "easy" and e.data["mean_success"] is not None
    ]
    assert 0.2 <= np.mean(above_easy) <= 0.9
    assert any(0 < rate < 1 for rate in above_easy)


@pytest.mark.slow
def test_island_scores_weigh_the_seed_and_attacker_scenarios_of_the_current_training_set(coevolved):
    config, path, evolution = coevolved
    attack = {case.name for case in evolution.attacker.training_scenarios()}
    seeds = [case.name for case in evolution.cases.train if case.name not in attack]
    assert attack, "the run should end with attacker scenarios in training"
    weight = config.attacker.weight
    with Archive(path / ARCHIVE_FILE) as archive:
        for island in evolution.islands:
            for member in island.members:
                scores = archive.programs.case_scores(member.program_id, "train")
                expected = (1 - weight) * np.mean([scores[n] for n in seeds]) + weight * np.mean(
                    [scores[n] for n in attack]
                )
                assert member.score == pytest.approx(expected)


def test_the_training_score_gives_the_attacker_scenarios_their_weight(tmp_path):
    config = override(RunConfig(seed=2), **(SMALL_CLOUD | {"attacker.weight": 0.25}))
    evolution = build_evolver(config, tmp_path / "w")
    try:
        scores = {"seed-a": 0.8, "seed-b": 0.6, "attack-1": 0.2, "attack-2": 0.4}
        assert evolution.training.score(scores, plain=0.5) == 0.5  # no attacker scenario in training
        drawn = generate_scenarios("easy", 2, np.random.default_rng(0), domain=Domain.CLOUD)
        evolution.training.train_on(
            [dataclasses.replace(s, name=f"attack-{i}") for i, (s, _) in enumerate(drawn, 1)]
        )
        assert evolution.training.score(scores, plain=0.5) == pytest.approx(0.75 * 0.7 + 0.25 * 0.3)
        assert evolution.training.score({"attack-1": 0.2}, plain=0.2) == 0.2  # nothing else to weigh
    finally:
        evolution.close()


@pytest.mark.slow
def test_a_resumed_coevolution_ends_where_an_uninterrupted_one_does(tmp_path, coevolved):
    config, _, evolution = coevolved
    parted = tmp_path / "co"
    run(override(config, **{"stop.max_iterations": 7}), parted)
    _, resumed = run(config, parted, resume=True)
    assert resumed.attacker.state() == evolution.attacker.state()
    # Quality control's monitoring goes on from the stored checks, as if never stopped.
    assert resumed.attacker.monitor.summary() == evolution.attacker.monitor.summary()
    assert [c.name for c in resumed.cases.train] == [c.name for c in evolution.cases.train]
    assert resumed.best == evolution.best
    # The stop criteria compare scores only since the training set last changed, resumed or not.
    assert resumed.population.best_history == evolution.population.best_history
    assert resumed.population.history_start == evolution.population.history_start


@pytest.mark.slow
def test_no_attacker_trains_on_the_seeds_only(tmp_path):
    config = override(
        RunConfig(seed=2), **(SMALL_CLOUD | {"attacker.enabled": False, "stop.max_iterations": 4})
    )
    _, evolution = run(config, tmp_path / "plain")
    assert evolution.attacker is None
    with Archive(tmp_path / "plain" / ARCHIVE_FILE) as archive:
        assert archive.ledger.events("plain", "attacker") == []


def test_bin_packing_runs_have_no_attacker(tmp_path):
    config = override(RunConfig(seed=1), **{"task.domain": "binpacking", "task.train_instances": 1,
                                            "task.train_items": 50, "task.validation_instances": 1,
                                            "task.validation_items": 50, "evaluation.full_warm_up": False})  # fmt: skip
    evolution = build_evolver(config, tmp_path / "bp")
    try:
        assert evolution.attacker is None
    finally:
        evolution.close()


def test_the_curriculum_advances_when_the_defender_succeeds_often_enough():
    attacker = Attacker(Domain.CLOUD, "easy", advance_share=0.7)
    attacker.active = ["placeholder"]  # cleared on advancing
    assert attacker.maybe_advance(0.69) is None and attacker.level == "easy"
    assert attacker.maybe_advance(0.7) == "medium"
    assert attacker.level == "medium" and attacker.active == [] and attacker.population == []
    assert attacker.mastered == "easy"
    attacker.level = "beyond"
    assert attacker.maybe_advance(0.5) is None and attacker.mastered == "easy"
    assert attacker.maybe_advance(1.0) is None  # the last level: mastered, nowhere to go
    assert attacker.level == "beyond" and attacker.mastered == "beyond"


def test_a_run_stops_once_the_defender_masters_the_curriculum_level(tmp_path):
    config = override(RunConfig(seed=2), **(SMALL_CLOUD | {"stop.curriculum_level": "medium"}))
    evolution = build_evolver(config, tmp_path / "m")
    try:
        assert evolution.stop_reason() is None
        evolution.attacker.mastered = "easy"
        assert evolution.stop_reason() is None
        evolution.attacker.mastered = "medium"
        assert evolution.stop_reason() == "the defender mastered the medium curriculum level"
    finally:
        evolution.close()


def test_learnable_scenarios_enter_the_training_set_and_unlearnable_ones_do_not():
    rng = np.random.default_rng(0)
    attacker = Attacker(Domain.CLOUD, "easy", candidates=3, active=2)
    candidates = [c for c in attacker.ask(rng) if c.accepted]
    assert candidates
    beat, lose = {"reward": 0.9, "sla_violation_rate": 0.0}, {"reward": 0.5, "sla_violation_rate": 0.0}
    baseline = {c.scenario.name: {"reward": 0.8} for c in candidates}
    first = candidates[0].scenario.name
    # Elites split on the first candidate (learnable), all fail on the others (not learnable).
    metrics = {
        c.scenario.name: [beat, lose] if c.scenario.name == first else [lose, lose] for c in candidates
    }
    step = attacker.tell(candidates, metrics, 3, ["p1", "p2"], baseline)
    assert step.active == [first] and step.training_changed
    assert step.learnability[0] == pytest.approx(1.0)  # 1 of 2 elites: the sweet spot
    # The scenario beat p2 and lost to p1: Elo moved both ways.
    assert attacker.ratings["program:p1"] > attacker.ratings["program:p2"]


def test_success_means_matching_best_fit_plus_the_margin():
    attacker = Attacker(Domain.CLOUD, "easy", margin=0.01)
    ok = {"reward": 0.82, "sla_violation_rate": 0.0}
    assert attacker.succeeded(ok, {"reward": 0.80})
    assert attacker.succeeded(ok, {"reward": 0.81})
    assert not attacker.succeeded(ok, {"reward": 0.815})
    assert not attacker.succeeded({"reward": 0.95, "sla_violation_rate": 0.5}, {"reward": 0.5})  # SLA limit
    assert not attacker.succeeded({}, {"reward": 0.5})  # a failed evaluation


def test_a_tie_with_best_fit_is_a_success():
    """On easy scenarios every sensible program places every task as best fit does: ties must count,
    or nothing is ever learnable there and the curriculum never leaves the easy level."""
    attacker = Attacker(Domain.CLOUD, "easy")
    tie = {"reward": 0.8, "sla_violation_rate": 0.0}
    assert attacker.succeeded(tie, {"reward": 0.8})
    assert attacker.succeeded(tie, {"reward": 0.8 + 1e-12})  # float noise
    assert not attacker.succeeded(tie, {"reward": 0.8001})


def test_the_attacker_state_round_trips():
    rng = np.random.default_rng(1)
    attacker = Attacker(Domain.CLOUD, "easy")
    candidates = [c for c in attacker.ask(rng) if c.accepted]
    metrics = {c.scenario.name: [{"reward": 0.9, "sla_violation_rate": 0.0}, {}] for c in candidates}
    attacker.tell(candidates, metrics, 1, ["a", "b"], {c.scenario.name: {"reward": 0.8} for c in candidates})
    again = Attacker(Domain.CLOUD, "easy")
    stored = {a.scenario.name: a.scenario for a in attacker.active}
    assert stored, "a learnable candidate should be training"
    again.restore(attacker.state(), stored.__getitem__)
    assert again.state() == attacker.state()
    assert [a.scenario for a in again.active] == [a.scenario for a in attacker.active]
    assert isinstance(again.population[0].genome, ScenarioGenome)


def test_the_training_scenarios_are_stored_once_not_in_every_state(coevolved):
    _, path, evolution = coevolved
    with Archive(path / ARCHIVE_FILE) as archive:
        _, state = archive.ledger.load_state("co")
        assert all("scenario" not in a for a in state["attacker"]["active"])  # named only
        stored = {row["name"]: row for row in archive.ledger.scenario_rows("co")}
        for active in evolution.attacker.active:
            assert stored[active.scenario.name]["iteration"] == active.born
            restored = scenario_from_dict(archive.ledger.scenario("co", active.scenario.name))
            assert scenario_to_dict(restored) == scenario_to_dict(active.scenario)
        # Every scenario that trained, once (a step that moves the curriculum on clears the set).
        advanced = {e.iteration for e in archive.ledger.events("co", "curriculum")}
        entered = {
            n
            for e in archive.ledger.events("co", "attacker")
            if e.iteration not in advanced
            for n in e.data["active"]
        }
        assert entered and set(stored) == entered


@pytest.mark.slow
def test_with_a_language_model_the_attacker_writes_scenarios_too(tmp_path):
    import json
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "llm"))
    from servers import LoopbackServer, openai_reply

    spec = ScenarioGenome.random("easy", np.random.default_rng(5), domain=Domain.CLOUD).as_dict()
    program = "Prefer the emptiest node.\n\n```python\ndef priority(task, nodes):\n    return nodes[:, 1] * 1.0\n```\n"

    def answer(record):
        if "response_format" in (record["json"] or {}):  # the attacker's structured request
            return openai_reply(json.dumps({**spec, "rationale": "a small cluster under a bursty load"}))
        return openai_reply(program)

    with LoopbackServer("openai", answer) as server:
        config = override(
            RunConfig(seed=3),
            **(SMALL_CLOUD | {"mutators.kinds": ("llm", "gp"), "mutators.weights": (0.5, 0.5),
                              "llm.models": ("m",), "llm.base_url": server.base_url, "stop.max_iterations": 4}),
        )  # fmt: skip
        run(config, tmp_path / "llm-co")
        structured = [r for r in server.requests if "response_format" in (r["json"] or {})]
    assert len(structured) >= 2  # one per attacker step (iterations 2 and 4), more if QC refused one
    with Archive(tmp_path / "llm-co" / ARCHIVE_FILE) as archive:
        calls = archive.ledger.llm_calls("llm-co")
        assert {c["purpose"] for c in calls} >= {"program", "scenario"}
        steps = archive.ledger.events("llm-co", "attacker")
        assert all(e.data["proposed"] == config.attacker.candidates + 1 for e in steps)


@pytest.mark.slow
def test_reopening_a_coevolved_run_keeps_its_best_and_its_history_window(coevolved):
    config, path, evolution = coevolved
    again = build_evolver(config, path, resume=True)
    try:
        assert again.best == evolution.best
        assert again.population.history_start == evolution.population.history_start
        assert [c.name for c in again.cases.train] == [c.name for c in evolution.cases.train]
    finally:
        again.close()


def test_the_mutator_and_the_llm_attacker_share_one_key_pool(tmp_path):
    """A key's per-minute and per-day limits count every call made with it, whichever role made it."""
    config = override(
        RunConfig(seed=3),
        **(SMALL_CLOUD | {"mutators.kinds": ("llm", "gp"), "mutators.weights": (0.5, 0.5), "llm.models": ("m",),
                          "llm.base_url": "http://127.0.0.1:9/v1", "llm.requests_per_day": 10}),
    )  # fmt: skip
    evolution = build_evolver(config, tmp_path / "shared")
    try:
        assert evolution.attacker.writer.caller.keys is evolution.mutators["llm"].caller.keys
    finally:
        evolution.close()


def test_the_elites_are_the_islands_best_programs_first(tmp_path):
    config = override(RunConfig(seed=3), **SMALL_CLOUD)
    evolution = build_evolver(config, tmp_path / "e")
    try:
        first, second, third = evolution.islands
        first.members = [Member("a", 0.9, ()), Member("b", 0.8, ())]
        second.members = [Member("c", 0.5, ()), Member("a", 0.4, ())]
        third.members = []
        assert evolution.population.elites(2) == ["a", "c"]  # not the first island's runner-up
        assert evolution.population.elites(5) == ["a", "c", "b"]
    finally:
        evolution.close()


@pytest.mark.slow
def test_rescoring_on_a_new_training_set_keeps_islands_best_first_and_validates_the_new_best(tmp_path):
    """The island's best and worst are read off its ends, so new scores must reorder its members."""
    config = override(RunConfig(seed=3), **SMALL_CLOUD)
    evolution = build_evolver(config, tmp_path / "r")
    try:
        evolution.initialise()
        for _ in range(6):
            evolution.step()
        # Two hard scenarios on which this run's best loses its place (drawn with a generator chosen so).
        rng = np.random.default_rng(0)
        hard = [scenario for scenario, _ in generate_scenarios("hard", 2, rng, domain=Domain.CLOUD)]
        before = {m.program_id: m.score for island in evolution.islands for m in island.members}
        best_before = evolution.best
        fresh = evolution.coevolution.set_training(evolution, hard)
        after = {m.program_id: m.score for island in evolution.islands for m in island.members}
        kept = list(after)  # the members that ran on the new scenarios
        assert sorted(kept, key=before.get, reverse=True) != sorted(kept, key=after.get, reverse=True), (
            "the new scenarios should reorder some programs"
        )
        for island in evolution.islands:
            scores = [m.score for m in island.members]
            assert scores == sorted(scores, reverse=True)
        # The rescoring named a new best; storing the step scores it on the held-out cases too.
        assert evolution.best[0] != best_before[0]
        assert evolution.archive.programs.get(evolution.best[0]).validation_score is None
        with evolution.archive.transaction():
            evolution.coevolution.store(
                evolution, {"rescored": fresh, "checks": [], "event": {}, "advanced": None}
            )
        assert evolution.archive.programs.get(evolution.best[0]).validation_score is not None
    finally:
        evolution.close()


def test_the_attacker_redraws_a_genome_whose_draw_misses_its_level():
    """A genome's targets are met only on average; a draw that misses the level is drawn again."""
    fitting = {}
    for redraws in (1, 4):
        attacker = Attacker(Domain.CLOUD, "easy", candidates=10, redraws=redraws)
        rng = np.random.default_rng(0)
        candidates = attacker.ask(rng) + attacker.ask(rng)
        fitting[redraws] = sum(c.report.verdicts[-1].passed for c in candidates)
        assert all(str(c.report.verdicts[-1].layer) == "complexity" for c in candidates)
    assert fitting[1] < 20 and fitting[4] == 20


@pytest.mark.slow
def test_analysis_reads_the_attackers_scenarios_and_quality_checks(coevolved):
    from aurora_evo.analysis import load_run

    _, path, evolution = coevolved
    with load_run(path) as run:
        checks = run.quality_checks()
        steps = run.events("attacker")
        assert len(checks) == sum(d["proposed"] for d in steps.data)
        assert (~checks.passed).sum() == sum(d["refused"] for d in steps.data)
        assert set(checks.iteration) <= set(steps.iteration)
        scenarios = run.attacker_scenarios()
        assert {a.scenario.name for a in evolution.attacker.active} <= set(scenarios.name)
        assert scenarios.learnability.between(0, 1).all() and scenarios.level.notna().all()
