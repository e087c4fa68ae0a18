"""Simplify a program's source without changing a decision it makes, for people to read (export).

Genetic programming writes what its templates say: a division by a constant ``c`` comes out as
``a * np.sign(c) / np.maximum(np.abs(c), 1e-09)``, a step of a constant as ``(c > 0.0) * 1.0``.
:func:`simplify_source` rewrites such a program, statement by statement:

* constant folding: arithmetic (``+ - * / **``), comparisons and a whitelist of pure numpy functions
  (:data:`PURE_NUMPY`) applied to numeric literals are replaced by their value, computed here in
  float64 on the literals alone (no program text is executed: only the whitelisted numpy functions
  are called, on floats); a result that is not finite is left unfolded;
* identities: ``x * 1.0``, ``x / 1.0``, ``x + 0.0``, ``x - 0.0``, ``x ** 1.0`` and ``-(-x)`` are ``x``;
  ``x * -1.0`` is ``-x``, ``x + -c`` is ``x - c``; only for ``x`` known to be a float (an integer or
  boolean ``x`` is left alone: ``(a > 0.0) * 1.0`` is how a boolean becomes a float), and never so
  that the program keeps an input array where it made a new one;
* ``c if a <= b else d`` with a constant test keeps its branch;
* a local variable whose value folded to a literal is replaced by that literal where it is read, and
  an assignment nothing reads (and whose value calls nothing but pure functions) is removed; so is a
  feature constant (``N_CPU_FREE = 1``) the module no longer reads.

Every rewrite is exact in IEEE float64 (``x * 1.0`` is ``x``; ``x - c`` is ``x + -c``) or evaluates a
constant the program would have computed itself, so the scores, and therefore the decisions, are those
of the original (a folded numpy function agrees with the original's to the last bit unless numba's
compiled library rounds that call differently). Nothing is reassociated: ``(a * 2.0) / 4.0`` stays.
Unchanged statements keep their text (comments and layout); a changed statement is written on one
line, and left as it was when that line would pass :data:`LINE_LENGTH`.
"""

from __future__ import annotations

import ast
import copy
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from aurora_evo import features
from aurora_evo.mutators.primitives import float_literal, unparse_formatted
from aurora_evo.program_text import ProgramError, comment_tokens, parse_source

__all__ = ["LINE_LENGTH", "PURE_NUMPY", "simplify_source"]

#: numpy functions folded when every argument is a numeric literal: pure, elementwise, float64 in and out.
PURE_NUMPY = frozenset(
    {"abs", "absolute", "fabs", "sign", "sqrt", "square", "exp", "expm1", "log", "log1p", "log2", "log10",
     "maximum", "minimum", "fmax", "fmin", "tanh", "sin", "cos", "arctan", "floor", "ceil"}
)  # fmt: skip
#: Longest line a rewritten statement may take (the project's ruff line length).
LINE_LENGTH = 110

# Calls an unread assignment may make and still be removed: they have no effect besides their value.
_PURE_CALLS = PURE_NUMPY | {"where", "zeros", "ones", "full", "min", "max", "mean", "sum", "clip", "power"}
_PURE_BUILTINS = frozenset({"float", "int", "len", "abs", "min", "max"})

FLOAT, OTHER = "float", "other"


# --- literals ------------------------------------------------------------------------------------------


def _literal(node: ast.expr) -> float | bool | None:
    """The number a literal stands for (``2.0``, ``-1.5``, ``3``, ``True``), else ``None``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, bool | int | float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _literal(node.operand)
        if inner is not None and not isinstance(inner, bool):
            return -inner if isinstance(node.op, ast.USub) else inner
    return None


def _is_float_literal(node: ast.expr, value: float) -> bool:
    literal = _literal(node)
    return isinstance(literal, float) and literal == value


def _as_literal(value: float | bool) -> ast.expr:
    """A literal for ``value``; a negative one as unary minus, so unparsing puts parentheses where needed."""
    return ast.Constant(value) if isinstance(value, bool) else float_literal(float(value))


_BINARY = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}
_COMPARE = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _evaluate(function, *args: float | bool) -> float | None:
    """``function`` (a numpy ufunc) on float64 literals; ``None`` when the result is not a finite float."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = function(*(np.float64(a) for a in args))
    return _finite(result) if np.ndim(result) == 0 else None


# --- what a name holds -----------------------------------------------------------------------------------


