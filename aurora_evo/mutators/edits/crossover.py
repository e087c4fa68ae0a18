"""Subtree crossover: an expression of one parent's ``priority`` replaced by one of another parent's that
is well defined where it lands."""

from __future__ import annotations

import ast

import numpy as np

from aurora_evo import features
from aurora_evo.contracts import Contract
from aurora_evo.mutators.edits.kinds import MODULES, VECTOR, Kinds, Scope, statement_scopes
from aurora_evo.mutators.edits.syntax import (
    Edit,
    ancestors,
    call_name,
    choice,
    excerpt,
    in_slice,
    is_shape_call,
    parent_map,
    parse_or_none,
)
from aurora_evo.program_text import SourceText, find_function

_SAFE_BUILTINS = frozenset({"len", "float", "int", "abs", "min", "max", "round", "sum", "bool"})

_NO_TRANSPLANT = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.NamedExpr,
                  ast.Await, ast.Yield, ast.YieldFrom, ast.JoinedStr)  # fmt: skip


def _expressions(function: ast.FunctionDef, parents: dict) -> list[tuple[ast.expr, int]]:
    """Expressions inside ``function`` that may be replaced or transplanted, with their statement index.

    Left out: targets, indices, keyword values, called functions, attribute bases that are module
    names, and anything holding its own scope or bindings.
    """
    out = []
    for index, stmt in enumerate(function.body):
        for node in ast.walk(stmt):
            if not isinstance(node, ast.expr) or isinstance(node, (*_NO_TRANSPLANT, ast.Slice, ast.Starred)):
                continue
            if isinstance(getattr(node, "ctx", None), ast.Store | ast.Del):
                continue
            parent = parents.get(node)
            if isinstance(parent, ast.keyword) or (isinstance(parent, ast.Call) and parent.func is node):
                continue
            if isinstance(node, ast.Name) and node.id in MODULES:
                continue
            if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
                continue
            if in_slice(node, parents) or _is_condition(node, parent):
                continue
            if any(isinstance(n, _NO_TRANSPLANT) for n in ast.walk(node)):
                continue
            chain = ancestors(node, parents)
            if any(isinstance(a, _NO_TRANSPLANT) or is_shape_call(a) for a in chain):
                continue
            out.append((node, index))
    return out


def _is_condition(node: ast.expr, parent: ast.AST | None) -> bool:
    """A truth value, or the condition of ``np.where``/``if``: the kinds do not tell booleans apart."""
    if isinstance(node, ast.Compare | ast.BoolOp) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
    ):
        return True
    if isinstance(parent, ast.IfExp | ast.If | ast.While | ast.Assert) and node is parent.test:
        return True
    if isinstance(parent, ast.BoolOp) or (isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not)):
        return True
    return isinstance(parent, ast.Call) and call_name(parent) == "where" and parent.args[:1] == [node]


def _free_names(node: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _is_leaf(node: ast.expr) -> bool:
    return isinstance(node, ast.Name | ast.Constant)


def _definitions(
    tree: ast.Module, text: SourceText, names: set[str], scope: Scope
) -> list[tuple[int, int, str]]:
    """Module-level lines defining the modules and feature constants ``names`` needs, where A lacks them."""
    lines = []
    for module, line in (("np", "import numpy as np"), ("numpy", "import numpy"), ("math", "import math")):
        if module in names and module not in scope.defined:
            lines.append(line)
    constants = features.contract_globals()
    missing = [f"{n} = {constants[n]!r}" for n in sorted(names) if n in constants and n not in scope.defined]
    if lines and missing:
        lines.append("")
    lines += missing
    if not lines:
        return []
    # After the docstring, __future__ imports and the leading imports.
    after, docstring_last = 0, False
    for i, stmt in enumerate(tree.body):
        docstring = i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
        if not (docstring or isinstance(stmt, ast.Import | ast.ImportFrom)):
            break
        after, docstring_last = stmt.end_lineno, docstring
    offset = text.line_start(after + 1) if after else 0
    block = "".join(f"{line}\n" for line in lines)
    if (
        docstring_last
        or (after and not block.startswith("import"))
        or (after and offset == len(text.data) and not text.data.endswith((b"\n", b"\r")))
    ):
        block = "\n" + block
    return [(offset, offset, block)]


def crossover_subtree(
    source: str, donor: str, rng: np.random.Generator, *, contract: Contract, max_sites: int = 40
) -> Edit | None:
    """Replace an expression inside ``priority`` of ``source`` by an expression of ``donor``'s.

    The donated expression is one whose names all exist where it lands (the feature constants,
    ``np`` and ``math`` are added to the module when missing), and whose inferred kind there matches
    the replaced one's; internal nodes are preferred to leaves nine times in ten (Koza's bias).
    """
    tree_a, tree_b = parse_or_none(source), parse_or_none(donor)
    if tree_a is None or tree_b is None:
        return None
    function_a, scopes = statement_scopes(tree_a, contract)
    targets = _expressions(function_a, parent_map(tree_a))
    donations = [node for node, _ in _expressions(find_function(tree_b), parent_map(tree_b))]
    if not targets or not donations:
        return None
    internal_first = rng.random() < 0.9
    order = sorted(rng.permutation(len(targets)), key=lambda i: _is_leaf(targets[i][0]) == internal_first)
    implicit = MODULES | features.contract_globals().keys()
    for i in order[:max_sites]:
        target, index = targets[int(i)]
        scope = scopes[index]
        kinds = Kinds(scope.env)
        kind = kinds(target)
        if kind is None:
            continue
        dump = ast.dump(target)
        allowed = scope.defined | implicit | _SAFE_BUILTINS
        fits = [
            d for d in donations
            if _free_names(d) <= allowed and kinds(d) == kind and ast.dump(d) != dump
        ]  # fmt: skip
        if not fits:
            continue
        inner = [d for d in fits if not _is_leaf(d)]
        pick = choice(rng, inner if inner and rng.random() < 0.9 else fits)
        return _transplant(source, donor, tree_a, target, pick, scope, kind)
    return None


# Places where any expression stands without parentheses.
_LOOSE = (ast.Return, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.keyword, ast.Expr)


def _transplant(source, donor, tree_a, target, pick, scope, kind) -> Edit:
    text, donor_text = SourceText(source), SourceText(donor)
    if pick.lineno == pick.end_lineno:
        snippet = donor_text.get(donor_text.start(pick), donor_text.end(pick))
    else:
        snippet = ast.unparse(pick)
    bare = isinstance(pick, ast.Name | ast.Call | ast.Subscript | ast.Attribute) or (
        isinstance(pick, ast.Constant) and pick.value >= 0 and not snippet.endswith(".")
    )
    parent = parent_map(tree_a).get(target)
    loose = isinstance(parent, _LOOSE) or (isinstance(parent, ast.Call) and target in parent.args)
    if not (bare or loose) or (isinstance(pick, ast.Constant) and isinstance(parent, ast.Attribute)):
        snippet = f"({snippet})"
    if kind == VECTOR and isinstance(parent, ast.Return) and isinstance(pick, ast.Name | ast.Subscript):
        # Maybe an input or a read-only view of one: numba cannot return that as a new float64[:] array.
        snippet += ".copy()"
    edits = [(text.start(target), text.end(target), snippet)]
    edits += _definitions(tree_a, text, _free_names(pick), scope)
    old = text.get(text.start(target), text.end(target))
    description = f"'{excerpt(old)}' at line {target.lineno} replaced by '{excerpt(snippet)}' of the donor"
    return Edit(text.splice(edits, drop_comments=True), description)
