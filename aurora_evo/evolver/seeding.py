"""Iteration 0's candidates: the problem's baselines, and the seeds mutators make of their own."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from aurora_evo.archive import source_hash
from aurora_evo.mutators import Mutator, Proposal
from aurora_evo.problem import Problem
from aurora_evo.program_text import normalise_source
from aurora_evo.run_folder import RunFolder

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


def carried_proposals(
    seed_run: str | None, islands: int, known: list[Proposal]
) -> list[tuple[int, Proposal]]:
    """The programs on the islands of the run in the folder ``seed_run`` (``islands.seed_run``) as its
    last iteration left them, each with the island it goes to (its own, modulo ``islands``), leaving
    out those whose source is among ``known`` (the seeds of this run); none without a ``seed_run``.

    Raises:
        InputError: ``seed_run`` is not a run folder (one line).
    """
    if seed_run is None:
        return []
    archive, run_id = RunFolder(seed_run).open_to_read()
    seen = {source_hash(normalise_source(p.source)) for p in known}
    carried = []
    try:
        for index, island in sorted(archive.ledger.latest_islands(run_id).items()):
            for member in island.members:
                record = archive.programs.get(member[0])
                digest = source_hash(normalise_source(record.source))
                if digest in seen:
                    continue
                seen.add(digest)
                reason = f"carried over from run {run_id} (island {index})"
                extra = {"seed_run": run_id, "program": record.id}
                carried.append(
                    (
                        index % islands,
                        Proposal(record.source, (), "edit.seed", record.genotype, reason, extra),
                    )
                )
    finally:
        archive.close()
    return carried
