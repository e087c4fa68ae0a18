"""The run's islands and its best program: the part of the controller's state that selection reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from aurora_evo.island_model import Island, Member


@dataclass
class Population:
    """Islands of programs, and the run's best so far.

    Attributes:
        islands: the island populations, by index.
        best: ``(program id, training score)`` of the best program, or ``None`` before any ran.
        best_history: the best training score after each iteration (``None`` where none had run).
        history_start: where in ``best_history`` the current training set began (the stop rules
            compare scores only over one training set).
    """

    islands: list[Island]
    best: tuple[str, float] | None = None
    best_history: list[float | None] = field(default_factory=list)
    history_start: int = 0

    @classmethod
    def empty(cls, islands: int, population: int) -> Population:
        """``islands`` empty islands of ``population`` members at most."""
        return cls([Island(i, population) for i in range(islands)])

    def members(self) -> list[Member]:
        """Every island's members, island by island."""
        return [m for island in self.islands for m in island.members]

    def housed(self) -> set[str]:
        """The ids of the programs on some island."""
        return {m.program_id for m in self.members()}

    def offer_best(self, member: Member) -> bool:
        """Make ``member`` the run's best if it scores higher; whether it did."""
        if self.best is None or member.score > self.best[1]:
            self.best = (member.program_id, member.score)
            return True
        return False

    def elites(self, k: int) -> list[str]:
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
