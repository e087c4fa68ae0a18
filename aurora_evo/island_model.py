"""Island populations and their operators, in DEAP's vocabulary: plain functions ``sel_*``, ``mig_*``
and ``reset_*``, each random choice drawn from an explicit ``numpy.random.Generator``.

An island keeps its best programs, at most one per behaviour signature (FunSearch's clusters: programs
whose per-case scores are identical count once), ordered best first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Member:
    """A program on an island: its archive id, training score (higher is better) and signature."""

    program_id: str
    score: float
    signature: tuple


@dataclass
class Island:
    """A population: ``members`` sorted best first, at most ``capacity`` of them."""

    index: int
    capacity: int
    members: list[Member] = field(default_factory=list)

    @property
    def best(self) -> Member | None:
        return self.members[0] if self.members else None

    def ids(self) -> list[str]:
        return [m.program_id for m in self.members]


def add_member(island: Island, member: Member) -> tuple[bool, list[str]]:
    """Insert ``member`` if it earns a place; ``(inserted, ids it pushed out)``.

    A member with the signature of one already there replaces it only when it scores higher (ties keep
    the incumbent, so the older, usually simpler, program stays).
    """
    same = next((m for m in island.members if m.signature == member.signature), None)
    if any(m.program_id == member.program_id for m in island.members):
        return False, []
    removed: list[str] = []
    if same is not None:
        if member.score <= same.score:
            return False, []
        island.members.remove(same)
        removed.append(same.program_id)
    elif len(island.members) >= island.capacity:
        worst = island.members[-1]
        if member.score <= worst.score:
            return False, []
        island.members.pop()
        removed.append(worst.program_id)
    island.members.append(member)
    island.members.sort(key=lambda m: -m.score)
    return True, removed


def sel_softmax(
    island: Island,
    rng: np.random.Generator,
    k: int,
    temperature: float,
    novelty: Callable[[Member], float] | None = None,
    novelty_bonus: float = 0.0,
) -> list[Member]:
    """Draw ``k`` distinct parents by a softmax over scores normalised to [0, 1] on the island.

    ``novelty(member)`` in [0, 1] adds ``novelty_bonus`` times itself to a member's normalised score,
    so that unusual programs get picked more than their score alone would allow.
    """
    members = island.members
    if not members:
        return []
    weights = _normalised([m.score for m in members])
    if novelty is not None and novelty_bonus:
        weights = weights + novelty_bonus * np.array([novelty(m) for m in members])
    return _softmax_draw(members, weights, rng, k, temperature)


def sel_elites(
    elites: Sequence[Member], rng: np.random.Generator, k: int, temperature: float
) -> list[Member]:
    """Draw ``k`` distinct parents from the archive's elites (one per MAP-Elites cell) by a softmax over
    their scores normalised to [0, 1]; give each elite its Elo rating as ``score`` to choose by rating.
    The elites come from every island and every region of behaviour the archive has mapped."""
    if not elites:
        return []
    return _softmax_draw(list(elites), _normalised([m.score for m in elites]), rng, k, temperature)


def _normalised(scores: Sequence[float]) -> np.ndarray:
    values = np.array(scores, dtype=np.float64)
    spread = values.max() - values.min()
    return (values - values.min()) / spread if spread > 0 else np.ones_like(values)


def _softmax_draw(
    members: list[Member], weights: np.ndarray, rng: np.random.Generator, k: int, temperature: float
) -> list[Member]:
    logits = (weights - weights.max()) / temperature
    probabilities = np.exp(logits)
    probabilities /= probabilities.sum()
    # A low temperature can underflow every weight but the best to 0; draw only from the rest.
    count = min(k, int(np.count_nonzero(probabilities)))
    chosen = rng.choice(len(members), size=count, replace=False, p=probabilities)
    return [members[i] for i in chosen]


def mig_ring(islands: Sequence[Island], k: int) -> list[tuple[int, int, str]]:
    """Ring migration: each island's best ``k`` are offered to the next island (the last to the first).

    Offers are taken before any arrives, so a program moves one step per migration. Returns the
    moves made as ``(from island, to island, program id)``.
    """
    offers = [list(island.members[:k]) for island in islands]
    moves = []
    for i, members in enumerate(offers):
        target = islands[(i + 1) % len(islands)]
        for member in members:
            inserted, _ = add_member(target, member)
            if inserted:
                moves.append((islands[i].index, target.index, member.program_id))
    return moves


def reset_weakest(islands: Sequence[Island], rng: np.random.Generator) -> list[tuple[int, str]]:
    """FunSearch's reset: the weakest half of the islands (by best score, ties at random) restart
    from the best program of a survivor drawn at random. Returns ``(reset island, founder id)``."""
    if len(islands) < 2:
        return []
    best = np.array([island.best.score if island.best else -np.inf for island in islands])
    order = np.lexsort((rng.random(len(islands)), best))  # ascending score, random among ties
    weakest, survivors = order[: len(islands) // 2], order[len(islands) // 2 :]
    resets = []
    for i in weakest:
        donor = islands[int(rng.choice(survivors))]
        if donor.best is None:
            continue
        islands[i].members = [donor.best]
        resets.append((islands[i].index, donor.best.program_id))
    return resets
