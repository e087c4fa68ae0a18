"""The steady state: evaluations kept in flight, results told as they come back.

In batches (:meth:`Evolver.step <aurora_evo.evolver.Evolver.step>`) the controller asks an iteration's
candidates, waits for every answer of the model and then every result, then tells them: the workers
idle while it files, migrates and proposes, and while the slowest candidate of a batch runs. In the
steady state it keeps ``in_flight`` evaluations submitted (two per worker by default, so a worker
finishing one has the next at hand), and each time one comes back proposes another from the population
as it stands. A model's proposals are asked ahead, up to ``llm.concurrency`` calls at once, and wait
for a worker once answered: the controller never waits on a model while a worker idles for want of a
candidate it could have had. The results that have come back are told an iteration's worth at a time
(``batch_size`` slots, evaluated or left empty by repeats or unusable answers), each iteration one
transaction as in batches, so a run killed at any moment
still resumes from its last committed iteration: the evaluations and calls in flight then are lost,
never half filed.

No answer a model was paid for goes unevaluated: the last iteration allowed proposes nothing once its
slots are in flight and tells everything in flight, and a run that stops on the model's budget (calls or
dollars) tells what is still in flight in one more iteration. Other stops (the clock, a target reached,
stagnation) leave the evaluations in flight unread.

What an iteration holds depends on which evaluations finish first, so the same seed no longer gives the
same archive; batches (``evaluation.mode = "batch"``) keep that guarantee. Before an attacker step,
which changes the training cases, no model is asked any more and every proposal in flight is evaluated
and told: no result on the old cases is filed after the change.
"""

from __future__ import annotations

import queue
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aurora_evo.archive import program_id
from aurora_evo.evaluation import EvalResult
from aurora_evo.evolver.batch import Batch
from aurora_evo.evolver.proposals import Asked
from aurora_evo.evolver.stats import IterationStats
from aurora_evo.mutators import Proposal

if TYPE_CHECKING:  # typing only: the evolver imports this module
    from aurora_evo.evolver.evolver import Evolver

#: Evaluations in flight per worker when ``evaluation.in_flight`` is not set.
PER_WORKER = 2


@dataclass
class _Iteration:
    """What the iteration being filled has gathered so far."""

    duplicates: int = 0
    unusable: Counter = field(default_factory=Counter)
    arrived: list[tuple[tuple[int, Proposal], EvalResult]] = field(default_factory=list)
    #: Slots that ended with nothing to evaluate: near-duplicates only, or a model's answer refused.
    empty_slots: int = 0

    @property
    def settled(self) -> int:
        """Slots this iteration has seen to an end, evaluated or empty. A batch is as many slots,
        whatever became of them, so a mutator that only repeats itself still ends iterations (and the
        stop rules are asked)."""
        return len(self.arrived) + self.empty_slots