@dataclass
class _Scope:
    """What the simplifier knows in one function.

    Attributes:
        kinds: a name's type as far as known: :data:`FLOAT` (float64 scalar or array) or absent.
        views: names that may alias an input array (returning or binding them needs a copy).
        numpy: ``np`` is numpy (imported as such and never rebound).
        builtins: builtin names the module never rebinds.
    """

    kinds: dict[str, str] = field(default_factory=dict)
    views: set[str] = field(default_factory=set)
    numpy: bool = False
    builtins: frozenset[str] = frozenset()


def _numpy_call(node: ast.expr, scope: _Scope) -> str | None:
    """``f`` when ``node`` is a call ``np.f(...)`` (positional arguments only) and ``np`` is numpy."""
    if (
        scope.numpy
        and isinstance(node, ast.Call)
        and not node.keywords
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "np"
    ):
        return node.func.attr
    return None


#: numpy calls returning float64 whatever their (real) arguments.
_ALWAYS_FLOAT = frozenset({"sqrt", "exp", "expm1", "log", "log1p", "log2", "log10", "tanh", "sin", "cos",
                           "arctan", "zeros", "ones", "mean"})  # fmt: skip
#: numpy calls whose result is a float when any argument is.
_FLOAT_IF_ANY = frozenset({"abs", "absolute", "fabs", "sign", "square", "maximum", "minimum", "fmax", "fmin",
                           "floor", "ceil", "min", "max", "sum", "clip", "power"})  # fmt: skip


def _kind(node: ast.expr, scope: _Scope) -> str:
    """:data:`FLOAT` when ``node`` surely evaluates to a float64 scalar or array, else :data:`OTHER`."""
    literal = _literal(node)
    if literal is not None:
        return FLOAT if isinstance(literal, float) else OTHER
    if isinstance(node, ast.Name):
        return scope.kinds.get(node.id, OTHER)
    if isinstance(node, ast.Subscript):
        return _kind(node.value, scope)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return _kind(node.operand, scope)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Div) and all(
            _kind(side, scope) == FLOAT or isinstance(_literal(side), int) for side in (node.left, node.right)
        ):
            return FLOAT
        sides = (_kind(node.left, scope), _kind(node.right, scope))
        return FLOAT if FLOAT in sides and isinstance(node.op, tuple(_BINARY)) else OTHER
    if isinstance(node, ast.IfExp):
        return FLOAT if _kind(node.body, scope) == _kind(node.orelse, scope) == FLOAT else OTHER
    name = _numpy_call(node, scope)
    if name in _ALWAYS_FLOAT:
        return FLOAT
    if name in _FLOAT_IF_ANY and any(_kind(arg, scope) == FLOAT for arg in node.args):
        return FLOAT
    if name == "where" and len(node.args) == 3 and FLOAT in {_kind(a, scope) for a in node.args[1:]}:
        return FLOAT
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "float"
        and "float" in scope.builtins
    ):
        return FLOAT
    return OTHER


def _is_view(node: ast.expr, scope: _Scope) -> bool:
    """Whether ``node`` may be an input array or a view of one (an index of a name, or such a name)."""
    if isinstance(node, ast.Name):
        return node.id in scope.views
    return isinstance(node, ast.Subscript)


# --- folding one expression -----------------------------------------------------------------------------

#: Attribute set on a node whose value its parent only reads to compute a new one (an operand of an
#: operator or of a whitelisted numpy call): an identity may hand such a parent an input array itself.
_CONSUMED = "_aurora_consumed"


def _mark_consumed(statement: ast.stmt, scope: _Scope) -> ast.stmt:
    """Mark (:data:`_CONSUMED`) the nodes of ``statement`` whose value is consumed by their parent."""
    for parent in ast.walk(statement):
        if isinstance(parent, ast.BinOp | ast.UnaryOp | ast.Compare):
            children = list(ast.iter_child_nodes(parent))
        elif _numpy_call(parent, scope) in _PURE_CALLS:
            children = list(parent.args)
        else:
            continue
        for child in children:
            setattr(child, _CONSUMED, True)
    return statement


