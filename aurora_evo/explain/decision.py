"""Why a program made one decision: its top rows with their scores, each term's value on them, the term
that decided, a sentence built from them; and a counterfactual that checks the explanation.

A decision is explained against its contender, the best row the program scored strictly lower (rows
tied with the chosen one lose on index alone). The deciding term is found by asking the program: the
chosen row's value of a term is replaced by the contender's (everything the program computes from that
term afterwards follows), and a term decides when that alone puts the chosen row no longer ahead. Of
the terms that do, the first the program computes (the closest to its inputs) is named. The check then
swaps, between the two rows, the inputs that term reads (node columns, or the bins' room) and runs the
program again: the explanation holds when the chosen row is then no longer ahead.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from aurora_evo import features
from aurora_evo.explain.terms import SCORE, WHOLE, TermProgram

#: Rows shown per explanation, best first.
TOP = 3


@dataclass(frozen=True)
class Decision:
    """One decision of a program, as it was shown it.

    Attributes:
        label: e.g. ``"task 12"`` or ``"item 40 (size 37)"``.
        first, second: the program's arguments (``task (T,)``, ``nodes (k, F)``; or ``item``, ``bins (k,)``).
        rows: ``(k,)`` int, what each row of ``second`` is called (node index, bin index).
        feasible: ``(k,)`` bool, the rows the decision could take.
        unit: ``"node"`` or ``"bin"``.
    """

    label: str
    first: object
    second: np.ndarray
    rows: np.ndarray
    feasible: np.ndarray
    unit: str


@dataclass(frozen=True)
class TermValues:
    """One term on the rows shown (``values``; one number for a term equal on every row)."""

    name: str
    note: str
    reads: str
    values: tuple[float, ...]
    decides: bool


@dataclass(frozen=True)
class Explanation:
    """Why ``decision`` went where it did.

    Attributes:
        label, unit: the decision's label, and what its rows are (``"node"``, ``"bin"``).
        chosen, contender: the rows' names (``contender``: the best row scored strictly lower than the
            chosen one; ``None`` when every row scores the same).
        top: ``(row, score)`` of the rows shown, the chosen one first.
        terms: every term on those rows, in program order.
        deciding: the term that decided, or ``None`` (every row the same, or no single term).
        sentence: all of it in words.
    """

    label: str
    unit: str
    chosen: int
    contender: int | None
    top: tuple[tuple[int, float], ...]
    terms: tuple[TermValues, ...]
    deciding: str | None
    sentence: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Check:
    """The counterfactual of one explanation: ``checked`` when it named a term with inputs that differ
    per row; ``moved`` when swapping them moved the decision."""

    checked: bool
    moved: bool


def _choice(scores: np.ndarray, feasible: np.ndarray) -> int:
    """The row the simulator and the packer take: the highest feasible score, the lowest index on ties."""
    candidates = np.flatnonzero(feasible)
    return int(candidates[np.argmax(scores[candidates])])


def _contender(scores: np.ndarray, feasible: np.ndarray, chosen: int) -> int | None:
    """The best feasible row scored strictly below the chosen one (the lowest index on ties)."""
    below = [int(row) for row in np.flatnonzero(feasible) if scores[row] < scores[chosen]]
    return max(below, key=lambda row: (scores[row], -row)) if below else None


def explain(program: TermProgram, decision: Decision) -> tuple[Explanation, Check]:
    """The explanation of ``decision`` and its counterfactual check.

    The decision is explained against the contender: the best row the program scored strictly lower
    (rows tied with the chosen one lose on index alone, which the sentence says)."""
    scores, values = program.run(decision.first, decision.second)
    chosen = _choice(scores, decision.feasible)
    contender = _contender(scores, decision.feasible, chosen)
    ranked = sorted(np.flatnonzero(decision.feasible), key=lambda row: (-scores[row], row))
    shown = [chosen, *[int(row) for row in ranked if row != chosen][: TOP - 1]]
    if contender is not None and contender not in shown:
        shown[-1] = contender
    flips = set() if contender is None else _flipping(program, decision, values, chosen, contender)
    deciding = next((term.name for term in program.terms if term.name in flips), None)
    terms = tuple(
        TermValues(term.name, term.note, term.reads(), _on(values.get(term.name), shown), term.name in flips)
        for term in program.terms
    )
    ties = [int(decision.rows[row]) for row in ranked if row != chosen and scores[row] == scores[chosen]]
    explanation = Explanation(
        decision.label,
        decision.unit,
        int(decision.rows[chosen]),
        None if contender is None else int(decision.rows[contender]),
        tuple((int(decision.rows[row]), float(scores[row])) for row in shown),
        terms,
        deciding,
        _sentence(program, decision, scores, values, (chosen, contender), ties, deciding),
    )
    return explanation, _check(program, decision, deciding, chosen, contender)


def _ahead(scores: np.ndarray, chosen: int, contender: int) -> bool:
    return bool(scores[chosen] > scores[contender])


def _flipping(
    program: TermProgram, decision: Decision, values: dict, chosen: int, contender: int
) -> set[str]:
    """The terms whose contender's value, given to the chosen row alone, puts the chosen row no longer
    ahead of the contender."""
    flips = set()
    for term in program.terms:
        value = values.get(term.name)
        if term.name == SCORE or np.ndim(value) != 1 or len(value) != len(decision.rows):
            continue
        if value[chosen] == value[contender]:
            continue
        changed, _ = program.run(
            decision.first, decision.second, (term.name, chosen, float(value[contender]))
        )
        if not _ahead(changed, chosen, contender):
            flips.add(term.name)
    return flips


def _check(program: TermProgram, decision: Decision, deciding: str | None, chosen: int, contender) -> Check:
    """Swap the deciding term's inputs (in ``second``) between the chosen row and the contender: the
    explanation holds when the chosen row is then no longer ahead."""
    if deciding is None:
        return Check(False, False)
    reads = [column for argument, column in program.term(deciding).inputs if argument == program.second]
    if not reads:
        return Check(False, False)
    second = np.array(decision.second, dtype=np.float64)
    pair = [chosen, contender]
    if second.ndim == 1:
        second[pair] = second[pair[::-1]]
    else:
        if WHOLE in reads:
            columns = [c for c in range(second.shape[1]) if c not in (features.N_INDEX, features.N_FITS)]
        else:
            columns = [features.NODE_FEATURE_NAMES.index(column) for column in reads]
        second[np.ix_(pair, columns)] = second[np.ix_(pair[::-1], columns)]
    scores, _ = program.run(decision.first, second)
    return Check(True, not _ahead(scores, chosen, contender))


def _on(value, rows: list[int]) -> tuple[float, ...]:
    if value is None:
        return ()
    if np.ndim(value) == 1:
        return tuple(float(value[row]) for row in rows)
    if np.ndim(value) == 0:
        return (float(value),)
    return ()


def _sentence(program, decision, scores, values, pair, ties: list[int], deciding) -> str:
    unit, rows = decision.unit, decision.rows
    chosen, contender = pair
    goes = f"{decision.label.capitalize()} goes to {unit} {rows[chosen]} (score {scores[chosen]:.4g}"
    if ties:
        shown = ", ".join(map(str, ties[:3])) + (", ..." if len(ties) > 3 else "")
        many = len(ties) > 1
        goes += (
            f"; {unit}{'s' * many} {shown} score{'' if many else 's'} the same, and the lowest index is taken"
        )
    goes += ")"
    if contender is None:
        return f"{goes}: every {unit} it could take scores the same."
    other = f"{unit} {rows[contender]}"
    goes += f" rather than {other} ({scores[contender]:.4g})"
    if deciding is None:
        return f"{goes}: no single term decides; the lead comes from several together."
    term, value = program.term(deciding), values[deciding]
    what = f"{deciding} ({term.note})" if term.note else deciding
    reads = f" {deciding} reads {term.reads()}." if term.inputs else ""
    return (
        f"{goes}. It turned on {what}: {value[chosen]:.4g} on {unit} {rows[chosen]} against "
        f"{value[contender]:.4g} on {other}; with {other}'s value, {unit} {rows[chosen]} would not have "
        f"come first.{reads}"
    )
