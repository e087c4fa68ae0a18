"""Turning a language model's answer into a program, whatever form the answer took.

Any mode accepts any form of answer:

1. ``<think>...</think>`` sections are dropped;
2. SEARCH/REPLACE blocks, when present, are applied to the parent (:func:`apply_diff`): exact match
   first, then ignoring trailing whitespace, then ignoring a common difference of indentation;
3. otherwise the code is taken from a fenced block (```` ```python ````, ```` ```py ````, a bare fence; a
   fence left open at the end, as in a cut-off answer, is read to the end), preferring the last block
   that parses and defines ``priority`` (or ``priority_vN``); without a usable fence, the whole answer
   or a trailing part of it starting at ``import``/``from``/``def``; a bare function body (FunSearch's
   continuation of the ``def priority_v{k}`` header) is wrapped in a ``def``;
4. a versioned function (``priority_v{version}`` when present, else the highest ``N``) is renamed
   ``priority``, and the other versions are dropped unless it calls them;
5. names the code uses but does not define are taken from the answer's other code blocks, then from the
   parent (the helpers and constants of the module shown to the model), and ``import numpy as np`` (or
   ``import math``) is added when ``np`` (``math``) is used without an import.

The result must parse and define a top-level ``priority``. The text outside code and diff blocks is the
model's reasoning, stored with the program. :func:`parse_response` never raises: an unusable answer is
a :class:`Parsed` with a status and a one-line detail that the next prompts show as a recent failure.
The reading is in parts: :mod:`~aurora_evo.mutators.llm.diff` (SEARCH/REPLACE blocks),
:mod:`~aurora_evo.mutators.llm.code_blocks` (fences, unfenced code, bare bodies) and
:mod:`~aurora_evo.mutators.llm.finish` (steps 4 and 5); this module drops the thinking, chooses among
them and keeps the reasoning.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from aurora_evo.mutators.llm.answer_text import newlines, one_line, try_parse
from aurora_evo.mutators.llm.code_blocks import (
    PYTHON,
    as_body,
    find_fences,
    is_usable,
    is_wanted,
    mentions,
    unfenced,
)
from aurora_evo.mutators.llm.diff import DiffError, apply_diff, scan_diff
from aurora_evo.mutators.llm.finish import finish_program
from aurora_evo.mutators.llm.prompts import PromptMode

__all__ = ["REASONING_CHARS", "ParseStatus", "Parsed", "parse_response"]

#: The reasoning kept with a program is cut to this many characters (ending in ``...`` when cut).
REASONING_CHARS = 2000


class ParseStatus(enum.StrEnum):
    """What came of parsing an answer."""

    OK = "ok"
    NO_CODE = "no_code"  #: no usable program in the answer
    DIFF_NOT_APPLIED = "diff_not_applied"  #: diff blocks present, but a SEARCH text is not in the parent


@dataclass(frozen=True)
class Parsed:
    """A parsed answer.

    Attributes:
        status: what came of it.
        source: the full program when ``status`` is OK, else ``None``.
        reasoning: the model's explanation: the text outside code and diff blocks (thinking sections
            removed), whitespace-normalised, at most :data:`REASONING_CHARS` characters.
        detail: one line saying what went wrong (empty when OK).
    """

    status: ParseStatus
    source: str | None
    reasoning: str
    detail: str = ""


_THINK_BLOCK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.IGNORECASE | re.DOTALL)
_THINK_CLOSE = re.compile(r"</(?:think|thinking|reasoning)>", re.IGNORECASE)
_THINK_OPEN = re.compile(r"<(?:think|thinking|reasoning)>", re.IGNORECASE)


def _strip_thinking(text: str) -> str:
    """``text`` without its thinking: closed sections, everything before a lone closing tag (servers
    that drop the opening one) and everything after an opening tag never closed (a cut-off answer)."""
    text = _THINK_BLOCK.sub("", text)
    closings = list(_THINK_CLOSE.finditer(text))
    if closings:
        text = text[closings[-1].end() :]
    opening = _THINK_OPEN.search(text)
    return text[: opening.start()] if opening else text


def _reasoning(lines: list[str], removed: Sequence[tuple[int, int]]) -> str:
    """The lines outside the ``[start, end)`` ranges, whitespace-normalised and capped."""
    drop = set()
    for start, end in removed:
        drop.update(range(start, end))
    kept, blank = [], False
    for index, line in enumerate(lines):
        if index in drop:
            continue
        line = " ".join(line.split())
        if not line:
            blank = bool(kept)
            continue
        if blank:
            kept.append("")
        kept.append(line)
        blank = False
    text = "\n".join(kept).strip()
    if len(text) > REASONING_CHARS:
        text = text[: REASONING_CHARS - 3].rstrip() + "..."
    return text


def _finish(
    code: str, reasoning: str, donors: Sequence[str], function_name: str, version: int | None, what: str
) -> Parsed:
    source, detail = finish_program(code, donors, function_name, version, what)
    if source is None:
        return Parsed(ParseStatus.NO_CODE, None, reasoning, detail)
    return Parsed(ParseStatus.OK, source, reasoning, "")


# --- the answer --------------------------------------------------------------------------------


def parse_response(
    text: str,
    mode: PromptMode | str,
    parent_source: str | None,
    *,
    function_name: str = "priority",
    version: int | None = None,
) -> Parsed:
    """The program in a model's answer, and the model's reasoning; never raises.

    Args:
        text: the model's answer.
        mode: the mode of the prompt (any mode accepts any form of answer; it is kept for the record).
        parent_source: the program the answer edits: diffs apply to it, and definitions the answer uses
            without giving are taken from it. Pass :attr:`Prompt.parent_source
            <aurora_evo.mutators.llm.prompts.Prompt.parent_source>`.
        function_name: the function the program must define.
        version: for BEST_SHOT, the ``k`` of the ``priority_v{k}`` asked for.
    """
    try:
        return _parse(text, parent_source, function_name, version)
    except Exception as exc:  # an answer that breaks the parser is a failed attempt, not a crash
        return Parsed(ParseStatus.NO_CODE, None, "", f"the answer could not be parsed ({type(exc).__name__})")


def _parse(text: str, parent_source: str | None, function_name: str, version: int | None) -> Parsed:
    raw = newlines(text if isinstance(text, str) else "")
    body = _strip_thinking(raw)
    if not body.strip():
        detail = "the answer holds only thinking" if raw.strip() else "the answer is empty"
        return Parsed(ParseStatus.NO_CODE, None, "", detail)
    lines = body.split("\n")
    parent = newlines(parent_source) if isinstance(parent_source, str) else None

    diff = scan_diff(lines)
    if diff.spans:
        # Diffs often sit in a fence: drop what is left of it along with the blocks.
        kept = [line for i, line in enumerate(lines) if not any(a <= i < b for a, b in diff.spans)]
        reasoning = _reasoning(kept, [f.span for f in find_fences(kept)])
        if diff.unclosed:
            number = len(diff.blocks) + 1
            detail = f"diff block {number} is not closed by >>>>>>> REPLACE (was the answer cut off?)"
            return Parsed(ParseStatus.NO_CODE, None, reasoning, detail)
        if parent is None:
            detail = "the answer has SEARCH/REPLACE blocks but there is no parent program to apply them to"
            return Parsed(ParseStatus.NO_CODE, None, reasoning, detail)
        try:
            source = apply_diff(parent, diff.blocks)
        except DiffError as exc:
            return Parsed(ParseStatus.DIFF_NOT_APPLIED, None, reasoning, one_line(str(exc)))
        return _finish(source, reasoning, [parent], function_name, version, "the program after the diff")

    fences = find_fences(lines)
    reasoning = _reasoning(lines, [f.span for f in fences])
    python = [f for f in fences if f.language in PYTHON or f.language.startswith("python")]
    parsed = [(fence, try_parse(fence.code)) for fence in python]
    trees = [(fence, tree) for fence, (tree, _) in parsed if tree is not None]
    usable = [(i, fence, tree) for i, (fence, tree) in enumerate(trees) if is_usable(tree, function_name)]
    parents = [parent] if parent else []
    if usable:
        _, fence, _ = max(usable, key=lambda u: (is_wanted(u[2], function_name, version), u[0]))
        donors = [f.code for f, _ in reversed(trees) if f is not fence] + parents
        return _finish(fence.code, reasoning, donors, function_name, version, "the code")
    for fence in reversed(python):
        wrapped = as_body(fence.raw, function_name, parents)
        if wrapped:
            donors = [f.code for f, _ in reversed(trees)] + parents
            return _finish(wrapped, reasoning, donors, function_name, version, "the code")
    wrapped = None if fences else as_body(body, function_name, parents)
    if wrapped:
        return _finish(wrapped, "", parents, function_name, version, "the code")
    found = unfenced(lines, function_name)
    if found:
        code, span = found
        donors = [f.code for f, _ in reversed(trees)] + parents
        return _finish(code, _reasoning(lines, [span]), donors, function_name, version, "the code")
    broken = [(fence, error) for fence, (tree, error) in parsed if tree is None]
    for fence, error in reversed(broken):
        if mentions(fence.code, function_name):
            cut = "" if fence.closed else " (the answer was cut off)"
            return Parsed(ParseStatus.NO_CODE, None, reasoning, f"the code does not parse{cut}: {error}")
    if python:
        detail = f"no code block defines {function_name}() ({len(python)} Python block(s) in the answer)"
    else:
        detail = f"no code in the answer (expected a ```python block defining {function_name}())"
    return Parsed(ParseStatus.NO_CODE, None, reasoning, detail)
