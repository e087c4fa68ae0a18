"""The controller: islands of programs improved by mutators, every candidate judged by the executor.

One iteration, :meth:`Evolver.step`, is :meth:`~Evolver.ask`, evaluation, :meth:`~Evolver.tell`::

    ask:   (every ``attacker.interval`` iterations, an attacker step first); for each slot an island, a
           mutator (by weight) and parents (softmax over scores with a novelty bonus); the mutator
           proposes a candidate; near-duplicates are refused before they cost an evaluation
    eval:  the candidates run on the training cases (the executor; the sandbox by default)
    tell:  every candidate is filed with its outcome, scores per case, lineage, MAP-Elites cell and Elo
           matches; good ones join their island; a new best is scored on the held-out cases; then ring
           migration and resets of the weakest islands at their intervals, and the controller's state
           (random generator included) is saved: the whole of it one transaction

so a run killed at any moment resumes from its last committed iteration, and the same seed gives the
same archive. In the steady state (``evaluation.mode = "steady"``, :mod:`aurora_evo.evolver.steady`)
evaluations are kept in flight instead and an iteration tells the first ``batch_size`` to come back:
faster, committed the same way, but no longer reproducible.
:func:`aurora_evo.evolver.build.build_evolver` makes the parts from a configuration; a Python user may
hand in parts of their own.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import numpy as np

from aurora_evo.archive import Archive, behaviour_signature, default_descriptors, program_id
from aurora_evo.config import RunConfig
from aurora_evo.evaluation import EvalResult
from aurora_evo.evolver.batch import Batch, OrderError
from aurora_evo.evolver.calls import store_calls
from aurora_evo.evolver.coevolution import Coevolution
from aurora_evo.evolver.filing import Filing
from aurora_evo.evolver.memory import ProgramMemory
from aurora_evo.evolver.population import Population
from aurora_evo.evolver.proposals import Proposer
from aurora_evo.evolver.seeding import carried_proposals, seed_proposals
from aurora_evo.evolver.state import register_run, restore_state, save_state
from aurora_evo.evolver.stats import IterationStats, iteration_stats, progress_of
from aurora_evo.evolver.steady import SteadyState
from aurora_evo.evolver.stopping import stop_reason
from aurora_evo.evolver.training import TrainingSet
from aurora_evo.evolver.validation import (
    SuiteTestReport,
    baseline_validation,
    evaluations_so_far,
    suite_test_report,
    validate_more,
)
from aurora_evo.executor import Executor
from aurora_evo.island_model import Member, mig_ring, reset_weakest
from aurora_evo.llm import CallBudget
from aurora_evo.mutators import Mutator, Proposal
from aurora_evo.problem import Cases, Problem
from aurora_evo.run_folder import RunFolder


class Evolver:
    """A run, handed its parts.

    Args:
        problem: what is evolved (:class:`~aurora_evo.problem.Problem`).
        mutators: by kind (``"gp"``, ``"edit"``, ``"llm"``, or a name of your own with a weight in
            ``weights``).
        executor: evaluates candidates (:class:`~aurora_evo.executor.Executor`).
        archive: the run's archive (the run is registered in it when it is not yet).
        run_folder: where the run lives (its id is the folder's name when it began).
        config: the run's settings.
        coevolution: the attacker's part, or ``None``.
        budget: the LLM budget the stop rules read (``None``: no language model).
        weights: how often each mutator is used, by kind (default: ``config.mutators``' kinds and
            weights), for mutators of your own.
        cases: the problem's cases for ``config`` when already made (default: made here).
    """

    def __init__(
        self,
        problem: Problem,
        mutators: Mapping[str, Mutator],
        executor: Executor,
        archive: Archive,
        run_folder: RunFolder,
        config: RunConfig,
        coevolution: Coevolution | None = None,
        *,
        budget: CallBudget | None = None,
        weights: Mapping[str, float] | None = None,
        cases: Cases | None = None,
    ):
        self.problem, self.mutators, self.executor, self.archive = problem, dict(mutators), executor, archive
        self.run_folder, self.config, self.coevolution = run_folder, config, coevolution
        self.budget = budget or CallBudget(None, None)
        self.run_id = run_folder.run_id(archive)
        settings = config.mutators
        self.weights = (
            dict(weights) if weights is not None else dict(zip(settings.kinds, settings.weights, strict=True))
        )
        cases = cases if cases is not None else problem.cases(config.task, config.seed)
        self.training = TrainingSet(cases, config.attacker.weight)
        self.descriptors = default_descriptors(config.archive.descriptors, config.archive.bins)
        self.population = Population.empty(config.islands.islands, config.islands.population)
        self.memory = ProgramMemory(archive, config.archive.duplicate_novelty)
        self.filing = Filing(
            archive, self.run_id, problem, self.descriptors, config.archive, self.memory, self.population
        )
        self.proposer = Proposer(
            self.mutators, self.weights, config, archive, self.memory, self.population, self.run_id
        )
        self.rng = np.random.default_rng(config.seed)
        self.iteration = 0
        self._pending: Batch | None = None
        self.started = time.monotonic()
        register_run(archive, self.run_id, config)
        restore_state(self)

    # --- what the run holds ------------------------------------------------------------------------

    @property
    def cases(self):
        """The current cases (training, with the attacker's scenarios; held-out validation)."""
        return self.training.cases

    @property
    def attacker(self):
        return self.coevolution.attacker if self.coevolution is not None else None

    @property
    def best(self) -> tuple[str, float] | None:
        return self.population.best

    @property
    def islands(self):
        return self.population.islands

    @property
    def run_dir(self):
        return self.run_folder.path

    def evaluate(self, sources: Sequence[str], cases: Sequence | None = None) -> list[EvalResult]:
        """Results of ``sources`` on ``cases`` (default: the training cases), in order."""
        cases = self.training.train if cases is None else cases
        return self.executor.evaluate(self.problem, list(sources), list(cases))

    # --- ask and tell ------------------------------------------------------------------------------

    def ask(self) -> Batch:
        """The next iteration's candidates (an attacker step first when one is due). LLM calls are
        stored as soon as they are made: they are spent, whatever becomes of the iteration."""
        if self._pending is not None:
            raise OrderError(f"ask() again before tell() of iteration {self._pending.iteration}")
        began = time.monotonic()
        best_before, attack = self.begin_iteration()
        proposals, duplicates = self.proposer.propose(self.rng, self.iteration)
        unusable, made_by = self.store_calls()
        self._pending = Batch(
            self.iteration, tuple(proposals), duplicates, attack, unusable, tuple(made_by), best_before, began
        )
        return self._pending

    def begin_iteration(self) -> tuple[float | None, dict | None]:
        """Start the next iteration: the best score before it, and the attacker's step when one is due
        (``None`` otherwise)."""
        self.iteration += 1
        best_before = self.best[1] if self.best else None
        coevolution = self.coevolution
        due = coevolution is not None and coevolution.due(self.iteration)
        return best_before, coevolution.attack(self) if due else None

    def store_calls(self):
        """Store the language-model calls made since the last time (:func:`store_calls`)."""
        coevolution = self.coevolution
        callers = [
            *self.mutators.values(),
            *([coevolution.writer] if coevolution and coevolution.writer else []),
        ]
        return store_calls(self.archive, self.run_id, self.iteration, callers)

    def tell(self, batch: Batch, results: Sequence[EvalResult]) -> IterationStats:
        """File ``batch``'s candidates with their ``results`` (in the batch's order) and end the
        iteration: one transaction."""
        if batch is not self._pending:
            raise OrderError("tell() takes the batch of the last ask(), once")
        self._pending = None
        return self.tell_iteration(batch, results)

    def tell_iteration(self, batch: Batch, results: Sequence[EvalResult]) -> IterationStats:
        """:meth:`tell` without the turn check, for a runner that makes its own batches (the steady
        state): file the candidates and end iteration ``self.iteration`` in one transaction."""
        with self.archive.transaction():
            self.filing.stored_now = set()
            if batch._attack is not None:
                self.coevolution.store(self, batch._attack)
            told = self._file_all(batch.proposals, results)
            told["outcomes"].update(batch._unusable or {})
            for call_id, pid in batch._made_by:
                if pid in self.filing.stored_now:
                    self.archive.ledger.link_llm_call(call_id, pid)
            for mutator in self.mutators.values():
                self.archive.ledger.set_instructions(self.run_id, mutator.prompt_instructions())
            self._finish_iteration(told, len(batch.proposals), batch.duplicates)
        stats = self._stats(told, len(batch.proposals), batch.duplicates, time.monotonic() - batch._began)
        if batch._attack is not None and batch._attack["event"]["training_changed"]:
            stats = replace(stats, training_changed=True, best_before_change=batch._best_before)
        return stats

    def step(self) -> IterationStats:
        """One iteration: :meth:`ask`, evaluate, :meth:`tell`."""
        batch = self.ask()
        return self.tell(batch, self.evaluate(batch.sources) if batch.proposals else [])

    def _file_all(self, proposals: Sequence[tuple[int, Proposal]], results: Sequence[EvalResult]) -> dict:
        """File every candidate; the outcome counts and whether the best training score improved."""
        outcomes: Counter = Counter()
        improved = False
        for (island_index, proposal), result in zip(proposals, results, strict=True):
            outcomes[result.outcome.value] += 1
            scores = self.problem.training_score(result.per_case) if result.outcome.ok else {}
            if scores:  # the score the archive, the islands and the mutators see
                result = replace(result, score=self.training.score(scores, result.score))
            member = self.filing.file(island_index, proposal, result, scores, self.iteration, self.rng)
            failure = "" if result.outcome.ok else f"{result.outcome.value}: {result.message}"
            self.proposer.observe(proposal, float(result.score) if result.outcome.ok else None, failure)
            if member is not None and self.population.offer_best(member):
                improved = True
                self.validate(member.program_id, proposal.source)
        return {"outcomes": outcomes, "improved": improved}

    def validate(self, pid: str, source: str) -> None:
        """Score a new best on the held-out cases (stored apart from its training score)."""
        if not self.training.validation:
            return
        result = self.evaluate([source], self.training.validation)[0]
        self.filing.store_validation(pid, result)
        event = {"program": pid, "validation": result.as_dict()["score"]}
        self.archive.ledger.add_event(self.run_id, self.iteration, "new_best", event)

    # --- the run -----------------------------------------------------------------------------------

    def initialise(self) -> IterationStats:
        """Iteration 0: the problem's baselines on every island (as FunSearch starts every island from
        the same program), the seeds mutators make of their own, one to an island, and the programs
        carried over from ``islands.seed_run``'s islands, each to its own."""
        began = time.monotonic()
        unique = seed_proposals(self.problem, self.mutators, self.rng, len(self.islands))
        proposals = [(position % len(self.islands), p) for position, (p, _) in enumerate(unique)]
        proposals += carried_proposals(
            self.config.islands.seed_run, len(self.islands), [p for p, _ in unique]
        )
        results = self.evaluate([p.source for _, p in proposals])
        with self.archive.transaction():
            told = self._file_all(proposals, results)
            for _, proposal in proposals:
                self.memory.remember(proposal.source)
            for (proposal, everywhere), result in zip(unique, results[: len(unique)], strict=True):
                if everywhere and result.outcome.ok:
                    scores = self.problem.training_score(result.per_case)
                    member = Member(
                        program_id(self.run_id, proposal.source),
                        float(result.score),
                        behaviour_signature(scores),
                    )
                    for island in range(len(self.islands)):
                        self.filing.place(member, island)
            self._finish_iteration(told, len(proposals), 0)
        return self._stats(told, len(proposals), 0, time.monotonic() - began)

    def _finish_iteration(self, told: dict, evaluated: int, duplicates: int) -> None:
        settings, iteration, population = self.config.islands, self.iteration, self.population
        housed = population.housed()
        if iteration and settings.migration_interval and iteration % settings.migration_interval == 0:
            moves = mig_ring(self.islands, settings.migrants)
            self.archive.ledger.add_event(self.run_id, iteration, "migration", {"moves": moves})
        if iteration and settings.reset_interval and iteration % settings.reset_interval == 0:
            resets = reset_weakest(self.islands, self.rng)
            self.archive.ledger.add_event(self.run_id, iteration, "reset", {"islands": resets})
        self.filing.evict_if_homeless(sorted(housed - population.housed()))
        best = self.best[1] if self.best else None
        population.best_history.append(best)
        data = {
            "evaluated": evaluated,
            "duplicates": duplicates,
            "outcomes": dict(told["outcomes"]),
            "best": best,
        }
        self.archive.ledger.add_event(self.run_id, iteration, "iteration", data)
        save_state(self)

    def _stats(self, told: dict, evaluated: int, duplicates: int, seconds: float) -> IterationStats:
        return iteration_stats(self, told, evaluated, duplicates, seconds)

    def stop_reason(self) -> str | None:
        """Why the run should stop now (:func:`~aurora_evo.evolver.stopping.stop_reason`), or ``None``."""
        return stop_reason(self.config.stop, progress_of(self))

    def validate_more(self, n: int) -> int:
        """See :func:`aurora_evo.evolver.validation.validate_more`."""
        return validate_more(self, n)

    def baseline_validation(self) -> dict[str, float | None]:
        """See :func:`aurora_evo.evolver.validation.baseline_validation`."""
        return baseline_validation(self)

    def suite_test_report(self) -> SuiteTestReport | None:
        """See :func:`aurora_evo.evolver.validation.suite_test_report`."""
        return suite_test_report(self)

    def evaluations_so_far(self) -> int:
        """Candidates evaluated over the whole run, earlier invocations of a resumed run included."""
        return evaluations_so_far(self)

    @property
    def asks_a_model(self) -> bool:
        """Whether a concurrent mutator (a language model, whose calls are worth making ahead) proposes."""
        return any(mutator.concurrent for mutator in self.mutators.values())

    @property
    def steady(self) -> bool:
        """Whether the run evolves in the steady state (``evaluation.mode``; ``auto``: when a model
        proposes, :attr:`asks_a_model`)."""
        mode = self.config.evaluation.mode
        if mode == "auto":
            return self.asks_a_model
        return mode == "steady"

    def run(self, on_iteration: Callable[[IterationStats], None] | None = None) -> str:
        """Evolve until a stop rule holds, in batches or in the steady state
        (``config.evaluation.mode``); returns the reason."""
        on_iteration = on_iteration or (lambda stats: None)
        if self.iteration == 0 and self.archive.ledger.load_state(self.run_id) is None:
            on_iteration(self.initialise())
        if self.steady:
            reason = SteadyState(self, self.config.evaluation.in_flight).run(on_iteration)
        else:
            while (reason := self.stop_reason()) is None:
                on_iteration(self.step())
        self.archive.runs.set_status(self.run_id, f"stopped: {reason}")
        return reason

    def __enter__(self) -> Evolver:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release the run's parts: the mutators' clients, the proposer's threads, the executor's
        workers and the archive. ``with build_evolver(...) as evolution:`` closes it on leaving."""
        if self.coevolution is not None and self.coevolution.writer is not None:
            self.coevolution.writer.close()
        for mutator in self.mutators.values():
            mutator.close()
        self.proposer.close()
        self.executor.close()
        self.archive.close()
