"""Simplifying a program folds its constants and drops identities, and never changes a decision."""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest

from aurora_evo.contracts import Contract
from aurora_evo.domains.binpacking import Instance, pack, weibull_dataset
from aurora_evo.mutators import GPMutator
from aurora_evo.mutators import simplify as simplify_module
from aurora_evo.mutators.gp import gen_ramped, mut_constant
from aurora_evo.mutators.simplify import simplify_source
from aurora_evo.program_loading import compile_program
from aurora_evo.seeds import seed_scenarios
from aurora_evo.sim import simulate


def body(expression: str, prelude: str = "") -> str:
    """An allocation program returning ``expression``."""
    lines = ["import numpy as np", "", "", "def priority(task, nodes):", "    cpu_free = nodes[:, 1]"]
    lines += [f"    {line}" for line in prelude.splitlines()]
    return "\n".join([*lines, f"    return {expression}", ""])


def returned(source: str) -> str:
    function = next(s for s in ast.parse(source).body if isinstance(s, ast.FunctionDef))
    return ast.unparse(function.body[-1].value)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # The report of issue 18: GP's guarded division of a constant by itself.
        ("cpu_free - 1.79 * np.sign(1.79) / np.maximum(np.abs(1.79), 1e-09)", "cpu_free - 1.0"),
        ("cpu_free * np.sign(1.79) / np.maximum(np.abs(1.79), 1e-09)", "cpu_free / 1.79"),
        ("cpu_free * np.sign(2.0) / np.maximum(np.abs(2.0), 1e-09) + 0.0", "cpu_free / 2.0"),
        ("np.minimum(-cpu_free, (-0.861) ** 2)", "np.minimum(-cpu_free, 0.741321)"),
        ("cpu_free + -(-(-2.5))", "cpu_free - 2.5"),
        ("cpu_free * -1.0 / 0.226", "-cpu_free / 0.226"),
        ("-(-(cpu_free * 2.0))", "cpu_free * 2.0"),
        ("cpu_free * (3.0 if 1.0 <= 2.0 else np.log1p(7.0))", "cpu_free * 3.0"),
        ("cpu_free * 2.0 * ((0.5 > 0.0) * 1.0)", "cpu_free * 2.0"),
        ("np.maximum(cpu_free * 1.0, 0.0)", "np.maximum(cpu_free, 0.0)"),
        ("cpu_free + np.sqrt(np.abs(-4.0))", "cpu_free + 2.0"),
    ],
)
def test_constants_fold_and_identities_go(expression, expected):
    assert returned(simplify_source(body(expression))) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "(cpu_free > 0.0) * 1.0",  # how a boolean becomes a float: not an identity
        "nodes[:, 1] * 1.0",  # the identity would return the input array itself
        "cpu_free + 1.0",
        "cpu_free * 2.0 / 4.0",  # no reassociation: (a * 2) / 4 and a * 0.5 may round differently
        "cpu_free * 0.0",  # not 0 when cpu_free is infinite
        "cpu_free + np.log(-1.0)",  # NaN: left as written
        "cpu_free + 1.0 / 0.0",
        "cpu_free + np.mean(2.0)",  # not in the whitelist of elementwise functions
    ],
)
def test_what_could_change_a_value_stays(expression):
    assert returned(simplify_source(body(expression))) == ast.unparse(ast.parse(expression))


def test_constant_temporaries_are_propagated_and_dead_code_goes():
    source = (
        "import numpy as np\n\nN_CPU_FREE = 1\nN_MEM_FREE = 2\n\n\n"
        "def priority(task, nodes):\n"
        '    """Doc."""\n'
        "    cpu_free = nodes[:, N_CPU_FREE]  # free cpu, cores\n"
        "    mem_free = nodes[:, N_MEM_FREE]  # free memory, GiB\n"
        "    t1 = np.exp(np.minimum(0.5, 50.0)) * np.sign(2.0) / np.maximum(np.abs(2.0), 1e-09)\n"
        "    t2 = mem_free * 0.0 if 3.0 <= 1.0 else t1\n"
        "    return cpu_free * t2\n"
    )
    simplified = simplify_source(source)
    assert simplified == (
        "import numpy as np\n\nN_CPU_FREE = 1\n\n\n"
        "def priority(task, nodes):\n"
        '    """Doc."""\n'
        "    cpu_free = nodes[:, N_CPU_FREE]  # free cpu, cores\n"
        f"    return cpu_free * {float(np.exp(0.5) / 2.0)!r}\n"
    )


def test_text_that_cannot_be_rewritten_alone_is_left_alone():
    assert simplify_source("def priority(task, nodes: return 1\n") == "def priority(task, nodes: return 1\n"
    one_line = "import numpy as np\n\n\ndef priority(task, nodes): return nodes[:, 1] + 2.0 * 3.0\n"
    assert simplify_source(one_line) == one_line
    shadowed = "import numpy as np\nnp = None\n\n\ndef priority(task, nodes):\n    return nodes[:, 1] + np.abs(2.0)\n"
    assert simplify_source(shadowed) == shadowed  # np is not numpy here: no call is folded


