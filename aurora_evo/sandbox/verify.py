"""Re-deriving a sample of an evaluation jail's decisions: the states to ask a witness about, and
whether its answers give the same decisions.

The evaluation jail reports the node of every task (the bin of every item); the replay already checks
that each is a decision the rules allow. It cannot tell whether the candidate's ``priority`` made it:
code past the screen could write another program's decisions to the result pipe. So the client picks
decisions at random (with a generator the jail cannot predict), rebuilds the exact arguments
``priority`` was called with at each (the problem's :meth:`~aurora_evo.problem.Problem.queries`), has a
fresh witness jail score them (:mod:`aurora_evo.sandbox.witness`), and checks that the highest-scoring
allowed choice, lowest index on ties, is the one reported. A result whose decisions differ from the
program's own choices on a fraction ``f`` of decisions passes ``k`` samples with probability at most
``(1 - f) ** k``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aurora_evo.contracts import Contract


@dataclass(frozen=True)
class Query:
    """One sampled decision: what ``priority`` was shown, and what the jail says it chose.

    Attributes:
        case: position of the decision's scenario (allocation) or instance (bin packing, counted over
            every dataset's instances).
        step: the decision's number within its case (0 for the first placement).
        label: where it is, for messages (``"easy-cloud-01"``, ``"OR3, instance u500_00"``).
        contract: the contract ``priority`` is called with.
        first, second: its arguments.
        candidates: ``(len(second),)`` the node or bin each score stands for.
        allowed: ``(len(second),)`` bool, the candidates the rules allow (the others cannot be chosen).
        chosen: the node or bin the jail reported.
    """

    case: int
    step: int
    label: str
    contract: Contract
    first: np.floating | np.ndarray
    second: np.ndarray
    candidates: np.ndarray
    allowed: np.ndarray
    chosen: int


def pick(decisions: Sequence[int], samples: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Per case, the sorted decision numbers of ``samples`` decisions drawn without replacement."""
    bounds = np.cumsum([0, *decisions])
    drawn = np.sort(rng.choice(bounds[-1], size=min(samples, int(bounds[-1])), replace=False))
    return [drawn[(drawn >= lo) & (drawn < hi)] - lo for lo, hi in itertools.pairwise(bounds)]


def sample(queries: Sequence[Query], samples: int, rng: np.random.Generator) -> list[Query]:
    """``samples`` of ``queries`` drawn without replacement (all of them when there are fewer), in
    their order."""
    return [queries[i] for i in pick([len(queries)], samples, rng)[0]]


def rounds(queries: Sequence[Query]) -> list[list[Query]]:
    """The queries in rounds: round ``r`` holds the ``r``-th sampled decision of every case that has
    one, so a witness is shown a case's later states only after it has answered the earlier ones (a
    later state would tell it which choice was reported for an earlier one). Cases are told apart by
    label, so that a case given twice (or two that share a name) count as one and never share a round."""
    by_case: dict[str, list[Query]] = {}
    for query in sorted(queries, key=lambda q: (q.label, q.step, q.case)):
        by_case.setdefault(query.label, []).append(query)
    depth = max((len(v) for v in by_case.values()), default=0)
    return [[v[r] for v in by_case.values() if r < len(v)] for r in range(depth)]


def encode(rounds_: Sequence[Sequence[Query]]) -> tuple[list[list[list]], bytes]:
    """The witness request's ``rounds`` and its blob (:mod:`aurora_evo.sandbox.witness` reads them).

    Per state: ``[contract, first_shape, head_shape, tail]``, and in the blob ``first``, then the first
    rows of ``second`` (``head``), then, when ``tail > 0``, the row the last ``tail`` rows all repeat,
    bit for bit (the empty bins a bin-packing program is offered: thousands of copies of the capacity).
    """
    shapes, parts = [], []
    for round_ in rounds_:
        states = []
        for query in round_:
            second = query.second
            tail = _repeated_tail(second)
            head = second[: len(second) - tail]
            states.append([query.contract.value, list(np.shape(query.first)), list(head.shape), tail])
            parts += [np.ravel(query.first), np.ravel(head), np.ravel(second[-1]) if tail else np.zeros(0)]
        shapes.append(states)
    blob = np.concatenate(parts).astype("<f8").tobytes() if parts else b""
    return shapes, blob


def _repeated_tail(second: np.ndarray) -> int:
    """How many rows at the end of ``second`` are bitwise copies of its last row."""
    if len(second) == 0:
        return 0
    bits = np.ascontiguousarray(second).reshape(len(second), -1).view(np.uint64)
    differ = np.flatnonzero(~np.all(bits == bits[-1], axis=1))
    return len(second) - (int(differ[-1]) + 1 if differ.size else 0)


def first_mismatch(
    rounds_: Sequence[Sequence[Query]], positions: np.ndarray
) -> tuple[Query, int | None] | None:
    """The first query (in round order) for which the witness chose another candidate than the jail
    reported, with the witness's choice (``None``: none the rules allow); ``None`` when all agree.
    ``positions`` holds the witness's answers: for each query, the row of ``second`` it chose."""
    for query, position in zip((q for r in rounds_ for q in r), positions, strict=False):
        valid = 0 <= position < query.candidates.size and query.allowed[position]
        picked = int(query.candidates[position]) if valid else None
        if picked != query.chosen:
            return query, picked
    return None


def describe_mismatch(query: Query, picked: int | None, noun: str) -> str:
    """One line for a decision the program does not make (``noun``: what a decision picks, ``"node"``)."""
    found = f"no {noun} the rules allow" if picked is None else f"{noun} {picked}"
    return (
        f"{query.label}: decision {query.step} was reported as {noun} {query.chosen}, but priority() asked "
        f"again with the same arguments gives {found}: the result is not this program's (or priority() "
        "keeps state between calls)"
    )
