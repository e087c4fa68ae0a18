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
"""

from __future__ import annotations

import ast
import builtins
import enum
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from aurora_evo.mutators.llm.prompts import PromptMode, rename_names
from aurora_evo.program_text import ProgramError, parse_source

__all__ = [
    "REASONING_CHARS",
    "DiffError",
    "ParseStatus",
    "Parsed",
    "apply_diff",
    "diff_blocks",
    "parse_response",
]

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


class DiffError(ValueError):
    """A SEARCH/REPLACE block could not be applied; the message names the block."""


# --- small helpers -------------------------------------------------------------------------------

_BUILTINS = frozenset(dir(builtins))
_MODULES = {"np": "import numpy as np", "numpy": "import numpy", "math": "import math"}


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _try_parse(code: str) -> tuple[ast.Module | None, str]:
    """The tree of ``code``, or ``None`` and ``"line N: message"``."""
    try:
        return parse_source(code), ""
    except ProgramError as exc:
        error = exc.parser_error
    if isinstance(error, SyntaxError):
        where = f"line {error.lineno}: " if error.lineno else ""
        return None, f"{where}{error.msg}"
    return None, " ".join(str(error).split())[:200] or type(error).__name__


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


# --- diffs ---------------------------------------------------------------------------------------

_SEARCH = re.compile(r"^\s*<{5,}\s*SEARCH\b", re.IGNORECASE)
_DIVIDER = re.compile(r"^\s*={5,}\s*$")
_REPLACE = re.compile(r"^\s*>{5,}\s*REPLACE\b", re.IGNORECASE)


@dataclass(frozen=True)
class _DiffScan:
    blocks: list[tuple[str, str]]
    spans: list[tuple[int, int]]  # line ranges [start, end) of the blocks, an unclosed one included
    unclosed: bool  # the last block has no REPLACE marker (a cut-off answer)


def _scan_diff(lines: list[str]) -> _DiffScan:
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
    return _DiffScan(blocks, spans, bool(state))


def diff_blocks(text: str) -> list[tuple[str, str]]:
    """The complete ``(search, replace)`` blocks of ``text``, in order (a block left open is ignored).

    A block is::

        <<<<<<< SEARCH
        lines copied from the program
        =======
        the lines to put in their place
        >>>>>>> REPLACE
    """
    return _scan_diff(_newlines(text).split("\n")).blocks


def _trim(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _dedented(lines: list[str]) -> tuple[list[str], str]:
    """``lines`` (right-stripped) without their common indentation, and that indentation."""
    lines = [line.rstrip() for line in lines]
    indents = [_indent(line) for line in lines if line]
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
            out.append(line[min(-delta, len(_indent(line))) :])
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
        wanted = _trim(_newlines(search).split("\n"))
        if not wanted:
            raise DiffError(f"diff block {number}: the SEARCH text is empty")
        found = _find(lines, wanted)
        if found is None:
            excerpt = _one_line(wanted[0], 60)
            raise DiffError(
                f'diff block {number}: SEARCH text not found in the parent (it starts "{excerpt}")'
            )
        at, shift = found
        new = _trim(_newlines(replace).split("\n"))
        if shift is not None:
            new = _reindent(new, shift)
        lines[at : at + len(wanted)] = new
    return "\n".join(lines)


# --- code blocks ---------------------------------------------------------------------------------

_FENCE_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([^\s`]*)[^`]*$")
_PYTHON = {"", "python", "py", "python3", "py3", "python3.11", "ipython", "sage"}


@dataclass(frozen=True)
class _Fence:
    language: str
    code: str  # dedented
    raw: str  # indented as in the answer, less the indentation of the opening fence
    span: tuple[int, int]  # lines [start, end) including the fences
    closed: bool


def _fences(lines: list[str]) -> list[_Fence]:
    fences, index = [], 0
    while index < len(lines):
        opening = _FENCE_OPEN.match(lines[index])
        if not opening:
            index += 1
            continue
        marker = opening.group(1)
        close = re.compile(rf"^[ \t]*{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
        end = index + 1
        while end < len(lines) and not close.match(lines[end]):
            end += 1
        closed = end < len(lines)
        margin = _indent(lines[index])
        raw = "\n".join(
            line[len(margin) :] if line.startswith(margin) else line for line in lines[index + 1 : end]
        )
        span = (index, end + 1 if closed else end)
        fences.append(_Fence(opening.group(2).lower(), textwrap.dedent(raw), raw, span, closed))
        index = end + 1
    return fences


def _version_names(tree: ast.Module, function_name: str) -> dict[int, str]:
    pattern = re.compile(rf"{re.escape(function_name)}_v(\d+)")
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            match = pattern.fullmatch(node.name)
            if match and len(match.group(1)) < 10:
                found.setdefault(int(match.group(1)), node.name)
    return found


def _defines(tree: ast.Module, name: str) -> bool:
    return any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name for n in tree.body)


def _usable(tree: ast.Module | None, function_name: str) -> bool:
    return tree is not None and (_defines(tree, function_name) or bool(_version_names(tree, function_name)))


def _wanted(tree: ast.Module, function_name: str, version: int | None) -> bool:
    return _defines(tree, function_name) or (
        version is not None and _defines(tree, f"{function_name}_v{version}")
    )


def _mentions(code: str, function_name: str) -> bool:
    return re.search(rf"\bdef\s+{re.escape(function_name)}(?:_v\d+)?\s*\(", code) is not None


def _parameters(sources: Sequence[str], code: str, function_name: str) -> str:
    """The parameters of the function a bare body belongs to: those of the parents' function, else a
    guess from the names the body uses."""
    pattern = re.compile(rf"{re.escape(function_name)}(?:_v\d+)?")
    for source in sources:
        tree, _ = _try_parse(source)
        for node in tree.body if tree else []:
            if isinstance(node, ast.FunctionDef) and pattern.fullmatch(node.name) and node.args.args:
                return ", ".join(arg.arg for arg in node.args.args)
    return "task, nodes" if re.search(r"\b(task|nodes)\b", code) else "item, bins"


def _as_body(code: str, function_name: str, sources: Sequence[str]) -> str | None:
    """``code`` as the function, when it is an indented function body (FunSearch's continuation)."""
    lines = _trim(code.split("\n"))
    if not lines or not _indent(lines[0]):
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() and not _indent(lines[i])), len(lines))
    body = textwrap.dedent("\n".join(lines[:end]))
    wrapped = f"def {function_name}({_parameters(sources, body, function_name)}):\n" + textwrap.indent(
        body, "    "
    )
    tree, _ = _try_parse(wrapped)
    if tree is None or not any(isinstance(n, ast.Return) for n in ast.walk(tree)):
        return None
    return wrapped


