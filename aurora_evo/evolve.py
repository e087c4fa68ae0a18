"""The controller: islands of programs improved by mutators, every candidate judged in the sandbox.

One iteration (``step``)::

    ask:   for each slot, pick an island, a mutator (by weight) and parents (softmax over scores with a
           novelty bonus); the mutator proposes a candidate; near-duplicates are refused before they
           cost an evaluation
    eval:  the candidates run in sandboxes on the training cases (the executor seam)
    tell:  every candidate is stored with its outcome, scores per case, lineage, MAP-Elites cell and
           Elo matches; good ones join their island; a new best is scored on the held-out cases
    then:  ring migration and resets of the weakest islands at their intervals; the controller's state
           (random generator included) is saved, and the whole iteration commits as one transaction

so a run killed at any moment resumes from its last committed iteration, and the same seed with one
worker gives the same archive.
"""

from __future__ import annotations

import importlib.metadata
import platform
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from aurora_evo.archive import (
    INITIAL_RATING,
    ProgramRecord,
    behaviour_signature,
    cell_of,
    default_descriptors,
    descriptor_values,
    elo,
    match_results,
    program_id,
    source_hash,
)
from aurora_evo.attacker.llm import build_llm_attacker
from aurora_evo.config import RunConfig
from aurora_evo.domains import problem_of_domain
from aurora_evo.evaluation import EvalResult
from aurora_evo.executor import Executor, SandboxExecutor
from aurora_evo.llm import DAY_S, CallBudget, LLMConnection, api_keys, connect
from aurora_evo.island_model import Island, Member, add_member, mig_ring, reset_weakest, sel_softmax
from aurora_evo.mutators import EditMutator, GPMutator, Mutator, Parent, Proposal
from aurora_evo.mutators.llm import build_llm_mutator
from aurora_evo.problem import Problem
from aurora_evo.run_folder import RunFolder
from aurora_evo.program_text import ProgramError, code_complexity, code_novelty, normalise_source
from aurora_evo.sandbox import SandboxConfig
from aurora_evo.scenario.levels import LEVELS
from aurora_evo.scenario.model import Scenario


@dataclass(frozen=True)
class IterationStats:
    """What one iteration did, for progress displays and logs."""

    iteration: int
    evaluated: int
    outcomes: dict[str, int]
    duplicates: int
    best_score: float | None
    best_program: str | None
    improved: bool
    island_best: tuple[float | None, ...]
    coverage: float
    top_rating: float | None
    seconds: float
    #: The attacker changed the training set this iteration: every score, the best included, is now
    #: over the new set, so the best may fall without any program getting worse.
    training_changed: bool = False
    #: The best training score before that change (``None`` when the set did not change).
    best_before_change: float | None = None
    #: Cases in the training set, and the attacker's curriculum level (``None`` without an attacker).
    training_cases: int = 0
    level: str | None = None


def complexity(source: str) -> int:
    """Size of a program: the number of nodes of its syntax tree (0 when it does not parse)."""
    try:
        return int(code_complexity(source))
    except ProgramError:
        return 0


def package_versions() -> dict[str, str]:
    names = ("aurora-evo", "numpy", "numba", "deap", "scipy", "sqlite-utils", "joblib")
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def make_mutators(
    config: RunConfig, problem: Problem, budget: CallBudget, connection: LLMConnection | None = None
) -> dict[str, Mutator]:
    """The run's mutators by kind; the LLM one spends from ``budget`` through ``connection``."""
    mutators: dict[str, Mutator] = {}
    for kind in config.mutators.kinds:
        if kind == "llm":
            mutators[kind] = build_llm_mutator(config.llm, problem.contract, budget, connection)
        elif kind == "gp":
            mutators[kind] = GPMutator(problem.contract, **config.mutators.gp_settings())
        else:
            mutators[kind] = EditMutator(problem.contract)
    return mutators


def make_attacker(
    config: RunConfig,
    problem: Problem,
    budget: CallBudget | None = None,
    connection: LLMConnection | None = None,
):
    """The problem's case attacker (``None`` when it has none, or with ``--no-attacker``); it asks the
    language model too when the run has a ``connection`` to one."""
    usable = connection is not None and budget is not None
    return problem.make_attacker(
        config, (lambda: build_llm_attacker(config.llm, budget, connection)) if usable else None
    )


@dataclass
class _Deferred:
    """A proposal to ask a concurrent mutator (an LLM) for, once the slots are all chosen."""

    island: int
    kind: str
    parents: list[Parent]
    rng: np.random.Generator


