"""The mutator seam: what a mutator is given, what it proposes, and the hooks the controller calls.

A mutator turns parent programs into new candidate sources. It never runs them: every proposal goes
through the sandbox. Mutators are deterministic given the ``rng`` they are handed (numpy
``Generator``; no global random state), so that a run with one worker is reproducible from its seed.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from aurora_evo.contracts import Contract
from aurora_evo.llm.caller import CallRecord

if TYPE_CHECKING:  # typing only: the LLM client's package imports the run's settings
    from aurora_evo.llm.caller import CallRecord


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


class Mutator(ABC):
    """Makes new candidates from parents; the controller drives it through the hooks below.

    A subclass sets ``name`` (the family its proposals' ``mutator`` names start with, e.g. ``"gp"``) and
    ``contract``, and defines :meth:`propose` and :meth:`seeds`. Every other hook has a default that does
    nothing, right for a mutator that keeps no state between iterations and calls no server.

    Per iteration the controller calls :meth:`prepare`, then :meth:`propose` for each slot it gives the
    mutator, :meth:`observe` for each of its candidates once judged, and :meth:`take_calls`,
    :meth:`prompt_instructions` and :meth:`state` to store what it did; :meth:`restore` when a run
    resumes, and :meth:`close` when it ends.
    """

    name: ClassVar[str]
    contract: Contract
    #: The controller asks for this mutator's proposals on threads (:meth:`ask`), several at once, each
    #: with a generator of its own (for proposals that wait on a server, e.g. a model's).
    #: Otherwise it asks slot after slot, with the controller's generator, and retries a near-duplicate.
    concurrent: ClassVar[bool] = False
    #: :meth:`propose` reads its parents' evaluation feedback (:attr:`Parent.metrics`); the controller
    #: loads it from the archive only when a mutator of the run does.
    reads_feedback: ClassVar[bool] = False
    #: A run with this mutator starts its islands from the problem's baselines (first fit, best fit...),
    #: on every island; a mutator that makes seeds of its own (:meth:`seeds`) sets it ``False``.
    starts_from_baselines: ClassVar[bool] = True

    @abstractmethod
    def propose(self, parents: Sequence[Parent], rng: np.random.Generator, n: int) -> list[Proposal]:
        """At most ``n`` proposals (fewer when it cannot make that many, e.g. an edit that finds nothing
        to change); it may use one parent or several (crossover)."""

    def ask(self, parents: Sequence[Parent], rng: np.random.Generator) -> Callable[[], list[Proposal]]:
        """For a :attr:`concurrent` mutator: one proposal's request, and the wait for it to run on another
        thread. What the proposal reads of the mutator's state (the hooks below change it, in the
        controller's thread) is read now; the returned function only waits (a model's answer) and makes
        at most one proposal. By default the whole of :meth:`propose` runs later."""
        return functools.partial(self.propose, parents, rng, 1)

    @abstractmethod
    def seeds(self, rng: np.random.Generator, n: int) -> list[Proposal]:
        """At most ``n`` fresh candidates with no parents, to start an island."""

    # The hooks: each one's default does nothing (ruff's B027 would have them abstract).

    def prepare(self, rng: np.random.Generator, iteration: int) -> None:  # noqa: B027
        """Before iteration ``iteration``'s proposals (it may draw from ``rng``, the controller's
        generator). Does nothing by default."""

    def observe(self, proposal: Proposal, improved: bool, message: str = "") -> None:  # noqa: B027
        """One of its candidates was judged: ``improved`` on its best parent or not; ``message`` says
        why it failed (sandbox outcome, duplicate), empty when it ran. Ignored by default."""

    def take_calls(self) -> list[CallRecord]:
        """The calls to a language model made since the last time, for the archive (none by default)."""
        return []

    def prompt_instructions(self) -> list[dict]:
        """The prompt instructions it evolves, for the archive's ``instructions`` table (mappings with
        the fields of :class:`~aurora_evo.mutators.llm.meta.Instruction`); none by default."""
        return []

    def state(self) -> dict:
        """What it must remember across a resume (JSON-serialisable); ``{}``, the default, when
        nothing: then the controller saves nothing for it."""
        return {}

    def restore(self, saved: dict) -> None:  # noqa: B027
        """Take back a :meth:`state` saved by an earlier run of the same settings. Does nothing by
        default."""

    @property
    def exhausted_reason(self) -> str | None:
        """Why it can propose nothing more (e.g. its budget is spent), or ``None`` (the default): an
        exhausted mutator's share of the slots goes to the others."""
        return None

    def close(self) -> None:  # noqa: B027
        """The run is stopping: end waits and skip work not yet started. Does nothing by default."""


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
