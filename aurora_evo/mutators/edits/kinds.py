"""A small static shape inference, so that a transplanted expression has the shape of the one it replaces.

An expression's kind is ``SCALAR``, ``VECTOR`` (one entry per bin/node), ``FEATURES`` (a task's or a
d-dimensional item's feature vector) or ``MATRIX`` (the nodes' or bins' rows), or ``None`` when unsure.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from aurora_evo import features
from aurora_evo.contracts import Contract
from aurora_evo.program_text import find_function

SCALAR, VECTOR, FEATURES, MATRIX = "scalar", "vector", "features", "matrix"

#: Kinds of the two parameters: ``vector`` has one entry per bin/node; ``features`` is a task's (or a
#: d-dimensional item's) feature vector, of another length.
_PARAMETER_KINDS = {
    Contract.BINPACKING: (SCALAR, VECTOR),
    Contract.ALLOCATION: (FEATURES, MATRIX),
    Contract.VECTOR_BINPACKING: (FEATURES, MATRIX),
}
#: The names of the modules a program uses (the program namespace predefines them).
MODULES = frozenset({"np", "numpy", "math"})
_ELEMENTWISE = frozenset(
    {"abs", "absolute", "fabs", "sqrt", "cbrt", "exp", "exp2", "expm1", "log", "log1p", "log2", "log10",
     "square", "sign", "floor", "ceil", "rint", "trunc", "round", "around", "tanh", "sinh", "cosh", "tan",
     "sin", "cos", "arctan", "arcsin", "arccos", "arctan2", "clip", "minimum", "maximum", "fmin", "fmax",
     "power", "copysign", "hypot", "isfinite", "isnan", "isinf", "logical_and", "logical_or",
     "logical_not", "logical_xor", "add", "subtract", "multiply", "divide", "true_divide", "negative",
     "reciprocal", "nan_to_num", "greater", "less", "equal", "heaviside", "mod", "fmod", "where"}
)  # fmt: skip
_REDUCTIONS = frozenset(
    {"sum", "max", "min", "mean", "std", "var", "prod", "median", "amax", "amin", "ptp", "any", "all",
     "argmax", "argmin", "count_nonzero", "nanmax", "nanmin", "nansum", "nanmean"}
)  # fmt: skip
_FILLED = frozenset({"zeros", "ones", "empty", "full"})
_FILLED_LIKE = frozenset({"zeros_like", "ones_like", "empty_like", "full_like"})
_SAME_KIND_METHODS = frozenset({"copy", "astype", "clip", "round"})


def join_kinds(kinds) -> str | None:
    """The kind of an elementwise combination: scalars broadcast, two different array kinds do not."""
    arrays = set()
    for kind in kinds:
        if kind is None:
            return None
        if kind != SCALAR:
            arrays.add(kind)
    if len(arrays) > 1:
        return None
    return arrays.pop() if arrays else SCALAR


class Kinds:
    """The kind (``SCALAR``, ``VECTOR``, ``FEATURES``, ``MATRIX``) of expressions, or ``None`` if unsure."""

    def __init__(self, env: dict[str, str | None]):
        self.env = env

    def __call__(self, node: ast.expr) -> str | None:
        method = getattr(self, f"_{type(node).__name__}", None)
        return method(node) if method is not None else None

    def _Constant(self, node):
        return SCALAR if isinstance(node.value, int | float) else None

    def _Name(self, node):
        return self.env.get(node.id)

    def _Attribute(self, node):
        if isinstance(node.value, ast.Name) and node.value.id in MODULES:
            return SCALAR if node.attr in ("pi", "e", "inf", "tau") else None
        return SCALAR if node.attr in ("size", "ndim") and self(node.value) else None

    def _UnaryOp(self, node):
        kind = self(node.operand)
        return kind if not isinstance(node.op, ast.Not) or kind == SCALAR else None

    def _BinOp(self, node):
        return None if isinstance(node.op, ast.MatMult) else join_kinds([self(node.left), self(node.right)])

    def _Compare(self, node):
        return join_kinds([self(node.left), *map(self, node.comparators)])

    def _BoolOp(self, node):
        return SCALAR if all(self(v) == SCALAR for v in node.values) else None

    def _IfExp(self, node):
        return join_kinds([self(node.body), self(node.orelse)]) if self(node.test) == SCALAR else None

    def _Subscript(self, node):
        value, index = node.value, node.slice
        if isinstance(value, ast.Attribute) and value.attr == "shape":
            return SCALAR if self(index) == SCALAR else None
        base = self(value)
        if base in (VECTOR, FEATURES):
            return SCALAR if self(index) == SCALAR else None
        if base == MATRIX and isinstance(index, ast.Tuple) and len(index.elts) == 2:
            rows, column = index.elts
            full = (
                isinstance(rows, ast.Slice)
                and rows.lower is None
                and rows.upper is None
                and rows.step is None
            )
            if full and self(column) == SCALAR:
                return VECTOR
            if self(rows) == SCALAR and self(column) == SCALAR:
                return SCALAR
        return None

    def _Call(self, node):
        if any(k.arg is None or k.arg == "out" for k in node.keywords):
            return None
        func = node.func
        if isinstance(func, ast.Name):
            if func.id == "len":
                return SCALAR
            if func.id in ("float", "int", "round", "bool"):
                return SCALAR if node.args and self(node.args[0]) == SCALAR else None
            if func.id == "abs" and len(node.args) == 1:
                return self(node.args[0])
            if func.id in ("min", "max") and len(node.args) >= 2:
                return SCALAR if all(self(a) == SCALAR for a in node.args) else None
            return None
        if not isinstance(func, ast.Attribute):
            return None
        name = func.attr
        if isinstance(func.value, ast.Name) and func.value.id in MODULES:
            if func.value.id == "math":
                return SCALAR if all(self(a) == SCALAR for a in node.args) else None
            if name in _ELEMENTWISE and node.args:
                return join_kinds(map(self, node.args))
            if name in _REDUCTIONS and node.args:
                return self._reduce(self(node.args[0]), node.args[1:], node.keywords)
            if name in _FILLED:
                return VECTOR
            if name in _FILLED_LIKE and node.args:
                return self(node.args[0])
            return None
        base = self(func.value)
        if base in (None, SCALAR):
            return None
        if name in _REDUCTIONS:
            return self._reduce(base, node.args, node.keywords)
        return base if name in _SAME_KIND_METHODS else None

    def _reduce(self, base, args, keywords) -> str | None:
        axis = [k.value for k in keywords if k.arg == "axis"] + list(args[:1])
        if base not in (VECTOR, FEATURES, MATRIX) or len(axis) > 1:
            return None
        if not axis:
            return SCALAR
        value = axis[0]
        if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
            value = ast.Constant(-value.operand.value) if isinstance(value.operand, ast.Constant) else None
        if isinstance(value, ast.Constant) and base == MATRIX and value.value in (1, -1):
            return VECTOR
        if isinstance(value, ast.Constant) and base != MATRIX and value.value in (0, -1):
            return SCALAR
        return None


def _store_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}


def _assign(env: dict, target: ast.expr, value: ast.expr | None, kinds: Kinds) -> None:
    if isinstance(target, ast.Name):
        env[target.id] = kinds(value) if value is not None else None
    elif isinstance(target, ast.Tuple | ast.List):
        values = value.elts if isinstance(value, ast.Tuple | ast.List) else None
        if values is not None and len(values) == len(target.elts):
            for t, v in zip(target.elts, values, strict=True):
                _assign(env, t, v, kinds)
        else:
            env.update(dict.fromkeys(_store_names(target)))
    # subscripts and attributes bind nothing


def _step(env: dict, defined: set[str], stmt: ast.stmt) -> None:
    """Update the kinds and the definitely-bound names after one top-level statement."""
    kinds = Kinds(env)
    if isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            _assign(env, target, stmt.value, kinds)
            defined |= _store_names(target)
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name):
        _assign(env, stmt.target, stmt.value, kinds)
        defined.add(stmt.target.id)
    elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        env[stmt.target.id] = join_kinds([env.get(stmt.target.id), kinds(stmt.value)])
    elif isinstance(stmt, ast.Import | ast.ImportFrom):
        for alias in stmt.names:
            bound = alias.asname or alias.name.split(".")[0]
            env[bound] = None
            defined.add(bound)
    elif isinstance(stmt, ast.FunctionDef):
        env[stmt.name] = None
        defined.add(stmt.name)
    else:
        # Names bound inside a block may or may not be bound after it.
        for name in _store_names(stmt):
            env[name] = None


def _module_scope(tree: ast.Module) -> tuple[dict, set[str]]:
    """Kinds and names of the module level, with what the program namespace provides implicitly."""
    env: dict[str, str | None] = dict.fromkeys(features.contract_globals(), SCALAR)
    defined: set[str] = set()
    for stmt in tree.body:
        _step(env, defined, stmt)
    for name in MODULES:
        env.setdefault(name, None)
    return env, defined


@dataclass
class Scope:
    """What is known just before one top-level statement of ``priority``."""

    env: dict[str, str | None]
    defined: set[str]


def statement_scopes(tree: ast.Module, contract: Contract) -> tuple[ast.FunctionDef, list[Scope]]:
    env, defined = _module_scope(tree)
    function = find_function(tree)
    for arg, kind in zip(function.args.args, _PARAMETER_KINDS[contract], strict=True):
        env[arg.arg] = kind
        defined.add(arg.arg)
    scopes = []
    for stmt in function.body:
        scopes.append(Scope(dict(env), set(defined)))
        _step(env, defined, stmt)
    return function, scopes