_CODE_START = re.compile(r"^(?:import\s|from\s+\S+\s+import\s|def\s|async\s+def\s|@)")


def _unfenced(lines: list[str], function_name: str) -> tuple[str, tuple[int, int]] | None:
    """Code outside fences: the whole text, or a part starting at a top-level ``import``/``def`` line
    and ending at the end or before a line of prose that breaks the parse."""
    starts = list(dict.fromkeys([0] + [i for i, line in enumerate(lines) if _CODE_START.match(line)]))[:50]
    for start in starts:
        end = len(lines)
        for _ in range(8):
            code = "\n".join(lines[start:end])
            tree, error = _try_parse(code)
            if tree is not None:
                if _usable(tree, function_name):
                    return code, (start, end)
                break
            line = re.match(r"line (\d+):", error)
            if not line:
                break
            bad = start + int(line.group(1)) - 1
            # Only a line of prose at the top level ends the code; an error inside a block is the code's.
            if bad <= start or bad >= end or not lines[bad].strip() or _indent(lines[bad]):
                break
            end = bad
    return None


# --- finishing a program -----------------------------------------------------------------------


def _bound(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            names.update(node.names)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
    return names


def _loaded(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _free(tree: ast.AST) -> set[str]:
    """Names ``tree`` reads but binds nowhere (an over-approximation of binding, so never too many)."""
    return _loaded(tree) - _bound(tree) - _BUILTINS


def _statement_lines(lines: list[str], node: ast.stmt) -> tuple[int, int]:
    """Lines ``[start, end)`` (0-based) of a top-level statement, its decorators and the comment lines
    right above it."""
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
    while start > 0 and lines[start - 1].startswith("#"):
        start -= 1
    return start, node.end_lineno or node.lineno


def _drop_versions(code: str, function_name: str) -> str:
    """``code`` without the ``priority_vN`` functions nothing calls."""
    tree, _ = _try_parse(code)
    if tree is None:
        return code
    lines = code.split("\n")
    read = _loaded(tree)
    drop = set()
    versions = set(_version_names(tree, function_name).values()) - read
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in versions:
            drop.update(range(*_statement_lines(lines, node)))
    if not drop:
        return code
    return _tidy("\n".join(line for i, line in enumerate(lines) if i not in drop))


def _tidy(code: str) -> str:
    """Leading blank lines removed, at most two blank lines in a row between top-level statements, and
    one final newline."""
    tree, _ = _try_parse(code)
    lines = code.split("\n")
    inside = set()  # lines within statements (a string may hold blank lines on purpose)
    for node in tree.body if tree else []:
        inside.update(range(node.lineno, node.end_lineno or node.lineno))
    out: list[str] = []
    blanks = 0
    for index, line in enumerate(lines):
        if not line.strip() and index not in inside:
            blanks += 1
            if not out or blanks > 2:
                continue
        else:
            blanks = 0
        out.append(line)
    return "\n".join(out).rstrip() + "\n"


def _header_end(tree: ast.Module, lines: list[str], *, imports: bool) -> int:
    """The 0-based line before which to insert: after the module docstring (and the imports)."""
    position = 0
    for index, node in enumerate(tree.body):
        if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            position = node.end_lineno or node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module == "__future__":
            position = node.end_lineno or node.lineno
        elif imports and isinstance(node, ast.Import | ast.ImportFrom):
            position = node.end_lineno or node.lineno
        else:
            break
    return position


def _insert(code: str, position: int, statements: list[str]) -> str:
    """``code`` with ``statements`` inserted before its 0-based line ``position``."""
    lines = code.split("\n")
    parts: list[str] = []
    previous_block = False
    for text in statements:
        block = "\n" in text or text.startswith(("def ", "async ", "@", "class ", "#"))
        if parts and (block or previous_block):
            parts += ["", ""]
        parts.append(text)
        previous_block = block
    head = lines[:position]
    return _tidy("\n".join([*head, *([""] if head else []), *parts, "", "", *lines[position:]]))


_SCORE_COMMENT = re.compile(r"# \w+_v\d+: score ")


def _donor_statements(source: str, function_name: str) -> dict[str, tuple[int, str, set[str]]]:
    """Top-level definitions of ``source`` by name: ``(line, text, free names)``; the first wins."""
    tree, _ = _try_parse(source)
    if tree is None:
        return {}
    lines = source.split("\n")
    found: dict[str, tuple[int, str, set[str]]] = {}
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names = {node.name} - {function_name}
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        else:
            continue
        start, end = _statement_lines(lines, node)
        # The score comments of a BEST_SHOT prompt's versions would mislead in the new program.
        text = "\n".join(line for line in lines[start:end] if not _SCORE_COMMENT.match(line)).rstrip()
        for name in names:
            found.setdefault(name, (node.lineno, text, _free(node)))
    return found


def _fill_in(code: str, donors: Sequence[str], function_name: str) -> str:
    """``code`` with the definitions it lacks taken from ``donors`` (in order of preference)."""
    tree, _ = _try_parse(code)
    if tree is None:
        return code
    have = _bound(tree) | _BUILTINS | set(_MODULES)
    tables = [_donor_statements(donor, function_name) for donor in donors]
    chosen: dict[tuple[int, int], str] = {}
    queue = sorted(_free(tree) - have)
    while queue:
        name = queue.pop()
        if name in have:
            continue
        have.add(name)
        for rank, table in enumerate(tables):
            if name in table:
                line, text, free = table[name]
                chosen[(rank, line)] = text
                queue += sorted(free - have)
                break
    if not chosen:
        return code
    statements = list(dict.fromkeys(text for _, text in sorted(chosen.items())))
    return _insert(code, _header_end(tree, code.split("\n"), imports=True), statements)


def _add_imports(code: str) -> str:
    tree, _ = _try_parse(code)
    if tree is None:
        return code
    missing = sorted(_loaded(tree) & (set(_MODULES) - _bound(tree)), key=list(_MODULES).index)
    if not missing:
        return code
    lines = code.split("\n")
    position = _header_end(tree, lines, imports=False)
    imports = [_MODULES[name] for name in missing]
    rest = lines[position:]
    while rest and not rest[0].strip():
        rest = rest[1:]
    if rest and rest[0].startswith(("import ", "from ")):
        gap = []
    elif rest and rest[0].startswith(("def ", "async ", "@", "class ", "#")):
        gap = ["", ""]
    else:
        gap = [""]
    head = lines[:position] + ([""] if position else [])
    return _tidy("\n".join([*head, *imports, *gap, *rest]))


def _finish(
    code: str, reasoning: str, donors: Sequence[str], function_name: str, version: int | None, what: str
) -> Parsed:
    code = _tidy(code)
    tree, error = _try_parse(code)
    if tree is None:
        return Parsed(ParseStatus.NO_CODE, None, reasoning, f"{what} does not parse: {error}")
    if not _defines(tree, function_name):
        versions = _version_names(tree, function_name)
        if not versions:
            return Parsed(ParseStatus.NO_CODE, None, reasoning, f"{what} does not define {function_name}()")
        name = versions[version] if version in versions else versions[max(versions)]
        code = _drop_versions(rename_names(code, {name: function_name}), function_name)
    code = _add_imports(_fill_in(code, donors, function_name))
    tree, error = _try_parse(code)
    if tree is None or not _defines(tree, function_name):  # pragma: no cover - defensive
        return Parsed(ParseStatus.NO_CODE, None, reasoning, f"{what} could not be completed: {error}")
    return Parsed(ParseStatus.OK, code, reasoning, "")


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
    raw = _newlines(text if isinstance(text, str) else "")
    body = _strip_thinking(raw)
    if not body.strip():
        detail = "the answer holds only thinking" if raw.strip() else "the answer is empty"
        return Parsed(ParseStatus.NO_CODE, None, "", detail)
    lines = body.split("\n")
    parent = _newlines(parent_source) if isinstance(parent_source, str) else None

    diff = _scan_diff(lines)
    if diff.spans:
        # Diffs often sit in a fence: drop what is left of it along with the blocks.
        kept = [line for i, line in enumerate(lines) if not any(a <= i < b for a, b in diff.spans)]
        reasoning = _reasoning(kept, [f.span for f in _fences(kept)])
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
            return Parsed(ParseStatus.DIFF_NOT_APPLIED, None, reasoning, _one_line(str(exc)))
        return _finish(source, reasoning, [parent], function_name, version, "the program after the diff")

    fences = _fences(lines)
    reasoning = _reasoning(lines, [f.span for f in fences])
    python = [f for f in fences if f.language in _PYTHON or f.language.startswith("python")]
    parsed = [(fence, _try_parse(fence.code)) for fence in python]
    trees = [(fence, tree) for fence, (tree, _) in parsed if tree is not None]
    usable = [(i, fence, tree) for i, (fence, tree) in enumerate(trees) if _usable(tree, function_name)]
    parents = [parent] if parent else []
    if usable:
        _, fence, _ = max(usable, key=lambda u: (_wanted(u[2], function_name, version), u[0]))
        donors = [f.code for f, _ in reversed(trees) if f is not fence] + parents
        return _finish(fence.code, reasoning, donors, function_name, version, "the code")
    for fence in reversed(python):
        wrapped = _as_body(fence.raw, function_name, parents)
        if wrapped:
            donors = [f.code for f, _ in reversed(trees)] + parents
            return _finish(wrapped, reasoning, donors, function_name, version, "the code")
    wrapped = None if fences else _as_body(body, function_name, parents)
    if wrapped:
        return _finish(wrapped, "", parents, function_name, version, "the code")
    found = _unfenced(lines, function_name)
    if found:
        code, span = found
        donors = [f.code for f, _ in reversed(trees)] + parents
        return _finish(code, _reasoning(lines, [span]), donors, function_name, version, "the code")
    broken = [(fence, error) for fence, (tree, error) in parsed if tree is None]
    for fence, error in reversed(broken):
        if _mentions(fence.code, function_name):
            cut = "" if fence.closed else " (the answer was cut off)"
            return Parsed(ParseStatus.NO_CODE, None, reasoning, f"the code does not parse{cut}: {error}")
    if python:
        detail = f"no code block defines {function_name}() ({len(python)} Python block(s) in the answer)"
    else:
        detail = f"no code in the answer (expected a ```python block defining {function_name}())"
    return Parsed(ParseStatus.NO_CODE, None, reasoning, detail)
