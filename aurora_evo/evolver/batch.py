"""An iteration's candidates between :meth:`~aurora_evo.evolver.Evolver.ask` and
:meth:`~aurora_evo.evolver.Evolver.tell`, and the error for calling them out of turn."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from aurora_evo.mutators import Proposal


class OrderError(RuntimeError):
    """:meth:`Evolver.ask` and :meth:`Evolver.tell` were called out of turn."""


@dataclass(frozen=True)
class Batch:
    """An iteration's candidates, asked for and not yet told.

    Attributes:
        iteration: the iteration they belong to.
        proposals: ``(island, proposal)`` per candidate, in the order results must come back.
        duplicates: candidates refused as near-duplicates.
    """

    iteration: int
    proposals: tuple[tuple[int, Proposal], ...]
    duplicates: int
    _attack: dict | None = None
    _unusable: Counter | None = None
    _made_by: tuple[tuple[int, str], ...] = ()
    _best_before: float | None = None
    _began: float = 0.0

    @property
    def sources(self) -> list[str]:
        return [proposal.source for _, proposal in self.proposals]
