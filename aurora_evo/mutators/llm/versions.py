"""Renaming and merging sources: the module of renamed versions a BEST_SHOT prompt shows
(``priority_v0 .. priority_v{k-1}``), and the consistent renaming of names that the parser uses too."""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aurora_evo.mutators.base import Parent
from aurora_evo.mutators.llm.parent_text import format_score
from aurora_evo.program_text import ProgramError, SourceText, is_docstring, parse_source

__all__ = ["merge_versions", "rename_names"]

_DEF_NAME = re.compile(rb"(?:async\s+)?def\s+")


def rename_names(source: str, mapping: Mapping[str, str]) -> str:
    """``source`` with every use of each name in ``mapping`` renamed (a consistent renaming of the whole
    module: definitions, assignments, parameters and loads; attributes, keywords and strings are left).

    Positions come from the syntax tree, so a name inside a string or comment is untouched. ``source``
    is returned unchanged when it does not parse.
    """
    if not mapping:
        return source
    try:
        tree = parse_source(source)
    except ProgramError:
        return source
    text = SourceText(source)
    spans: dict[int, tuple[int, str]] = {}  # byte offset -> (length, new name)

    def mark(at: int, old: str) -> None:
        if text.data[at : at + len(old.encode())] == old.encode():
            spans[at] = (len(old.encode()), mapping[old])

    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in mapping:
            mark(text.start(node), node.id)
        elif isinstance(node, ast.arg) and node.arg in mapping:
            mark(text.start(node), node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in mapping:
            found = _DEF_NAME.match(text.data, text.start(node))
            if found:
                mark(found.end(), node.name)
    edits, last = [], 0
    for at in sorted(spans):
        if at < last:
            continue
        length, new = spans[at]
        edits.append((at, at + length, new))
        last = at + length
    return text.splice(edits)


def _segment(lines: list[str], node: ast.stmt) -> str:
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    end = node.end_lineno or node.lineno
    # Comment lines right above the statement belong to it.
    while first > 1 and lines[first - 2].startswith("#"):
        first -= 1
    return "\n".join(lines[first - 1 : end]).rstrip()


def _bound_names(node: ast.stmt) -> set[str]:
    """Names a top-level statement binds in the module."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.add(sub.id)
        if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            break
    return names


@dataclass
class _Version:
    source: str  # renamed so that its priority is priority_v{i}
    docstring: str  # the module docstring, if any
    statements: list[tuple[str, set[str]]]  # helper statements: (text, names bound)
    function: str  # the text of priority_v{i}
    parsed: bool
    imports: tuple[str, ...] = ()


def _split(source: str, name: str) -> _Version:
    """Split a parent (already renamed) into imports, helper statements and the function ``name``."""
    try:
        tree = parse_source(source)
    except ProgramError:
        return _Version(source, "", [], source.strip(), False)
    lines = source.splitlines()
    docstring, statements, function, imports = "", [], "", []
    for index, node in enumerate(tree.body):
        if index == 0 and is_docstring(node):
            docstring = inspect.cleandoc(node.value.value)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            imports.append(ast.unparse(node))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name and not function:
            function = _segment(lines, node)
        else:
            statements.append((_segment(lines, node), _bound_names(node)))
    return _Version(source, docstring, statements, function, True, tuple(imports))


def merge_versions(parents: Sequence[Parent], function_name: str = "priority") -> tuple[str, list[str]]:
    """The module shown in a BEST_SHOT prompt, without its final header, and the function names used.

    Imports are taken once (their union); helper statements shared by several parents appear once; a
    helper name that two parents define differently is renamed ``{name}_v{i}`` in the later one.
    """
    imports: list[str] = ["import numpy as np"]
    shared: list[str] = []
    owner: dict[str, str] = {}
    blocks: list[str] = []
    names: list[str] = []
    for i, parent in enumerate(parents):
        name = f"{function_name}_v{i}"
        names.append(name)
        mapping = {function_name: name}
        while True:  # rename until no helper clashes with a different one of an earlier parent
            version = _split(rename_names(parent.source, mapping), name)
            clashes = {
                bound
                for text, bound_names in version.statements
                for bound in bound_names
                if bound in owner and owner[bound] != text and bound not in mapping
            }
            if not clashes:
                break
            mapping.update({bound: f"{bound}_v{i}" for bound in clashes})
        if not version.parsed:
            fallback = re.sub(rf"\bdef\s+{re.escape(function_name)}\s*\(", f"def {name}(", parent.source)
            blocks.append(f"# {name}: score {format_score(parent.score)}\n{fallback.strip()}")
            continue
        imports += [text for text in version.imports if text not in imports]
        for text, bound_names in version.statements:
            if text not in shared:
                shared.append(text)
                for bound in bound_names:
                    owner.setdefault(bound, text)
        comment = [f"# {name}: score {format_score(parent.score)}"]
        if version.docstring:
            comment += [f"# {line}".rstrip() for line in version.docstring.splitlines()]
        blocks.append("\n".join(comment) + "\n" + (version.function or f"def {name}(*args):\n    pass"))
    parts = ["\n".join(imports)] + ([_join_statements(shared)] if shared else []) + blocks
    return "\n\n\n".join(parts) + "\n", names


def _join_statements(texts: Sequence[str]) -> str:
    """Top-level statements as a module: two blank lines around functions and other multi-line
    statements, none between one-line statements."""
    out: list[str] = []
    previous_block = False
    for text in texts:
        block = "\n" in text or text.startswith(("def ", "async ", "@", "class ", "#"))
        if out:
            out.append("\n\n\n" if block or previous_block else "\n")
        out.append(text)
        previous_block = block
    return "".join(out)
