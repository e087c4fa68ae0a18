"""Genetic programming on DEAP trees, every random choice drawn from an explicit numpy ``Generator``.

The operators are DEAP's (``generate``/``genGrow``/``genFull``, ``mutUniform``, ``mutNodeReplacement``,
``mutEphemeral``, ``mutShrink``, ``cxOnePoint``) rewritten on :class:`deap.gp.PrimitiveTree` with an
``rng`` argument, with one change: crossover picks among the common types in a sorted order (DEAP
iterates a set of classes, whose order follows their ids and so differs between processes); and one
of ours, :func:`mut_add_rule`. They never modify their inputs: each returns a :class:`Change` (the new
tree and where it changed) or ``None`` when it does not apply. Size limits are the mutator's job
(:meth:`GPConfig.fits`).

:class:`GPMutator` loop, per proposal::

    pool <- parents whose genotype parses, or whose source reads back as a tree (an edit's or an LLM's
            program written in the GP language; see :mod:`aurora_evo.mutators.readback`)
    if pool is empty:            tree <- ramped half-and-half random tree
    elif rng < p_crossover:      tree <- one-point crossover of two parents of the pool
    else:                        tree <- subtree | point | constant | shrink | rule mutation of one parent
    keep tree if it is within max_depth/max_nodes, differs from its parent and is new in the batch
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from deap import gp

from aurora_evo.contracts import Contract
from aurora_evo.mutators.base import OPERATORS, Mutator, Parent, Proposal, with_settings
from aurora_evo.mutators.primitives import (
    Leaf,
    Scalar,
    Vec,
    constant_terminal,
    is_constant,
    parse_genotype,
    primitive_set,
    render_program,
    seed_trees,
)
from aurora_evo.mutators.readback import read_tree

__all__ = [
    "Change",
    "GPConfig",
    "GPMutator",
    "constant_terminal",
    "cx_one_point",
    "draw_constant",
    "gen_full",
    "gen_grow",
    "gen_half_and_half",
    "gen_ramped",
    "mut_add_rule",
    "mut_constant",
    "mut_point",
    "mut_shrink",
    "mut_subtree",
    "node_depths",
    "parse_genotype",
]

#: Constants a fresh constant is often drawn from (round values read better in a program).
NICE_CONSTANTS = (0.0, 0.1, 0.5, 1.0, 2.0, 10.0, -1.0)


def _choice(rng: np.random.Generator, seq: Sequence):
    return seq[int(rng.integers(len(seq)))]


def _round(value: float, digits: int = 4) -> float:
    """``value`` to ``digits`` significant digits, so programs print short constants."""
    return float(f"{value:.{digits}g}")


# --- constants and depths --------------------------------------------------------------------


def draw_constant(rng: np.random.Generator, constants: Sequence[float] = NICE_CONSTANTS) -> float:
    """A fresh constant: half the time a round one from ``constants``, else ~N(0, 2)."""
    if rng.random() < 0.5:
        return float(_choice(rng, constants))
    return _round(float(rng.normal(0.0, 2.0)), 3)


def node_depths(tree: gp.PrimitiveTree) -> list[int]:
    """The depth of every node (root 0), in the tree's prefix order."""
    depths, stack = [], [0]
    for node in tree:
        depth = stack.pop()
        depths.append(depth)
        stack.extend([depth + 1] * node.arity)
    return depths


# --- generation --------------------------------------------------------------------------------


def _terminal(pset, rng: np.random.Generator, type_: type, p_constant: float, constants: Sequence[float]):
    if type_ is Scalar and rng.random() < p_constant:
        return constant_terminal(draw_constant(rng, constants))
    return _choice(rng, pset.terminals[type_])


