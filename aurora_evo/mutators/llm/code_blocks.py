"""Code in an answer: fenced blocks, an unfenced program, or a bare function body (FunSearch's
continuation of a ``def`` header), and which versions of the function a piece of code defines."""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from aurora_evo.mutators.llm.answer_text import indent, trim, try_parse

_FENCE_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([^\s`]*)[^`]*$")
PYTHON = {"", "python", "py", "python3", "py3", "python3.11", "ipython", "sage"}


@dataclass(frozen=True)
class Fence:
    language: str
    code: str  # dedented
    raw: str  # indented as in the answer, less the indentation of the opening fence
    span: tuple[int, int]  # lines [start, end) including the fences
    closed: bool


def find_fences(lines: list[str]) -> list[Fence]:
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
        margin = indent(lines[index])
        raw = "\n".join(
            line[len(margin) :] if line.startswith(margin) else line for line in lines[index + 1 : end]
        )
        span = (index, end + 1 if closed else end)
        fences.append(Fence(opening.group(2).lower(), textwrap.dedent(raw), raw, span, closed))
        index = end + 1
    return fences


def version_names(tree: ast.Module, function_name: str) -> dict[int, str]:
    pattern = re.compile(rf"{re.escape(function_name)}_v(\d+)")
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            match = pattern.fullmatch(node.name)
            if match and len(match.group(1)) < 10:
                found.setdefault(int(match.group(1)), node.name)
    return found


def defines(tree: ast.Module, name: str) -> bool:
    return any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name for n in tree.body)


def is_usable(tree: ast.Module | None, function_name: str) -> bool:
    return tree is not None and (defines(tree, function_name) or bool(version_names(tree, function_name)))


def is_wanted(tree: ast.Module, function_name: str, version: int | None) -> bool:
    return defines(tree, function_name) or (
        version is not None and defines(tree, f"{function_name}_v{version}")
    )


def mentions(code: str, function_name: str) -> bool:
    return re.search(rf"\bdef\s+{re.escape(function_name)}(?:_v\d+)?\s*\(", code) is not None


def _parameters(sources: Sequence[str], code: str, function_name: str) -> str:
    """The parameters of the function a bare body belongs to: those of the parents' function, else a
    guess from the names the body uses."""
    pattern = re.compile(rf"{re.escape(function_name)}(?:_v\d+)?")
    for source in sources:
        tree, _ = try_parse(source)
        for node in tree.body if tree else []:
            if isinstance(node, ast.FunctionDef) and pattern.fullmatch(node.name) and node.args.args:
                return ", ".join(arg.arg for arg in node.args.args)
    return "task, nodes" if re.search(r"\b(task|nodes)\b", code) else "item, bins"


def as_body(code: str, function_name: str, sources: Sequence[str]) -> str | None:
    """``code`` as the function, when it is an indented function body (FunSearch's continuation)."""
    lines = trim(code.split("\n"))
    if not lines or not indent(lines[0]):
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() and not indent(lines[i])), len(lines))
    body = textwrap.dedent("\n".join(lines[:end]))
    wrapped = f"def {function_name}({_parameters(sources, body, function_name)}):\n" + textwrap.indent(
        body, "    "
    )
    tree, _ = try_parse(wrapped)
    if tree is None or not any(isinstance(n, ast.Return) for n in ast.walk(tree)):
        return None
    return wrapped


_CODE_START = re.compile(r"^(?:import\s|from\s+\S+\s+import\s|def\s|async\s+def\s|@)")


def unfenced(lines: list[str], function_name: str) -> tuple[str, tuple[int, int]] | None:
    """Code outside fences: the whole text, or a part starting at a top-level ``import``/``def`` line
    and ending at the end or before a line of prose that breaks the parse."""
    starts = list(dict.fromkeys([0] + [i for i, line in enumerate(lines) if _CODE_START.match(line)]))[:50]
    for start in starts:
        end = len(lines)
        for _ in range(8):
            code = "\n".join(lines[start:end])
            tree, error = try_parse(code)
            if tree is not None:
                if is_usable(tree, function_name):
                    return code, (start, end)
                break
            line = re.match(r"line (\d+):", error)
            if not line:
                break
            bad = start + int(line.group(1)) - 1
            # Only a line of prose at the top level ends the code; an error inside a block is the code's.
            if bad <= start or bad >= end or not lines[bad].strip() or indent(lines[bad]):
                break
            end = bad
    return None