class Evolution:
    """A run: its archive, islands, mutators and random generator.

    Args:
        config: the run's settings (saved in the run folder; a resumed run reads them back).
        run_dir: the run folder; holds ``config.json`` and ``archive.sqlite``.
        executor: evaluates candidates (default: sandboxes, ``config.evaluation.workers`` at once).
        resume: continue the run in ``run_dir`` from its last committed iteration.
        evolving: ``False`` to only read or validate the run (``export --validate``): no mutator is
            built, so a run that used a language model needs no API key.
    """

    def __init__(
        self,
        config: RunConfig,
        run_dir: Path,
        *,
        executor: Executor | None = None,
        resume: bool = False,
        evolving: bool = True,
    ):
        self.config = config
        folder = RunFolder(run_dir)
        self.run_dir = folder.path
        if evolving and "llm" in config.mutators.kinds:
            api_keys(config.llm)  # a missing key is a one-line error before anything is written
        self.problem = problem_of_domain(config.task.domain)
        self.cases = self.problem.cases(config.task, config.seed)
        self.descriptors = default_descriptors(config.archive.descriptors, config.archive.bins)
        evaluation = config.evaluation
        sandbox_config = SandboxConfig(
            timeout_s=evaluation.timeout_s,
            memory_mb=evaluation.memory_mb,
            jit=evaluation.jit,
            full_warm_up=evaluation.full_warm_up,
        )
        if not resume:
            folder.create(config)
        self.archive = folder.open_archive()
        self.run_id = folder.run_id(self.archive)
        calls, spent = self.archive.ledger.llm_spending(self.run_id)
        self.budget = CallBudget(config.stop.max_calls, config.stop.max_cost_usd, calls=calls, cost_usd=spent)
        # Not evolving (export --validate): no language model, so no API key is needed.
        connection = None
        if evolving and "llm" in config.mutators.kinds:
            # A day of the keys' history, so a resumed run stays within their per-day limits.
            connection = connect(
                config.llm, key_history=self.archive.ledger.key_history(self.run_id, time.time() - DAY_S)
            )
        self.mutators = make_mutators(config, self.problem, self.budget, connection) if evolving else {}
        self.executor = executor or SandboxExecutor(sandbox_config, evaluation.workers, evaluation.backend)
        self.islands = [Island(i, config.islands.population) for i in range(config.islands.islands)]
        self.base_train = self.cases.train
        self.attacker = make_attacker(config, self.problem, self.budget, connection)
        self._history_start = 0  # best_history compares only since the training set last changed
        self.rng = np.random.default_rng(config.seed)
        self.iteration = 0
        self.best_history: list[float | None] = []
        self.best: tuple[str, float] | None = None
        self._sources: dict[str, str] = {}
        self._known: set[str] = set()
        self._stored_now: set[str] = set()  # programs archived in the current iteration
        self._dropped: list[str] = []  # island members that failed on a new training scenario
        self._attack_names: frozenset[str] = frozenset()  # the attacker's scenarios in training
        self._stored_scenarios: set[str] = set()  # attacker scenarios the archive holds
        self._started = time.monotonic()
        if resume:
            self._restore()
        else:
            self.archive.runs.create(self.run_id, config.to_dict(), config.seed, package_versions())

    # --- state ----------------------------------------------------------------------------------------

    def _restore(self) -> None:
        try:
            self.archive.runs.get(self.run_id)
        except KeyError:  # killed between writing config.json and registering the run
            self.archive.runs.create(self.run_id, self.config.to_dict(), self.config.seed, package_versions())
        saved = self.archive.ledger.load_state(self.run_id)
        if saved is None:
            return
        self.iteration, state = saved
        self.rng.bit_generator.state = state["rng"]
        self.best_history = list(state["best_history"])
        self.best = tuple(state["best"]) if state["best"] else None
        self._history_start = int(state.get("history_start", 0))
        self._stored_scenarios = {row["name"] for row in self.archive.ledger.scenario_rows(self.run_id)}
        if self.attacker is not None and state.get("attacker"):
            self.attacker.restore(state["attacker"], self._stored_scenario)
            for check in self.archive.ledger.quality_checks(self.run_id):
                self.attacker.monitor.add(check)
            # The saved islands already hold the scores over this training set.
            self._train_on(self.attacker.training_scenarios())
        for kind, saved in state.get("mutators", {}).items():
            if kind in self.mutators:
                self.mutators[kind].restore(saved)
        for index, island in self.archive.ledger.latest_islands(self.run_id).items():
            self.islands[index].members = [Member(m[0], m[1], tuple(m[2])) for m in island.members]
        for record in self.archive.programs.of_run(self.run_id):
            self._known.add(source_hash(normalise_source(record.source)))

    def _stored_scenario(self, name: str) -> Scenario:
        from aurora_evo.scenario.io import scenario_from_dict

        return scenario_from_dict(self.archive.ledger.scenario(self.run_id, name))

    def _save_state(self) -> None:
        for island in self.islands:
            best = island.best
            self.archive.ledger.set_island_state(
                self.run_id,
                island.index,
                self.iteration,
                [[m.program_id, m.score, list(m.signature)] for m in island.members],
                best.program_id if best else None,
                best.score if best else None,
            )
        state = {
            "rng": self.rng.bit_generator.state,
            "best_history": self.best_history,
            "best": list(self.best) if self.best else None,
            "mutators": {k: saved for k, m in self.mutators.items() if (saved := m.state())},
            "history_start": self._history_start,
            "attacker": self.attacker.state() if self.attacker is not None else None,
        }
        self.archive.ledger.save_state(self.run_id, self.iteration, state)

    def _source(self, pid: str) -> str:
        if pid not in self._sources:
            self._sources[pid] = self.archive.programs.get(pid).source
        return self._sources[pid]

    # --- ask ------------------------------------------------------------------------------------------

    def _is_new(self, source: str, island: Island) -> bool:
        key = source_hash(normalise_source(source))
        if key in self._known:
            return False
        others = [self._source(m.program_id) for m in island.members]
        return not others or code_novelty(source, others) >= self.config.archive.duplicate_novelty

    def ask(self) -> tuple[list[tuple[int, Proposal]], int]:
        """Candidates for this iteration, each with its island; and how many near-duplicates were refused.

        Offline mutators propose one slot after another (a near-duplicate is retried). A concurrent
        mutator (an LLM) is only handed its parents and a generator of its own in the slot's turn; its
        calls then run together, and a duplicate it returns is not retried (each call costs).
        """
        for mutator in self.mutators.values():
            mutator.prepare(self.rng, self.iteration)
        proposals: list[tuple[int, Proposal]] = []
        deferred: list[_Deferred] = []
        duplicates = 0
        # A mutator that can make no more calls (budget, daily quotas) leaves its share to the others.
        kinds = [k for k, m in self.mutators.items() if not m.exhausted_reason]
        weights = np.array([self.config.mutators.weights[self.config.mutators.kinds.index(k)] for k in kinds])
        if not kinds or weights.sum() <= 0:
            return [], 0
        weights = weights / weights.sum()
        batch = self.config.batch_size
        for slot in range(batch):
            # Round robin across iterations, so a batch smaller than the islands still reaches them all.
            island = self.islands[(self.iteration * batch + slot) % len(self.islands)]
            for _attempt in range(4):
                kind = kinds[int(self.rng.choice(len(kinds), p=weights))]
                chosen = sel_softmax(
                    island,
                    self.rng,
                    self.config.islands.parents,
                    self.config.islands.temperature,
                    novelty=lambda m, isl=island: self._novelty(m, isl),
                    novelty_bonus=self.config.islands.novelty_bonus,
                )
                parents = [self._parent(m) for m in chosen]
                if self.mutators[kind].concurrent:
                    seed = int(self.rng.integers(2**63))
                    deferred.append(_Deferred(island.index, kind, parents, np.random.default_rng(seed)))
                    break
                # With no parent a mutator may make something from nothing (GP: a random tree).
                made = self.mutators[kind].propose(parents, self.rng, 1)
                if made and self._is_new(made[0].source, island):
                    proposals.append((island.index, made[0]))
                    self._known.add(source_hash(normalise_source(made[0].source)))
                    break
                duplicates += 1
        concurrent, refused = self._ask_concurrent(deferred)
        return proposals + concurrent, duplicates + refused

    def _ask_concurrent(self, deferred: Sequence[_Deferred]) -> tuple[list[tuple[int, Proposal]], int]:
        """Proposals of the deferred slots, asked for at once, kept in slot order; and how many were
        refused as near-duplicates."""
        if not deferred:
            return [], 0
        width = max(1, min(len(deferred), self.config.llm.concurrency))
        pool = ThreadPoolExecutor(width, thread_name_prefix="aurora-llm")
        try:
            made = list(pool.map(lambda d: self.mutators[d.kind].propose(d.parents, d.rng, 1), deferred))
        except BaseException:  # Ctrl-C: do not wait for calls that have not started, nor for retries
            for request in deferred:
                self.mutators[request.kind].close()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        proposals, refused = [], 0
        for request, result in zip(deferred, made, strict=True):
            if not result:
                continue
            proposal = result[0]
            if self._is_new(proposal.source, self.islands[request.island]):
                proposals.append((request.island, proposal))
                self._known.add(source_hash(normalise_source(proposal.source)))
            else:
                refused += 1
                self._observe(proposal, None, "duplicate: the program repeats one already in the archive")
        return proposals, refused

    def _parent(self, member: Member) -> Parent:
        record = self.archive.programs.get(member.program_id)
        metrics = {}
        if any(mutator.reads_feedback for mutator in self.mutators.values()):
            metrics = self.archive.programs.mean_metrics(record.id, "train")
        return Parent(record.id, record.source, record.score, record.genotype, metrics, record.message)

    def _observe(self, proposal: Proposal, score: float | None, message: str) -> None:
        """Tell the mutator that made ``proposal`` how it did: whether it improved on its best parent."""
        mutator = self.mutators.get(proposal.mutator.split(".")[0])
        if mutator is None:
            return
        parent_scores = [self.archive.programs.get(p).score for p in proposal.parent_ids]
        best_parent = max((s for s in parent_scores if s is not None), default=None)
        improved = score is not None and (best_parent is None or score > best_parent)
        mutator.observe(proposal, improved, message)

    def _novelty(self, member: Member, island: Island) -> float:
        others = [self._source(m.program_id) for m in island.members if m.program_id != member.program_id]
        return code_novelty(self._source(member.program_id), others) if others else 1.0

    # --- evaluate and tell -----------------------------------------------------------------------------

    def evaluate(self, sources: Sequence[str], cases: Sequence | None = None) -> list[EvalResult]:
        """Results of ``sources`` on ``cases`` (default: the training cases), in order."""
        cases = self.cases.train if cases is None else cases
        return self.executor.evaluate(self.problem, list(sources), list(cases))

    def tell(self, proposals: Sequence[tuple[int, Proposal]], results: Sequence[EvalResult]) -> dict:
        """Store every candidate and update islands, cells and ratings (inside the caller's transaction).

        Returns the outcome counts and whether the best training score improved.
        """
        outcomes: Counter = Counter()
        improved = False
        for (island_index, proposal), result in zip(proposals, results, strict=True):
            outcomes[result.outcome.value] += 1
            scores = self.problem.training_score(result.per_case) if result.outcome.ok else {}
            if scores:  # the score the archive, the islands and the mutators see
                result = replace(result, score=self._training_score(scores, result.score))
            member = self._tell_one(island_index, proposal, result, scores)
            failure = "" if result.outcome.ok else f"{result.outcome.value}: {result.message}"
            self._observe(proposal, float(result.score) if result.outcome.ok else None, failure)
            if member is not None and (self.best is None or member.score > self.best[1]):
                self.best = (member.program_id, member.score)
                improved = True
                self._validate(member.program_id, proposal.source)
        return {"outcomes": outcomes, "improved": improved}

    def _tell_one(
        self, island_index: int, proposal: Proposal, result: EvalResult, scores: dict[str, float]
    ) -> Member | None:
        """Store one candidate (``scores``: its per-case scores, empty when it failed); when it ran,
        place it on its island, in its cell, and rate it."""
        # The descriptors (one parses the source) are computed once, for the record and the cell.
        names = [d.name for d in self.descriptors]
        values = descriptor_values(names, proposal.source, scores) if scores else None
        pid = self._store(proposal, result, island_index, scores, values)
        if pid is None or not result.outcome.ok:
            return None
        member = Member(pid, float(result.score), behaviour_signature(scores))
        self._place(member, island_index)
        self._file_in_cell(pid, values, member.score)
        self._play(pid, scores)
        return member

    def _store(
        self,
        proposal: Proposal,
        result: EvalResult,
        island: int,
        scores: dict[str, float],
        values: tuple[float, ...] | None,
    ) -> str | None:
        if self.archive.programs.find_by_hash(self.run_id, source_hash(proposal.source)) is not None:
            return None
        record = ProgramRecord.new(
            self.run_id,
            proposal.source,
            mutator=proposal.mutator,
            iteration=self.iteration,
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
        self._stored_now.add(pid)
        if result.outcome.ok:
            self._store_evaluations(pid, "train", result, scores)
        self._sources[pid] = proposal.source
        return pid

    def _place(self, member: Member, island_index: int) -> None:
        _, removed = add_member(self.islands[island_index], member)
        self._evict_if_homeless(removed)

    def _evict_if_homeless(self, ids: Sequence[str]) -> None:
        """Programs on no island and in no cell are marked evicted (never deleted: lineage keeps them)."""
        housed = {m.program_id for island in self.islands for m in island.members}
        housed |= {pid for pid, _ in self.archive.elites.cells(self.run_id).values()}
        gone = [pid for pid in ids if pid not in housed]
        if gone:
            self.archive.programs.set_evicted(gone, True)

    def _file_in_cell(self, pid: str, values: tuple[float, ...], score: float) -> None:
        _, displaced = self.archive.elites.offer(
            self.run_id, cell_of(values, self.descriptors), pid, score, self.iteration
        )
        if displaced is not None:
            self._evict_if_homeless([displaced])

    def _play(self, pid: str, scores: dict[str, float]) -> None:
        """Elo matches against a few rated programs, on the cases both were scored on."""
        ratings = self.archive.elites.ratings(self.run_id)
        # In the order they were archived: ids depend on the run's name, and the draw must not.
        rated = self.archive.elites.rated_programs(self.run_id)
        opponents = []
        if rated:
            count = min(self.config.archive.elo_opponents, len(rated))
            opponents = [rated[i] for i in self.rng.choice(len(rated), size=count, replace=False)]
        current = {pid: INITIAL_RATING} | {o: ratings[o].rating for o in opponents}
        played = {pid: 0} | {o: ratings[o].matches for o in opponents}
        rows = []
        for opponent in opponents:
            results = match_results(scores, self.archive.programs.case_scores(opponent, "train"))
            current = elo.play(current, pid, opponent, [r for _, r in results], self.config.archive.elo_k)
            played[pid] += len(results)
            played[opponent] += len(results)
            rows += [(self.run_id, self.iteration, pid, opponent, case, r) for case, r in results]
        if rows:
            self.archive.elites.add_matches(rows)
        for who, rating in current.items():
            self.archive.elites.set_rating(who, rating, played[who], self.iteration)

    def _validate(self, pid: str, source: str) -> None:
        """Score a new best on the held-out cases (stored apart from its training score)."""
        if not self.cases.validation:
            return
        result = self.evaluate([source], self.cases.validation)[0]
        self._store_validation(pid, result)
        self.archive.ledger.add_event(
            self.run_id, self.iteration, "new_best", {"program": pid, "validation": result.as_dict()["score"]}
        )

    def _store_evaluations(
        self, pid: str, split: str, result: EvalResult, scores: dict[str, float] | None = None
    ) -> None:
        """A successful evaluation's metrics per case, with the case's score (``scores``, computed here
        unless given), under ``split``."""
        scores = self.problem.training_score(result.per_case) if scores is None else scores
        per_case = {name: {"score": scores[name], **metrics} for name, metrics in result.per_case.items()}
        self.archive.programs.add_evaluations(pid, split, per_case)

    def _store_validation(self, pid: str, result: EvalResult) -> None:
        if result.outcome.ok:
            self._store_evaluations(pid, "validation", result)
            self.archive.programs.set_validation_score(pid, float(result.score))

    def validate_more(self, n: int) -> int:
        """Score on the held-out cases the ``n`` best training scores not scored there yet (a run
        validates only its successive bests), one program per score: the smallest of those that share
        it; returns how many were scored. One transaction.

        Programs that tie on the training score almost always pack every training instance alike (a
        run's top 300 programs held 12 to 27 distinct scores), so validating each would mostly
        repeat one measurement.
        """
        if not self.cases.validation or n < 1:
            return 0
        ran = [
            p for p in self.archive.programs.of_run(self.run_id) if p.outcome == "ok" and p.score is not None
        ]
        seen = {p.score for p in ran if p.validation_score is not None}
        pending = []
        for program in sorted(ran, key=lambda p: (-p.score, p.complexity, p.id)):
            if len(pending) < n and program.score not in seen:
                seen.add(program.score)
                pending.append(program)
        results = self.evaluate([p.source for p in pending], self.cases.validation)
        with self.archive.transaction():
            for program, result in zip(pending, results, strict=True):
                self._store_validation(program.id, result)
            self.archive.ledger.add_event(
                self.run_id, self.iteration, "validated", {"programs": [p.id for p in pending]}
            )
        return len(pending)

    # --- the loop -----------------------------------------------------------------------------------

    def initialise(self) -> IterationStats:
        """Iteration 0: the mutators' seeds, evaluated and spread over the islands.

        Hand-written seeds (the edit mutator's: first fit, best fit...) start on every island, as
        FunSearch starts every island from the same program; generated ones go one to an island.
        """
        began = time.monotonic()
        # The edit mutator's seeds are the shipped programs; an LLM starts from them too.
        uses_seeds = "edit" in self.mutators or "llm" in self.mutators
        hand_written = EditMutator(self.problem.contract).seeds(self.rng, 16) if uses_seeds else []
        generated = (
            self.mutators["gp"].seeds(self.rng, 2 * len(self.islands)) if "gp" in self.mutators else []
        )
        unique: dict[str, tuple[Proposal, bool]] = {}
        for proposal in hand_written:
            unique.setdefault(source_hash(normalise_source(proposal.source)), (proposal, True))
        for proposal in generated:
            unique.setdefault(source_hash(normalise_source(proposal.source)), (proposal, False))
        proposals = [(position % len(self.islands), p) for position, (p, _) in enumerate(unique.values())]
        results = self.evaluate([p.source for _, p in proposals])
        with self.archive.transaction():
            told = self.tell(proposals, results)
            for (proposal, everywhere), result in zip(unique.values(), results, strict=True):
                self._known.add(source_hash(normalise_source(proposal.source)))
                if everywhere and result.outcome.ok:
                    member = Member(
                        program_id(self.run_id, proposal.source),
                        float(result.score),
                        behaviour_signature(self.problem.training_score(result.per_case)),
                    )
                    for island in range(len(self.islands)):
                        self._place(member, island)
            self._finish_iteration(told, len(proposals), 0)
        return self._stats(told, len(proposals), 0, time.monotonic() - began)

    def step(self) -> IterationStats:
        """One iteration (see the module docstring); commits atomically, except the LLM calls, which
        are stored as soon as they are made (they are spent, whatever becomes of the iteration)."""
        began = time.monotonic()
        self.iteration += 1
        attack = None
        best_before = self.best[1] if self.best else None
        if self.attacker is not None and self.iteration % self.config.attacker.interval == 0:
            attack = self._attack()
        proposals, duplicates = self.ask()
        unusable, made_by = self._store_calls()
        results = self.evaluate([p.source for _, p in proposals]) if proposals else []
        with self.archive.transaction():
            self._stored_now = set()
            if attack is not None:
                self._store_attack(attack)
            told = self.tell(proposals, results)
            told["outcomes"].update(unusable)
            for call_id, pid in made_by:
                if pid in self._stored_now:
                    self.archive.ledger.link_llm_call(call_id, pid)
            for mutator in self.mutators.values():
                self.archive.ledger.set_instructions(self.run_id, mutator.prompt_instructions())
            self._finish_iteration(told, len(proposals), duplicates)
        stats = self._stats(told, len(proposals), duplicates, time.monotonic() - began)
        if attack is not None and attack["event"]["training_changed"]:
            stats = replace(stats, training_changed=True, best_before_change=best_before)
        return stats

    # --- the attacker ------------------------------------------------------------------------------------

    def _elites(self, k: int) -> list[str]:
        """``k`` distinct programs, best first: the islands' best programs, then (when fewer islands
        have one) the next best members. Champions of separate islands differ in behaviour more than
        one island's top members do, so their successes spread over more than all-or-nothing."""
        champions = [island.best for island in self.islands if island.best is not None]
        others = (m for island in self.islands for m in island.members)
        elites: list[str] = []
        for group in (champions, others):
            for member in sorted(group, key=lambda m: -m.score):
                if member.program_id not in elites:
                    elites.append(member.program_id)
        return elites[:k]

    def _attack(self) -> dict:
        """One attacker step (before the iteration's transaction: it runs the sandbox): candidates,
        the elites scored on them and on the training scenarios of the level, the curriculum, and
        the islands rescored when the training set changed. Returns what to store."""
        attacker = self.attacker
        candidates = attacker.ask(self.rng)
        accepted = [c for c in candidates if c.accepted]
        elites = self._elites(self.config.attacker.elites)
        cases = [c.scenario for c in accepted] + attacker.training_scenarios()
        per_case: dict[str, list[dict]] = {case.name: [] for case in cases}
        baseline: dict[str, dict] = {}
        if elites and cases:
            # Success means doing at least as well as best fit, so best fit is scored beside the elites.
            sources = [self._source(pid) for pid in elites] + [self.problem.baseline("best fit")]
            results = self.evaluate(sources, cases)
            for result in results[:-1]:
                for case in cases:
                    metrics = result.per_case.get(case.name, {}) if result.outcome.ok else {}
                    per_case[case.name].append(dict(metrics))
            if results[-1].outcome.ok:
                baseline = {name: dict(metrics) for name, metrics in results[-1].per_case.items()}
        level = attacker.level
        step = attacker.tell(candidates, per_case, self.iteration, elites, baseline)
        # The defender (its best program) on every scenario of the level it was scored on in this step:
        # the new ones (learnable or not) and those in the training set. The curriculum needs 4 or more.
        wins = [attacker.succeeded(per_case[case.name][0], baseline.get(case.name)) for case in cases
                if per_case.get(case.name)]  # fmt: skip
        level_success = float(np.mean(wins)) if len(wins) >= 4 else None
        advanced = attacker.maybe_advance(level_success) if level_success is not None else None
        changed = step.training_changed or advanced is not None
        rescored = self._set_training(attacker.training_scenarios()) if changed else {}
        return {
            "checks": step.checks,
            "rescored": rescored,
            "event": {
                "level": level, "level_rank": LEVELS[level].rank, "proposed": step.proposed,
                "refused": step.refused, "refusals": step.refusals,
                "mean_learnability": float(np.mean(step.learnability)) if step.learnability else None,
                "mean_success": float(np.mean(step.success_rates)) if step.success_rates else None,
                "level_success": level_success, "active": step.active, "elites": elites,
                "scenario_elo": {n: attacker.ratings[n] for n in step.active if n in attacker.ratings},
                "training_changed": changed, "mastered": attacker.mastered,
                "reasons": [c.report.feedback() for c in candidates if not c.accepted],
            },
            "advanced": advanced,
        }  # fmt: skip

    def _set_training(self, attack_scenarios) -> dict[str, EvalResult]:
        """Train on the seed scenarios and ``attack_scenarios`` from now on: the island members are
        scored on the attacker's scenarios (in the sandbox) and their scores recomputed over the new
        set, and the best is taken afresh. Returns the new evaluations, by program, to store."""
        self._train_on(attack_scenarios)
        members = sorted({m.program_id for island in self.islands for m in island.members})
        if not members or not attack_scenarios:
            fresh: dict[str, EvalResult] = {}
        else:
            results = self.evaluate([self._source(pid) for pid in members], list(attack_scenarios))
            fresh = dict(zip(members, results, strict=True))
        names = [case.name for case in self.cases.train]
        for island in self.islands:
            rescored = []
            for member in island.members:
                scores = {
                    k: v
                    for k, v in self.archive.programs.case_scores(member.program_id, "train").items()
                    if v is not None
                }
                result = fresh.get(member.program_id)
                if result is not None and result.outcome.ok:
                    scores.update(self.problem.training_score(result.per_case))
                known = {n: scores[n] for n in names if n in scores}
                if len(known) < len(names):  # it failed on a new scenario: off the island
                    self._dropped.append(member.program_id)
                    continue
                score = self._training_score(known, float(np.mean(list(known.values()))))
                rescored.append(Member(member.program_id, score, behaviour_signature(known)))
            # New scores reorder the members; the island keeps them best first (its best, its worst).
            island.members = sorted(rescored, key=lambda m: -m.score)
        best = max(
            (m for island in self.islands for m in island.members), key=lambda m: m.score, default=None
        )
        self.best = (best.program_id, best.score) if best else None
        self._history_start = len(self.best_history)
        return fresh

    def _train_on(self, attack_scenarios) -> None:
        self.cases = replace(self.cases, train=tuple(self.base_train) + tuple(attack_scenarios))
        self._attack_names = frozenset(case.name for case in attack_scenarios)

    def _training_score(self, scores: Mapping[str, float], plain: float) -> float:
        """A program's training score from its per-case ``scores``: ``plain`` (the mean over every
        case) unless the attacker has scenarios in the training set; then the seed scenarios' mean
        carries ``1 - attacker.weight`` of it and the attacker scenarios' mean ``attacker.weight``.

        Why not the plain mean: the attacker keeps the scenarios on which the elites split against
        best fit, where programs differ most, so at their plain share (4 of 14 cases) they decided
        the ranking, and the defender got worse on held-out scenarios (BENCHMARKS.md, ablation).
        """
        attack = [v for name, v in scores.items() if name in self._attack_names]
        seeds = [v for name, v in scores.items() if name not in self._attack_names]
        if not attack or not seeds:
            return plain
        weight = self.config.attacker.weight
        return (1.0 - weight) * float(np.mean(seeds)) + weight * float(np.mean(attack))

    def _store_attack(self, attack: dict) -> None:
        """Inside the iteration's transaction: the rescoring evaluations, the programs that left the
        islands (evicted when no cell holds them either), and the attacker's events."""
        self._evict_if_homeless(self._dropped)
        self._dropped = []
        for pid, result in attack["rescored"].items():
            if result.outcome.ok:
                self._store_evaluations(pid, "train", result)
        if attack["rescored"] and self.best is not None:
            # The rescoring named the best afresh; like any new best, it is scored on held-out cases.
            if self.archive.programs.get(self.best[0]).validation_score is None:
                self._validate(self.best[0], self._source(self.best[0]))
        self._store_training_scenarios()
        self.archive.ledger.add_quality_checks(self.run_id, attack["checks"])
        self.archive.ledger.add_event(self.run_id, self.iteration, "attacker", attack["event"])
        self.archive.ledger.add_event(self.run_id, self.iteration, "quality", self.attacker.monitor.summary())
        if attack["advanced"] is not None:
            self.archive.ledger.add_event(
                self.run_id, self.iteration, "curriculum",
                {"level": attack["advanced"], "level_rank": LEVELS[attack["advanced"]].rank,
                 "level_success": attack["event"]["level_success"]},
            )  # fmt: skip

    def _store_training_scenarios(self) -> None:
        """Store the attacker's training scenarios the archive does not hold yet (the saved state
        names them)."""
        from aurora_evo.scenario.io import scenario_to_dict

        for active in self.attacker.active:
            if active.scenario.name not in self._stored_scenarios:
                self.archive.ledger.add_scenario(
                    self.run_id, active.born, scenario_to_dict(active.scenario),
                    learnability=active.learnability, success_rate=active.success_rate,
                )  # fmt: skip
                self._stored_scenarios.add(active.scenario.name)

    def _store_calls(self) -> tuple[Counter, list[tuple[int, str]]]:
        """Store (and commit) the LLM calls made since the last time, so that a run killed before its
        iteration commits still counts them against its budgets and its keys' limits. Returns the
        counts of answers that gave no candidate (``no_code``, ``diff_not_applied``, failed calls), and
        (call row id, id its candidate will have) for the calls that gave one."""
        unusable: Counter = Counter()
        made_by: list[tuple[int, str]] = []
        writer = self.attacker.writer if self.attacker is not None else None
        for mutator in [*self.mutators.values(), *([writer] if writer is not None else [])]:
            calls = mutator.take_calls()
            ids = self.archive.ledger.add_llm_calls(self.run_id, self.iteration, [c.as_row() for c in calls])
            for call_id, call in zip(ids, calls, strict=True):
                if call.source is not None:
                    made_by.append((call_id, program_id(self.run_id, call.source)))
                if call.purpose == "program" and call.outcome != "ok":
                    unusable["llm." + call.outcome] += 1
        return unusable, made_by

    def _finish_iteration(self, told: dict, evaluated: int, duplicates: int) -> None:
        islands = self.config.islands
        housed = {m.program_id for island in self.islands for m in island.members}
        if self.iteration and islands.migration_interval and self.iteration % islands.migration_interval == 0:
            moves = mig_ring(self.islands, islands.migrants)
            self.archive.ledger.add_event(self.run_id, self.iteration, "migration", {"moves": moves})
        if self.iteration and islands.reset_interval and self.iteration % islands.reset_interval == 0:
            resets = reset_weakest(self.islands, self.rng)
            self.archive.ledger.add_event(self.run_id, self.iteration, "reset", {"islands": resets})
        self._evict_if_homeless(sorted(housed - {m.program_id for i in self.islands for m in i.members}))
        self.best_history.append(self.best[1] if self.best else None)
        self.archive.ledger.add_event(
            self.run_id,
            self.iteration,
            "iteration",
            {"evaluated": evaluated, "duplicates": duplicates, "outcomes": dict(told["outcomes"]),
             "best": self.best[1] if self.best else None},
        )  # fmt: skip
        self._save_state()

    def _stats(self, told: dict, evaluated: int, duplicates: int, seconds: float) -> IterationStats:
        from aurora_evo.archive import coverage

        ratings = self.archive.elites.ratings(self.run_id)
        return IterationStats(
            iteration=self.iteration,
            evaluated=evaluated,
            outcomes=dict(told["outcomes"]),
            duplicates=duplicates,
            best_score=self.best[1] if self.best else None,
            best_program=self.best[0] if self.best else None,
            improved=bool(told["improved"]),
            island_best=tuple(i.best.score if i.best else None for i in self.islands),
            coverage=coverage(self.archive.elites.cells(self.run_id), self.descriptors),
            top_rating=max((r.rating for r in ratings.values()), default=None),
            seconds=seconds,
            training_cases=len(self.cases.train),
            level=self.attacker.level if self.attacker is not None else None,
        )

    def evaluations_so_far(self) -> int:
        """Candidates evaluated over the whole run, earlier invocations of a resumed run included."""
        return sum(
            int(e.data.get("evaluated", 0)) for e in self.archive.ledger.events(self.run_id, "iteration")
        )

    def stop_reason(self) -> str | None:
        """Why the run should stop now, or ``None``."""
        stop = self.config.stop
        # None: no program had run successfully yet. A changed training set restarts the comparison.
        history = [-np.inf if best is None else best for best in self.best_history[self._history_start :]]
        if stop.max_iterations is not None and self.iteration >= stop.max_iterations:
            return f"reached {stop.max_iterations} iterations"
        if stop.max_seconds is not None and time.monotonic() - self._started >= stop.max_seconds:
            return f"used the {stop.max_seconds:g} s budget"
        if stop.max_cost_usd is not None and self.budget.cost_usd >= stop.max_cost_usd:
            return f"spent the ${stop.max_cost_usd:g} budget"
        if stop.max_calls is not None and self.budget.calls >= stop.max_calls:
            return f"made the {stop.max_calls} LLM calls allowed"
        if self.budget.refused:  # the budgets end the run, even when offline mutators could go on
            return self.budget.refused
        weighted = [
            k for k, w in zip(self.config.mutators.kinds, self.config.mutators.weights, strict=True) if w > 0
        ]
        stopped = [self.mutators[k].exhausted_reason if k in self.mutators else None for k in weighted]
        if stopped and all(stopped):
            return stopped[0]
        mastered = self.attacker.mastered if self.attacker is not None else None
        if (
            stop.curriculum_level is not None
            and mastered is not None
            and LEVELS[mastered].rank >= LEVELS[stop.curriculum_level].rank
        ):
            return f"the defender mastered the {stop.curriculum_level} curriculum level"
        if stop.target_score is not None and self.best and self.best[1] >= stop.target_score:
            return f"reached the target score {stop.target_score:g}"
        if (
            stop.patience is not None
            and len(history) > stop.patience
            and history[-1] <= history[-1 - stop.patience]
        ):
            return f"no improvement in {stop.patience} iterations"
        if stop.window is not None and len(history) > stop.window:
            then, now = history[-1 - stop.window], history[-1]
            if np.isfinite(then) and now - then < stop.min_improvement * max(abs(then), 1e-9):
                return f"less than {stop.min_improvement:.0%} improvement in {stop.window} iterations"
        return None

    def run(self, on_iteration: Callable[[IterationStats], None] | None = None) -> str:
        """Evolve until a stop criterion holds; returns the reason."""
        if self.iteration == 0 and self.archive.ledger.load_state(self.run_id) is None:
            stats = self.initialise()
            if on_iteration:
                on_iteration(stats)
        while (reason := self.stop_reason()) is None:
            stats = self.step()
            if on_iteration:
                on_iteration(stats)
        self.archive.runs.set_status(self.run_id, f"stopped: {reason}")
        return reason

    def baseline_validation(self) -> dict[str, float | None]:
        """First fit's and best fit's scores on the held-out cases (``None`` if one failed), to set
        the best program's validation score against."""
        if not self.cases.validation:
            return {}
        readable = (
            (name.replace("_", " ").lower(), source) for name, source in self.problem.baselines().items()
        )
        # In the order the problem lists them.
        sources = {name: source for name, source in readable if name in ("first fit", "best fit")}
        results = self.evaluate(list(sources.values()), self.cases.validation)
        return {name: result.score for name, result in zip(sources, results, strict=True)}

    def close(self) -> None:
        writer = self.attacker.writer if self.attacker is not None else None
        if writer is not None:
            writer.close()
        for mutator in self.mutators.values():
            mutator.close()
        self.executor.close()
        self.archive.close()