class _Fold(ast.NodeTransformer):
    """Folds constants and removes identities in one expression, bottom-up (see the module docstring)."""

    def __init__(self, scope: _Scope, constants: dict[str, ast.expr]):
        self.scope = scope
        self.constants = constants  # local names replaced by the literal they hold

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if isinstance(node.ctx, ast.Load) and node.id in self.constants:
            return copy.deepcopy(self.constants[node.id])
        return node

    def _unless_aliasing(self, node: ast.expr, simpler: ast.expr) -> ast.expr:
        """``simpler``, unless it may be an input array where ``node`` was a new one whose value the
        program keeps (binds, returns, ...): the program could then write into, or return, an input."""
        if _is_view(simpler, self.scope) and not getattr(node, _CONSUMED, False):
            return node
        return simpler

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        self.generic_visit(node)
        value = _literal(node)
        if value is not None:
            return _as_literal(value)
        operand = node.operand
        double = isinstance(operand, ast.UnaryOp) and isinstance(operand.op, ast.USub)
        if isinstance(node.op, ast.USub) and double and _kind(operand.operand, self.scope) == FLOAT:
            return self._unless_aliasing(node, operand.operand)
        if isinstance(node.op, ast.UAdd) and _kind(operand, self.scope) == FLOAT:
            return self._unless_aliasing(node, operand)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        left, right = _literal(node.left), _literal(node.right)
        function = _BINARY.get(type(node.op))
        if (
            function is not None
            and left is not None
            and right is not None
            and (isinstance(left, float) or isinstance(right, float) or isinstance(node.op, ast.Div))
        ):
            value = _evaluate(function, left, right)
            if value is not None:
                return _as_literal(value)
        return self._identity(node)

    def _identity(self, node: ast.BinOp) -> ast.expr:
        """``node`` without an operation that leaves a float operand as it is; ``x + -c`` as ``x - c``."""
        op, left, right = node.op, node.left, node.right
        float_left = _kind(left, self.scope) == FLOAT
        float_right = _kind(right, self.scope) == FLOAT
        if float_left and (
            (isinstance(op, ast.Mult | ast.Div | ast.Pow) and _is_float_literal(right, 1.0))
            or (isinstance(op, ast.Add | ast.Sub) and _is_float_literal(right, 0.0))
        ):
            return self._unless_aliasing(node, left)
        if float_right and (
            (isinstance(op, ast.Mult) and _is_float_literal(left, 1.0))
            or (isinstance(op, ast.Add) and _is_float_literal(left, 0.0))
        ):
            return self._unless_aliasing(node, right)
        if float_left and isinstance(op, ast.Mult | ast.Div) and _is_float_literal(right, -1.0):
            return ast.UnaryOp(ast.USub(), left)
        if float_right and isinstance(op, ast.Mult) and _is_float_literal(left, -1.0):
            return ast.UnaryOp(ast.USub(), right)
        constant = _literal(right)
        if (
            isinstance(op, ast.Add | ast.Sub)
            and isinstance(constant, float)
            and isinstance(right, ast.UnaryOp)
            and isinstance(right.op, ast.USub)
        ):
            flipped = ast.Sub() if isinstance(op, ast.Add) else ast.Add()
            return ast.BinOp(left, flipped, right.operand)
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        self.generic_visit(node)
        if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARE:
            return node
        left, right = _literal(node.left), _literal(node.comparators[0])
        if left is None or right is None:
            return node
        return ast.Constant(bool(_COMPARE[type(node.ops[0])](np.float64(left), np.float64(right))))

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:
        self.generic_visit(node)
        test = node.test
        if isinstance(test, ast.Constant) and isinstance(test.value, bool):
            return node.body if test.value else node.orelse
        return node

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        name = _numpy_call(node, self.scope)
        values = [_literal(arg) for arg in node.args]
        # A boolean argument keeps its type through some ufuncs (np.sign(True) is True): not folded.
        if name not in PURE_NUMPY or not values or any(v is None or isinstance(v, bool) for v in values):
            return node
        function = getattr(np, name, None)
        if not isinstance(function, np.ufunc) or function.nin != len(values):
            return node
        value = _evaluate(function, *values)
        return node if value is None else _as_literal(value)


# --- one function ------------------------------------------------------------------------------------


def _loads(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _stores(tree: ast.AST) -> list[str]:
    return [
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store | ast.Del)
    ]


def _other_bindings(tree: ast.AST) -> list[str]:
    """Names bound otherwise than by assignment inside ``tree``: the arguments of nested functions and
    lambdas, imports, ``except ... as name``, nested definitions (any of them shadows a constant)."""
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arguments):
            every = [*node.posonlyargs, *node.args, *node.kwonlyargs, node.vararg, node.kwarg]
            out += [a.arg for a in every if a is not None]
        elif isinstance(node, ast.Import | ast.ImportFrom):
            out += [a.asname or a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.append(node.name)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node is not tree:
            out.append(node.name)
    return out


#: Statements rewritten: simple ones, which unparse on one line (a compound one is left as written).
_SIMPLE_STATEMENTS = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Expr)


