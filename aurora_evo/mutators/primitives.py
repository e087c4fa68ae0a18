"""The GP language: typed primitive sets per contract, and rendering a tree as a program's source.

Trees are strongly typed with two type tags: :class:`Vec` (a float64 array with one entry per bin or
node, shape ``(k,)``) and :class:`Scalar` (a float). The root is a ``Vec``, so a rendered program always
returns one score per bin/node without any broadcasting step.

Every primitive is a Python expression template over ``a, b, c, d`` (its arguments) using only plain
numpy; rendering substitutes the children into the templates, builds one ``ast`` and unparses it, so
operators come out in infix with minimal parentheses. Guards keep every primitive finite on finite
inputs of ordinary size: division is ``a * sign(b) / max(|b|, 1e-9)`` (``a / b`` unless ``b`` is within
1e-9 of zero; 0 when ``b`` is 0), ``sqrt`` and ``log1p`` take ``abs`` first, ``exp`` clips its argument
at 50.

Constants are plain :class:`deap.gp.Terminal` objects holding a float (``repr`` round-trips exactly);
they are drawn by the operators in :mod:`aurora_evo.mutators.gp`, not by DEAP's ephemerals (which
use the global ``random`` module and a process-wide class cache).
"""

from __future__ import annotations

import ast
import copy
import functools
import math
import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from deap import gp

from aurora_evo import features
from aurora_evo.contracts import Contract

__all__ = [
    "DIVISION",
    "GP_DOCSTRING",
    "PARAMETERS",
    "Leaf",
    "Op",
    "Scalar",
    "Vec",
    "constant_terminal",
    "fill_template",
    "is_constant",
    "parse_genotype",
    "primitive_set",
    "render_program",
    "seed_trees",
    "template_ast",
    "unparse_formatted",
]


class Vec:
    """Type tag: a float64 array with one entry per bin/node, shape ``(k,)``."""


class Scalar:
    """Type tag: a float."""


#: The module docstring of a rendered program.
GP_DOCSTRING = "Evolved by genetic programming."

_EPS = "1e-09"
#: The template of division: ``a / b`` unless ``b`` is within 1e-9 of zero (0 when ``b`` is 0).
DIVISION = f"a * np.sign(b) / np.maximum(np.abs(b), {_EPS})"


@dataclass(frozen=True)
class Op:
    """A primitive: ``name(args...) -> ret``, rendered by substituting its arguments into ``template``.

    The template is a Python expression over the names ``a``, ``b``, ``c``, ``d`` (the arguments in
    order) and ``np``.
    """

    name: str
    args: tuple[type, ...]
    ret: type
    template: str

    def uses(self, i: int) -> int:
        """How many times argument ``i`` appears in the template (more than once: hoist it)."""
        return _uses(self.template, "abcd"[i])


@dataclass(frozen=True)
class Leaf:
    """A named terminal.

    Attributes:
        name: its name in the genotype and the local variable it is rendered as.
        ret: :class:`Vec` or :class:`Scalar`.
        expr: the expression defining it (a line ``name = expr`` of the function's preamble), or
            ``None`` for the function's own parameters.
        deps: other leaves ``expr`` refers to, defined before it.
        constants: feature constants ``expr`` uses (defined at module level, so the program stands alone).
        view: it is an input array or a read-only view of one: returning it alone needs a copy.
        inline: rendered as ``expr`` in place rather than as a preamble variable.
        doc: what it means, with units.
    """

    name: str
    ret: type
    expr: str | None
    deps: tuple[str, ...] = ()
    constants: tuple[str, ...] = ()
    view: bool = False
    inline: bool = False
    doc: str = ""


