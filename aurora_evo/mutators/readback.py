"""Reading a program's source back into a GP tree: the inverse of :func:`render_program`.

A program that an edit (or an LLM, or a person) wrote in the GP language has no genotype, so genetic
programming could not vary it. :func:`read_tree` recovers one when the source says exactly what some
tree of the primitive set computes:

* the module holds only a docstring, ``import numpy as np``, feature constants with their own values
  (``N_CPU_FREE = 0``) and ``def priority(<the contract's parameters>)``;
* the function's body is a docstring, then assignments ``name = expr`` (each name once), then
  ``return expr``. An assignment whose right-hand side is a leaf's own definition (``room = bins - item``)
  binds that leaf; any other is a temporary, read in place wherever it is used;
* every expression is a constant, a leaf, or a primitive's template with its arguments filled in
  (matched on the ``ast``, so layout, parentheses and comments do not matter). One shorthand is read
  too: ``a / c`` for a constant ``c`` (an edit's swap of ``*`` for ``/``) is the guarded division, which
  computes exactly ``a / c`` when ``|c| >= 1e-9``.

Several trees can print alike (``x - 2.0`` is ``sub_vs(x, 2.0)`` and ``add_vs(x, -2.0)``); any of them
computes what the source computes, and the first the primitive set lists is returned.
"""

from __future__ import annotations

import ast
import math

from deap import gp

from aurora_evo import features
from aurora_evo.mutators.primitives import (
    DIVISION,
    PARAMETERS,
    Leaf,
    Op,
    Scalar,
    constant_terminal,
    fill_template,
    is_constant,
    template_ast,
)
from aurora_evo.program_text import ProgramError, is_docstring, parse_source

__all__ = ["read_tree"]

_Binding = tuple  # ("leaf", leaf name) or ("expr", ast.expr)
_ARGUMENTS = frozenset("abcd")
# Reading recurses once per level, so fixed bounds far above any GP tree (GPConfig.max_depth is 8) keep it
# within Python's default recursion limit, whatever another library has set the limit to meanwhile.
_MAX_NESTING = 200  # levels of the syntax tree of one statement
_MAX_HEIGHT = 100  # levels of the tree read, temporaries inlined
_MAX_NODES = 10_000  # a temporary read twice doubles the tree, so a few dozen lines could fill memory


def read_tree(source: str, pset: gp.PrimitiveSetTyped) -> gp.PrimitiveTree:
    """The tree of ``pset`` whose rendered program computes what ``source`` computes.

    Raises:
        ValueError: the source is not a program of this language (a statement, name, operator or
            constant the language cannot write), saying what was not understood.
    """
    try:
        module = parse_source(source)
    except ProgramError as exc:
        error = exc.parser_error
        if isinstance(error, SyntaxError):
            raise ValueError(f"not Python: {error.msg}") from None
        raise ValueError(f"the source cannot be parsed ({type(error).__name__})") from None
    function, constants = _priority_function(module, pset)
    return _Reader(pset, function, constants).read()


def _priority_function(module: ast.Module, pset) -> tuple[ast.FunctionDef, set[str]]:
    """The ``priority`` function, and the feature constants the module defines."""
    function, constants = None, set()
    for statement in module.body:
        if is_docstring(statement):
            continue
        if isinstance(statement, ast.Import) and [(a.name, a.asname) for a in statement.names] == [
            ("numpy", "np")
        ]:
            continue
        if isinstance(statement, ast.Assign) and _is_feature_constant(statement):
            constants.add(statement.targets[0].id)
            continue
        if isinstance(statement, ast.FunctionDef) and statement.name == "priority" and function is None:
            function = statement
            continue
        raise ValueError(f"line {statement.lineno}: a statement the GP language does not write")
    if function is None:
        raise ValueError("no priority function")
    args = function.args
    names = tuple(a.arg for a in args.args)
    if names != PARAMETERS[pset.contract] or args.vararg or args.kwarg or args.kwonlyargs or args.defaults:
        raise ValueError(f"priority takes {names}, not {PARAMETERS[pset.contract]}")
    if function.decorator_list:
        raise ValueError("priority is decorated")
    return function, constants


def _is_feature_constant(statement: ast.Assign) -> bool:
    """``N_X = <its value in aurora_evo.features>``."""
    if len(statement.targets) != 1 or not isinstance(statement.targets[0], ast.Name):
        return False
    name, value = statement.targets[0].id, statement.value
    return (
        name.isupper()
        and isinstance(getattr(features, name, None), int)
        and isinstance(value, ast.Constant)
        and type(value.value) is int
        and value.value == getattr(features, name)
    )


