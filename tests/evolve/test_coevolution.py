"""Co-evolution inside the controller: attacker steps, the changing training set, the curriculum."""

from __future__ import annotations

import numpy as np
import pytest

from aurora_evo.archive import Archive
from aurora_evo.attacker.coevolution import Attacker
from aurora_evo.attacker.genome import ScenarioGenome
from aurora_evo.config import RunConfig, override
from aurora_evo.evolve import ARCHIVE_FILE, Evolution
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
    evolution = Evolution(config, path, resume=resume)
    try:
        return evolution.run(), evolution
    finally:
        evolution.close()


@pytest.fixture(scope="module")
def coevolved(tmp_path_factory):
    path = tmp_path_factory.mktemp("co") / "co"
    config = override(RunConfig(seed=2), **SMALL_CLOUD)
    _, evolution = run(config, path)
    return config, path, evolution


@pytest.mark.slow
def test_attacker_steps_are_recorded_and_feed_the_training_set(coevolved):
    config, path, evolution = coevolved
    with Archive(path / ARCHIVE_FILE) as archive:
        steps = archive.events("co", "attacker")
        assert [e.iteration for e in steps] == list(range(2, 17, 2))
        assert all(e.data["proposed"] == config.attacker.candidates for e in steps)
        changed = [e for e in steps if e.data["training_changed"]]
        assert changed, "some candidate should have been learnable"
        # The attacker's scenarios in the training set were scored for every island member.
        active = [s.name for s in evolution.attacker.training_scenarios()]
        assert set(active) <= {c.name for c in evolution.task.train}
        for member in (m for island in evolution.islands for m in island.members):
            assert set(active) <= set(archive.case_scores(member.program_id, "train"))
        # Quality control's monitoring is stored at every step: validation rate and refusals by layer.
        quality = archive.events("co", "quality")
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
def test_island_scores_are_means_over_the_current_training_set(coevolved):
    _, path, evolution = coevolved
    names = [case.name for case in evolution.task.train]
    with Archive(path / ARCHIVE_FILE) as archive:
        for island in evolution.islands:
            for member in island.members:
                scores = archive.case_scores(member.program_id, "train")
                assert member.score == pytest.approx(np.mean([scores[n] for n in names]))


@pytest.mark.slow
def test_a_resumed_coevolution_ends_where_an_uninterrupted_one_does(tmp_path, coevolved):
    config, _, evolution = coevolved
    parted = tmp_path / "co"
    run(override(config, **{"stop.max_iterations": 7}), parted)
    _, resumed = run(config, parted, resume=True)
    assert resumed.attacker.state() == evolution.attacker.state()
    assert [c.name for c in resumed.task.train] == [c.name for c in evolution.task.train]
    assert resumed.best == evolution.best
    # The stop criteria compare scores only since the training set last changed, resumed or not.
    assert resumed.best_history == evolution.best_history
    assert resumed._history_start == evolution._history_start


@pytest.mark.slow
def test_no_attacker_trains_on_the_seeds_only(tmp_path):
    config = override(
        RunConfig(seed=2), **(SMALL_CLOUD | {"attacker.enabled": False, "stop.max_iterations": 4})
    )
    _, evolution = run(config, tmp_path / "plain")
    assert evolution.attacker is None
    with Archive(tmp_path / "plain" / ARCHIVE_FILE) as archive:
        assert archive.events("plain", "attacker") == []


def test_bin_packing_runs_have_no_attacker(tmp_path):
    config = override(RunConfig(seed=1), **{"task.domain": "binpacking", "task.train_instances": 1,
                                            "task.train_items": 50, "task.validation_instances": 1,
                                            "task.validation_items": 50, "evaluation.full_warm_up": False})  # fmt: skip
    evolution = Evolution(config, tmp_path / "bp")
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
    attacker.level = "beyond"
    assert attacker.maybe_advance(1.0) is None  # the last level


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


def test_success_means_beating_best_fit_by_the_margin():
    attacker = Attacker(Domain.CLOUD, "easy", margin=0.01)
    ok = {"reward": 0.82, "sla_violation_rate": 0.0}
    assert attacker.succeeded(ok, {"reward": 0.80})
    assert not attacker.succeeded(ok, {"reward": 0.815})
    assert not attacker.succeeded({"reward": 0.95, "sla_violation_rate": 0.5}, {"reward": 0.5})  # SLA limit
    assert not attacker.succeeded({}, {"reward": 0.5})  # a failed evaluation


def test_the_attacker_state_round_trips():
    rng = np.random.default_rng(1)
    attacker = Attacker(Domain.CLOUD, "easy")
    candidates = [c for c in attacker.ask(rng) if c.accepted]
    metrics = {c.scenario.name: [{"reward": 0.9, "sla_violation_rate": 0.0}, {}] for c in candidates}
    attacker.tell(candidates, metrics, 1, ["a", "b"], {c.scenario.name: {"reward": 0.8} for c in candidates})
    again = Attacker(Domain.CLOUD, "easy")
    again.restore(attacker.state())
    assert again.state() == attacker.state()
    assert isinstance(again.population[0].genome, ScenarioGenome)


@pytest.mark.slow
def test_with_a_language_model_the_attacker_writes_scenarios_too(tmp_path):
    import json
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "mutators" / "llm"))
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
        calls = archive.llm_calls("llm-co")
        assert {c["purpose"] for c in calls} >= {"program", "scenario"}
        steps = archive.events("llm-co", "attacker")
        assert all(e.data["proposed"] == config.attacker.candidates + 1 for e in steps)


@pytest.mark.slow
def test_reopening_a_coevolved_run_keeps_its_best_and_its_history_window(coevolved):
    config, path, evolution = coevolved
    again = Evolution(config, path, resume=True)
    try:
        assert again.best == evolution.best
        assert again._history_start == evolution._history_start
        assert [c.name for c in again.task.train] == [c.name for c in evolution.task.train]
    finally:
        again.close()


def test_the_mutator_and_the_llm_attacker_share_one_key_pool(tmp_path):
    """A key's per-minute and per-day limits count every call made with it, whichever role made it."""
    config = override(
        RunConfig(seed=3),
        **(SMALL_CLOUD | {"mutators.kinds": ("llm", "gp"), "mutators.weights": (0.5, 0.5), "llm.models": ("m",),
                          "llm.base_url": "http://127.0.0.1:9/v1", "llm.requests_per_day": 10}),
    )  # fmt: skip
    evolution = Evolution(config, tmp_path / "shared")
    try:
        assert evolution.attacker.writer.caller.keys is evolution.mutators["llm"].caller.keys
    finally:
        evolution.close()