def _ops(contract: Contract) -> list[Op]:
    V, S = Vec, Scalar
    ops: list[Op] = []
    for name, sym in (("add", "+"), ("sub", "-"), ("mul", "*")):
        ops += [
            Op(f"{name}_vv", (V, V), V, f"a {sym} b"),
            Op(f"{name}_vs", (V, S), V, f"a {sym} b"),
            Op(f"{name}_ss", (S, S), S, f"a {sym} b"),
        ]
    ops.append(Op("sub_sv", (S, V), V, "a - b"))
    # Not a / (b + copysign(eps, b)): numba and numpy may disagree on the sign of a zero.
    ops += [Op("div_vv", (V, V), V, DIVISION), Op("div_vs", (V, S), V, DIVISION)]
    ops += [Op("div_sv", (S, V), V, DIVISION), Op("div_ss", (S, S), S, DIVISION)]
    unary = {
        "neg": "-a",
        "abs": "np.abs(a)",
        "square": "a ** 2",
        "sqrt": "np.sqrt(np.abs(a))",
        "log1p": "np.log1p(np.abs(a))",
        "exp": "np.exp(np.minimum(a, 50.0))",
    }
    for name, template in unary.items():
        ops += [Op(f"{name}_v", (V,), V, template), Op(f"{name}_s", (S,), S, template)]
    for name in ("minimum", "maximum"):
        short = name[:3]
        ops += [
            Op(f"{short}_vv", (V, V), V, f"np.{name}(a, b)"),
            Op(f"{short}_vs", (V, S), V, f"np.{name}(a, b)"),
            Op(f"{short}_ss", (S, S), S, f"np.{name}(a, b)"),
        ]
    ops += [
        Op("where_vv", (V, V, V, V), V, "np.where(a <= b, c, d)"),
        Op("where_vs", (V, S, V, V), V, "np.where(a <= b, c, d)"),
        Op("if_ss", (S, S, S, S), S, "c if a <= b else d"),
        Op("step_v", (V,), V, "(a > 0.0) * 1.0"),
        Op("vmin", (V,), S, "np.min(a)"),
        Op("vmax", (V,), S, "np.max(a)"),
        Op("vmean", (V,), S, "np.mean(a)"),
    ]
    if contract is Contract.BINPACKING:
        # A band in one node (where_vs twice otherwise): "do not leave a remnant too small for any
        # later item" needs a lower and an upper bound on the room left. Bin packing only, so the
        # allocation language (and its runs) stay as they were.
        ops.append(Op("within_vss", (V, S, S), V, "(np.abs(a - b) <= c) * 1.0"))
    return ops


def _binpacking_leaves() -> list[Leaf]:
    V, S = Vec, Scalar
    return [
        Leaf("item", S, None, doc="size of the item to place"),
        Leaf("bins", V, None, view=True, doc="remaining capacity of every bin the item fits in"),
        # An empty bin is always offered, so the largest remaining capacity is the bin capacity.
        Leaf("cap", S, "np.max(bins)", doc="bin capacity"),
        Leaf("n", S, "float(len(bins))", doc="number of bins offered"),
        Leaf("room", V, "bins - item", doc="room left in each bin after placing the item"),
        Leaf("spare", V, "(bins - item) / cap", ("cap",), doc="room left after placement / capacity"),
        Leaf("empty", V, "(bins == cap) * 1.0", ("cap",), doc="1.0 for an empty bin"),
        # FunSearch's own OR heuristic treats best fit's choice apart (np.argmin(bins)); a leaf makes
        # that one step for the trees instead of a where() over a reduction.
        Leaf("tightest", V, "(bins == np.min(bins)) * 1.0", doc="1.0 for the fullest bin the item fits in"),
        Leaf("zeros", V, "np.zeros(len(bins))", inline=True, doc="0.0 per bin"),
    ]


