"""The steady state: evaluations kept in flight, results told as they come back.

In batches (:meth:`Evolver.step <aurora_evo.evolver.Evolver.step>`) the controller asks an iteration's
candidates, waits for every result, then tells them: the workers idle while it files, migrates and
proposes, and while the slowest candidate of a batch runs. In the steady state it keeps ``in_flight``
evaluations submitted (two per worker by default, so a worker finishing one has the next at hand), and
each time one comes back proposes another from the population as it stands. The results that have come
back are told an iteration's worth (``batch_size``) at a time, each iteration one transaction as in
batches, so a run killed at any moment still resumes from its last committed iteration: the evaluations
in flight then are lost, never half filed.

What an iteration holds depends on which evaluations finish first, so the same seed no longer gives the
same archive; batches (``evaluation.mode = "batch"``) keep that guarantee. Before an attacker step,
which changes the training cases, every evaluation in flight is waited for and told: no result on the
old cases is filed after the change.
"""

from __future__ import annotations

import queue
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aurora_evo.archive import program_id
from aurora_evo.evaluation import EvalResult
from aurora_evo.evolver.batch import Batch
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
        self._made_by: list[tuple[int, str]] = []
        self._slot = 0
        self._exhausted = False

    def run(self, on_iteration: Callable[[IterationStats], None]) -> str:
        """Iterations until a stop rule holds; returns the reason. Evaluations still in flight then are
        cancelled (or left to finish unread)."""
        evolver = self.evolver
        try:
            while (reason := evolver.stop_reason()) is None:
                stats = self._iteration()
                on_iteration(stats)
                if stats.evaluated == 0 and not self._pending and self._exhausted:
                    # Nothing more can be proposed; the stop rules will say why (budget, exhausted).
                    if (reason := evolver.stop_reason()) is None:
                        reason = "no mutator can propose more candidates"
                    break
        finally:
            for future in self._pending:
                future.cancel()
        return reason

    # --- one iteration -----------------------------------------------------------------------------

    def _iteration(self) -> IterationStats:
        evolver = self.evolver
        began = time.monotonic()
        # An attacker step comes with nothing in flight: the iteration before it drained.
        best_before, attack = evolver.begin_iteration()
        evolver.proposer.prepare(evolver.rng, evolver.iteration)
        gathered = _Iteration()
        # Before an attacker step, everything in flight is told in this iteration: no top-up after the
        # first, and the iteration waits for all of it.
        coevolution = evolver.coevolution
        drain = coevolution is not None and coevolution.due(evolver.iteration + 1)
        size = evolver.config.batch_size
        # Once per iteration: the training cases change only at attacker steps, and asking a cluster for
        # its workers costs a round trip.
        target = self.in_flight or PER_WORKER * max(1, evolver.executor.capacity)
        cases = list(evolver.training.train)
        self._top_up(gathered, target, cases)
        while self._pending and (drain or len(gathered.arrived) < size):
            gathered.arrived.append(self._next_result())
            if not drain:
                self._top_up(gathered, target, cases)
        return self._tell(gathered, attack, best_before, began)

    def _top_up(self, gathered: _Iteration, target: int, cases: list) -> None:
        """Propose and submit on ``cases`` until ``target`` evaluations are pending (or nothing can be
        proposed)."""
        evolver = self.evolver
        while len(self._pending) < target and not self._exhausted:
            want = target - len(self._pending)
            proposals, duplicates = evolver.proposer.propose(evolver.rng, evolver.iteration, want, self._slot)
            self._slot += want
            unusable, made_by = evolver.store_calls()
            gathered.duplicates += duplicates
            gathered.unusable.update(unusable)
            self._made_by += made_by
            for item in proposals:
                future = evolver.executor.submit(evolver.problem, item[1].source, cases)
                self._pending[future] = item
                future.add_done_callback(self._done.put)
            if not proposals:
                # Nothing new: every mutator spent (budget, quotas), or only near-duplicates this round
                # (the next result's top-up tries again).
                self._exhausted = not duplicates
                return

    def _next_result(self) -> tuple[tuple[int, Proposal], EvalResult]:
        future = self._done.get()
        return self._pending.pop(future), future.result()

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
