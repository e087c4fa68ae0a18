"""The syntax-tree helpers the source edits share, and :class:`Edit`, what an edit returns."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aurora_evo.program_text import ProgramError, parse_program


@dataclass(frozen=True)
class Edit:
    """An edited program and one line saying what changed (e.g. ``"constant 0.5 -> 0.61 at line 7"``)."""

    source: str
    description: str


def choice(rng: np.random.Generator, seq: Sequence):
    return seq[int(rng.integers(len(seq)))]


def parse_or_none(source: str) -> ast.Module | None:
    try:
        return parse_program(source)
    except ProgramError:
        return None


def excerpt(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parent_map(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def ancestors(node: ast.AST, parents: dict) -> list[ast.AST]:
    chain = []
    while node in parents:
        node = parents[node]
        chain.append(node)
    return chain


def call_name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def in_slice(node: ast.AST, parents: dict) -> bool:
    """Whether ``node`` is part of an index (``nodes[:, 5]``, ``x[i + 1]``)."""
    child = node
    for parent in ancestors(node, parents):
        if isinstance(parent, ast.Subscript) and child is parent.slice:
            return True
        child = parent
    return False


# Calls whose integer arguments are sizes, counts or positions.
SHAPE_CALLS = frozenset(
    {"range", "len", "zeros", "ones", "empty", "full", "arange", "linspace", "reshape", "eye", "identity",
     "tile", "repeat", "roll", "take", "round", "around", "partition", "argpartition", "shape", "resize"}
)  # fmt: skip


def is_shape_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and call_name(node) in SHAPE_CALLS