# (leaf name, feature constant, meaning)
_NODE_COLUMNS = (
    ("cpu_free", "N_CPU_FREE", "free cpu, cores"),
    ("mem_free", "N_MEM_FREE", "free memory, GiB"),
    ("gpu_free", "N_GPU_FREE", "free gpus"),
    ("net_free", "N_NET_FREE", "free bandwidth, Gbit/s"),
    ("cpu_cap", "N_CPU_CAP", "cpu capacity, cores"),
    ("mem_cap", "N_MEM_CAP", "memory capacity, GiB"),
    ("price", "N_PRICE", "price, $/hour"),
    ("idle_w", "N_IDLE_W", "idle power, W"),
    ("peak_w", "N_PEAK_W", "peak power, W"),
    ("latency", "N_LATENCY", "latency, ms"),
    ("running", "N_RUNNING", "tasks running now"),
    ("placed", "N_PLACED", "tasks placed so far"),
    ("fits", "N_FITS", "1.0 when the task fits"),
)
_TASK_ENTRIES = (
    ("task_cpu", "T_CPU", "cpu demand, cores"),
    ("task_mem", "T_MEM", "memory demand, GiB"),
    ("task_gpu", "T_GPU", "gpu demand"),
    ("task_net", "T_NET", "bandwidth demand, Gbit/s"),
    ("duration", "T_DURATION", "service time, s"),
    ("task_priority", "T_PRIORITY", "priority, 0-11"),
    ("deadline", "T_DEADLINE", "latest acceptable latency, s"),
    ("wait", "T_WAIT", "time queued so far, s"),
)


def _allocation_leaves() -> list[Leaf]:
    V, S = Vec, Scalar
    leaves = [Leaf(name, V, f"nodes[:, {c}]", (), (c,), view=True, doc=d) for name, c, d in _NODE_COLUMNS]
    leaves += [Leaf(name, S, f"task[{c}]", (), (c,), doc=d) for name, c, d in _TASK_ENTRIES]
    spares = (("cpu", "N_CPU_FREE", "N_CPU_CAP", "T_CPU"), ("mem", "N_MEM_FREE", "N_MEM_CAP", "T_MEM"))
    for res, free, cap, demand in spares:
        expr = f"(nodes[:, {free}] - task[{demand}]) / np.maximum(nodes[:, {cap}], 1e-09)"
        doc = f"{res} left after placement / capacity"
        leaves.append(Leaf(f"{res}_spare", V, expr, (), (free, cap, demand), doc=doc))
    # When the node would go idle without the task, and by how much the task would keep it on longer:
    # what a node's powered-on time, and so its cost and energy, grows by if the task goes there.
    busy_for = "np.maximum(nodes[:, N_BUSY_UNTIL] - task[T_NOW], 0.0)"
    leaves += [
        Leaf(
            "busy_for",
            V,
            busy_for,
            (),
            ("N_BUSY_UNTIL", "T_NOW"),
            doc="time the node stays busy without the task, s",
        ),
        Leaf(
            "extends",
            V,
            "np.maximum(task[T_DURATION] - busy_for, 0.0)",
            ("busy_for",),
            ("T_DURATION",),
            doc="time the task would add to the node's busy time, s",
        ),
        Leaf("n_nodes", S, "float(nodes.shape[0])", doc="number of nodes"),
        Leaf("zeros", V, "np.zeros(nodes.shape[0])", inline=True, doc="0.0 per node"),
    ]
    return leaves


#: The parameters of ``priority`` per contract.
PARAMETERS = {Contract.BINPACKING: ("item", "bins"), Contract.ALLOCATION: ("task", "nodes")}

#: Seed trees per contract, in DEAP's prefix notation.
_SEEDS = {
    Contract.BINPACKING: {
        "first_fit": "zeros",
        "best_fit": "neg_v(sub_vs(bins, item))",
        # Empty bins score -item, below every open bin's room (>= 0): an empty bin only when none fits.
        "worst_fit": "sub_vv(room, mul_vs(empty, cap))",
    },
    Contract.ALLOCATION: {
        "first_fit": "zeros",
        "best_fit": "neg_v(add_vv(cpu_spare, mem_spare))",
        "worst_fit": "add_vv(cpu_spare, mem_spare)",
        "round_robin": "neg_v(placed)",
    },
}


def has_language(contract: Contract) -> bool:
    """Whether genetic programming has a language (primitives and leaves) for ``contract``."""
    return contract in PARAMETERS


