"""The GP mutator: primitive sets, tree operators, genotypes, rendering, numba/numpy agreement."""

from __future__ import annotations

import ast
import itertools
import multiprocessing
import os
import random
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from deap import gp

from aurora_evo import features as F
from aurora_evo.contracts import Contract
from aurora_evo.domains.binpacking.baselines import BASELINE_SOURCES
from aurora_evo.mutators import GPConfig, GPMutator, Parent, parse_genotype, primitive_set, seed_trees
from aurora_evo.mutators.gp import (
    cx_one_point,
    gen_half_and_half,
    mut_add_rule,
    mut_constant,
    mut_point,
    mut_shrink,
    mut_subtree,
    node_depths,
)
from aurora_evo.mutators.primitives import Scalar, Vec, is_constant
from aurora_evo.program_loading import compile_program
from aurora_evo.sandbox.screen import screen_program
from aurora_evo.seeds import seed_program_paths

CONTRACTS = [Contract.BINPACKING, Contract.ALLOCATION]
MUTATORS = Path(__file__).resolve().parents[2] / "aurora_evo" / "mutators"


# --- inputs ----------------------------------------------------------------------------------------


def binpacking_inputs(rng: np.random.Generator) -> tuple[float, np.ndarray]:
    """An item and the remaining capacities of the bins it fits in, one of them empty."""
    capacity = float(rng.choice([1.0, 100.0, 150.0]))
    item = float(rng.uniform(0.01, 0.99) * capacity)
    k = int(rng.integers(0, 12))
    return item, np.concatenate([rng.uniform(item, capacity, size=k), [capacity]])


def allocation_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A task and a cluster's node rows, read-only as the simulator passes them."""
    k = int(rng.integers(1, 12))
    nodes = np.zeros((k, F.NODE_FEATURES))
    nodes[:, F.N_INDEX] = np.arange(k)
    cpu = rng.choice([2.0, 4.0, 16.0, 64.0], size=k)
    caps = np.stack([cpu, cpu * 4, rng.integers(0, 4, size=k), np.full(k, 10.0)], axis=1)
    nodes[:, F.N_CAP0 : F.N_CAP0 + 4] = caps
    nodes[:, F.N_FREE0 : F.N_FREE0 + 4] = caps * rng.uniform(0, 1, size=(k, 4))
    nodes[:, F.N_PRICE] = rng.uniform(0.05, 5.0, size=k)
    nodes[:, F.N_IDLE_W], nodes[:, F.N_PEAK_W] = 100.0, 300.0
    nodes[:, F.N_LATENCY] = rng.uniform(1.0, 120.0, size=k)
    nodes[:, F.N_ZONE] = rng.integers(0, 3, size=k)
    nodes[:, F.N_RUNNING] = rng.integers(0, 20, size=k)
    nodes[:, F.N_PLACED] = rng.integers(0, 500, size=k)
    nodes[:, F.N_FITS] = rng.integers(0, 2, size=k)
    task = np.zeros(F.TASK_FEATURES)
    task[F.T_INDEX] = rng.integers(0, 10_000)
    task[F.T_CPU : F.T_NET + 1] = [rng.uniform(0.1, 8), rng.uniform(0.1, 32), rng.integers(0, 2), 0.5]
    task[F.T_DURATION] = rng.uniform(1.0, 3600.0)
    task[F.T_PRIORITY] = rng.integers(0, 12)
    task[F.T_DEADLINE] = rng.choice([F.NO_DEADLINE, 300.0])
    task[F.T_WAIT] = rng.uniform(0.0, 100.0)
    task[F.T_ARRIVAL] = task[F.T_NOW] = rng.uniform(0.0, 1e4)
    nodes.setflags(write=False)
    task.setflags(write=False)
    return task, nodes


INPUTS = {Contract.BINPACKING: binpacking_inputs, Contract.ALLOCATION: allocation_inputs}


def random_trees(mutator: GPMutator, rng, n: int, max_depth: int = 8) -> list[gp.PrimitiveTree]:
    trees = []
    while len(trees) < n:
        tree = gen_half_and_half(mutator.pset, rng, 1, max_depth)
        if mutator.config.fits(tree):
            trees.append(tree)
    return trees


