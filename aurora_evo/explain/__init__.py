"""Explanations of a vetted program's decisions (``aurora-evo explain``), offline.

:func:`explain` takes one :class:`Decision` (from :func:`scenario_decisions` or
:func:`packing_decisions`) and says which rows led, what each named term of the program was on them,
which term decided and, in a sentence, why; :func:`consistency` checks such explanations over many
decisions with a counterfactual (swap the deciding term's inputs between the two leading rows: the
decision should move). The program runs in this process, as with
:func:`~aurora_evo.scheduler.load_scheduler`: only for programs you trust.
"""

from __future__ import annotations

from dataclasses import dataclass

from aurora_evo.explain.decision import Check, Decision, Explanation, TermValues, explain
from aurora_evo.explain.decisions import PackingRun, ScenarioRun, packing_decisions, scenario_decisions
from aurora_evo.explain.terms import Term, TermProgram


@dataclass(frozen=True)
class Consistency:
    """Counterfactual checks over ``decisions``: ``explained`` named a deciding term, ``checked`` of
    those had inputs to swap, ``moved`` of those moved when swapped; ``rate`` = moved / checked (NaN when
    nothing could be checked)."""

    decisions: int
    explained: int
    checked: int
    moved: int

    @property
    def rate(self) -> float:
        return self.moved / self.checked if self.checked else float("nan")


def consistency(program: TermProgram, decisions: list[Decision]) -> Consistency:
    """The counterfactual check of the explanation of each of ``decisions``, counted."""
    explained = checked = moved = 0
    for decision in decisions:
        explanation, check = explain(program, decision)
        explained += explanation.deciding is not None
        checked += check.checked
        moved += check.moved
    return Consistency(len(decisions), explained, checked, moved)


__all__ = [
    "Check",
    "Consistency",
    "Decision",
    "Explanation",
    "PackingRun",
    "ScenarioRun",
    "Term",
    "TermProgram",
    "TermValues",
    "consistency",
    "explain",
    "packing_decisions",
    "scenario_decisions",
]