def primitive_set(contract: Contract, leave_out: Sequence[str] = ()) -> gp.PrimitiveSetTyped:
    """A new typed primitive set for ``contract`` (root type :class:`Vec`, no arguments), without the
    primitives and named terminals in ``leave_out``.

    ``pset.context[name]`` is the :class:`Op` or :class:`Leaf` of every primitive and named terminal
    (left-out leaves included, as other leaves may be defined through them); ``pset.contract`` is the
    contract.

    Raises:
        ValueError: the contract has no GP language (vector bin packing), or ``leave_out`` names
            something the language does not have.
    """
    if contract not in PARAMETERS:
        supported = ", ".join(c.value for c in PARAMETERS)
        raise ValueError(f"no GP primitive set for contract {contract.value!r}; supported: {supported}")
    ops = _ops(contract)
    leaves = _binpacking_leaves() if contract is Contract.BINPACKING else _allocation_leaves()
    unknown = sorted(set(leave_out) - {x.name for x in [*ops, *leaves]})
    if unknown:
        known = ", ".join(x.name for x in [*ops, *leaves])
        raise ValueError(f"the {contract.value} GP language has no {', '.join(unknown)}; it has {known}")
    pset = gp.PrimitiveSetTyped(contract.value, [], Vec)
    for op in ops:
        if op.name not in leave_out:
            pset.addPrimitive(op, list(op.args), op.ret, name=op.name)
    for leaf in leaves:
        if leaf.name in leave_out:
            pset.context[leaf.name] = leaf
        else:
            pset.addTerminal(leaf, leaf.ret, name=leaf.name)
    pset.contract = contract
    return pset


def is_constant(node) -> bool:
    """Whether a tree node is a numeric constant (a terminal holding a float)."""
    return node.arity == 0 and isinstance(node.value, float)


def constant_terminal(value: float) -> gp.Terminal:
    """A :class:`Scalar` constant; it prints as ``repr(value)``, which :func:`parse_genotype` reads back."""
    return gp.Terminal(float(value), False, Scalar)


def parse_genotype(text: str, pset: gp.PrimitiveSetTyped) -> gp.PrimitiveTree:
    """Rebuild a tree from ``str(tree)`` (DEAP's prefix notation), constants included.

    Like :meth:`deap.gp.PrimitiveTree.from_string`, but numbers are read with ``float`` (never
    ``eval``), and the result is checked to be one complete tree of the set's root type.

    Raises:
        ValueError: an unknown name, a non-finite constant, a type mismatch, or not exactly one tree.
    """
    nodes: list = []
    expected: deque[type] = deque([pset.ret])
    for token in _tokens(text):
        if not expected:
            raise ValueError(f"genotype has text after its end: {token!r}")
        type_ = expected.popleft()
        node = pset.mapping.get(token)
        if node is None:
            value = _number(token)
            if value is None:
                raise ValueError(f"unknown primitive or terminal {token!r} in genotype")
            if not math.isfinite(value):
                raise ValueError(f"constant {token!r} in genotype is not finite")
            node = constant_terminal(value)
        if not issubclass(node.ret, type_):
            raise ValueError(f"{token!r} returns {node.ret.__name__} where {type_.__name__} is expected")
        nodes.append(node)
        if node.arity:
            expected.extendleft(reversed(node.args))
    if not nodes or expected:
        raise ValueError(f"genotype {text[:60]!r} is not a complete tree")
    return gp.PrimitiveTree(nodes)


def _tokens(text: str) -> list[str]:
    """The names and numbers of a genotype, in order."""
    return [token for token in re.split(r"[ \t\n\r\f\v(),]", text) if token]


def _number(token: str) -> float | None:
    try:
        return float(token)
    except ValueError:
        return None


def seed_trees(pset: gp.PrimitiveSetTyped) -> dict[str, gp.PrimitiveTree]:
    """The classic heuristics as trees (first fit, best fit, worst fit, ...), by name: those the
    language can write (a language that leaves ``cap`` out has no worst fit)."""
    return {
        name: parse_genotype(text, pset)
        for name, text in _SEEDS[pset.contract].items()
        if all(token in pset.mapping or _number(token) is not None for token in _tokens(text))
    }


# --- rendering ------------------------------------------------------------------------------------


