"""The ask half of an iteration: slots, parents and mutators, and the proposals they make.

Offline mutators propose one slot after another (a near-duplicate is retried). A concurrent mutator (an
LLM) is asked in the slot's turn (:meth:`Mutator.ask <aurora_evo.mutators.Mutator.ask>`: its prompt is
built there, with a generator of its own) and its calls run on the proposer's threads, several at once;
a duplicate it returns is not retried (each call costs). :meth:`Proposer.propose` waits for them (an
iteration in batches); :meth:`Proposer.start` leaves them running (the steady state).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from aurora_evo.archive import INITIAL_RATING, Archive
from aurora_evo.config import RunConfig
from aurora_evo.evolver.memory import ProgramMemory
from aurora_evo.evolver.population import Population
from aurora_evo.island_model import Island, Member, sel_elites, sel_softmax
from aurora_evo.mutators import Mutator, Parent, Proposal

#: Tries per slot before an offline mutator's near-duplicates give the slot up.
ATTEMPTS = 4


@dataclass
class Asked:
    """A proposal asked of a concurrent mutator: ``future`` gives its proposals (at most one)."""

    island: int
    kind: str
    future: Future


class Proposer:
    """Chooses, for each slot of an iteration, an island, a mutator and parents, and asks the mutator.

    Args:
        mutators: by kind (``"gp"``, ``"edit"``, ``"llm"``...).
        weights: how often each is used, by kind.
        config: the run's settings (island and selection settings, batch size, LLM concurrency).
        archive: where parents' records come from (and the elites, with ``config.islands.elite_share``).
        memory: sources and the duplicate check.
        population: the islands.
        run_id: the run's id in ``archive``.
    """

    def __init__(
        self,
        mutators: Mapping[str, Mutator],
        weights: Mapping[str, float],
        config: RunConfig,
        archive: Archive,
        memory: ProgramMemory,
        population: Population,
        run_id: str,
    ):
        self.mutators, self.weights, self.config, self.archive = mutators, weights, config, archive
        self.memory, self.population, self.run_id = memory, population, run_id
        self._pool: ThreadPoolExecutor | None = None

    def prepare(self, rng: np.random.Generator, iteration: int) -> None:
        """Let every mutator prepare for iteration ``iteration`` (once per iteration)."""
        for mutator in self.mutators.values():
            mutator.prepare(rng, iteration)

    def propose(
        self,
        rng: np.random.Generator,
        iteration: int,
        count: int | None = None,
        first_slot: int | None = None,
    ) -> tuple[list[tuple[int, Proposal]], int]:
        """Candidates for iteration ``iteration``, each with its island; and how many near-duplicates
        were refused. By default the iteration's whole batch, the mutators prepared first; with
        ``count``, that many slots from ``first_slot`` on, the islands taken in turn by slot number.
        Waits for the concurrent mutators' answers."""
        proposals, asked, duplicates = self.start(rng, iteration, count, first_slot)
        try:
            for request in asked:
                request.future.exception()  # waits; accept() raises what the call raised
        except BaseException:  # Ctrl-C: do not wait for calls that have not started, nor for retries
            self.abandon(asked)
            raise
        answered, refused = self.accept(asked)
        return proposals + answered, duplicates + refused

    def start(
        self,
        rng: np.random.Generator,
        iteration: int,
        count: int | None = None,
        first_slot: int | None = None,
    ) -> tuple[list[tuple[int, Proposal]], list[Asked], int]:
        """:meth:`propose` without waiting: the offline mutators' proposals, the concurrent ones'
        requests now running (:meth:`accept` them once done), and the near-duplicates refused."""
        if count is None:
            self.prepare(rng, iteration)
        # A mutator that can make no more calls (budget, daily quotas) leaves its share to the others.
        kinds = [k for k, m in self.mutators.items() if not m.exhausted_reason]
        weights = np.array([self.weights[k] for k in kinds])
        if not kinds or weights.sum() <= 0:
            return [], [], 0
        weights = weights / weights.sum()
        proposals: list[tuple[int, Proposal]] = []
        asked: list[Asked] = []
        duplicates = 0
        batch = self.config.batch_size
        islands = self.population.islands
        first_slot = iteration * batch if first_slot is None else first_slot
        for slot in range(first_slot, first_slot + (batch if count is None else count)):
            # Round robin across iterations, so a batch smaller than the islands still reaches them all.
            island = islands[slot % len(islands)]
            made, refused = self._fill(island, kinds, weights, rng, asked)
            proposals += made
            duplicates += refused
        return proposals, asked, duplicates

    def _fill(self, island: Island, kinds, weights, rng, asked: list[Asked]):
        """One slot on ``island``: its proposal (or a request now asked) and the duplicates refused."""
        islands = self.config.islands
        duplicates = 0
        for _attempt in range(ATTEMPTS):
            kind = kinds[int(rng.choice(len(kinds), p=weights))]
            # Drawn only when the policy database is in use, so that runs without it keep their draws.
            if islands.elite_share > 0 and rng.random() < islands.elite_share:
                chosen = sel_elites(self._elites(), rng, islands.parents, islands.temperature)
            else:
                chosen = sel_softmax(
                    island,
                    rng,
                    islands.parents,
                    islands.temperature,
                    novelty=lambda m, isl=island: self.memory.novelty(m, isl),
                    novelty_bonus=islands.novelty_bonus,
                )
            parents = [self._parent(m) for m in chosen]
            if self.mutators[kind].concurrent:
                seed = int(rng.integers(2**63))
                work = self.mutators[kind].ask(parents, np.random.default_rng(seed))
                asked.append(Asked(island.index, kind, self._submit(work)))
                return [], duplicates
            # With no parent a mutator may make something from nothing (GP: a random tree).
            made = self.mutators[kind].propose(parents, rng, 1)
            if made and self.memory.is_new(made[0].source, island):
                self.memory.remember(made[0].source)
                return [(island.index, made[0])], duplicates
            duplicates += 1
        return [], duplicates

    def _submit(self, work: Callable[[], list[Proposal]]) -> Future:
        if self._pool is None:
            width = max(1, self.config.llm.concurrency)
            self._pool = ThreadPoolExecutor(width, thread_name_prefix="aurora-llm")
        return self._pool.submit(work)

    def accept(self, asked: Sequence[Asked]) -> tuple[list[tuple[int, Proposal]], int]:
        """The proposals of finished requests, in their order, and how many were refused as
        near-duplicates (their mutators are told). Raises what a request raised."""
        proposals, refused = [], 0
        for request in asked:
            made = request.future.result()
            if not made:
                continue
            proposal = made[0]
            if self.memory.is_new(proposal.source, self.population.islands[request.island]):
                proposals.append((request.island, proposal))
                self.memory.remember(proposal.source)
            else:
                refused += 1
                self.observe(proposal, None, "duplicate: the program repeats one already in the archive")
        return proposals, refused

    def abandon(self, asked: Sequence[Asked]) -> None:
        """Stop waiting for ``asked``: requests not started are cancelled, and their mutators closed
        (calls end their waits between retries): the run is stopping."""
        for request in asked:
            request.future.cancel()
            self.mutators[request.kind].close()

    def close(self) -> None:
        """The run is over: requests not started are dropped; those running are left to end unread."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _elites(self) -> list[Member]:
        """The MAP-Elites archive's elites, each with its Elo rating as its score (unrated: the initial
        rating)."""
        elites = self.archive.elites
        ratings = elites.ratings(self.run_id)
        return [
            Member(pid, ratings[pid].rating if pid in ratings else INITIAL_RATING, ())
            for pid, _ in elites.cells(self.run_id).values()
        ]

    def _parent(self, member: Member) -> Parent:
        record = self.archive.programs.get(member.program_id)
        metrics = {}
        if any(mutator.reads_feedback for mutator in self.mutators.values()):
            metrics = self.archive.programs.mean_metrics(record.id, "train")
        return Parent(record.id, record.source, record.score, record.genotype, metrics, record.message)

    def observe(self, proposal: Proposal, score: float | None, message: str) -> None:
        """Tell the mutator that made ``proposal`` how it did: whether it improved on its best parent."""
        mutator = self.mutators.get(proposal.mutator.split(".")[0])
        if mutator is None:
            return
        parent_scores = [self.archive.programs.get(p).score for p in proposal.parent_ids]
        best_parent = max((s for s in parent_scores if s is not None), default=None)
        improved = score is not None and (best_parent is None or score > best_parent)
        mutator.observe(proposal, improved, message)