def test_a_constant_is_not_propagated_where_a_name_shadows_it_nor_into_compound_statements():
    source = body(
        "cpu_free * scale + np.array([f(1.0) for k in range(2)]).sum()",
        prelude=(
            "k = 2.0 * 3.0\n"
            "scale = np.abs(-2.0)\n"
            "f = lambda scale: scale * 1.0\n"
            "if scale > 1.0:\n"
            "    cpu_free = cpu_free * scale"
        ),
    )
    simplified = simplify_source(source)
    assert "f = lambda scale: scale * 1.0" in simplified  # the lambda's own scale, left alone
    assert "scale = 2.0" in simplified  # still read by the lambda's sibling and the if: kept, folded
    assert "    if scale > 1.0:\n        cpu_free = cpu_free * scale" in simplified  # as written
    assert "k = 6.0" in simplified or "k = 2.0 * 3.0" in simplified  # k is rebound by the comprehension
    compile(simplified, "simplified", "exec")


def test_nothing_of_the_program_is_executed():
    # The folding calls only whitelisted numpy ufuncs on float literals: no eval, exec or compile.
    text = inspect.getsource(simplify_module)
    for forbidden in ("eval(", "exec(", "compile(", "__import__"):
        assert forbidden not in text
    assert all(isinstance(getattr(np, name), np.ufunc) for name in simplify_module.PURE_NUMPY)


# --- decisions ----------------------------------------------------------------------------------


def gp_sources(contract: Contract, n: int, seed: int) -> list[str]:
    """Rendered GP programs rich in constants (a seeded generator of trees, then constant mutations)."""
    mutator = GPMutator(contract)
    rng = np.random.default_rng(seed)
    trees = gen_ramped(mutator.pset, rng, n, 2, 6, p_constant=0.6)
    for i, tree in enumerate(trees):
        change = mut_constant(tree, rng)
        trees[i] = change.tree if change is not None else tree
    return [mutator.render(tree) for tree in trees]


def changed_pairs(contract: Contract, n: int, seed: int) -> list[tuple[str, str]]:
    pairs = [(s, simplify_source(s)) for s in gp_sources(contract, n, seed)]
    changed = [(a, b) for a, b in pairs if a != b]
    assert len(changed) >= n // 3, "the generator should make many programs to simplify"
    return changed


def outcome(call, *args):
    """The scores of a call, or the type of what it raised."""
    with np.errstate(all="ignore"):
        try:
            return np.asarray(call(*args), dtype=np.float64)
        except Exception as exc:  # the original and the simplified program must fail alike
            return type(exc).__name__


def assert_same(a, b) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
    else:
        np.testing.assert_array_equal(a, b)  # bit for bit, NaNs in the same places


def test_simplified_allocation_programs_score_and_place_as_the_originals():
    rng = np.random.default_rng(7)
    scenarios = [seed_scenarios(level)[0] for level in ("easy", "medium", "hard")]
    for original, simplified in changed_pairs(Contract.ALLOCATION, 60, seed=1):
        before = compile_program(original, Contract.ALLOCATION, jit=False)
        after = compile_program(simplified, Contract.ALLOCATION, jit=False)
        for _ in range(5):
            task, nodes = rng.uniform(0.0, 64.0, 12), rng.uniform(0.0, 64.0, (int(rng.integers(1, 9)), 17))
            assert_same(outcome(before.python, task, nodes), outcome(after.python, task, nodes))
        for scenario in scenarios:
            with np.errstate(all="ignore"):
                first, second = simulate(scenario, before), simulate(scenario, after)
            assert first.status == second.status, simplified
            if first.ok:
                np.testing.assert_array_equal(first.placement.node, second.placement.node)


def test_simplified_bin_packing_programs_pack_as_the_originals():
    instances = [*weibull_dataset(np.random.default_rng(3), 2, 120).instances]
    instances.append(
        Instance("or-like", 150.0, np.random.default_rng(4).integers(20, 100, 120).astype(float))
    )
    for original, simplified in changed_pairs(Contract.BINPACKING, 60, seed=2):
        before = compile_program(original, Contract.BINPACKING, jit=False)
        after = compile_program(simplified, Contract.BINPACKING, jit=False)
        for instance in instances:
            with np.errstate(all="ignore"):
                first, second = pack(before, instance), pack(after, instance)
            assert (first.status, first.bins_used) == (second.status, second.bins_used), simplified
            if first.assignment is not None:
                np.testing.assert_array_equal(first.assignment, second.assignment)


@pytest.mark.parametrize("contract", [Contract.ALLOCATION, Contract.BINPACKING])
def test_simplified_programs_still_compile_with_numba(contract):
    for original, simplified in changed_pairs(contract, 12, seed=5)[:2]:
        before = compile_program(original, contract)
        after = compile_program(simplified, contract)
        assert after.compiled == before.compiled, after.jit_error
