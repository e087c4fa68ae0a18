"""Finishing a program taken from an answer: the wanted version renamed ``priority`` and the unused ones
dropped, the definitions it uses without giving taken from the answer's other code and the parent, and
the imports of ``np`` and ``math`` added."""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Sequence

from aurora_evo.mutators.llm.answer_text import try_parse
from aurora_evo.mutators.llm.code_blocks import defines, version_names
from aurora_evo.mutators.llm.versions import rename_names

_BUILTINS = frozenset(dir(builtins))
_MODULES = {"np": "import numpy as np", "numpy": "import numpy", "math": "import math"}


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
    tree, _ = try_parse(code)
    if tree is None:
        return code
    lines = code.split("\n")
    read = _loaded(tree)
    drop = set()
    versions = set(version_names(tree, function_name).values()) - read
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in versions:
            drop.update(range(*_statement_lines(lines, node)))
    if not drop:
        return code
    return _tidy("\n".join(line for i, line in enumerate(lines) if i not in drop))


def _tidy(code: str) -> str:
    """Leading blank lines removed, at most two blank lines in a row between top-level statements, and
    one final newline."""
    tree, _ = try_parse(code)
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
    tree, _ = try_parse(source)
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
    tree, _ = try_parse(code)
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
    tree, _ = try_parse(code)
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


def finish_program(
    code: str, donors: Sequence[str], function_name: str, version: int | None, what: str
) -> tuple[str | None, str]:
    """The program finished (see the module docstring), or ``None`` and one line saying why it cannot be,
    naming the code as ``what`` (``"the code"``).

    Args:
        code: the code taken from the answer.
        donors: sources to take missing definitions from, in order of preference.
        function_name: the function the program must define.
        version: the ``k`` of the ``{function_name}_v{k}`` asked for, if any.
        what: how the messages name the code.
    """
    code = _tidy(code)
    tree, error = try_parse(code)
    if tree is None:
        return None, f"{what} does not parse: {error}"
    if not defines(tree, function_name):
        versions = version_names(tree, function_name)
        if not versions:
            return None, f"{what} does not define {function_name}()"
        name = versions[version] if version in versions else versions[max(versions)]
        code = _drop_versions(rename_names(code, {name: function_name}), function_name)
    code = _add_imports(_fill_in(code, donors, function_name))
    tree, error = try_parse(code)
    if tree is None or not defines(tree, function_name):  # pragma: no cover - defensive
        return None, f"{what} could not be completed: {error}"
    return code, ""