def numpy_scores(source: str, contract: Contract, rng, calls: int = 5) -> list[tuple[np.ndarray, int]]:
    """The numpy path's scores on random inputs, each with the number of bins/nodes it was given."""
    program = compile_program(source, contract, jit=False)
    out = []
    for _ in range(calls):
        inputs = INPUTS[contract](rng)
        with np.errstate(all="ignore"):
            out.append((program.python(*inputs), len(inputs[1])))
    return out


@pytest.fixture(params=CONTRACTS, ids=lambda c: c.value)
def mutator(request) -> GPMutator:
    return GPMutator(request.param)


# --- primitive sets and genotypes ------------------------------------------------------------------


def test_primitive_sets_are_built_per_instance_without_creator_or_global_random():
    first, second = primitive_set(Contract.BINPACKING), primitive_set(Contract.BINPACKING)
    assert first is not second and first.mapping.keys() == second.mapping.keys()
    assert first.ret is Vec and {Vec, Scalar} <= set(first.primitives)
    for path in MUTATORS.glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {
            a.name for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom) for a in n.names
        }
        assert "creator" not in imported and "random" not in imported, path.name
    with pytest.raises(ValueError, match="supported"):
        primitive_set(Contract.VECTOR_BINPACKING)


def test_allocation_terminals_use_the_feature_constants():
    pset = primitive_set(Contract.ALLOCATION)
    leaves = {t.name for t in pset.terminals[Vec]} | {t.name for t in pset.terminals[Scalar]}
    assert {"cpu_free", "mem_free", "price", "latency", "running", "placed", "fits"} <= leaves
    assert {"task_cpu", "task_mem", "duration", "wait", "task_priority", "deadline"} <= leaves
    assert "nodes[:, N_CPU_FREE]" in pset.context["cpu_free"].expr
    assert pset.context["task_cpu"].expr == "task[T_CPU]"


def test_genotypes_round_trip_for_random_trees(mutator):
    rng = np.random.default_rng(0)
    trees = random_trees(mutator, rng, 250)
    with_constants = 0
    for tree in trees:
        text = str(tree)
        again = parse_genotype(text, mutator.pset)
        assert again == tree and str(again) == text
        with_constants += any(is_constant(node) for node in tree)
    assert with_constants >= 50


@pytest.mark.parametrize(
    "text, message",
    [
        ("nope(bins)", "unknown"),
        ("add_vv(bins)", "not a complete tree"),
        ("bins bins", "after its end"),
        ("vmin(bins)", "returns Scalar where Vec"),
        ("add_vs(bins, nan)", "not finite"),
        ("", "not a complete tree"),
    ],
)
def test_parse_genotype_rejects_what_is_not_one_tree(text, message):
    with pytest.raises(ValueError, match=message):
        parse_genotype(text, primitive_set(Contract.BINPACKING))


def test_constants_print_and_parse_back_exactly():
    pset = primitive_set(Contract.BINPACKING)
    for value in (0.1, -1.234e-7, 1e300, 2.0 / 3.0, -0.0):
        tree = parse_genotype(f"add_vs(bins, {value!r})", pset)
        assert tree[2].value == value and str(tree) == f"add_vs(bins, {value!r})"


# --- rendering ---------------------------------------------------------------------------------------


def test_rendered_random_trees_pass_the_screen_and_score_every_bin_or_node(mutator):
    rng = np.random.default_rng(1)
    contract = mutator.contract
    finite = 0
    trees = random_trees(mutator, rng, 200)
    for tree in trees:
        source = mutator.render(tree)
        assert screen_program(source).ok, source
        imports = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Import | ast.ImportFrom)]
        assert [ast.unparse(n) for n in imports] == ["import numpy as np"]
        for scores, k in numpy_scores(source, contract, rng):
            assert isinstance(scores, np.ndarray) and scores.shape == (k,) and scores.dtype == np.float64
            finite += np.isfinite(scores).all()
    assert finite >= 0.98 * 5 * len(trees)


