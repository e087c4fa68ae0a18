"""The archive's row types and program ids: plain frozen values, with no database behind them, so that
any module can take or return them without opening a file (and without importing ``sqlite_utils``)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aurora_evo.outcome import Outcome

#: The evaluation splits: ``train`` scores drive evolution, ``validation`` scores only report.
SPLITS = ("train", "validation")


def source_hash(source: str) -> str:
    """SHA-256 of the exact source text, as 64 hex characters."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def program_id(run_id: str, source: str) -> str:
    """A program's stable id: the first 16 hex characters of SHA-256 over the run id and source, so the
    same source gets the same id within a run and different ids across runs."""
    return hashlib.sha256(f"{run_id}\0{source}".encode()).hexdigest()[:16]


def now() -> str:
    """The time now as the archive stores it: ISO-8601 UTC text, e.g. ``2025-01-31T12:00:00.000Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class RunRecord:
    """A row of ``runs``, with its JSON parsed."""

    id: str
    created_at: str
    status: str
    seed: int | None
    config: dict
    versions: dict


@dataclass(frozen=True)
class ProgramRecord:
    """A row of ``programs``, with its JSON parsed and its parents (from ``lineage``, in order).

    Build new ones with :meth:`new`, which fills the id, hash and timestamp.

    Attributes:
        id: the program's id (see :func:`program_id`).
        run_id: the run it belongs to.
        source: its full source.
        source_hash: :func:`source_hash` of ``source``.
        mutator: name of the operator that made it (``"seed"`` for hand-written starters).
        iteration: the controller iteration it was made in.
        outcome: how its evaluation ended.
        message: one line on a failure (empty when OK).
        score: training score, higher is better; ``None`` unless OK.
        validation_score: held-out score, once measured.
        compiled: True when numba compiled it.
        complexity: a size measure, e.g. its number of AST nodes.
        reasoning: the mutator's explanation of the change.
        genotype: a mutator-specific representation (e.g. a GP tree as text).
        island: the island it lives on, if any.
        descriptor: MAP-Elites descriptor values by descriptor name, if computed.
        evicted: True once it left every population (it stays stored for lineage).
        created_at: ISO-8601 UTC time it was made.
        parent_ids: the ids of its parents, in order (empty for seeds).
    """

    id: str
    run_id: str
    source: str
    source_hash: str
    mutator: str
    iteration: int
    outcome: Outcome
    message: str = ""
    score: float | None = None
    validation_score: float | None = None
    compiled: bool = False
    complexity: int = 0
    reasoning: str = ""
    genotype: str | None = None
    island: int | None = None
    descriptor: dict[str, float] | None = None
    evicted: bool = False
    created_at: str = ""
    parent_ids: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        object.__setattr__(self, "parent_ids", tuple(self.parent_ids))

    @classmethod
    def new(
        cls,
        run_id: str,
        source: str,
        *,
        mutator: str,
        iteration: int,
        outcome: Outcome | str,
        parent_ids: Sequence[str] = (),
        **fields: Any,
    ) -> ProgramRecord:
        """A record for a program not yet stored: id from :func:`program_id`, hash, creation time now.
        ``fields`` are the other attributes (``score``, ``message``, ``island``...)."""
        return cls(
            id=program_id(run_id, source),
            run_id=run_id,
            source=source,
            source_hash=source_hash(source),
            mutator=mutator,
            iteration=iteration,
            outcome=outcome,
            parent_ids=tuple(parent_ids),
            created_at=fields.pop("created_at", None) or now(),
            **fields,
        )


@dataclass(frozen=True)
class CellChange:
    """A row of ``cell_history``: ``program_id`` took ``cell`` with ``score`` at ``iteration``."""

    cell: tuple[int, ...]
    program_id: str
    score: float
    iteration: int


@dataclass(frozen=True)
class Rating:
    """A row of ``ratings``: a program's current Elo rating after ``matches`` matches."""

    program_id: str
    rating: float
    matches: int
    iteration: int


@dataclass(frozen=True)
class Match:
    """A row of ``matches``: ``result`` is 1 when ``program_a`` won on ``case_name``, 0.5 a draw, 0 a loss."""

    run_id: str
    iteration: int
    program_a: str
    program_b: str
    case_name: str
    result: float


@dataclass(frozen=True)
class IslandState:
    """A row of ``islands``: an island's members and best program at one iteration.

    ``members`` holds what the controller stored for each member, parsed from JSON: program ids, or
    records such as ``[program_id, score, signature]`` (lists stay lists).
    """

    run_id: str
    island: int
    iteration: int
    members: tuple[Any, ...]
    best_program_id: str | None = None
    best_score: float | None = None


@dataclass(frozen=True)
class Event:
    """A row of ``events``; ``data`` is the parsed ``data_json``."""

    id: int
    run_id: str
    iteration: int
    kind: str
    data: dict = field(default_factory=dict)
    created_at: str = ""
