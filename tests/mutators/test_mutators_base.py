"""The Mutator base class: a mutator that defines only propose() and seeds() gets hooks that do nothing,
and the controller runs it exactly as it runs the built-in mutators."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from aurora_evo.config import RunConfig, override
from aurora_evo.contracts import Contract
from aurora_evo.evolve import Evolution
from aurora_evo.mutators import EditMutator, Mutator, Parent, Proposal

#: A bin-packing run of a few seconds with source edits only.
EDITS_ONLY = {
    "task.domain": "binpacking",
    "task.train_instances": 2,
    "task.train_items": 200,
    "task.validation_instances": 1,
    "task.validation_items": 300,
    "islands.islands": 2,
    "islands.population": 4,
    "mutators.kinds": ("edit",),
    "mutators.weights": (1.0,),
    "evaluation.full_warm_up": False,
}


class OnlyProposes(Mutator):
    """Source edits through an :class:`EditMutator`, defining nothing but ``propose`` and ``seeds``."""

    name = "edit"

    def __init__(self, contract: Contract):
        self.contract = contract
        self.edits = EditMutator(contract)

    def propose(self, parents, rng, n):
        return self.edits.propose(parents, rng, n)

    def seeds(self, rng, n):
        return self.edits.seeds(rng, n)


def test_the_hooks_of_a_mutator_defining_only_propose_and_seeds_do_nothing():
    mutator = OnlyProposes(Contract.BINPACKING)
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    proposal = Proposal("def priority(item, bins):\n    return -bins\n", ("p0",), "edit.constant")
    assert mutator.prepare(rng, 1) is None and rng.bit_generator.state == before  # draws nothing
    assert mutator.observe(proposal, improved=True, message="") is None
    assert mutator.state() == {} and mutator.restore({}) is None
    assert mutator.take_calls() == [] and mutator.prompt_instructions() == []
    assert mutator.exhausted_reason is None and mutator.close() is None
    assert not mutator.concurrent and not mutator.reads_feedback
    parent = Parent("p0", "def priority(item, bins):\n    return -(bins - item)\n", -4.0)
    assert mutator.propose([parent], rng, 1)


def test_a_mutator_must_define_propose_and_seeds():
    class SeedsOnly(Mutator):
        name = "seeds_only"

        def seeds(self, rng, n):
            return []

    with pytest.raises(TypeError, match="propose"):
        SeedsOnly()


def run(config: RunConfig, path, *, swap: bool, resume: bool = False) -> None:
    evolution = Evolution(config, path, resume=resume)
    if swap:
        evolution.mutators["edit"] = OnlyProposes(evolution.problem.contract)
    try:
        evolution.run()
    finally:
        evolution.close()


def stored(path) -> tuple[list, dict]:
    """The programs (without their run-dependent ids) and the controller's last saved state."""
    with sqlite3.connect(path / "archive.sqlite") as db:
        programs = db.execute(
            "select source, mutator, island, iteration, outcome, score from programs order by rowid"
        ).fetchall()
        (state,) = db.execute("select state_json from state").fetchone()
    return programs, json.loads(state)


def test_the_controller_runs_it_as_it_runs_the_built_in_mutator(tmp_path):
    config = override(RunConfig(seed=5), **(EDITS_ONLY | {"stop.max_iterations": 3}))
    run(config, tmp_path / "built_in", swap=False)
    run(config, tmp_path / "only_proposes", swap=True)
    built_in, only_proposes = stored(tmp_path / "built_in"), stored(tmp_path / "only_proposes")
    assert any(iteration > 0 for _, _, _, iteration, _, _ in built_in[0])  # edits were proposed
    assert only_proposes[0] == built_in[0]
    assert only_proposes[1]["mutators"] == {}  # state() == {}: nothing is saved for it
    assert only_proposes[1]["rng"] == built_in[1]["rng"]
    longer = override(config, **{"stop.max_iterations": 4})
    run(longer, tmp_path / "only_proposes", swap=True, resume=True)  # restore() is called on resume
    assert stored(tmp_path / "only_proposes")[0][: len(built_in[0])] == built_in[0]
