"""SEARCH/REPLACE blocks: finding them in an answer, and applying them to the parent program."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aurora_evo.mutators.llm.answer_text import indent, newlines, one_line, trim

__all__ = ["DiffError", "DiffScan", "apply_diff", "diff_blocks", "scan_diff"]


class DiffError(ValueError):
    """A SEARCH/REPLACE block could not be applied; the message names the block."""


_SEARCH = re.compile(r"^\s*<{5,}\s*SEARCH\b", re.IGNORECASE)
_DIVIDER = re.compile(r"^\s*={5,}\s*$")
_REPLACE = re.compile(r"^\s*>{5,}\s*REPLACE\b", re.IGNORECASE)


@dataclass(frozen=True)
class DiffScan:
    blocks: list[tuple[str, str]]
    spans: list[tuple[int, int]]  # line ranges [start, end) of the blocks, an unclosed one included
    unclosed: bool  # the last block has no REPLACE marker (a cut-off answer)


def scan_diff(lines: list[str]) -> DiffScan:
    blocks, spans = [], []
    state, start, search, replace = "", 0, [], []
    for index, line in enumerate(lines):
        if _SEARCH.match(line):
            if state == "replace":  # a missing REPLACE marker: the next block closes this one
                blocks.append(("\n".join(search), "\n".join(replace)))
                spans.append((start, index))
            state, start, search, replace = "search", index, [], []
        elif state == "search":
            if _DIVIDER.match(line):
                state = "replace"
            else:
                search.append(line)
        elif state == "replace":
            if _REPLACE.match(line):
                blocks.append(("\n".join(search), "\n".join(replace)))
                spans.append((start, index + 1))
                state = ""
            else:
                replace.append(line)
    if state:
        spans.append((start, len(lines)))
    return DiffScan(blocks, spans, bool(state))


def diff_blocks(text: str) -> list[tuple[str, str]]:
    """The complete ``(search, replace)`` blocks of ``text``, in order (a block left open is ignored).

    A block is::

        <<<<<<< SEARCH
        lines copied from the program
        =======
        the lines to put in their place
        >>>>>>> REPLACE
    """
    return scan_diff(newlines(text).split("\n")).blocks


def _dedented(lines: list[str]) -> tuple[list[str], str]:
    """``lines`` (right-stripped) without their common indentation, and that indentation."""
    lines = [line.rstrip() for line in lines]
    indents = [indent(line) for line in lines if line]
    common = min(indents, key=len) if indents else ""
    return [line[len(common) :] if line else "" for line in lines], common


def _find(lines: list[str], search: list[str]) -> tuple[int, tuple[str, str] | None] | None:
    """Where ``search`` first matches a run of ``lines``: exactly, then ignoring trailing whitespace,
    then ignoring a common indentation (returned as ``(search indent, program indent)``)."""
    n = len(search)
    windows = range(len(lines) - n + 1)
    for i in windows:
        if lines[i : i + n] == search:
            return i, None
    stripped = [line.rstrip() for line in search]
    for i in windows:
        if [line.rstrip() for line in lines[i : i + n]] == stripped:
            return i, None
    wanted, search_indent = _dedented(search)
    for i in windows:
        found, indent = _dedented(lines[i : i + n])
        if found == wanted:
            return i, (search_indent, indent)
    return None


def _reindent(lines: list[str], shift: tuple[str, str]) -> list[str]:
    old, new = shift
    delta = len(new) - len(old)
    out = []
    for line in lines:
        if not line.strip():
            out.append("")
        elif line.startswith(old):
            out.append(new + line[len(old) :])
        elif delta > 0:
            out.append(" " * delta + line)
        else:
            out.append(line[min(-delta, len(indent(line))) :])
    return out


def apply_diff(source: str, blocks: Sequence[tuple[str, str]]) -> str:
    """``source`` with each ``(search, replace)`` block applied in turn to its first match.

    Blank lines around a block's texts are ignored. A SEARCH text matches whole lines: exactly, else
    ignoring trailing whitespace, else ignoring a common difference of indentation (the replacement is
    then shifted by the same amount).

    Raises:
        DiffError: a SEARCH text is empty or not found; the message names the block (numbered from 1).
    """
    lines = source.split("\n")
    for number, (search, replace) in enumerate(blocks, start=1):
        wanted = trim(newlines(search).split("\n"))
        if not wanted:
            raise DiffError(f"diff block {number}: the SEARCH text is empty")
        found = _find(lines, wanted)
        if found is None:
            excerpt = one_line(wanted[0], 60)
            raise DiffError(
                f'diff block {number}: SEARCH text not found in the parent (it starts "{excerpt}")'
            )
        at, shift = found
        new = trim(newlines(replace).split("\n"))
        if shift is not None:
            new = _reindent(new, shift)
        lines[at : at + len(wanted)] = new
    return "\n".join(lines)