def _single_target(statement: ast.stmt) -> str | None:
    if (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
    ):
        return statement.targets[0].id
    return None


def _pure(node: ast.expr, scope: _Scope) -> bool:
    """Whether evaluating ``node`` does nothing but compute a value (so an unread one can go)."""
    for child in ast.walk(node):
        if isinstance(child, ast.Call):
            method = isinstance(child.func, ast.Attribute) and child.func.attr == "copy" and not child.args
            numpy = _numpy_call(child, scope) in _PURE_CALLS
            builtin = isinstance(child.func, ast.Name) and child.func.id in scope.builtins & _PURE_BUILTINS
            if not (method or numpy or builtin):
                return False
        elif isinstance(child, ast.NamedExpr | ast.Await | ast.Yield | ast.YieldFrom | ast.Lambda):
            return False
    return True


def _kinds_of_parameters(function: ast.FunctionDef, priority: bool) -> dict[str, str]:
    """The parameters of ``priority`` are float64 (the contract's task/nodes or item/bins)."""
    if not priority:
        return {}
    return {arg.arg: FLOAT for arg in function.args.args}


def _simplify_function(
    function: ast.FunctionDef, module_scope: _Scope, frozen: set[int]
) -> list[ast.stmt | None]:
    """The function's top-level statements simplified (``None``: removed).

    Statements whose index is in ``frozen`` are kept as they are, and so are the names they read; so
    are compound statements (``if``, ``for``...).
    """
    body = function.body
    frozen = frozen | {i for i, statement in enumerate(body) if not isinstance(statement, _SIMPLE_STATEMENTS)}
    parameters = {arg.arg for arg in function.args.args}
    scope = _Scope(
        kinds=_kinds_of_parameters(function, function.name == "priority"),
        views=set(parameters),
        numpy=module_scope.numpy and "np" not in parameters,
        builtins=module_scope.builtins - parameters,
    )
    counts: dict[str, int] = {}
    for name in _stores(function) + _other_bindings(function):
        counts[name] = counts.get(name, 0) + 1
    for name in parameters:
        if counts.get(name, 0) > 1:  # rebound, or shadowed by a nested function's argument
            scope.kinds.pop(name, None)
    nested = {s for statement in body if not _single_target(statement) for s in _stores(statement)}
    kept_reads = set().union(*(_loads(body[i]) for i in frozen)) if frozen else set()
    declared = {n for s in ast.walk(function) if isinstance(s, ast.Global | ast.Nonlocal) for n in s.names}
    once = {n for n, c in counts.items() if c == 1 and n not in nested and n not in parameters | declared}

    constants: dict[str, ast.expr] = {}
    out: list[ast.stmt | None] = []
    for index, statement in enumerate(body):
        if index in frozen:
            out.append(statement)
            continue
        new = _Fold(scope, constants).visit(_mark_consumed(copy.deepcopy(statement), scope))
        target = _single_target(new)
        if target is not None:
            if target in once and target not in kept_reads and _literal(new.value) is not None:
                constants[target] = new.value
                out.append(None)
                continue
            _record(target, new.value, scope, target in once)
        out.append(new)

    _drop_unread(out, scope, kept_reads, once)
    return out


def _record(target: str, value: ast.expr, scope: _Scope, single: bool) -> None:
    """What ``target = value`` tells about ``target`` (only names bound once are trusted)."""
    if single and _kind(value, scope) == FLOAT:
        scope.kinds[target] = FLOAT
    else:
        scope.kinds.pop(target, None)
    if _is_view(value, scope) or not single:
        scope.views.add(target)


def _drop_unread(out: list[ast.stmt | None], scope: _Scope, kept_reads: set[str], once: set[str]) -> None:
    """Remove (set to ``None``) assignments of names bound once that nothing reads, until none is left."""
    while True:
        read = set().union(*(_loads(s) for s in out if s is not None)) | kept_reads
        unread = [
            i
            for i, s in enumerate(out)
            if s is not None
            and (target := _single_target(s)) in once
            and target not in read
            and _pure(s.value, scope)
        ]
        if not unread:
            return
        for i in unread:
            out[i] = None


# --- the module -------------------------------------------------------------------------------------