@functools.cache
def template_ast(text: str) -> ast.expr:
    """The ``ast`` of a template or leaf expression, cached and shared: never modify it."""
    return ast.parse(text, mode="eval").body


def _template(text: str) -> ast.expr:
    """A fresh ``ast`` of a template, free to modify (a copy of the cached :func:`template_ast`)."""
    return copy.deepcopy(template_ast(text))


@functools.cache
def _uses(text: str, name: str) -> int:
    return sum(isinstance(n, ast.Name) and n.id == name for n in ast.walk(template_ast(text)))


class _Substitute(ast.NodeTransformer):
    def __init__(self, args: list[ast.expr]):
        self.args = dict(zip("abcd", args, strict=False))

    def visit_Name(self, node: ast.Name) -> ast.expr:
        arg = self.args.get(node.id)
        return copy.deepcopy(arg) if arg is not None else node


def fill_template(text: str, args: Sequence[ast.expr]) -> ast.expr:
    """A fresh ``ast`` of template ``text`` with ``a``, ``b``, ... replaced by copies of ``args``."""
    return _Substitute(list(args)).visit(_template(text))


def _is_atom(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Name | ast.Constant) or (
        isinstance(expr, ast.UnaryOp) and isinstance(expr.operand, ast.Constant)
    )


def float_literal(value: float) -> ast.expr:
    """A literal for ``value``; a negative one (-0.0 too) as unary minus, so that ast.unparse
    parenthesises it where precedence needs."""
    if value < 0 or (value == 0 and str(value).startswith("-")):
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)


def _tidy(expr: ast.expr) -> ast.expr:
    """``a + -c`` -> ``a - c`` and ``a - -c`` -> ``a + c`` for a constant ``c``."""
    if (
        isinstance(expr, ast.BinOp)
        and isinstance(expr.op, ast.Add | ast.Sub)
        and isinstance(expr.right, ast.UnaryOp)
        and isinstance(expr.right.op, ast.USub)
        and isinstance(expr.right.operand, ast.Constant)
    ):
        op = ast.Sub() if isinstance(expr.op, ast.Add) else ast.Add()
        return ast.BinOp(expr.left, op, expr.right.operand)
    return expr


class _Renderer:
    """Turns a tree into the statements of a function body (preamble, temporaries, return)."""

    def __init__(self, pset: gp.PrimitiveSetTyped, max_inline_height: int, max_inline_chars: int):
        self.pset = pset
        self.max_height = max_inline_height
        self.max_chars = max_inline_chars
        self.used: set[str] = set()
        self.temps: list[tuple[str, ast.expr]] = []

    def build(self, tree: gp.PrimitiveTree, i: int = 0) -> tuple[ast.expr, int, int]:
        """(expression, index after the subtree, operator height after hoisting) of the subtree at i."""
        node = tree[i]
        if node.arity == 0:
            return self.leaf(node), i + 1, 0
        op: Op = self.pset.context[node.name]
        args, heights, j = [], [], i + 1
        for k in range(node.arity):
            expr, j, height = self.build(tree, j)
            hoist = height >= self.max_height or op.uses(k) > 1 or len(ast.unparse(expr)) > self.max_chars
            if hoist and not _is_atom(expr):
                expr, height = self.hoist(expr), 0
            args.append(expr)
            heights.append(height)
        expr = _tidy(fill_template(op.template, args))
        while len(ast.unparse(expr)) > self.max_chars + 24:  # keeps a line within ~100 characters
            long = [k for k, arg in enumerate(args) if not _is_atom(arg)]
            if not long:
                break
            k = max(long, key=lambda k: len(ast.unparse(args[k])))
            args[k], heights[k] = self.hoist(args[k]), 0
            expr = _tidy(fill_template(op.template, args))
        return expr, j, 1 + max(heights)

    def leaf(self, node) -> ast.expr:
        if is_constant(node):
            return float_literal(node.value)
        spec: Leaf = self.pset.context[node.name]
        self.used.add(spec.name)
        if spec.inline:
            return _template(spec.expr)
        return ast.Name(spec.name)

    def hoist(self, expr: ast.expr) -> ast.Name:
        name = f"t{len(self.temps) + 1}"
        self.temps.append((name, expr))
        return ast.Name(name)

    def preamble(self) -> tuple[list[tuple[str, str, str]], set[str]]:
        """(name, expr, doc) of the leaves used (dependencies first), and the feature constants needed."""
        specs = [s for s in self.pset.context.values() if isinstance(s, Leaf)]
        needed = set(self.used)
        for spec in reversed(specs):  # deps are listed before the leaves that use them
            if spec.name in needed:
                needed.update(spec.deps)
        lines = [(s.name, s.expr, s.doc) for s in specs if s.name in needed and s.expr and not s.inline]
        constants = {c for s in specs if s.name in needed for c in s.constants}
        return lines, constants