def _generate(
    pset,
    rng,
    min_depth: int,
    max_depth: int,
    stop: Callable[[int, int], bool],
    type_,
    p_constant: float,
    constants: Sequence[float],
) -> gp.PrimitiveTree:
    """DEAP's ``generate``: grow from the root until ``stop(height, depth)`` says to put a leaf."""
    expr = []
    height = int(rng.integers(min_depth, max_depth + 1))
    stack = [(0, pset.ret if type_ is None else type_)]
    while stack:
        depth, type_ = stack.pop()
        if stop(height, depth) or not pset.primitives[type_]:
            expr.append(_terminal(pset, rng, type_, p_constant, constants))
        else:
            prim = _choice(rng, pset.primitives[type_])
            expr.append(prim)
            stack.extend((depth + 1, arg) for arg in reversed(prim.args))
    return gp.PrimitiveTree(expr)


def gen_full(
    pset,
    rng,
    min_depth: int,
    max_depth: int,
    type_=None,
    *,
    p_constant: float = 0.3,
    constants: Sequence[float] = NICE_CONSTANTS,
):
    """A tree whose leaves are all at one depth drawn from [min_depth, max_depth]; a scalar leaf is a
    fresh constant (see :func:`draw_constant`) with probability ``p_constant``."""
    return _generate(pset, rng, min_depth, max_depth, lambda h, d: d == h, type_, p_constant, constants)


def gen_grow(
    pset,
    rng,
    min_depth: int,
    max_depth: int,
    type_=None,
    *,
    p_leaf: float = 0.3,
    p_constant: float = 0.3,
    constants: Sequence[float] = NICE_CONSTANTS,
):
    """A tree whose branches stop at random (probability ``p_leaf`` per node past ``min_depth``)."""

    def stop(height: int, depth: int) -> bool:
        return depth == height or (depth >= min_depth and rng.random() < p_leaf)

    return _generate(pset, rng, min_depth, max_depth, stop, type_, p_constant, constants)


def gen_half_and_half(pset, rng, min_depth: int, max_depth: int, type_=None, **kwargs):
    """:func:`gen_grow` or :func:`gen_full`, with even odds."""
    if rng.random() < 0.5:
        return gen_grow(pset, rng, min_depth, max_depth, type_, **kwargs)
    kwargs.pop("p_leaf", None)
    return gen_full(pset, rng, min_depth, max_depth, type_, **kwargs)