def _module_scope(tree: ast.Module) -> _Scope:
    imports_numpy = any(
        isinstance(s, ast.Import) and any(a.name == "numpy" and a.asname == "np" for a in s.names)
        for s in tree.body
    )
    bindings = _stores(tree) + [
        a.asname or a.name.split(".")[0]
        for s in ast.walk(tree)
        if isinstance(s, ast.Import | ast.ImportFrom)
        for a in s.names
    ]
    bindings += [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    bindings += [a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments) for a in n.args]
    bound = set(bindings)
    numpy = imports_numpy and bindings.count("np") == 1
    return _Scope(numpy=numpy, builtins=_PURE_BUILTINS - bound)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _comments(source: str) -> dict[int, str]:
    """The comment ending each line that has one, by line number (1-based)."""
    return {token.start[0]: token.string for token in comment_tokens(source)}


def _own_lines(statement: ast.stmt, lines: list[str]) -> bool:
    """Whether ``statement`` has its lines to itself (no ``;``, nor ``def f(): return x`` on one line),
    so that rewriting them touches nothing else."""
    first = lines[statement.lineno - 1].encode("utf-8")
    last = lines[statement.end_lineno - 1].encode("utf-8")
    after = last[statement.end_col_offset :].decode("utf-8", errors="replace").strip()
    return not first[: statement.col_offset].strip() and (not after or after.startswith("#"))


def _rewrite(
    lines: list[str], comments: dict[int, str], function: ast.FunctionDef, new_body: list[ast.stmt | None]
) -> dict[int, list[str]]:
    """Replacement text per statement index whose statement changed (an empty list: removed)."""
    out: dict[int, list[str]] = {}
    for index, (old, new) in enumerate(zip(function.body, new_body, strict=True)):
        if new is not None and ast.dump(new) == ast.dump(old):
            continue
        if new is None:
            out[index] = []
            continue
        first = lines[old.lineno - 1]
        text = _indent(first) + unparse_formatted(new)
        comment = comments.get(old.lineno, "") if old.lineno == old.end_lineno else ""
        if comment and len(text) + 2 + len(comment) <= LINE_LENGTH:
            text += "  " + comment
        out[index] = [text]
    return out


def simplify_source(source: str) -> str:
    """``source`` simplified (see the module docstring); ``source`` itself when it does not parse or
    nothing simplifies. Deterministic; executes nothing of the program."""
    try:
        tree = parse_source(source)
    except ProgramError:
        return source
    lines = source.split("\n")
    comments = _comments(source)
    module_scope = _module_scope(tree)
    replacements: dict[int, list[str]] = {}  # a changed statement's first line (0-based) -> its new lines
    spans: dict[int, int] = {}  # ... -> its last line
    for function in (s for s in tree.body if isinstance(s, ast.FunctionDef)):
        if not all(_own_lines(statement, lines) for statement in function.body):
            continue
        frozen: set[int] = set()
        while True:
            new_body = _simplify_function(function, module_scope, frozen)
            texts = _rewrite(lines, comments, function, new_body)
            if not texts:  # nothing changed
                break
            too_long = {i for i, t in texts.items() if any(len(line) > LINE_LENGTH for line in t)}
            if not too_long:
                for index, text in texts.items():
                    statement = function.body[index]
                    replacements[statement.lineno - 1] = text
                    spans[statement.lineno - 1] = statement.end_lineno - 1
                break
            frozen |= too_long
    if not replacements:
        return source
    out: list[str] = []
    row = 0
    while row < len(lines):
        if row in replacements:
            out += replacements[row]
            row = spans[row] + 1
        else:
            out.append(lines[row])
            row += 1
    return _drop_unread_feature_constants("\n".join(out))


def _drop_unread_feature_constants(source: str) -> str:
    """Without the module's ``N_CPU_FREE = 1``-style lines whose name nothing reads any more."""
    tree = parse_source(source)
    read = _loads(tree)
    known = features.contract_globals()
    drop = {
        s.lineno
        for s in tree.body
        if (name := _single_target(s)) in known
        and name not in read
        and _literal(s.value) is not None
        and s.lineno == s.end_lineno
    }
    if not drop:
        return source
    kept: list[str] = []
    trimming = False  # in a run of blank lines next to a dropped line: at most two of them stay
    for number, line in enumerate(source.split("\n"), start=1):
        if number in drop:
            trimming = True
        elif line.strip():
            trimming = False
            kept.append(line)
        elif not (trimming and len(kept) >= 2 and not kept[-1].strip() and not kept[-2].strip()):
            kept.append(line)
    return "\n".join(kept)