# A power whose operands are both simple (a name, a number, a dotted name; a minus before the exponent):
# ruff's formatter writes it without spaces, and a unary minus before it as -(a**b); ast.unparse writes
# a ** b and -a ** b. (ast.unparse puts spaces around every binary operator, so "-" glued to a name
# is unary.)
_SIMPLE_POWER = re.compile(
    r"(?<![\w.)\]])(-?)([A-Za-z_][\w.]*|\d[\w.]*) \*\* (-?[A-Za-z_][\w.]*|-?\d[\w.]*)(?![\w.(\[])"
)


def _hug(match: re.Match) -> str:
    minus, base, exponent = match.groups()
    return f"-({base}**{exponent})" if minus else f"{base}**{exponent}"


def unparse_formatted(node: ast.AST) -> str:
    """``ast.unparse``, simple powers written as ruff formats them (exported files pass ``ruff format``)."""
    return _SIMPLE_POWER.sub(_hug, ast.unparse(node))


def render_program(
    tree: gp.PrimitiveTree,
    pset: gp.PrimitiveSetTyped,
    *,
    max_inline_height: int = 4,
    max_inline_chars: int = 72,
) -> str:
    """The full source of a program computing ``tree``: ``import numpy as np``, the feature constants it
    uses, and ``priority(item, bins)`` / ``priority(task, nodes)`` returning shape ``(k,)`` float64.

    A subtree ``max_inline_height`` or more operators deep, longer than ``max_inline_chars``, used twice
    by its parent's template, or making its parent's line much longer than ``max_inline_chars`` becomes a
    temporary ``t1 = ...``.
    """
    renderer = _Renderer(pset, max_inline_height, max_inline_chars)
    expr, _, _ = renderer.build(tree)
    root = tree[0]
    if root.arity == 0 and not is_constant(root) and pset.context[root.name].view:
        # An input array or read-only view: numba cannot return it as a new float64[:] array.
        expr = ast.Call(ast.Attribute(expr, "copy"), [], [])
    lines, constants = renderer.preamble()
    first, second = PARAMETERS[pset.contract]
    what = "bin" if pset.contract is Contract.BINPACKING else "node"
    actor = "the item" if pset.contract is Contract.BINPACKING else "the task"
    nodes = f"{len(tree)} node" + ("s" if len(tree) > 1 else "")
    out = [f'"""{GP_DOCSTRING}"""', "", "import numpy as np", ""]
    if constants:
        ordered = sorted(constants, key=lambda c: (c[:2], getattr(features, c)))
        out += [f"{c} = {getattr(features, c)}" for c in ordered] + [""]
    out += [
        "",
        f"def priority({first}, {second}):",
        f'    """A tree of {nodes}, depth {tree.height}: one score per {what}, shape (k,);',
        f'    {actor} goes to the highest-scoring {what}."""',
    ]
    for name, text, doc in lines:
        line = f"    {name} = {text}"
        out.append(f"{line}  # {doc}" if doc and len(line) + len(doc) + 4 <= 110 else line)
    out += [f"    {name} = {unparse_formatted(value)}" for name, value in renderer.temps]
    out.append(f"    return {unparse_formatted(expr)}")
    return "\n".join(out) + "\n"