def test_rendering_is_readable():
    pset = primitive_set(Contract.BINPACKING)
    text = "sub_vv(room, mul_vs(empty, add_ss(cap, -0.5)))"
    source = GPMutator(Contract.BINPACKING).render(parse_genotype(text, pset))
    assert "return room - empty * (cap - 0.5)" in source
    assert "cap = np.max(bins)" in source and "A tree of 7 nodes, depth 3" in source
    deep = "neg_v(" * 4 + "sqrt_v(log1p_v(exp_v(add_vv(bins, room))))" + ")" * 4
    source = GPMutator(Contract.BINPACKING).render(parse_genotype(deep, pset))
    assert "t1 = " in source
    # A bare input is copied: numba cannot return a read-only view as a new array.
    assert "return bins.copy()" in GPMutator(Contract.BINPACKING).render(parse_genotype("bins", pset))


def test_within_is_a_closed_band_in_one_node_under_numba_and_numpy():
    # Best fit that will not leave 9-19 units in a bin: the band is closed at both ends.
    genotype = "sub_vv(neg_v(room), mul_vs(within_vss(room, 14.0, 5.0), 1000.0))"
    pset = primitive_set(Contract.BINPACKING)
    source = GPMutator(Contract.BINPACKING).render(parse_genotype(genotype, pset))
    assert "(np.abs(room - 14.0) <= 5.0) * 1.0" in source
    item = 30.0
    bins = item + np.array([8.99, 9.0, 14.0, 19.0, 19.01, 120.0])
    want = -(bins - item) - 1000.0 * np.array([0, 1, 1, 1, 0, 0])
    program = compile_program(source, Contract.BINPACKING)
    assert program.compiled
    for run in (program.jitted, program.python):
        np.testing.assert_allclose(run(item, bins), want)
        assert int(np.argmax(run(item, bins))) == 0
    assert check_genotypes(Contract.BINPACKING.value, [genotype], 3) == [(genotype, None, True)]


def test_within_is_a_bin_packing_primitive_only():
    assert "within_vss" in primitive_set(Contract.BINPACKING).mapping
    assert "within_vss" not in primitive_set(Contract.ALLOCATION).mapping


def test_a_language_can_leave_primitives_and_leaves_out():
    pset = primitive_set(Contract.BINPACKING, leave_out=("n", "vmean", "cap"))
    assert {"n", "vmean", "cap"}.isdisjoint(pset.mapping)
    assert "spare" in pset.mapping  # defined through cap, which still renders as its preamble
    mutator = GPMutator(Contract.BINPACKING, leave_out=("n", "vmean", "cap"))
    assert "cap = np.max(bins)" in mutator.render(parse_genotype("spare", pset))
    rng = np.random.default_rng(0)
    proposals = mutator.seeds(rng, 40)
    assert "worst fit" not in " ".join(p.reasoning for p in proposals)  # its seed tree reads cap
    parents = [Parent(str(i), p.source, 0.0, p.genotype) for i, p in enumerate(proposals[:6])]
    proposals += mutator.propose(parents, rng, 40)
    sources = [p.source for p in proposals]
    assert len(sources) > 60 and not any("float(len(bins))" in s or "np.mean(" in s for s in sources)
    with pytest.raises(ValueError, match="has no nope, ns; it has"):
        primitive_set(Contract.BINPACKING, leave_out=("ns", "nope"))


def test_a_seed_tree_with_a_constant_is_kept(monkeypatch):
    # The seeds are filtered by the names they use; an exponent's "e" in 1e-09 is not a name.
    from aurora_evo.mutators import primitives

    monkeypatch.setitem(primitives._SEEDS, Contract.BINPACKING, {"scaled": "mul_vs(bins, 1e-09)"})
    assert list(seed_trees(primitive_set(Contract.BINPACKING))) == ["scaled"]


def test_simple_powers_render_as_ruff_formats_them(tmp_path, ruff):
    pset = primitive_set(Contract.BINPACKING)
    genotype = "sub_vv(neg_v(square_v(tightest)), add_vv(square_v(room), square_v(abs_v(room))))"
    source = GPMutator(Contract.BINPACKING).render(parse_genotype(genotype, pset))
    assert "return -(tightest**2) - (room**2 + np.abs(room) ** 2)" in source
    path = tmp_path / "program.py"
    path.write_text(source)
    assert ruff([path]) == ""


