"""The prompts of the language-model mutator, in three modes.

* :attr:`PromptMode.BEST_SHOT` (FunSearch): ``k`` parents, worst to best, shown as one module whose
  ``priority`` functions are renamed ``priority_v0 .. priority_v{k-1}``; the model completes the header
  of ``priority_v{k}``;
* :attr:`PromptMode.DIFF` (AlphaEvolve): one parent in full; the model answers with SEARCH/REPLACE blocks;
* :attr:`PromptMode.REWRITE` (AlphaEvolve): one parent in full; the model answers with a whole program.

Every prompt gives the contract (signature, shapes, units, feature columns generated from
:mod:`aurora_evo.features`), how programs are scored, the instruction (one member of an evolving
population of instructions), each parent's evaluation feedback (score, metrics, sandbox message) and
the recent failed attempts. The model is always asked to explain its idea before the code: that text
is stored with the program. The text is deterministic: the same arguments give the same prompt.

What a prompt says of the problem comes from :mod:`~aurora_evo.mutators.llm.problem_text`, how it shows a
parent from :mod:`~aurora_evo.mutators.llm.parent_text`, and BEST_SHOT's module of renamed versions from
:mod:`~aurora_evo.mutators.llm.versions`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from aurora_evo.contracts import Contract
from aurora_evo.mutators.base import Parent
from aurora_evo.mutators.llm.parent_text import feedback_lines, fence, one_line, score_key
from aurora_evo.mutators.llm.problem_text import contract_description, score_description
from aurora_evo.mutators.llm.versions import merge_versions

__all__ = ["DEFAULT_INSTRUCTIONS", "Prompt", "PromptMode", "build_prompt"]


class PromptMode(enum.StrEnum):
    """How the parents are shown and what form of answer is asked for."""

    BEST_SHOT = "best_shot"  #: FunSearch: parents as priority_v0..v{k-1}; complete priority_v{k}
    DIFF = "diff"  #: AlphaEvolve: one parent in full; SEARCH/REPLACE blocks
    REWRITE = "rewrite"  #: AlphaEvolve: one parent in full; a complete new program


@dataclass(frozen=True)
class Prompt:
    """A prompt ready to send.

    Attributes:
        system: the system message: role, rules for programs, the form of the answer.
        user: the user message: problem, scoring, instruction, parents with feedback, failures, request.
        mode: the mode it was built for.
        version: for :attr:`PromptMode.BEST_SHOT`, the ``k`` of the ``priority_v{k}`` asked for (pass it
            to :func:`~aurora_evo.mutators.llm.parse.parse_response`); ``None`` otherwise.
        parent_source: the code to hand to ``parse_response`` as ``parent_source``: the first parent's
            source for DIFF and REWRITE; for BEST_SHOT the module of renamed versions shown to the model
            (so that helpers and constants the answer uses from it can be filled in); ``None`` without
            parents.
    """

    system: str
    user: str
    mode: PromptMode
    version: int | None
    parent_source: str | None = None


#: Seed instructions of the evolving instruction population; each one stands alone.
DEFAULT_INSTRUCTIONS: tuple[str, ...] = (
    "Make one small, targeted improvement. Use the evaluation feedback to find the weakest part of the "
    "program's logic and fix it, keeping everything that already works.",
    "Try a structurally different idea instead of refining the current one. Combine other signals or "
    "change the overall rule, so that the search explores new ground even if the first version is rough.",
    "Simplify the program while keeping what makes it score well. Remove terms and branches that do not "
    "pay for themselves, merge duplicated computations and keep the remaining logic clear.",
    "Tune the constants and thresholds. Pick the numbers that matter most for the score, choose better "
    "values, and explain why each change should help.",
)

_SIGNATURES = {
    Contract.ALLOCATION: ("task", "nodes", "task: np.ndarray, nodes: np.ndarray"),
    Contract.BINPACKING: ("item", "bins", "item: float, bins: np.ndarray"),
    Contract.VECTOR_BINPACKING: ("item", "bins", "item: np.ndarray, bins: np.ndarray"),
}
_UNIT = {Contract.ALLOCATION: "node", Contract.BINPACKING: "bin", Contract.VECTOR_BINPACKING: "bin"}
_CALLED_FOR = {Contract.ALLOCATION: "task", Contract.BINPACKING: "item", Contract.VECTOR_BINPACKING: "item"}


# --- the prompt --------------------------------------------------------------------------------

_RULES = """\
You are an expert in algorithm design and numerical Python, taking part in an automated evolutionary \
search for better heuristics. Every program you write is run in a sandbox and scored; the best ones are \
shown again, with their scores, as starting points for further improvement.