def _nesting(node: ast.AST) -> int:
    """Levels of the syntax tree under ``node``, counted without recursion."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _same(first: ast.AST, second: ast.AST) -> bool:
    return ast.dump(first) == ast.dump(second)


def _constant_value(expr: ast.expr) -> float | None:
    """The number ``expr`` writes (``2.0``, ``-0.5``), or ``None``."""
    sign = 1.0
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
        sign, expr = -1.0, expr.operand
    if isinstance(expr, ast.Constant) and type(expr.value) in (int, float):
        value = sign * float(expr.value)
        return value if math.isfinite(value) else None
    return None


def _unify(template: ast.AST, expr: ast.AST, bound: dict[str, ast.expr]) -> bool:
    """Whether ``expr`` is ``template`` with the names a-d filled in; fills ``bound`` (a name used twice
    must be filled alike)."""
    if isinstance(template, ast.Name) and template.id in _ARGUMENTS:
        if template.id in bound:
            return _same(bound[template.id], expr)
        bound[template.id] = expr
        return True
    if type(template) is not type(expr):
        return False
    for field, value in ast.iter_fields(template):
        if field == "ctx":
            continue
        other = getattr(expr, field, None)
        if isinstance(value, list):
            if not isinstance(other, list) or len(value) != len(other):
                return False
            pairs = zip(value, other, strict=True)
            if not all(_unify_value(t, e, bound) for t, e in pairs):
                return False
        elif not _unify_value(value, other, bound):
            return False
    return True


def _unify_value(template, expr, bound) -> bool:
    if isinstance(template, ast.AST):
        return isinstance(expr, ast.AST) and _unify(template, expr, bound)
    return type(template) is type(expr) and template == expr


class _Reader:
    """Matches one function's return expression against the primitive set, typed, with backtracking."""

    def __init__(self, pset, function: ast.FunctionDef, constants: set[str]):
        self.pset = pset
        self.function = function
        # Names a leaf's definition may read besides other leaves (e.g. ``float(len(bins))``).
        self.globals = {"np", "float", "len", *constants}
        self.leaves = {s.name: s for s in pset.context.values() if isinstance(s, Leaf)}
        self.terminals = {t.name: t for ts in pset.terminals.values() for t in ts if not is_constant(t)}
        self.env: dict[str, _Binding] = {}
        for name in PARAMETERS[pset.contract]:
            self.env[name] = ("leaf", name)
        self.memo: dict[tuple[int, type], list | None] = {}
        self.made: list[ast.expr] = []

    def read(self) -> gp.PrimitiveTree:
        body = list(self.function.body)
        if body and is_docstring(body[0]):
            body = body[1:]
        if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None:
            raise ValueError("priority does not end by returning an expression")
        for statement in body:
            if _nesting(statement) > _MAX_NESTING:
                raise ValueError(f"line {statement.lineno}: nested too deeply to read as a tree")
        for statement in body[:-1]:
            self._bind(statement)
        expr = body[-1].value
        if (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and expr.func.attr == "copy"
            and not expr.args
            and not expr.keywords
        ):
            expr = expr.func.value  # the renderer copies a returned input array
        self._check_defined(expr)
        nodes = self._match(expr, self.pset.ret)
        if nodes is None:
            raise ValueError(f"cannot read {ast.unparse(expr)[:80]!r} as a tree of the GP language")
        return gp.PrimitiveTree(nodes)

    def _bind(self, statement: ast.stmt) -> None:
        if not (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            raise ValueError(f"line {statement.lineno}: only assignments to one name precede the return")
        name = statement.targets[0].id
        if name in self.env:
            raise ValueError(f"line {statement.lineno}: {name} is assigned twice")
        if name in self.globals:
            raise ValueError(f"line {statement.lineno}: {name} is assigned over a global")
        self._check_defined(statement.value)
        leaf = self.leaves.get(name)
        if (
            leaf is not None
            and leaf.expr is not None
            and _same(template_ast(leaf.expr), statement.value)
            and all(self.env.get(dep) == ("leaf", dep) for dep in leaf.deps)
        ):
            self.env[name] = ("leaf", name)
        else:
            self.env[name] = ("expr", statement.value)

    def _check_defined(self, expr: ast.expr) -> None:
        """Every name ``expr`` reads is assigned before it (or is global: numpy, a builtin, a constant)."""
        for node in ast.walk(expr):
            if isinstance(node, ast.Name) and node.id not in self.globals and node.id not in self.env:
                raise ValueError(f"line {node.lineno}: {node.id} is not defined there")

    def _match(self, expr: ast.expr, type_: type, height: int = 1) -> list | None:
        """The nodes of a subtree of type ``type_`` that computes ``expr``, ``height`` levels down."""
        if height > _MAX_HEIGHT:
            raise ValueError(f"nested more than {_MAX_HEIGHT} levels deep to read as a tree")
        key = (id(expr), type_)
        if key not in self.memo:
            self.memo[key] = self._match_new(expr, type_, height)
        return self.memo[key]

    def _match_new(self, expr: ast.expr, type_: type, height: int) -> list | None:
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
            divisor = _constant_value(expr.right)
            if divisor is not None and abs(divisor) >= 1e-9:
                # a * sign(c) / max(|c|, 1e-9) is a / c to the last bit: sign flips are exact.
                expr = fill_template(DIVISION, [expr.left, expr.right])
                self.made.append(expr)  # kept alive: the memo is keyed by id()
        if type_ is Scalar:
            value = _constant_value(expr)
            if value is not None:
                return [constant_terminal(value)]
        if isinstance(expr, ast.Name):
            return self._name(expr.id, type_, height)
        for leaf in self.leaves.values():
            if leaf.inline and leaf.ret is type_ and leaf.name in self.terminals:
                if _same(template_ast(leaf.expr), expr):
                    return [self.terminals[leaf.name]]
        for primitive in self.pset.primitives[type_]:
            op: Op = self.pset.context[primitive.name]
            bound: dict[str, ast.expr] = {}
            if not _unify(template_ast(op.template), expr, bound):
                continue
            nodes = [primitive]
            for letter, arg_type in zip("abcd", op.args, strict=False):
                sub = self._match(bound[letter], arg_type, height + 1)
                if sub is None:
                    break
                nodes += sub
            else:
                if len(nodes) > _MAX_NODES:
                    raise ValueError(f"more than {_MAX_NODES} nodes to read as a tree")
                return nodes
        return None

    def _name(self, name: str, type_: type, height: int) -> list | None:
        binding = self.env.get(name)
        if binding is None:
            return None
        kind, value = binding
        if kind == "expr":
            return self._match(value, type_, height)
        terminal = self.terminals.get(value)
        return [terminal] if terminal is not None and terminal.ret is type_ else None