def test_seed_trees_decide_like_the_shipped_seeds():
    shipped = {
        Contract.BINPACKING: {
            "first_fit": BASELINE_SOURCES["First Fit"],
            "best_fit": BASELINE_SOURCES["Best Fit"],
            "worst_fit": BASELINE_SOURCES["Worst Fit"],
        },
        Contract.ALLOCATION: {
            name: seed_program_paths()[name].read_text()
            for name in ("first_fit", "best_fit", "worst_fit", "round_robin")
        },
    }
    for contract, sources in shipped.items():
        mutator = GPMutator(contract)
        trees = seed_trees(mutator.pset)
        assert set(trees) == set(sources)
        for name, tree in trees.items():
            ours = numpy_scores(mutator.render(tree), contract, np.random.default_rng(4), calls=30)
            theirs = numpy_scores(sources[name], contract, np.random.default_rng(4), calls=30)
            for (a, _), (b, _) in zip(ours, theirs, strict=True):
                assert np.argmax(a) == np.argmax(b), name


# --- operators ---------------------------------------------------------------------------------------


def _subtrees(tree: gp.PrimitiveTree) -> set[str]:
    return {str(gp.PrimitiveTree(tree[tree.searchSubtree(i)])) for i in range(len(tree))}


def test_operators_keep_trees_typed_and_touch_only_their_site(mutator):
    rng = np.random.default_rng(5)
    pset = mutator.pset
    trees = random_trees(mutator, rng, 80, max_depth=5)
    for first, second in itertools.pairwise(trees):
        before = str(first), str(second)
        changes = {
            "subtree": mut_subtree(first, pset, rng),
            "point": mut_point(first, pset, rng),
            "constant": mut_constant(first, rng),
            "shrink": mut_shrink(first, rng),
            "rule": mut_add_rule(first, pset, rng),
            "crossover": cx_one_point(first, second, rng),
        }
        for name, change in changes.items():
            if change is None:
                continue
            child = change.tree
            assert parse_genotype(str(child), pset) == child, name
            assert child[: change.index] == first[: change.index], name
            tail = len(first) - first.searchSubtree(change.index).stop
            assert tail == 0 or child[-tail:] == first[-tail:], name
            if name == "crossover":
                donated = gp.PrimitiveTree(child[child.searchSubtree(change.index)])
                assert str(donated) in _subtrees(second)
            if name in ("point", "constant"):
                assert len(child) == len(first) and child[change.index] != first[change.index]
            if name == "rule":  # the whole tree is kept, as the first argument of the new root
                assert change.index == 0 and child[1 : len(first) + 1] == first
        assert (str(first), str(second)) == before  # operators never modify their inputs


def test_a_rule_adds_a_band_or_a_threshold_of_a_leaf_to_the_whole_score(mutator):
    # child = parent + k * (|leaf - c| <= w), or parent + k * (leaf - c > 0) in the allocation language
    # (which has no band), on the same inputs; c, w and |k| from the round constants.
    contract, pset, ladder = mutator.contract, mutator.pset, (-1.0, 0.05, 20.0)
    band = contract is Contract.BINPACKING
    rng = np.random.default_rng(21)
    leaves = set()
    for tree in random_trees(mutator, rng, 30, max_depth=4):
        change = mut_add_rule(tree, pset, rng, constants=ladder)
        child = change.tree
        rule = gp.PrimitiveTree(child[len(tree) + 1 :])
        assert child[0].name == "add_vv" and [n.name for n in rule[:2]] == (
            ["mul_vs", "within_vss"] if band else ["mul_vs", "step_v"]
        )
        leaves.add(rule[2].name if band else rule[3].name)
        *thresholds, weight = [n.value for n in rule if is_constant(n)]
        assert thresholds[0] in ladder and set(thresholds[1:]) <= {0.05, 20.0} and abs(weight) in {0.05, 20.0}
        seed = int(rng.integers(1 << 30))
        parent, added, both = (
            numpy_scores(mutator.render(t), contract, np.random.default_rng(seed))
            for t in (tree, rule, child)
        )
        for (p, _), (r, _), (c, _) in zip(parent, added, both, strict=True):
            assert set(np.unique(r)) <= {0.0, weight}
            np.testing.assert_array_equal(c, p + r)
    assert len(leaves) > 2 and "zeros" not in leaves