Rules for every program:
- It defines a top-level function `priority({a}, {b})` that returns a 1-D numpy array with one finite \
float score per {unit} (a NaN or infinite score fails the evaluation).
- It uses only numpy (`import numpy as np`) and the math module: no other imports.
- No file, network or console I/O, no randomness (numpy.random is not available) and no state kept \
between calls: the same inputs always give the same scores.
- It does not modify its input arrays.
- It is called once per {called}, many thousands of times per evaluation under a time limit, so keep it \
fast: {fast}.
- The sandbox refuses classes, `global`, generators (`yield`), `async`, `with` blocks other than \
`with np.errstate(...)`, bare `except:`, `eval`, `exec`, `open`, `hash`, `id`, names starting with `__` \
and attributes starting with `_`.

How to answer: first explain your idea in a few sentences of plain text: what you change and why you \
expect it to score better. This explanation is stored with the program. Then give the code: """

_NUMBA = "vectorised numpy, or simple loops over arrays (numba compiles such code when it can)"
_FAST = {
    Contract.ALLOCATION: _NUMBA,
    Contract.BINPACKING: _NUMBA,
    Contract.VECTOR_BINPACKING: "vectorised numpy rather than Python loops",
}

_DIFF_FORMAT = """\
one or more SEARCH/REPLACE blocks that edit the current program, each in exactly this format:

<<<<<<< SEARCH
(lines copied exactly from the current program)
=======
(the lines to put in their place)
>>>>>>> REPLACE

