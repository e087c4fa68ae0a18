"""The point edits: one numeric literal perturbed, or one operator swapped for its opposite."""

from __future__ import annotations

import ast
import math
import re

import numpy as np

from aurora_evo.mutators.edits.syntax import (
    Edit,
    ancestors,
    call_name,
    choice,
    in_slice,
    is_shape_call,
    parent_map,
    parse_or_none,
)
from aurora_evo.program_text import SourceText

# Calls whose integer arguments are plain numbers.
_NUMERIC_CALLS = frozenset({"maximum", "minimum", "fmax", "fmin", "clip", "where", "copysign", "power"})


def _perturbable(node: ast.Constant, parents: dict) -> bool:
    """Whether a numeric literal is a tunable number rather than an index, size or feature id.

    Floats anywhere but in an index or a size/count call qualify, except tiny ones (below 1e-6: guards
    against division by zero). Integers only as operands of
    arithmetic or comparisons (not exponents) or as arguments of elementwise numpy functions, and never
    in an index, a keyword argument, or a size/count call.
    """
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return False
    if in_slice(node, parents) or 0 < abs(value) < 1e-6:
        return False
    chain = ancestors(node, parents)
    if any(is_shape_call(a) for a in chain):
        return False
    if isinstance(value, float):
        return True
    if any(isinstance(a, ast.keyword) for a in chain):
        return False
    child, parent = node, parents.get(node)
    while isinstance(parent, ast.UnaryOp):
        child, parent = parent, parents.get(parent)
    if isinstance(parent, ast.BinOp):
        return not (isinstance(parent.op, ast.Pow) and child is parent.right)
    if isinstance(parent, ast.Compare):
        return True
    if isinstance(parent, ast.IfExp):
        return child is not parent.test
    return isinstance(parent, ast.Call) and call_name(parent) in _NUMERIC_CALLS and child in parent.args


def perturb_constant(source: str, rng: np.random.Generator, *, sigma: float = 0.3) -> Edit | None:
    """Multiply one tunable numeric literal by ``exp(N(0, sigma))`` (a zero becomes ``N(0, 0.1)``),
    rounded to 4 significant digits."""
    tree = parse_or_none(source)
    if tree is None:
        return None
    parents = parent_map(tree)
    candidates = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and _perturbable(n, parents)]
    if not candidates:
        return None
    node = choice(rng, candidates)
    old = node.value
    for _ in range(5):
        if old == 0:
            new = float(f"{rng.normal(0.0, 0.1):.4g}")
        else:
            new = float(f"{old * math.exp(rng.normal(0.0, sigma)):.4g}")
        if new != old:
            break
    else:
        return None
    text = SourceText(source)
    literal = f"({new!r})" if new < 0 else repr(new)
    edited = text.splice([(text.start(node), text.end(node), literal)])
    return Edit(edited, f"constant {old!r} -> {new!r} at line {node.lineno}")


# --- operator swap ------------------------------------------------------------------------------

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_COMPARES = {ast.Lt: r"<(?!=)", ast.Gt: r">(?!=)", ast.LtE: r"<=", ast.GtE: r">="}
_SWAPS = {"+": "-", "-": "+", "*": "/", "/": "*", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
_NAME_SWAPS = {
    "maximum": "minimum", "minimum": "maximum", "max": "min", "min": "max", "amax": "amin",
    "amin": "amax", "fmax": "fmin", "fmin": "fmax", "argmax": "argmin", "argmin": "argmax",
    "nanmax": "nanmin", "nanmin": "nanmax",
}  # fmt: skip


def _blank_comments(gap: str) -> str:
    """``gap`` with comments blanked out (same length, so offsets still hold)."""
    return re.sub(r"#[^\r\n]*", lambda m: " " * len(m.group()), gap)


def _operator_sites(tree: ast.Module, text: SourceText) -> list[tuple[int, int, str, str, int]]:
    """Every swappable operator inside a function: (start, end, old token, new token, line)."""
    sites = []
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    inside = {id(n) for f in functions for stmt in f.body for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) not in inside:
            continue
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            pairs = [(node.left, node.right, re.escape(_BINOPS[type(node.op)]))]
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            pairs = [
                (operands[k], operands[k + 1], _COMPARES[type(op)])
                for k, op in enumerate(node.ops)
                if type(op) in _COMPARES
            ]
        elif isinstance(node, ast.Call) and call_name(node) in _NAME_SWAPS:
            name = call_name(node)
            end = text.end(node.func)
            if text.get(end - len(name), end) == name:
                sites.append((end - len(name), end, name, _NAME_SWAPS[name], node.lineno))
            continue
        else:
            continue
        for left, right, pattern in pairs:
            gap_start = text.end(left)
            raw = text.get(gap_start, text.start(right))
            found = list(re.finditer(pattern, _blank_comments(raw)))
            if len(found) == 1:
                token = found[0].group()
                start = gap_start + len(raw[: found[0].start()].encode("utf-8"))
                sites.append((start, start + len(token), token, _SWAPS[token], right.lineno))
    return sites


def swap_operator(source: str, rng: np.random.Generator) -> Edit | None:
    """Swap one operator inside a function: ``+``/``-``, ``*``/``/``, ``<``/``>``, ``<=``/``>=``,
    ``maximum``/``minimum``, ``max``/``min``, ``argmax``/``argmin`` (numpy functions, methods or builtins)."""
    tree = parse_or_none(source)
    if tree is None:
        return None
    text = SourceText(source)
    sites = _operator_sites(tree, text)
    if not sites:
        return None
    start, end, old, new, line = choice(rng, sites)
    edited = text.splice([(start, end, new)], drop_comments=True)
    return Edit(edited, f"swapped '{old}' for '{new}' at line {line}")