class SteadyState:
    """Runs ``evolver`` in the steady state (see the module docstring).

    Args:
        evolver: the run; its executor must have ``submit`` and ``capacity``.
        in_flight: evaluations kept submitted; default two per worker of the executor.
    """

    def __init__(self, evolver: Evolver, in_flight: int | None = None):
        self.evolver = evolver
        self.in_flight = in_flight
        self._done: queue.SimpleQueue = queue.SimpleQueue()
        self._pending: dict[Future, tuple[int, Proposal]] = {}
        self._asking: dict[Future, Asked] = {}
        self._ready: deque[tuple[int, Proposal]] = deque()
        self._made_by: list[tuple[int, str]] = []
        self._slot = 0
        self._exhausted = False

    def run(self, on_iteration: Callable[[IterationStats], None]) -> str:
        """Iterations until a stop rule holds; returns the reason. Evaluations still in flight then (after
        a stop the last iteration could not foresee) are cancelled or left to finish unread; so are model
        calls not yet sent, and those running are waited for and stored, since they are paid for."""
        evolver = self.evolver
        try:
            while (reason := evolver.stop_reason()) is None:
                stats = self._iteration()
                on_iteration(stats)
                if stats.evaluated == 0 and not self._in_flight and self._exhausted:
                    # Nothing more can be proposed; the stop rules will say why (budget, exhausted).
                    if (reason := evolver.stop_reason()) is None:
                        reason = "no mutator can propose more candidates"
                    break
            if self._in_flight and evolver.budget.exhausted:
                # Answers the model's budget paid for are evaluated and told, in one more iteration.
                on_iteration(self._iteration(final=True))
        except BaseException:  # Ctrl-C: stop at once, calls and all
            evolver.proposer.abandon(list(self._asking.values()))
            raise
        finally:
            for future in self._pending:
                future.cancel()
        running = [future for future in self._asking if not future.cancel()]
        wait(running)
        evolver.store_calls()
        return reason

    @property
    def _in_flight(self) -> bool:
        return bool(self._pending or self._asking or self._ready)

    @property
    def _outstanding(self) -> int:
        """Proposals asked and not yet back: model calls running, answers waiting, evaluations pending."""
        return len(self._pending) + len(self._ready) + len(self._asking)

    # --- one iteration -----------------------------------------------------------------------------

    def _iteration(self, final: bool = False) -> IterationStats:
        """Fill and tell one iteration; a ``final`` one proposes nothing and tells everything in flight."""
        evolver = self.evolver
        began = time.monotonic()
        # An attacker step comes with nothing in flight: the iteration before it drained.
        best_before, attack = evolver.begin_iteration()
        evolver.proposer.prepare(evolver.rng, evolver.iteration)
        gathered = _Iteration()
        # Before an attacker step, everything in flight is told in this iteration: nothing is proposed
        # after the first top-up, and the iteration waits for all of it.
        coevolution = evolver.coevolution
        drain = coevolution is not None and coevolution.due(evolver.iteration + 1)
        size = evolver.config.batch_size
        # Once per iteration: the training cases change only at attacker steps, and asking a cluster for
        # its workers costs a round trip.
        target = self.in_flight or PER_WORKER * max(1, evolver.executor.capacity)
        # A model's answer takes a while: up to its concurrency, calls are made ahead of need.
        asks = max(1, evolver.config.llm.concurrency) if evolver.asks_a_model else 0
        cases = list(evolver.training.train)
        if final:
            self._submit_ready(target, cases)
        else:
            self._top_up(gathered, target, asks, cases)
        closing = final or drain or self._last(gathered)
        while self._in_flight and (closing or gathered.settled < size):
            self._next_event(gathered)
            if closing:
                self._submit_ready(target, cases)
            else:
                self._top_up(gathered, target, asks, cases)
            closing = closing or self._last(gathered)
        return self._tell(gathered, attack, best_before, began)

    def _last(self, gathered: _Iteration) -> bool:
        """Whether this is the last iteration allowed and has its slots in flight: then nothing more is
        proposed, and everything in flight, answers paid for included, is evaluated and told in it."""
        evolver = self.evolver
        stop = evolver.config.stop
        if stop.max_iterations is None or evolver.iteration < stop.max_iterations:  # it counts this one
            return False
        return gathered.settled + self._outstanding >= evolver.config.batch_size

    def _top_up(self, gathered: _Iteration, target: int, asks: int, cases: list) -> None:
        """Keep ``target`` evaluations on ``cases`` pending, and ``asks`` more proposals coming (model
        calls running, or answered and waiting for a worker); or as many as can be proposed, or as the
        run's last iteration needs."""
        evolver = self.evolver
        self._submit_ready(target, cases)
        while not self._exhausted and len(self._asking) < max(asks, 1):
            if self._outstanding >= target + asks or self._last(gathered):
                return
            proposals, asked, duplicates = evolver.proposer.start(
                evolver.rng, evolver.iteration, 1, self._slot
            )
            self._slot += 1
            gathered.duplicates += duplicates
            self._store_calls(gathered)
            self._ready.extend(proposals)
            for request in asked:
                self._asking[request.future] = request
                request.future.add_done_callback(self._done.put)
            self._submit_ready(target, cases)
            if not proposals and not asked:
                # Nothing new: every mutator spent (budget, quotas), or only near-duplicates this round
                # (the next result's top-up tries again).
                self._exhausted = not duplicates and not self._asking
                gathered.empty_slots += bool(duplicates)
                return

    def _submit_ready(self, target: int, cases: list) -> None:
        """Submit proposals waiting for a worker until ``target`` evaluations are pending."""
        evolver = self.evolver
        while self._ready and len(self._pending) < target:
            item = self._ready.popleft()
            future = evolver.executor.submit(evolver.problem, item[1].source, cases)
            self._pending[future] = item
            future.add_done_callback(self._done.put)

    def _next_event(self, gathered: _Iteration) -> None:
        """Wait for the next evaluation or model call to finish and take it in."""
        future = self._done.get()
        if future in self._pending:
            gathered.arrived.append((self._pending.pop(future), future.result()))
            return
        answered, refused = self.evolver.proposer.accept([self._asking.pop(future)])
        gathered.duplicates += refused
        gathered.empty_slots += not answered
        self._store_calls(gathered)
        self._ready.extend(answered)

    def _store_calls(self, gathered: _Iteration) -> None:
        unusable, made_by = self.evolver.store_calls()
        gathered.unusable.update(unusable)
        self._made_by += made_by

    def _tell(self, gathered: _Iteration, attack, best_before, began: float) -> IterationStats:
        evolver = self.evolver
        proposals = tuple(item for item, _ in gathered.arrived)
        results = [result for _, result in gathered.arrived]
        batch = Batch(
            evolver.iteration,
            proposals,
            gathered.duplicates,
            attack,
            gathered.unusable,
            tuple(self._made_by),
            best_before,
            began,
        )
        stats = evolver.tell_iteration(batch, results)
        # Calls whose candidates are still in flight are linked when those are told.
        told = {program_id(evolver.run_id, proposal.source) for _, proposal in proposals}
        self._made_by = [(call, pid) for call, pid in self._made_by if pid not in told]
        return stats
