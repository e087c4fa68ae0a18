"""Iteration 0's candidates: the problem's baselines, and the seeds mutators make of their own."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from aurora_evo.archive import source_hash
from aurora_evo.mutators import Mutator, Proposal
from aurora_evo.problem import Problem
from aurora_evo.program_text import normalise_source

#: Baselines a run starts from, at most.
MAX_BASELINES = 16


def baseline_proposals(problem: Problem) -> list[Proposal]:
    """The problem's baselines (first fit, best fit...) as candidates, in the problem's order."""
    return [
        Proposal(source, (), "edit.seed", None, f"shipped seed program: {name}", {"seed": name})
        for name, source in list(problem.baselines().items())[:MAX_BASELINES]
    ]


def seed_proposals(
    problem: Problem, mutators: Mapping[str, Mutator], rng: np.random.Generator, islands: int
) -> list[tuple[Proposal, bool]]:
    """Distinct seed candidates, each with whether it starts on every island: the baselines (when a
    mutator of the run starts from them), then ``2 * islands`` seeds from each mutator that makes its
    own (drawn from ``rng``), which go one to an island."""
    baselines = any(m.starts_from_baselines for m in mutators.values())
    hand_written = baseline_proposals(problem) if baselines else []
    generated = [
        p for m in mutators.values() if not m.starts_from_baselines for p in m.seeds(rng, 2 * islands)
    ]
    unique: dict[str, tuple[Proposal, bool]] = {}
    for proposal in hand_written:
        unique.setdefault(source_hash(normalise_source(proposal.source)), (proposal, True))
    for proposal in generated:
        unique.setdefault(source_hash(normalise_source(proposal.source)), (proposal, False))
    return list(unique.values())
