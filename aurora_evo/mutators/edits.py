"""Source-level edits of any program (hand-written, GP-rendered or LLM-written), with an explicit rng.

Three edits, each a plain function returning an :class:`Edit` or ``None`` when it finds nothing to
change:

* :func:`perturb_constant`: one numeric literal times ``exp(N(0, sigma))`` (a zero gets ``N(0, 0.1)``);
  literals that are indices or sizes are left alone (see :func:`_perturbable`);
* :func:`swap_operator`: one of ``+``/``-``, ``*``/``/``, ``<``/``>``, ``<=``/``>=``, ``maximum``/
  ``minimum``, ``max``/``min`` (and the like) inside a function;
* :func:`crossover_subtree`: an expression inside ``priority`` of one parent replaced by an expression of
  another parent that is well defined where it lands: its free names exist there, and a small static
  shape inference (scalar, per-bin/node vector, task feature vector, node matrix) agrees on both.

Edits splice the parent's text at the positions ``ast`` reports
(:class:`~aurora_evo.program_text.SourceText`), so everything else (docstrings, comments, layout) is
kept verbatim. :class:`EditMutator` keeps only results that pass
:func:`~aurora_evo.sandbox.screen.screen_program` and :func:`~aurora_evo.program_text.parse_program`.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aurora_evo import features
from aurora_evo.contracts import Contract
from aurora_evo.domains.binpacking.baselines import BASELINE_SOURCES, VECTOR_BASELINE_SOURCES
from aurora_evo.mutators.base import Mutator, Parent, Proposal, with_settings
from aurora_evo.program_text import ProgramError, SourceText, find_function, parse_program
from aurora_evo.sandbox.screen import screen_program
from aurora_evo.seeds import seed_program_paths

__all__ = [
    "Edit",
    "EditConfig",
    "EditMutator",
    "crossover_subtree",
    "perturb_constant",
    "seed_sources",
    "swap_operator",
]


@dataclass(frozen=True)
class Edit:
    """An edited program and one line saying what changed (e.g. ``"constant 0.5 -> 0.61 at line 7"``)."""

    source: str
    description: str


def _choice(rng: np.random.Generator, seq: Sequence):
    return seq[int(rng.integers(len(seq)))]


def _parse(source: str) -> ast.Module | None:
    try:
        return parse_program(source)
    except ProgramError:
        return None


def _excerpt(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _ancestors(node: ast.AST, parents: dict) -> list[ast.AST]:
    chain = []
    while node in parents:
        node = parents[node]
        chain.append(node)
    return chain


def _call_name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _in_slice(node: ast.AST, parents: dict) -> bool:
    """Whether ``node`` is part of an index (``nodes[:, 5]``, ``x[i + 1]``)."""
    child = node
    for parent in _ancestors(node, parents):
        if isinstance(parent, ast.Subscript) and child is parent.slice:
            return True
        child = parent
    return False


# --- constant perturbation ----------------------------------------------------------------------

# Calls whose integer arguments are sizes, counts or positions.
_SHAPE_CALLS = frozenset(
    {"range", "len", "zeros", "ones", "empty", "full", "arange", "linspace", "reshape", "eye", "identity",
     "tile", "repeat", "roll", "take", "round", "around", "partition", "argpartition", "shape", "resize"}
)  # fmt: skip
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
    if _in_slice(node, parents) or 0 < abs(value) < 1e-6:
        return False
    chain = _ancestors(node, parents)
    if any(_is_shape_call(a) for a in chain):
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
    return isinstance(parent, ast.Call) and _call_name(parent) in _NUMERIC_CALLS and child in parent.args


def perturb_constant(source: str, rng: np.random.Generator, *, sigma: float = 0.3) -> Edit | None:
    """Multiply one tunable numeric literal by ``exp(N(0, sigma))`` (a zero becomes ``N(0, 0.1)``),
    rounded to 4 significant digits."""
    tree = _parse(source)
    if tree is None:
        return None
    parents = _parents(tree)
    candidates = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and _perturbable(n, parents)]
    if not candidates:
        return None
    node = _choice(rng, candidates)
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
        elif isinstance(node, ast.Call) and _call_name(node) in _NAME_SWAPS:
            name = _call_name(node)
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
    tree = _parse(source)
    if tree is None:
        return None
    text = SourceText(source)
    sites = _operator_sites(tree, text)
    if not sites:
        return None
    start, end, old, new, line = _choice(rng, sites)
    edited = text.splice([(start, end, new)], drop_comments=True)
    return Edit(edited, f"swapped '{old}' for '{new}' at line {line}")


# --- shapes: a small static inference, so that a transplanted expression has the shape it replaces ---

SCALAR, VECTOR, FEATURES, MATRIX = "scalar", "vector", "features", "matrix"

#: Kinds of the two parameters: ``vector`` has one entry per bin/node; ``features`` is a task's (or a
#: d-dimensional item's) feature vector, of another length.
_PARAMETER_KINDS = {
    Contract.BINPACKING: (SCALAR, VECTOR),
    Contract.ALLOCATION: (FEATURES, MATRIX),
    Contract.VECTOR_BINPACKING: (FEATURES, MATRIX),
}
_MODULES = frozenset({"np", "numpy", "math"})
_SAFE_BUILTINS = frozenset({"len", "float", "int", "abs", "min", "max", "round", "sum", "bool"})
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


def _join(kinds) -> str | None:
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


class _Kinds:
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
        if isinstance(node.value, ast.Name) and node.value.id in _MODULES:
            return SCALAR if node.attr in ("pi", "e", "inf", "tau") else None
        return SCALAR if node.attr in ("size", "ndim") and self(node.value) else None

    def _UnaryOp(self, node):
        kind = self(node.operand)
        return kind if not isinstance(node.op, ast.Not) or kind == SCALAR else None

    def _BinOp(self, node):
        return None if isinstance(node.op, ast.MatMult) else _join([self(node.left), self(node.right)])

    def _Compare(self, node):
        return _join([self(node.left), *map(self, node.comparators)])

    def _BoolOp(self, node):
        return SCALAR if all(self(v) == SCALAR for v in node.values) else None

    def _IfExp(self, node):
        return _join([self(node.body), self(node.orelse)]) if self(node.test) == SCALAR else None

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
        if isinstance(func.value, ast.Name) and func.value.id in _MODULES:
            if func.value.id == "math":
                return SCALAR if all(self(a) == SCALAR for a in node.args) else None
            if name in _ELEMENTWISE and node.args:
                return _join(map(self, node.args))
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


def _assign(env: dict, target: ast.expr, value: ast.expr | None, kinds: _Kinds) -> None:
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
    kinds = _Kinds(env)
    if isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            _assign(env, target, stmt.value, kinds)
            defined |= _store_names(target)
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name):
        _assign(env, stmt.target, stmt.value, kinds)
        defined.add(stmt.target.id)
    elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        env[stmt.target.id] = _join([env.get(stmt.target.id), kinds(stmt.value)])
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
    for name in _MODULES:
        env.setdefault(name, None)
    return env, defined


@dataclass
class _Scope:
    """What is known just before one top-level statement of ``priority``."""

    env: dict[str, str | None]
    defined: set[str]


def _scopes(tree: ast.Module, contract: Contract) -> tuple[ast.FunctionDef, list[_Scope]]:
    env, defined = _module_scope(tree)
    function = find_function(tree)
    for arg, kind in zip(function.args.args, _PARAMETER_KINDS[contract], strict=True):
        env[arg.arg] = kind
        defined.add(arg.arg)
    scopes = []
    for stmt in function.body:
        scopes.append(_Scope(dict(env), set(defined)))
        _step(env, defined, stmt)
    return function, scopes


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
            if isinstance(node, ast.Name) and node.id in _MODULES:
                continue
            if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
                continue
            if _in_slice(node, parents) or _is_condition(node, parent):
                continue
            if any(isinstance(n, _NO_TRANSPLANT) for n in ast.walk(node)):
                continue
            chain = _ancestors(node, parents)
            if any(isinstance(a, _NO_TRANSPLANT) or _is_shape_call(a) for a in chain):
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
    return isinstance(parent, ast.Call) and _call_name(parent) == "where" and parent.args[:1] == [node]


def _is_shape_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and _call_name(node) in _SHAPE_CALLS


def _free_names(node: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _is_leaf(node: ast.expr) -> bool:
    return isinstance(node, ast.Name | ast.Constant)


def _definitions(
    tree: ast.Module, text: SourceText, names: set[str], scope: _Scope
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
    tree_a, tree_b = _parse(source), _parse(donor)
    if tree_a is None or tree_b is None:
        return None
    function_a, scopes = _scopes(tree_a, contract)
    targets = _expressions(function_a, _parents(tree_a))
    donations = [node for node, _ in _expressions(find_function(tree_b), _parents(tree_b))]
    if not targets or not donations:
        return None
    internal_first = rng.random() < 0.9
    order = sorted(rng.permutation(len(targets)), key=lambda i: _is_leaf(targets[i][0]) == internal_first)
    implicit = _MODULES | features.contract_globals().keys()
    for i in order[:max_sites]:
        target, index = targets[int(i)]
        scope = scopes[index]
        kinds = _Kinds(scope.env)
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
        pick = _choice(rng, inner if inner and rng.random() < 0.9 else fits)
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
    parent = _parents(tree_a).get(target)
    loose = isinstance(parent, _LOOSE) or (isinstance(parent, ast.Call) and target in parent.args)
    if not (bare or loose) or (isinstance(pick, ast.Constant) and isinstance(parent, ast.Attribute)):
        snippet = f"({snippet})"
    if kind == VECTOR and isinstance(parent, ast.Return) and isinstance(pick, ast.Name | ast.Subscript):
        # Maybe an input or a read-only view of one: numba cannot return that as a new float64[:] array.
        snippet += ".copy()"
    edits = [(text.start(target), text.end(target), snippet)]
    edits += _definitions(tree_a, text, _free_names(pick), scope)
    old = text.get(text.start(target), text.end(target))
    description = f"'{_excerpt(old)}' at line {target.lineno} replaced by '{_excerpt(snippet)}' of the donor"
    return Edit(text.splice(edits, drop_comments=True), description)


# --- the mutator --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EditConfig:
    """Settings of :class:`EditMutator`.

    Attributes:
        w_constant: relative weight of constant perturbation.
        w_operator: relative weight of operator swaps.
        w_crossover: relative weight of subtree crossover (used only with two or more parents).
        sigma: log-scale standard deviation of a constant perturbation.
        max_tries: attempts per requested proposal before giving up on it.
    """

    w_constant: float = 0.4
    w_operator: float = 0.3
    w_crossover: float = 0.3
    sigma: float = 0.3
    max_tries: int = 10

    def __post_init__(self):
        weights = (self.w_constant, self.w_operator, self.w_crossover)
        if min(weights) < 0 or self.w_constant + self.w_operator <= 0:
            raise ValueError("edit weights must be >= 0, and w_constant + w_operator > 0")
        if self.max_tries < 1:
            raise ValueError("max_tries must be at least 1")


def _valid(source: str) -> bool:
    """Whether an edited program still passes the static screen and parses as a program."""
    return screen_program(source).ok and _parse(source) is not None


def seed_sources(contract: Contract) -> dict[str, str]:
    """The shipped seed programs of ``contract``, by name."""
    if contract is Contract.ALLOCATION:
        return {name: path.read_text(encoding="utf-8") for name, path in seed_program_paths().items()}
    sources = VECTOR_BASELINE_SOURCES if contract is Contract.VECTOR_BINPACKING else BASELINE_SOURCES
    return dict(sources)


class EditMutator(Mutator):
    """Small edits of any program's source; works for every contract and needs no genotype.

    Args:
        contract: the programs' contract (it gives the parameters' shapes to crossover).
        config: the settings; keyword arguments (any :class:`EditConfig` field) override single fields.
    """

    name = "edit"

    def __init__(self, contract: Contract, config: EditConfig | None = None, **overrides):
        self.contract = contract
        self.config = with_settings("EditMutator", EditConfig(), config, overrides)

    def seeds(self, rng: np.random.Generator, n: int) -> list[Proposal]:
        """The shipped seed programs, in name order (at most ``n``; ``rng`` is unused)."""
        return [
            Proposal(source, (), "edit.seed", None, f"shipped seed program: {name}", {"seed": name})
            for name, source in list(seed_sources(self.contract).items())[:n]
        ]

    def propose(self, parents: Sequence[Parent], rng: np.random.Generator, n: int) -> list[Proposal]:
        """Up to ``n`` edited programs: constant perturbations, operator swaps and (with two or more
        parents) subtree crossovers, each valid and different from every parent and each other."""
        if not parents:
            return []
        cfg = self.config
        operators = ["constant", "operator", "crossover"]
        weights = np.array([cfg.w_constant, cfg.w_operator, cfg.w_crossover if len(parents) > 1 else 0.0])
        out: list[Proposal] = []
        seen = {parent.source for parent in parents}
        for _ in range(n * cfg.max_tries):
            if len(out) >= n:
                break
            operator = operators[int(rng.choice(3, p=weights / weights.sum()))]
            if operator == "crossover":
                i, j = rng.choice(len(parents), size=2, replace=False)
                used = (parents[int(i)], parents[int(j)])
                edit = crossover_subtree(used[0].source, used[1].source, rng, contract=self.contract)
            else:
                used = (_choice(rng, parents),)
                if operator == "constant":
                    edit = perturb_constant(used[0].source, rng, sigma=cfg.sigma)
                else:
                    edit = swap_operator(used[0].source, rng)
            if edit is None or edit.source in seen or not _valid(edit.source):
                continue
            seen.add(edit.source)
            description = edit.description.replace("the donor", f"parent {used[-1].program_id}")
            reasoning = f"parent {used[0].program_id}: {description}"
            ids = tuple(p.program_id for p in used)
            out.append(Proposal(edit.source, ids, f"edit.{operator}", None, reasoning))
        return out
