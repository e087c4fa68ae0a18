"""Filing a judged candidate: the archive record with its lineage and evaluations, its island, its
MAP-Elites cell and its Elo matches; and the eviction of programs nothing houses any more."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aurora_evo.archive import (
    INITIAL_RATING,
    Archive,
    Descriptor,
    ProgramRecord,
    behaviour_signature,
    cell_of,
    descriptor_values,
    elo,
    match_results,
    source_hash,
)
from aurora_evo.config import ArchiveConfig
from aurora_evo.evaluation import EvalResult
from aurora_evo.evolver.memory import ProgramMemory
from aurora_evo.evolver.population import Population
from aurora_evo.island_model import Member, add_member
from aurora_evo.mutators import Proposal
from aurora_evo.problem import Problem
from aurora_evo.program_text import ProgramError, code_complexity


def complexity(source: str) -> int:
    """Size of a program: the number of nodes of its syntax tree (0 when it does not parse)."""
    try:
        return int(code_complexity(source))
    except ProgramError:
        return 0


class Filing:
    """Files candidates of one run into its archive, islands, cells and ratings.

    Args:
        archive: the run's archive (the caller holds the transaction).
        run_id: the run's id.
        problem: gives each case's score.
        descriptors: the MAP-Elites axes.
        settings: the archive settings (Elo opponents and K).
        memory: the sources the controller knows.
        population: the islands candidates join.
    """

    def __init__(
        self,
        archive: Archive,
        run_id: str,
        problem: Problem,
        descriptors: Sequence[Descriptor],
        settings: ArchiveConfig,
        memory: ProgramMemory,
        population: Population,
    ):
        self.archive, self.run_id, self.problem = archive, run_id, problem
        self.descriptors, self.settings = descriptors, settings
        self.memory, self.population = memory, population
        #: Programs archived in the current iteration.
        self.stored_now: set[str] = set()

    def file(
        self,
        island_index: int,
        proposal: Proposal,
        result: EvalResult,
        scores: dict[str, float],
        iteration: int,
        rng: np.random.Generator,
    ) -> Member | None:
        """Store one candidate (``scores``: its per-case scores, empty when it failed); when it ran,
        place it on its island, in its cell, and rate it (Elo opponents drawn from ``rng``). Returns
        its island member, or ``None`` when it failed or repeats an archived program."""
        # The descriptors (one parses the source) are computed once, for the record and the cell.
        names = [d.name for d in self.descriptors]
        values = descriptor_values(names, proposal.source, scores) if scores else None
        pid = self._store(proposal, result, island_index, scores, values, iteration)
        if pid is None or not result.outcome.ok:
            return None
        member = Member(pid, float(result.score), behaviour_signature(scores))
        self.place(member, island_index)
        self._file_in_cell(pid, values, member.score, iteration)
        self._play(pid, scores, iteration, rng)
        return member

    def _store(
        self,
        proposal: Proposal,
        result: EvalResult,
        island: int,
        scores: dict[str, float],
        values: tuple[float, ...] | None,
        iteration: int,
    ) -> str | None:
        if self.archive.programs.find_by_hash(self.run_id, source_hash(proposal.source)) is not None:
            return None
        record = ProgramRecord.new(
            self.run_id,
            proposal.source,
            mutator=proposal.mutator,
            iteration=iteration,
            outcome=result.outcome,
            parent_ids=proposal.parent_ids,
            genotype=proposal.genotype,
            island=island,
            message=result.message,
            score=result.score,
            compiled=bool(result.compiled),
            complexity=complexity(proposal.source),
            reasoning=proposal.reasoning,
            descriptor=dict(zip([d.name for d in self.descriptors], values, strict=True)) if values else None,
        )
        pid = self.archive.programs.add(record, list(proposal.parent_ids)).id
        self.stored_now.add(pid)
        if result.outcome.ok:
            self.store_evaluations(pid, "train", result, scores)
        self.memory.keep(pid, proposal.source)
        return pid

    def store_evaluations(
        self, pid: str, split: str, result: EvalResult, scores: dict[str, float] | None = None
    ) -> None:
        """A successful evaluation's metrics per case, with the case's score (``scores``, computed here
        unless given), under ``split``."""
        scores = self.problem.training_score(result.per_case) if scores is None else scores
        per_case = {name: {"score": scores[name], **metrics} for name, metrics in result.per_case.items()}
        self.archive.programs.add_evaluations(pid, split, per_case)

    def store_validation(self, pid: str, result: EvalResult) -> None:
        """A held-out evaluation, and its score as the program's validation score (when it ran)."""
        if result.outcome.ok:
            self.store_evaluations(pid, "validation", result)
            self.archive.programs.set_validation_score(pid, float(result.score))

    def place(self, member: Member, island_index: int) -> None:
        """Add ``member`` to its island; whoever it pushes out is evicted if nothing else houses it."""
        _, removed = add_member(self.population.islands[island_index], member)
        self.evict_if_homeless(removed)

    def evict_if_homeless(self, ids: Sequence[str]) -> None:
        """Programs on no island and in no cell are marked evicted (never deleted: lineage keeps them)."""
        housed = self.population.housed()
        housed |= {pid for pid, _ in self.archive.elites.cells(self.run_id).values()}
        gone = [pid for pid in ids if pid not in housed]
        if gone:
            self.archive.programs.set_evicted(gone, True)

    def _file_in_cell(self, pid: str, values: tuple[float, ...], score: float, iteration: int) -> None:
        _, displaced = self.archive.elites.offer(
            self.run_id, cell_of(values, self.descriptors), pid, score, iteration
        )
        if displaced is not None:
            self.evict_if_homeless([displaced])

    def _play(self, pid: str, scores: dict[str, float], iteration: int, rng: np.random.Generator) -> None:
        """Elo matches against a few rated programs, on the cases both were scored on."""
        ratings = self.archive.elites.ratings(self.run_id)
        # In the order they were archived: ids depend on the run's name, and the draw must not.
        rated = self.archive.elites.rated_programs(self.run_id)
        opponents = []
        if rated:
            count = min(self.settings.elo_opponents, len(rated))
            opponents = [rated[i] for i in rng.choice(len(rated), size=count, replace=False)]
        current = {pid: INITIAL_RATING} | {o: ratings[o].rating for o in opponents}
        played = {pid: 0} | {o: ratings[o].matches for o in opponents}
        rows = []
        for opponent in opponents:
            results = match_results(scores, self.archive.programs.case_scores(opponent, "train"))
            current = elo.play(current, pid, opponent, [r for _, r in results], self.settings.elo_k)
            played[pid] += len(results)
            played[opponent] += len(results)
            rows += [(self.run_id, iteration, pid, opponent, case, r) for case, r in results]
        if rows:
            self.archive.elites.add_matches(rows)
        for who, rating in current.items():
            self.archive.elites.set_rating(who, rating, played[who], iteration)