def gen_ramped(pset, rng, n: int, min_depth: int, max_depth: int, **kwargs) -> list[gp.PrimitiveTree]:
    """Ramped half-and-half: ``n`` trees cycling through maximum depths ``min_depth..max_depth``,
    alternating grow (leaves at any depth from ``min_depth`` on) and full (every leaf at that depth)."""
    span = max_depth - min_depth + 1
    full_kwargs = {k: v for k, v in kwargs.items() if k != "p_leaf"}
    trees = []
    for i in range(n):
        depth = min_depth + i % span
        if (i // span) % 2 == 0:
            trees.append(gen_grow(pset, rng, min_depth, depth, **kwargs))
        else:
            trees.append(gen_full(pset, rng, depth, depth, **full_kwargs))
    return trees


# --- variation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """What a variation operator made.

    Attributes:
        tree: the new tree.
        index: where it differs from the (first) parent, a position in both trees' prefix order.
        note: what changed, for the proposal's reasoning.
    """

    tree: gp.PrimitiveTree
    index: int
    note: str


def _splice(tree: gp.PrimitiveTree, index: int, subtree: Sequence) -> gp.PrimitiveTree:
    where = tree.searchSubtree(index)
    return gp.PrimitiveTree([*tree[: where.start], *subtree, *tree[where.stop :]])


def mut_subtree(
    tree,
    pset,
    rng,
    *,
    max_depth: int = 3,
    p_leaf: float = 0.3,
    p_constant: float = 0.3,
    constants: Sequence[float] = NICE_CONSTANTS,
) -> Change | None:
    """DEAP's ``mutUniform``: replace the subtree at a random node by a grown one of the same type."""
    index = int(rng.integers(len(tree)))
    type_ = tree[index].ret
    new = gen_grow(pset, rng, 0, max_depth, type_, p_leaf=p_leaf, p_constant=p_constant, constants=constants)
    old = len(tree[tree.searchSubtree(index)])
    note = f"replaced a {old}-node {type_.__name__} subtree by a {len(new)}-node one ({new})"
    return Change(_splice(tree, index, new), index, note)


def mut_point(
    tree, pset, rng, *, p_constant: float = 0.3, constants: Sequence[float] = NICE_CONSTANTS
) -> Change | None:
    """DEAP's ``mutNodeReplacement``: swap one node for another of the same signature."""
    index = int(rng.integers(len(tree)))
    node = tree[index]
    if node.arity == 0:
        options = [t for t in pset.terminals[node.ret] if t.name != node.name]
        new = _terminal(pset, rng, node.ret, p_constant, constants) if node.ret is Scalar else None
        if new is None or new.name == node.name:
            if not options:
                return None
            new = _choice(rng, options)
    else:
        options = [p for p in pset.primitives[node.ret] if p.args == node.args and p.name != node.name]
        if not options:
            return None
        new = _choice(rng, options)
    child = gp.PrimitiveTree(tree)
    child[index] = new
    return Change(child, index, f"{node.name} -> {new.name}")


def mut_constant(tree, rng, *, sigma: float = 0.3) -> Change | None:
    """DEAP's ``mutEphemeral`` (mode "one"), as a gaussian step: ``c + N(0, sigma * max(|c|, 0.1))``."""
    indices = [i for i, node in enumerate(tree) if is_constant(node)]
    if not indices:
        return None
    index = _choice(rng, indices)
    old = tree[index].value
    new = _round(old + float(rng.normal(0.0, sigma * max(abs(old), 0.1))))
    if new == old:
        return None
    child = gp.PrimitiveTree(tree)
    child[index] = constant_terminal(new)
    return Change(child, index, f"constant {old!r} -> {new!r}")


def mut_shrink(tree, rng) -> Change | None:
    """DEAP's ``mutShrink``: replace a (non-root) primitive by one of its arguments of the same type."""
    if len(tree) < 3 or tree.height <= 1:
        return None
    candidates = [i for i, node in enumerate(tree[1:], 1) if node.arity and node.ret in node.args]
    if not candidates:
        return None
    index = _choice(rng, candidates)
    prim = tree[index]
    arg = _choice(rng, [i for i, type_ in enumerate(prim.args) if type_ is prim.ret])
    start = index + 1
    for _ in range(arg):
        start = tree.searchSubtree(start).stop
    subtree = tree[tree.searchSubtree(start)]
    return Change(_splice(tree, index, subtree), index, f"{prim.name} replaced by its argument {arg + 1}")


def mut_add_rule(tree, pset, rng, *, constants: Sequence[float] = NICE_CONSTANTS) -> Change | None:
    """Add a rule to the whole score: ``tree + k * band(leaf)``, where the band is 1.0 where a vector
    leaf (``room``, ``spare``...) is within ``w`` of ``c`` (``within_vss``; a threshold is a band reaching
    past the leaf's range) or, in a language without it, above ``c`` (``step_v(leaf - c)``).

    ``c`` is drawn from ``constants``, ``w`` and ``|k|`` from their positive values, and ``k``'s sign at
    random. Hand-written heuristics are a base order plus such rules (FunSearch's OR program is best
    fit with a penalty on leaving rooms of some sizes), but subtree mutation grows one only when a
    primitive, a leaf and two constants are drawn together: about 1 mutation in 10^6 writes the OR
    band (``benchmarks/or_band_reach.py``). Returns ``None`` when the language lacks the primitives
    (``add_vv``, ``mul_vs``, and ``within_vss`` or ``step_v`` with ``sub_vs``).
    """
    named = pset.mapping  # every primitive and terminal of the language, by name
    leaves = [
        t
        for t in pset.terminals[Vec]
        if isinstance(pset.context.get(t.name), Leaf) and not pset.context[t.name].inline
    ]
    positive = [c for c in constants if c > 0]
    if tree[0].ret is not Vec or not leaves or not positive or not {"add_vv", "mul_vs"} <= named.keys():
        return None
    leaf = _choice(rng, leaves)
    centre = float(_choice(rng, constants))
    if "within_vss" in named:
        width = float(_choice(rng, positive))
        rule = [named["within_vss"], leaf, constant_terminal(centre), constant_terminal(width)]
        what = f"|{leaf.name} - {centre!r}| <= {width!r}"
    elif {"step_v", "sub_vs"} <= named.keys():
        rule = [named["step_v"], named["sub_vs"], leaf, constant_terminal(centre)]
        what = f"{leaf.name} > {centre!r}"
    else:
        return None
    weight = float(_choice(rng, positive)) * (1.0 if rng.random() < 0.5 else -1.0)
    nodes = [named["add_vv"], *tree, named["mul_vs"], *rule, constant_terminal(weight)]
    return Change(gp.PrimitiveTree(nodes), 0, f"added {weight!r} where {what}")


def cx_one_point(first, second, rng) -> Change | None:
    """DEAP's ``cxOnePoint``, one child: a non-root subtree of ``first`` replaced by a non-root subtree
    of the same type from ``second``."""
    if len(first) < 2 or len(second) < 2:
        return None
    by_type: list[dict[type, list[int]]] = [{}, {}]
    for table, tree in zip(by_type, (first, second), strict=True):
        for i, node in enumerate(tree[1:], 1):
            table.setdefault(node.ret, []).append(i)
    common = sorted(set(by_type[0]) & set(by_type[1]), key=lambda t: t.__name__)
    if not common:
        return None
    type_ = _choice(rng, common)
    i, j = _choice(rng, by_type[0][type_]), _choice(rng, by_type[1][type_])
    donated = second[second.searchSubtree(j)]
    old = len(first[first.searchSubtree(i)])
    note = (
        f"its {old}-node {type_.__name__} subtree replaced by the {len(donated)}-node subtree at depth "
        f"{node_depths(second)[j]} of the second parent ({gp.PrimitiveTree(donated)})"
    )
    return Change(_splice(first, i, donated), i, note)


# --- the mutator -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GPConfig:
    """Settings of :class:`GPMutator`.

    Attributes:
        max_depth: deepest tree allowed (a lone leaf has depth 0); deeper offspring are rejected.
        max_nodes: largest tree allowed, in nodes; larger offspring are rejected.
        init_min_depth: shallowest depth of a fresh random tree.
        init_max_depth: deepest depth of a fresh random tree.
        subtree_max_depth: deepest subtree grown by subtree mutation.
        p_crossover: chance of crossover when two or more parents have a genotype.
        w_subtree: relative weight of subtree mutation.
        w_point: relative weight of point (node replacement) mutation.
        w_constant: relative weight of constant mutation (falls back to point mutation without one).
        w_shrink: relative weight of shrink mutation.
        w_rule: relative weight of rule mutation (:func:`mut_add_rule`); none by default.
        p_leaf: chance that a grown branch stops at each node past its minimum depth.
        p_constant: chance that a new scalar leaf is a fresh constant rather than a named terminal.
        constants: the round values half the fresh constants are drawn from (the rest are ~N(0, 2)).
        constant_sigma: relative size of a constant mutation's gaussian step.
        max_tries: attempts per requested proposal before giving up on it.
        max_inline_height: operators nested in one line of the rendered program before a temporary.
        leave_out: primitives and named terminals (by name) left out of the language, see
            :func:`~aurora_evo.mutators.primitives.primitive_set`.
    """

    max_depth: int = 8
    max_nodes: int = 60
    init_min_depth: int = 1
    init_max_depth: int = 4
    subtree_max_depth: int = 3
    p_crossover: float = 0.3
    w_subtree: float = 0.4
    w_point: float = 0.25
    w_constant: float = 0.2
    w_shrink: float = 0.15
    w_rule: float = 0.0
    p_leaf: float = 0.3
    p_constant: float = 0.3
    constants: tuple[float, ...] = NICE_CONSTANTS
    constant_sigma: float = 0.3
    max_tries: int = 10
    max_inline_height: int = 4
    leave_out: tuple[str, ...] = ()

    def __post_init__(self):
        if not 0 <= self.init_min_depth <= self.init_max_depth <= self.max_depth:
            raise ValueError("need 0 <= init_min_depth <= init_max_depth <= max_depth")
        if self.max_nodes < 1 or self.max_tries < 1:
            raise ValueError("max_nodes and max_tries must be at least 1")
        if min(self.mutation_weights) < 0:
            raise ValueError("mutation weights must be >= 0")
        if sum(self.mutation_weights) <= 0:
            raise ValueError("at least one mutation weight must be > 0")
        if not 0 <= self.p_constant <= 1:
            raise ValueError("p_constant must be within [0, 1]")
        if not self.constants or not all(math.isfinite(c) for c in self.constants):
            raise ValueError("constants must be one or more finite numbers")

    @property
    def mutation_weights(self) -> tuple[float, ...]:
        """The weights of :data:`MUTATIONS`, in that order."""
        return (self.w_subtree, self.w_point, self.w_constant, self.w_shrink, self.w_rule)

    def fits(self, tree: gp.PrimitiveTree) -> bool:
        """Whether ``tree`` is within the depth and size limits."""
        return len(tree) <= self.max_nodes and tree.height <= self.max_depth


#: Sources remembered by :meth:`GPMutator.tree_of` before it forgets them all (a run's islands hold
#: about a hundred programs; reading one back takes milliseconds).
_READ_CACHE = 4096

#: The mutations of one parent, in the order of :attr:`GPConfig.mutation_weights`.
MUTATIONS = ("mutate_subtree", "mutate_point", "mutate_constant", "mutate_shrink", "mutate_rule")


class GPMutator(Mutator):
    """Strongly typed GP over numpy expressions; proposals carry ``str(tree)`` as their genotype.

    Args:
        contract: :attr:`Contract.BINPACKING` or :attr:`Contract.ALLOCATION`.
        config: the settings; keyword arguments (any :class:`GPConfig` field) override single fields.
    """

    name = "gp"

    def __init__(self, contract: Contract, config: GPConfig | None = None, **overrides):
        self.contract = contract
        self.config = with_settings("GPMutator", GPConfig(), config, overrides)
        self.pset = primitive_set(contract, self.config.leave_out)
        self._read: dict[str, gp.PrimitiveTree | None] = {}  # source -> its tree, None if unreadable

    def render(self, tree: gp.PrimitiveTree) -> str:
        """The program source of ``tree``."""
        return render_program(tree, self.pset, max_inline_height=self.config.max_inline_height)

    def parse(self, genotype: str) -> gp.PrimitiveTree:
        """The tree of a genotype (raises ``ValueError`` if it is not one of this primitive set)."""
        return parse_genotype(genotype, self.pset)

    def seeds(self, rng: np.random.Generator, n: int) -> list[Proposal]:
        """The seed trees (first fit, best fit, worst fit, ...), then ramped half-and-half random trees."""
        out: list[Proposal] = []
        seen: set[str] = set()
        for name, tree in seed_trees(self.pset).items():
            if len(out) < n:
                self._keep(out, seen, tree, "gp.seed", (), f"seed tree: {name.replace('_', ' ')}")
        cfg = self.config
        for _ in range(cfg.max_tries):
            if len(out) >= n:
                break
            for tree in gen_ramped(
                self.pset, rng, n - len(out), cfg.init_min_depth, cfg.init_max_depth,
                p_leaf=cfg.p_leaf, p_constant=cfg.p_constant, constants=cfg.constants,
            ):  # fmt: skip
                if cfg.fits(tree):
                    why = f"ramped half-and-half random tree of depth {tree.height}"
                    self._keep(out, seen, tree, "gp.random", (), why)
        return out[:n]

    def tree_of(self, parent: Parent) -> gp.PrimitiveTree | None:
        """The tree of a parent: its genotype when that parses, else its source read back as a program
        of this language (see :func:`~aurora_evo.mutators.readback.read_tree`), else ``None``."""
        if parent.genotype is not None:
            try:
                return self.parse(parent.genotype)
            except ValueError:
                pass
        if parent.source not in self._read:
            if len(self._read) >= _READ_CACHE:
                self._read.clear()
            try:
                self._read[parent.source] = read_tree(parent.source, self.pset)
            except ValueError:
                self._read[parent.source] = None
        return self._read[parent.source]

    def propose(self, parents: Sequence[Parent], rng: np.random.Generator, n: int) -> list[Proposal]:
        """Mutants and crossovers of the parents that are trees of this primitive set (by genotype or by
        source, see :meth:`tree_of`); fresh random trees when none is."""
        pool = [(parent, tree) for parent in parents if (tree := self.tree_of(parent)) is not None]
        out: list[Proposal] = []
        seen = {parent.source for parent in parents}
        for _ in range(n * self.config.max_tries):
            if len(out) >= n:
                break
            made = self._vary(pool, rng) if pool else self._fresh(rng)
            if made is not None:
                self._keep(out, seen, *made)
        return out

    # --- helpers ---

    def _keep(self, out, seen, tree, mutator, parent_ids, reasoning) -> None:
        source = self.render(tree)
        if source in seen:
            return
        seen.add(source)
        extra = {"nodes": len(tree), "depth": tree.height}
        out.append(Proposal(source, tuple(parent_ids), mutator, str(tree), reasoning, extra))

    def _fresh(self, rng):
        cfg = self.config
        tree = gen_half_and_half(
            self.pset,
            rng,
            cfg.init_min_depth,
            cfg.init_max_depth,
            p_leaf=cfg.p_leaf,
            p_constant=cfg.p_constant,
            constants=cfg.constants,
        )
        if not cfg.fits(tree):
            return None
        return tree, "gp.random", (), f"random tree of depth {tree.height} (no parent is a GP tree)"

    def _vary(self, pool, rng):
        cfg = self.config
        if len(pool) >= 2 and rng.random() < cfg.p_crossover:
            i, j = rng.choice(len(pool), size=2, replace=False)
            (first, tree), (second, other) = pool[int(i)], pool[int(j)]
            operator, parents = "crossover", (first, second)
            change = cx_one_point(tree, other, rng)
        else:
            first, tree = _choice(rng, pool)
            parents = (first,)
            weights = np.array(cfg.mutation_weights)
            operator = MUTATIONS[int(rng.choice(len(MUTATIONS), p=weights / weights.sum()))]
            if operator == "mutate_constant" and not any(is_constant(node) for node in tree):
                operator = "mutate_point"
            change = self._mutate(operator, tree, rng)
        if change is None or not cfg.fits(change.tree) or change.tree == tree:
            return None
        depth = node_depths(change.tree)[change.index]
        what = OPERATORS[f"gp.{operator}"]
        reasoning = f"{what} at depth {depth} of parent {first.program_id}: {change.note}"
        if operator == "crossover":
            reasoning += f"; second parent {parents[1].program_id}"
        return change.tree, f"gp.{operator}", tuple(p.program_id for p in parents), reasoning

    def _mutate(self, operator: str, tree, rng) -> Change | None:
        cfg = self.config
        if operator == "mutate_subtree":
            return mut_subtree(
                tree,
                self.pset,
                rng,
                max_depth=cfg.subtree_max_depth,
                p_leaf=cfg.p_leaf,
                p_constant=cfg.p_constant,
                constants=cfg.constants,
            )
        if operator == "mutate_point":
            return mut_point(tree, self.pset, rng, p_constant=cfg.p_constant, constants=cfg.constants)
        if operator == "mutate_constant":
            return mut_constant(tree, rng, sigma=cfg.constant_sigma)
        if operator == "mutate_rule":
            return mut_add_rule(tree, self.pset, rng, constants=cfg.constants)
        return mut_shrink(tree, rng)