def test_a_rule_needs_its_primitives_and_is_off_by_default():
    rng = np.random.default_rng(22)
    for contract, missing in ((Contract.BINPACKING, "add_vv"), (Contract.ALLOCATION, "step_v")):
        pset = primitive_set(contract, leave_out=(missing,))
        assert mut_add_rule(parse_genotype("neg_v(sub_vv(zeros, zeros))", pset), pset, rng) is None
    best_fit = Parent(
        "bf",
        GPMutator(Contract.BINPACKING).render(seed_trees(primitive_set(Contract.BINPACKING))["best_fit"]),
    )
    default = GPMutator(Contract.BINPACKING).propose([best_fit], rng, 200)
    assert not any(p.mutator == "gp.mutate_rule" for p in default)
    only = GPMutator(Contract.BINPACKING, w_subtree=0, w_point=0, w_constant=0, w_shrink=0, w_rule=1)
    proposals = only.propose([best_fit], rng, 20)
    assert len(proposals) == 20 and all(p.mutator == "gp.mutate_rule" for p in proposals)
    assert all(p.reasoning.startswith("rule mutation at depth 0 of parent bf: added ") for p in proposals)


def test_crossover_mixes_material_from_both_parents():
    mutator = GPMutator(Contract.BINPACKING, p_crossover=1.0)
    genotypes = {
        "a": "add_vv(neg_v(sub_vs(bins, item)), mul_vs(bins, 2.0))",
        "b": "max_vv(sqrt_v(room), exp_v(empty))",
    }
    trees = {k: parse_genotype(v, mutator.pset) for k, v in genotypes.items()}
    assert not _subtrees(trees["a"]) & _subtrees(trees["b"])
    parents = [Parent(k, "", genotype=v) for k, v in genotypes.items()]
    proposals = mutator.propose(parents, np.random.default_rng(6), 10)
    assert len(proposals) >= 5 and all(p.mutator == "gp.crossover" for p in proposals)
    for proposal in proposals:
        first, second = proposal.parent_ids
        child = parse_genotype(proposal.genotype, mutator.pset)
        assert child[0] == trees[first][0]  # the root, and all but the crossover site, is the first's
        assert _subtrees(child) & _subtrees(trees[second])
        assert f"of parent {first}" in proposal.reasoning and f"second parent {second}" in proposal.reasoning


def test_size_limits_hold_over_generations():
    mutator = GPMutator(Contract.ALLOCATION, max_depth=5, max_nodes=20, init_max_depth=3)
    rng = np.random.default_rng(7)
    population = [
        Parent(f"s{i}", p.source, genotype=p.genotype) for i, p in enumerate(mutator.seeds(rng, 12))
    ]
    for generation in range(8):
        proposals = mutator.propose(population, rng, 12)
        assert proposals
        for proposal in proposals:
            tree = parse_genotype(proposal.genotype, mutator.pset)
            assert len(tree) <= 20 and tree.height <= 5
            assert proposal.extra == {"nodes": len(tree), "depth": tree.height}
        population = [
            Parent(f"g{generation}_{i}", p.source, genotype=p.genotype) for i, p in enumerate(proposals)
        ]


def test_node_depths():
    tree = parse_genotype("add_vv(neg_v(bins), room)", primitive_set(Contract.BINPACKING))
    assert node_depths(tree) == [0, 1, 2, 1]


# --- the mutator --------------------------------------------------------------------------------------


def test_seeds_start_with_the_seed_trees_then_random_ones(mutator):
    proposals = mutator.seeds(np.random.default_rng(8), 20)
    n_seeds = len(seed_trees(mutator.pset))
    assert len(proposals) == 20 and len({p.source for p in proposals}) == 20
    assert [p.mutator for p in proposals] == ["gp.seed"] * n_seeds + ["gp.random"] * (20 - n_seeds)
    assert proposals[0].reasoning == "seed tree: first fit" and proposals[0].parent_ids == ()
    assert all(parse_genotype(p.genotype, mutator.pset) is not None for p in proposals)
    assert len(mutator.seeds(np.random.default_rng(8), 2)) == 2


