"""The edit mutator: its seeds, its proposals, and its settings."""

from __future__ import annotations

import random

import numpy as np
import pytest

from aurora_evo.contracts import Contract
from aurora_evo.domains.binpacking.baselines import BASELINE_SOURCES
from aurora_evo.mutators.base import Parent
from aurora_evo.mutators.edits.mutator import EditMutator
from aurora_evo.mutators.edits.point import perturb_constant, swap_operator
from aurora_evo.mutators.gp import GPMutator
from aurora_evo.program_text import parse_program
from aurora_evo.sandbox.screen import screen_program
from aurora_evo.seeds import seed_program_paths

SEEDS = {name: path.read_text() for name, path in seed_program_paths().items()}


def rngs(n: int, start: int = 0):
    return (np.random.default_rng(seed) for seed in range(start, start + n))


def test_seeds_are_the_shipped_programs():
    allocation = EditMutator(Contract.ALLOCATION).seeds(np.random.default_rng(0), 10)
    assert [p.extra["seed"] for p in allocation] == sorted(SEEDS)
    assert [p.source for p in allocation] == [SEEDS[name] for name in sorted(SEEDS)]
    binpacking = EditMutator(Contract.BINPACKING).seeds(np.random.default_rng(0), 2)
    assert [p.source for p in binpacking] == list(BASELINE_SOURCES.values())[:2]
    assert all(p.mutator == "edit.seed" and p.parent_ids == () for p in allocation + binpacking)


@pytest.mark.parametrize("contract", [Contract.ALLOCATION, Contract.BINPACKING], ids=lambda c: c.value)
def test_proposals_are_valid_deterministic_and_leave_global_random_alone(contract):
    mutator = EditMutator(contract)
    rng = np.random.default_rng(1)
    pool = [Parent(f"s{i}", p.source) for i, p in enumerate(mutator.seeds(rng, 10))]
    pool += [
        Parent(f"g{i}", p.source, genotype=p.genotype)
        for i, p in enumerate(GPMutator(contract).seeds(rng, 6))
    ]
    state = random.getstate()
    first = mutator.propose(pool, np.random.default_rng(2), 40)
    again = mutator.propose(pool, np.random.default_rng(2), 40)
    assert random.getstate() == state
    assert first == again and len(first) == 40
    assert {p.mutator for p in first} == {"edit.constant", "edit.operator", "edit.crossover"}
    ids = {p.program_id for p in pool}
    sources = {p.source for p in pool}
    assert len({p.source for p in first}) == 40 and not sources & {p.source for p in first}
    for proposal in first:
        assert screen_program(proposal.source).ok and parse_program(proposal.source)
        assert proposal.genotype is None and set(proposal.parent_ids) <= ids
        assert len(proposal.parent_ids) == (2 if proposal.mutator == "edit.crossover" else 1)
        assert proposal.reasoning.startswith(f"parent {proposal.parent_ids[0]}: ")
        if proposal.mutator == "edit.crossover":
            assert proposal.reasoning.endswith(f"of parent {proposal.parent_ids[1]}")


def test_one_parent_means_no_crossover_and_bad_parents_give_nothing():
    mutator = EditMutator(Contract.BINPACKING)
    proposals = mutator.propose([Parent("p", BASELINE_SOURCES["Worst Fit"])], np.random.default_rng(3), 10)
    assert proposals and all(p.mutator != "edit.crossover" for p in proposals)
    junk = [Parent("a", "def priority(item, bins) return"), Parent("b", "x = 1\n"), Parent("c", "")]
    assert mutator.propose(junk, np.random.default_rng(3), 5) == []
    assert mutator.propose([], np.random.default_rng(3), 5) == []


def test_crlf_sources_survive_edits():
    source = BASELINE_SOURCES["Worst Fit"].replace("\n", "\r\n")
    for rng in rngs(20):
        for edit in (perturb_constant(source, rng), swap_operator(source, rng)):
            assert edit is not None and screen_program(edit.source).ok and parse_program(edit.source)
            assert "# At least one empty bin is always offered" in edit.source


def test_settings_are_checked():
    with pytest.raises(TypeError, match="EditConfig"):
        EditMutator(Contract.BINPACKING, sigm=0.1)
    with pytest.raises(ValueError):
        EditMutator(Contract.BINPACKING, w_constant=0.0, w_operator=0.0)