- The SEARCH part must match whole lines of the current program exactly, indentation and comments \
included. Keep it short, but long enough to be unique: only its first match is replaced.
- Blocks are applied in order, each to the program as changed by the blocks before it.
- To insert code, copy a neighbouring line into SEARCH and repeat it in REPLACE with the new lines; to \
delete code, leave REPLACE empty.
- Do not repeat the whole program."""

_REWRITE_FORMAT = """\
the complete program in one ```python fence: the imports, any constants and helper functions, and \
`def priority({a}, {b})`. Give only one code block."""

_BEST_SHOT_FORMAT = """\
the function `priority_v{k}` in one ```python fence, together with any new helper functions or constants \
it uses (those shown above may be used as they are). Give only one code block."""


_FRESH_REQUEST = (
    "There is no program yet: write a first one by following the instruction. First explain your "
    "idea in a few sentences, then give the complete program in one ```python fence."
)


@dataclass(frozen=True)
class _Shown:
    """What a prompt shows of its parents, and what it asks for in return."""

    sections: list[tuple[str, str]]  # (title, text) of the sections that show the parents
    request: str  # the last section: what to write
    answer_format: str  # the end of the system message: the form of the answer
    version: int | None
    parent_source: str | None


def build_prompt(
    mode: PromptMode,
    contract: Contract,
    parents: Sequence[Parent],
    instruction: str,
    *,
    failures: Sequence[str] = (),
    context: tuple[str, str] | None = None,
) -> Prompt:
    """The prompt asking for a new program of ``contract`` from ``parents``.

    Args:
        mode: how to show the parents and what to ask for (see :class:`PromptMode`).
        contract: the programs' contract.
        parents: the programs to build on. DIFF and REWRITE edit ``parents[0]`` and show the others for
            inspiration; BEST_SHOT shows them all, sorted by score (worst first, no score lowest). Empty:
            the model is asked for a fresh program.
        instruction: what to aim for (one of :data:`DEFAULT_INSTRUCTIONS` or an evolved one).
        failures: one-line messages of recent failed attempts, shown so the model avoids them.
        context: ``(problem, scoring)``: what the prompt says of the problem and its scoring
            (:meth:`aurora_evo.problem.Problem.prompt_context`); by default, the contract's description.
    """
    mode = PromptMode(mode)
    a, b, _ = _SIGNATURES[contract]
    unit, called = _UNIT[contract], _CALLED_FOR[contract]
    instruction = instruction.strip() or "Improve the program."
    problem, scoring = context or (contract_description(contract), score_description(contract))
    sections = [
        ("The problem", problem),
        ("Scoring", scoring),
        ("Instruction", instruction),
    ]
    if mode is PromptMode.BEST_SHOT:
        shown = _show_versions(contract, parents)
    elif parents:
        shown = _show_current(mode, contract, parents)
    else:  # DIFF or REWRITE without a parent: ask for a fresh program
        shown = _Shown([], _FRESH_REQUEST, _REWRITE_FORMAT.format(a=a, b=b), None, None)
    sections += shown.sections
    lines = [one_line(f) for f in failures if str(f).strip()]
    if lines:
        text = "These recent attempts failed; do not repeat their mistakes:\n" + "\n".join(
            f"- {f}" for f in lines
        )
        sections.append(("Recent failures", text))
    sections.append(("Your answer", shown.request))
    system = _RULES.format(a=a, b=b, unit=unit, called=called, fast=_FAST[contract]) + shown.answer_format
    user = "\n\n".join(f"## {title}\n\n{body}" for title, body in sections) + "\n"
    return Prompt(system + "\n", user, mode, shown.version, shown.parent_source)


def _show_versions(contract: Contract, parents: Sequence[Parent]) -> _Shown:
    """BEST_SHOT: the parents as ``priority_v0 .. v{k-1}``, worst first, then ``priority_v{k}``'s header."""
    a, b, typed = _SIGNATURES[contract]
    ordered = sorted(parents, key=score_key)
    version = len(ordered)
    code, names = merge_versions(ordered) if ordered else ("import numpy as np\n", [])
    doc = f"Improved version of priority_v{version - 1}." if version else "A first heuristic."
    header = f'def priority_v{version}({typed}) -> np.ndarray:\n    """{doc}"""\n'
    if ordered:
        listing = ["The versions so far, from the worst score to the best, with their evaluation:"]
        for name, parent in zip(names, ordered, strict=True):
            listing.append(
                f"- {name}: " + "; ".join(line[0].lower() + line[1:] for line in feedback_lines(parent))
            )
        text = "\n".join(listing) + "\n\n" + fence(code + "\n\n" + header)
        sections = [("Previous versions", text)]
        request = (
            f"Write `priority_v{version}`, an improved version of priority_v{version - 1}, following "
            "the instruction. First explain your idea in a few sentences, then give the function in one "
            f"```python fence, starting with `def priority_v{version}({a}, {b}):`."
        )
    else:
        sections = [("Code so far", fence(code + "\n\n" + header))]
        request = (
            "Write `priority_v0`, a first heuristic for this problem, following the instruction. First "
            "explain your idea in a few sentences, then give the function in one ```python fence, "
            f"starting with `def priority_v0({a}, {b}):`."
        )
    parent_source = code if ordered else None
    return _Shown(sections, request, _BEST_SHOT_FORMAT.format(k=version), version, parent_source)


def _show_current(mode: PromptMode, contract: Contract, parents: Sequence[Parent]) -> _Shown:
    """DIFF and REWRITE: the first parent in full, to edit, and the others for inspiration."""
    a, b, _ = _SIGNATURES[contract]
    current = parents[0]
    text = "\n".join(feedback_lines(current)) + "\n\n" + fence(current.source)
    sections = [("Current program", text)]
    if len(parents) > 1:
        note = "Shown for ideas only"
        if mode is PromptMode.DIFF:
            note += "; your SEARCH blocks must match the current program above, not these"
        others = [note + "."]
        for index, other in enumerate(parents[1:], start=2):
            others.append(
                f"### Program {index}\n\n" + "\n".join(feedback_lines(other)) + "\n\n" + fence(other.source)
            )
        sections.append(("Other programs, for inspiration", "\n\n".join(others)))
    if mode is PromptMode.DIFF:
        answer_format = _DIFF_FORMAT
        request = (
            "Improve the current program by following the instruction. First explain your idea in a few "
            "sentences, then give SEARCH/REPLACE blocks that edit the current program."
        )
    else:
        answer_format = _REWRITE_FORMAT.format(a=a, b=b)
        request = (
            "Write an improved version of the current program by following the instruction. First "
            "explain your idea in a few sentences, then give the complete program in one ```python fence."
        )
    return _Shown(sections, request, answer_format, None, current.source)