def test_same_seed_gives_identical_proposals_and_global_random_is_untouched(mutator):
    def run(seed: int):
        rng = np.random.default_rng(seed)
        seeds = mutator.seeds(rng, 10)
        parents = [Parent(f"p{i}", p.source, genotype=p.genotype) for i, p in enumerate(seeds)]
        return seeds + mutator.propose(parents, rng, 30)

    state = random.getstate()
    first, again, other = run(11), run(11), run(12)
    assert random.getstate() == state
    assert first == again
    assert [p.source for p in first] != [p.source for p in other]
    made = {p.mutator for p in first}
    assert {"gp.seed", "gp.random", "gp.crossover", "gp.mutate_subtree", "gp.mutate_point"} <= made


def test_proposals_name_their_operator_parents_and_site(mutator):
    rng = np.random.default_rng(13)
    parents = [Parent(f"id{i}", p.source, genotype=p.genotype) for i, p in enumerate(mutator.seeds(rng, 6))]
    proposals = mutator.propose(parents, rng, 40)
    assert len(proposals) == 40
    sources = {p.source for p in parents}
    for proposal in proposals:
        assert proposal.source not in sources
        assert proposal.mutator.startswith("gp.")
        assert set(proposal.parent_ids) <= {p.program_id for p in parents} and proposal.parent_ids
        assert (
            f"of parent {proposal.parent_ids[0]}" in proposal.reasoning and " at depth " in proposal.reasoning
        )
        assert proposal.source == mutator.render(parse_genotype(proposal.genotype, mutator.pset))


def test_parents_that_are_not_trees_give_fresh_trees():
    # Worst Fit's source uses a boolean mask the language cannot write, so it does not read back.
    mutator = GPMutator(Contract.BINPACKING)
    parents = [
        Parent("hand", BASELINE_SOURCES["Worst Fit"]),
        Parent("bad", "x", genotype="not_a_primitive(bins)"),
    ]
    proposals = mutator.propose(parents, np.random.default_rng(14), 5)
    assert len(proposals) == 5
    assert all(p.mutator == "gp.random" and p.parent_ids == () for p in proposals)


def _constants(proposals) -> list[float]:
    pset = primitive_set(Contract.BINPACKING)
    return [n.value for p in proposals for n in parse_genotype(p.genotype, pset) if is_constant(n)]


def test_fresh_constants_come_from_the_configured_round_values():
    # A run can draw its round constants on its own scale (the OR preset: a 1-2-5 ladder 0.01-100),
    # through generation, subtree and point mutation alike; half are still gaussian.
    ladder = (0.05, 20.0)
    mutator = GPMutator(Contract.BINPACKING, constants=ladder, p_constant=1.0)
    rng = np.random.default_rng(3)
    fresh = mutator.seeds(rng, 60)
    parents = [Parent(str(i), p.source, 0.0, p.genotype) for i, p in enumerate(fresh)]
    grown = [
        p for p in mutator.propose(parents, rng, 200) if p.mutator in ("gp.mutate_subtree", "gp.mutate_point")
    ]
    for proposals in (fresh, grown):
        values = _constants(proposals)
        on_ladder = [v for v in values if v in ladder]
        assert set(on_ladder) == set(ladder) and 0.3 < len(on_ladder) / len(values) < 0.7
        assert not set(values) & {0.1, 0.5, 2.0, 10.0}  # the default round values
    default = _constants(GPMutator(Contract.BINPACKING).seeds(np.random.default_rng(3), 60))
    assert default and not set(default) & set(ladder)


def test_the_chance_of_a_constant_leaf_is_a_setting():
    def share(p_constant: float) -> float:
        mutator = GPMutator(Contract.BINPACKING, p_constant=p_constant)
        proposals = mutator.seeds(np.random.default_rng(5), 80)
        trees = [parse_genotype(p.genotype, mutator.pset) for p in proposals if p.mutator == "gp.random"]
        leaves = [n for tree in trees for n in tree if n.arity == 0 and n.ret is Scalar]
        return sum(is_constant(n) for n in leaves) / len(leaves)

    assert share(0.0) == 0.0 and share(1.0) == 1.0
    assert share(0.3) < share(0.7)


