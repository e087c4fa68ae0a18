"""The mutator seam: what a mutator is given and what it proposes.

A mutator turns parent programs into new candidate sources. It never runs them: every proposal goes
through the sandbox. Mutators are deterministic given the ``rng`` they are handed (numpy
``Generator``; no global random state), so that a run with one worker is reproducible from its seed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Protocol

import numpy as np

from aurora_evo.contracts import Contract


@dataclass(frozen=True)
class Parent:
    """A program a mutator may build on.

    Attributes:
        program_id: its id in the archive.
        source: its full source (a ``priority`` function and what it needs).
        score: its training score (higher is better), or ``None`` when it has none.
        genotype: the mutator-specific representation it was made from (e.g. a GP tree as text), or
            ``None`` for programs written by hand or by an LLM.
        metrics: its evaluation feedback, each metric averaged over the training cases (e.g.
            ``reward``, ``sla_violation_rate``, ``excess_percent``); empty when unknown.
        message: the sandbox's one-line message about its evaluation (empty when it ran cleanly).
    """

    program_id: str
    source: str
    score: float | None = None
    genotype: str | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True)
class Proposal:
    """A candidate program, not yet evaluated.

    Attributes:
        source: the candidate's full source.
        parent_ids: the archive ids of the programs it came from (empty for a fresh one).
        mutator: name of the operator that made it, e.g. ``"gp.mutate_subtree"``, ``"edit.constant"``.
        genotype: representation to store with it for later mutation (see :class:`Parent`).
        reasoning: free text explaining the change (LLM mutators fill it; others may describe the edit).
    """

    source: str
    parent_ids: tuple[str, ...]
    mutator: str
    genotype: str | None = None
    reasoning: str = ""
    extra: dict = field(default_factory=dict)


class Mutator(Protocol):
    """Makes new candidates from parents.

    ``propose`` returns at most ``n`` proposals (fewer when it cannot make that many, e.g. an edit that
    finds nothing to change); it may use one parent or several (crossover).
    """

    name: str
    contract: Contract

    def propose(self, parents: Sequence[Parent], rng: np.random.Generator, n: int) -> list[Proposal]: ...

    def seeds(self, rng: np.random.Generator, n: int) -> list[Proposal]:
        """Fresh candidates with no parents, to start an island."""
        ...


def with_settings(owner: str, default: Any, config: Any | None, overrides: dict[str, Any]) -> Any:
    """``config`` (or ``default``, a frozen dataclass of settings) with single fields overridden;
    an unknown field name raises ``TypeError`` naming ``owner`` and the settings class."""
    unknown = set(overrides) - {f.name for f in fields(default)}
    if unknown:
        raise TypeError(
            f"unknown {owner} settings {sorted(unknown)}; see {type(default).__name__} for the fields"
        )
    return replace(config or default, **overrides)


#: What each family of mutators is, in words (the part of a mutator name before the dot).
MUTATOR_FAMILIES = {
    "gp": "genetic programming",
    "edit": "a source edit",
    "llm": "a language model",
}
#: What a single operator does, in words, by its full mutator name.
OPERATORS = {
    "gp.seed": "a seed tree, one of the classic heuristics",
    "gp.random": "a random tree",
    "gp.mutate_subtree": "subtree mutation",
    "gp.mutate_point": "point mutation",
    "gp.mutate_constant": "constant mutation",
    "gp.mutate_shrink": "shrink mutation",
    "gp.mutate_rule": "rule mutation",
    "gp.crossover": "one-point crossover",
    "edit.constant": "a constant perturbed",
    "edit.operator": "an operator swapped",
    "edit.crossover": "an expression taken from another program",
}


def describe_mutator(mutator: str) -> str:
    """What made a program, in words, from the mutator name a :class:`Proposal` carries: e.g.
    ``"edit.operator"`` -> ``"a source edit (an operator swapped)"``, ``"edit.seed"`` -> ``"none: a
    shipped seed program"``, ``"llm.diff"`` -> ``"a language model (prompt mode: diff)"``. A name of no
    known family comes back as it is."""
    family, _, operator = str(mutator).partition(".")
    if mutator == "edit.seed" or family == "seed":
        return "none: a shipped seed program"
    if family not in MUTATOR_FAMILIES:
        return str(mutator) or "unknown"
    detail = OPERATORS.get(mutator) or (
        f"prompt mode: {operator}" if family == "llm" and operator else operator
    )
    return f"{MUTATOR_FAMILIES[family]} ({detail})" if detail else MUTATOR_FAMILIES[family]
