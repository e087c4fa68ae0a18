"""Reading programs back into GP trees (aurora_evo/mutators/readback.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from test_mutators_gp import CONTRACTS, numpy_scores, random_trees

from aurora_evo import features as F
from aurora_evo.contracts import Contract
from aurora_evo.domains.binpacking.baselines import BASELINE_SOURCES
from aurora_evo.mutators import GPMutator, Parent
from aurora_evo.mutators.edits import perturb_constant, swap_operator
from aurora_evo.mutators.primitives import is_constant
from aurora_evo.mutators.readback import read_tree

PROGRAMS = Path(__file__).resolve().parents[2] / "programs"
_PRIORITY = "import numpy as np\n\n\ndef priority(item, bins):\n"


def _same_scores(first: str, second: str, contract: Contract, seed: int) -> None:
    for (a, _), (b, _) in zip(
        numpy_scores(first, contract, np.random.default_rng(seed), calls=4),
        numpy_scores(second, contract, np.random.default_rng(seed), calls=4),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.value)
def test_rendered_trees_read_back_as_trees_computing_the_same(contract):
    # Several trees print alike (neg_s(0.5) and -0.5), so the tree read back need not be the same
    # tree; it must compute the same scores, and most trees come back node for node.
    mutator = GPMutator(contract)
    rng = np.random.default_rng(11)
    trees = random_trees(mutator, rng, 120)
    identical = 0
    for i, tree in enumerate(trees):
        source = mutator.render(tree)
        back = read_tree(source, mutator.pset)
        identical += str(back) == str(tree)
        _same_scores(source, mutator.render(back), contract, seed=i)
    assert identical >= 0.8 * len(trees)


def test_a_hand_written_program_in_the_language_reads_back():
    pset = GPMutator(Contract.BINPACKING).pset
    assert str(read_tree(BASELINE_SOURCES["Best Fit"], pset)) == "neg_v(sub_vs(bins, item))"
    # A leaf is recognised by its definition; the comment and the layout do not matter.
    source = (
        "import numpy as np\n\ndef priority(item, bins):\n"
        "    cap = np.max(bins)  # the capacity\n    spare = (bins - item) / cap\n"
        "    return -spare - (np.abs(spare - 0.1) <= 0.05) * 1.0\n"
    )
    assert str(read_tree(source, pset)) == "sub_vv(neg_v(spare), within_vss(spare, 0.1, 0.05))"


def test_division_by_a_constant_reads_as_the_guarded_division():
    # An edit's swap of "*" for "/" writes a plain division; by a constant it is the guarded one, bit for
    # bit. By a number the guard would change (|c| < 1e-9), or by a variable, it is not.
    mutator = GPMutator(Contract.BINPACKING)
    source = _PRIORITY + "    return bins / -2.5\n"
    assert str(read_tree(source, mutator.pset)) == "div_vs(bins, -2.5)"
    _same_scores(source, mutator.render(read_tree(source, mutator.pset)), mutator.contract, seed=1)
    for divisor in ("1e-12", "item"):
        with pytest.raises(ValueError, match="cannot read"):
            read_tree(_PRIORITY + f"    return bins / {divisor}\n", mutator.pset)


def test_edited_gp_programs_read_back_with_their_edit():
    mutator = GPMutator(Contract.BINPACKING)
    tree = mutator.parse("add_vv(neg_v(room), mul_vs(tightest, 0.5))")
    source = mutator.render(tree)
    rng = np.random.default_rng(2)
    edited = perturb_constant(source, rng)
    constants = [node.value for node in read_tree(edited.source, mutator.pset) if is_constant(node)]
    assert len(constants) == 1 and constants[0] != 0.5
    # A swap in a leaf's definition (tightest's "* 1.0" -> "/ 1.0", np.min -> np.max) leaves a program
    # the language cannot write; a swap in the returned expression reads back as the swapped tree.
    read = []
    for seed in range(12):
        swapped = swap_operator(source, np.random.default_rng(seed)).source
        try:
            read.append((swapped, read_tree(swapped, mutator.pset)))
        except ValueError as exc:
            assert "tightest = (bins == np.min(bins)) * 1.0" not in swapped, exc
    assert read and all(str(back) != str(tree) for _, back in read)
    for i, (swapped, back) in enumerate(read):
        _same_scores(swapped, mutator.render(back), mutator.contract, seed=i)


@pytest.mark.parametrize(
    ("name", "contract"), [("binpack_or.py", Contract.BINPACKING), ("cloud.py", Contract.ALLOCATION)]
)
def test_shipped_gp_programs_read_back(name, contract):
    # An exported file has a header of comments; the program under it is a GP rendering.
    source = (PROGRAMS / name).read_text(encoding="utf-8")
    mutator = GPMutator(contract)
    _same_scores(source, mutator.render(read_tree(source, mutator.pset)), contract, seed=5)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def priority(item, bins)\n    return -bins\n", "not Python"),
        ("import numpy as np\n\ndef priority(bins, item):\n    return -bins\n", "priority takes"),
        ("import os\n\ndef priority(item, bins):\n    return -bins\n", "does not write"),
        (_PRIORITY + "    return -bins\n\ndef helper():\n    return 0\n", "does not write"),
        ("import numpy as np\n", "no priority function"),
        (_PRIORITY + "    bins = bins * 2.0\n    return -bins\n", "assigned twice"),
        (_PRIORITY + "    t1 = t2 + 1.0\n    t2 = -bins\n    return t1\n", "t2 is not defined"),
        # The templates' np.abs would then call something else.
        (_PRIORITY + "    np = bins\n    return np.abs(bins)\n", "assigned over a global"),
        (_PRIORITY + "    if item > 1.0:\n        return bins\n    return -bins\n", "only assignments"),
        (_PRIORITY + "    return np.tanh(bins)\n", "cannot read"),
        (_PRIORITY + "    return -bins[::-1]\n", "cannot read"),
        (_PRIORITY + "    return bins == np.min(bins)\n", "cannot read"),
        # spare's definition, but over a cap that is not the capacity: not the spare leaf.
        (
            _PRIORITY + "    cap = 2.0 * np.max(bins)\n    spare = (bins - item) / cap\n    return spare\n",
            "cannot read",
        ),
        # A feature constant with another value would make every leaf reading it mean something else.
        (
            f"N_CPU_FREE = {F.N_CPU_FREE + 1}\n\ndef priority(task, nodes):\n"
            "    cpu_free = nodes[:, N_CPU_FREE]\n    return cpu_free.copy()\n",
            "does not write",
        ),
    ],
)
def test_what_the_language_cannot_write_is_refused_with_a_reason(source, message):
    contract = Contract.ALLOCATION if "task, nodes" in source else Contract.BINPACKING
    with pytest.raises(ValueError, match=message):
        read_tree(source, GPMutator(contract).pset)


def _chain(lines: int, step: str) -> str:
    """A program of ``lines`` temporaries, each ``step`` with ``t`` the one before."""
    body = "    t0 = bins - item\n"
    body += "".join(f"    t{i} = {step.replace('t', f't{i - 1}')}\n" for i in range(1, lines))
    return _PRIORITY + body + f"    return t{lines - 1}\n"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        # Python parses 2,000 nested minus signs, but matching them overflowed the recursion limit, and
        # the RecursionError escaped the GP's proposal.
        (_PRIORITY + "    return " + "-" * 2000 + "bins\n", "line 5: nested too deeply"),
        # Shallow lines, deep once their temporaries are read in place.
        (_chain(150, "-t"), "more than 100 levels"),
        # Each line reads the one before twice: 2**40 nodes if it were read.
        (_chain(40, "t + t"), "more than 10000 nodes"),
        # Too deep for Python's parser itself.
        (_PRIORITY + "    return " + "-" * 100_000 + "bins\n", "cannot be parsed"),
    ],
    ids=["deep-line", "deep-temporaries", "doubling-temporaries", "unparseable"],
)
def test_nesting_and_size_have_fixed_bounds(source, message):
    # The refusals must not lean on the recursion limit, which another library may have raised for the
    # process: in one CI run, 5,000 minus signs that fail to parse under the default limit parsed.
    old = sys.getrecursionlimit()
    for limit in (1000, 20_000):
        sys.setrecursionlimit(limit)
        try:
            with pytest.raises(ValueError, match=message):
                read_tree(source, GPMutator(Contract.BINPACKING).pset)
        finally:
            sys.setrecursionlimit(old)


def test_feature_constants_with_their_own_values_are_read():
    source = (
        f"N_CPU_FREE = {F.N_CPU_FREE}\n\ndef priority(task, nodes):\n"
        "    cpu_free = nodes[:, N_CPU_FREE]\n    return cpu_free.copy()\n"
    )
    assert str(read_tree(source, GPMutator(Contract.ALLOCATION).pset)) == "cpu_free"


def test_gp_varies_an_edited_program_instead_of_starting_afresh():
    # An edit's child has no genotype; before the GP read sources back it drew a random tree for it.
    mutator = GPMutator(Contract.BINPACKING)
    source = mutator.render(mutator.parse("add_vv(neg_v(room), mul_vs(tightest, 0.5))"))
    edited = perturb_constant(source, np.random.default_rng(2)).source
    proposals = mutator.propose([Parent("edited", edited, -5.0)], np.random.default_rng(4), 8)
    assert len(proposals) == 8
    assert all(p.parent_ids == ("edited",) and p.mutator != "gp.random" for p in proposals)


def test_a_parents_genotype_wins_over_its_source():
    mutator = GPMutator(Contract.BINPACKING)
    parent = Parent("p", BASELINE_SOURCES["Best Fit"], genotype="zeros")
    assert str(mutator.tree_of(parent)) == "zeros"
    assert mutator.tree_of(Parent("q", BASELINE_SOURCES["Worst Fit"])) is None