def test_settings_are_checked():
    with pytest.raises(TypeError, match="GPConfig"):
        GPMutator(Contract.BINPACKING, max_dept=3)
    with pytest.raises(ValueError):
        GPConfig(init_max_depth=9, max_depth=8)
    for bad in ({"p_constant": 1.5}, {"constants": ()}, {"constants": (1.0, float("nan"))}):
        with pytest.raises(ValueError, match=r"p_constant|constants"):
            GPConfig(**bad)
    with pytest.raises(ValueError, match="mutation weights must be >= 0"):
        GPConfig(w_rule=-0.1)
    assert GPMutator(Contract.BINPACKING, GPConfig(max_nodes=30), p_crossover=0.5).config == GPConfig(
        max_nodes=30, p_crossover=0.5
    )


# --- numba ---------------------------------------------------------------------------------------------


def check_genotypes(
    contract_value: str, genotypes: list[str], seed: int
) -> list[tuple[str, str | None, bool]]:
    """Compile each tree's program with numba and without; compare their scores on random inputs.

    Returns (genotype, jit_error, agree) per tree. Top level, so that a worker process can run it.
    """
    contract = Contract(contract_value)
    mutator = GPMutator(contract)
    rng = np.random.default_rng(seed)
    out = []
    for genotype in genotypes:
        source = mutator.render(parse_genotype(genotype, mutator.pset))
        jitted = compile_program(source, contract)
        python = compile_program(source, contract, jit=False).python
        agree = jitted.compiled
        for _ in range(8 if agree else 0):
            inputs = INPUTS[contract](rng)
            with np.errstate(all="ignore"):
                fast, slow = jitted.jitted(*inputs), python(*inputs)
            same = fast.shape == slow.shape == (len(inputs[1]),) and np.allclose(
                fast, slow, rtol=1e-9, atol=1e-12
            )
            agree = agree and same and np.isfinite(fast).all() and np.argmax(fast) == np.argmax(slow)
        out.append((genotype, jitted.jit_error, bool(agree)))
    return out


def test_seed_trees_compile_with_numba_and_agree_with_numpy():
    for contract in CONTRACTS:
        genotypes = [str(t) for t in seed_trees(primitive_set(contract)).values()]
        assert all(err is None and agree for _, err, agree in check_genotypes(contract.value, genotypes, 15))


#: Random trees per contract compiled with numba, every primitive in at least one of them (the test
#: checks it); 200 took four minutes of a CI worker.
NUMBA_TREES = 100


@pytest.fixture(scope="module")
def numba_checks() -> dict[Contract, list[tuple[str, str | None, bool]]]:
    """:func:`check_genotypes` of :data:`NUMBA_TREES` trees per contract as the GP starts from them (the
    seed trees, then ramped half-and-half), in worker processes: a numba compile takes 0.1-0.4 s."""
    work = [
        (c, [p.genotype for p in GPMutator(c).seeds(np.random.default_rng(16), NUMBA_TREES)])
        for c in CONTRACTS
    ]
    workers = max(1, min(8, os.cpu_count() or 1))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {
            contract: [
                pool.submit(check_genotypes, contract.value, genotypes[i : i + 10], i)
                for i in range(0, NUMBA_TREES, 10)
            ]
            for contract, genotypes in work
        }
        return {contract: [r for f in fs for r in f.result()] for contract, fs in futures.items()}


@pytest.mark.slow
@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.value)
def test_random_trees_compile_with_numba_and_agree_with_numpy(contract, numba_checks):
    results = numba_checks[contract]
    assert len(results) == NUMBA_TREES
    pset = primitive_set(contract)
    used = {node.name for genotype, _, _ in results for node in parse_genotype(genotype, pset)}
    assert {p.name for group in pset.primitives.values() for p in group} <= used
    failures = [(g, err) for g, err, _ in results if err is not None]
    disagreements = [g for g, err, agree in results if err is None and not agree]
    assert not failures, failures[:3]
    assert not disagreements, disagreements[:3]
