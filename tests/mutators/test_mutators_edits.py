"""Source-level edits: constant perturbation, operator swap, subtree crossover, and the EditMutator."""

from __future__ import annotations

import ast
import random
import re

import numpy as np
import pytest

from aurora_evo import features as F
from aurora_evo.contracts import Contract, OutputStatus, check_scores
from aurora_evo.domains.binpacking.baselines import BASELINE_SOURCES
from aurora_evo.mutators import (
    EditMutator,
    GPMutator,
    Parent,
    crossover_subtree,
    perturb_constant,
    seed_sources,
    swap_operator,
)
from aurora_evo.program_loading import compile_program
from aurora_evo.program_text import parse_program
from aurora_evo.sandbox.screen import screen_program
from aurora_evo.seeds import seed_program_paths

SEEDS = {name: path.read_text() for name, path in seed_program_paths().items()}

TUNABLE = '''\
"""A program with every kind of literal."""

import numpy as np

N_LOAD = 3  # an index: left alone
SCALE = 0.5


def priority(task, nodes):
    # Only 0.25, SCALE's 0.5, the 2 of "+ 2" and the 7 of "> 7" are tunable.
    free = nodes[:, 1] - task[2]
    load = nodes[:, N_LOAD] ** 2 + np.zeros(4)[0] + nodes.sum(axis=1) * 1e-9
    return np.maximum(free * 0.25 + 2, SCALE) - (load > 7) + np.round(load, 3)
'''


def rngs(n: int, start: int = 0):
    return (np.random.default_rng(seed) for seed in range(start, start + n))


def literals(source: str) -> list[tuple[int, int, object]]:
    tree = ast.parse(source)
    return sorted(
        (n.lineno, n.col_offset, n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and not isinstance(n.value, str)
    )


def numpy_status(source: str, contract: Contract, seed: int = 0) -> OutputStatus:
    """The numpy path's verdict on a vetted program for a few random inputs (worst one)."""
    rng = np.random.default_rng(seed)
    program = compile_program(source, contract, jit=False)
    worst = OutputStatus.OK
    for _ in range(3):
        if contract is Contract.ALLOCATION:
            k = int(rng.integers(1, 6))
            nodes = rng.uniform(1.0, 10.0, size=(k, F.NODE_FEATURES))
            args, expected = (rng.uniform(0.1, 1.0, size=F.TASK_FEATURES), nodes), k
        else:
            bins = np.append(rng.uniform(0.5, 1.0, size=int(rng.integers(0, 6))), 1.0)
            args, expected = (0.4, bins), len(bins)
        with np.errstate(all="ignore"):
            status, _ = check_scores(program.python(*args), expected)
        worst = max(worst, status)
    return worst


# --- constant perturbation -------------------------------------------------------------------------


def test_perturb_constant_changes_one_tunable_literal_and_keeps_everything_else():
    changed = set()
    for rng in rngs(200):
        edit = perturb_constant(TUNABLE, rng)
        assert edit is not None and edit.source != TUNABLE
        before, after = literals(TUNABLE), literals(edit.source)
        diff = [(b, a) for b, a in zip(before, after, strict=True) if b[2] != a[2]]
        assert len(diff) <= 1 and diff[0][0][:2] == diff[0][1][:2] if diff else True
        changed |= {b[2] for b, _ in diff}
        assert (
            "# an index: left alone" in edit.source
            and '"""A program with every kind of literal."""' in edit.source
        )
        assert screen_program(edit.source).ok and parse_program(edit.source)
        assert re.match(r"constant \S+ -> \S+ at line \d+$", edit.description)
    assert changed == {0.25, 0.5, 2, 7}


def test_perturb_constant_finds_nothing_in_index_only_programs():
    rng = np.random.default_rng(0)
    assert perturb_constant(SEEDS["round_robin"], rng) is None  # N_PLACED = 15, an index
    assert perturb_constant(SEEDS["best_fit"], rng) is None  # indices and a 1e-9 guard
    assert perturb_constant("def priority(a, b):\n    return b\n", rng) is None
    assert perturb_constant("def priority(a, b) return", rng) is None  # not Python


def test_perturbing_zero_gives_a_parenthesised_signed_value():
    source = "def priority(item, bins):\n    return bins - 0.0\n"
    edits = [perturb_constant(source, rng) for rng in rngs(20)]
    negative = [e for e in edits if "(-" in e.source]
    assert negative and all(screen_program(e.source).ok for e in edits)


# --- operator swap ---------------------------------------------------------------------------------


def test_swap_operator_reaches_every_site_and_drops_only_the_comment_of_the_line_it_changes():
    source = (
        "K = 1 + 2  # module level: never swapped\n\n\n"
        "def priority(item, bins):\n"
        "    # a comment with + and - and < in it\n"
        "    x = (bins + item) * 2.0 - np.maximum(bins, item)  # trailing - comment\n"
        "    return np.where(x <= item, x, -x) / bins.max()\n"
    )
    variants = {}
    for rng in rngs(120):
        edit = swap_operator(source, rng)
        variants[edit.source] = edit.description
        assert "# a comment with + and - and < in it" in edit.source
        # The trailing comment described line 6 as it was: it goes when line 6 changes.
        changed_line_6 = "at line 6" in edit.description
        assert ("# trailing - comment" in edit.source) != changed_line_6
        assert "2.0 - np.maximum(bins, item)  # trailing" in source and "  \n" not in edit.source
        assert edit.source.startswith("K = 1 + 2")
    expected = {
        "(bins - item) * 2.0 - np.maximum",
        "(bins + item) / 2.0 - np.maximum",
        "(bins + item) * 2.0 + np.maximum",
        "(bins + item) * 2.0 - np.minimum",
        "np.where(x >= item, x, -x) / bins.max()",
        "np.where(x <= item, x, -x) * bins.max()",
        "np.where(x <= item, x, -x) / bins.min()",
    }
    assert len(variants) == len(expected)
    assert all(any(e in v for v in variants) for e in expected)
    assert "swapped '<=' for '>=' at line 7" in variants.values()


def test_swap_operator_handles_multiline_expressions_and_unicode():
    source = (
        "def priority(item, bins):\n"
        '    """Naïve — but fine: « ∑ »."""\n'
        "    label = 'größe'  # ünïcode\n"
        "    return (bins  # röom → ∞\n"
        "            - item)\n"
    )
    edit = swap_operator(source, np.random.default_rng(0))
    assert edit.source == source.replace("- item", "+ item")


def test_swap_operator_finds_nothing_without_operators():
    assert swap_operator("def priority(item, bins):\n    return bins\n", np.random.default_rng(0)) is None


# --- crossover -------------------------------------------------------------------------------------


def test_crossover_transplants_donor_material_where_it_is_defined():
    donor_locals = {"spare_cpu", "spare_mem"}
    seen = set()
    for rng in rngs(60):
        edit = crossover_subtree(SEEDS["first_fit"], SEEDS["best_fit"], rng, contract=Contract.ALLOCATION)
        assert edit is not None
        tree = parse_program(edit.source)
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        assert not names & donor_locals  # the donor's locals are not defined in first fit
        defined = {
            t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)
        }
        assert {n for n in names if re.fullmatch(r"[NT]_[A-Z_]+", n)} <= defined  # stands alone
        assert screen_program(edit.source).ok
        assert numpy_status(edit.source, Contract.ALLOCATION) is OutputStatus.OK
        assert "First fit: the first node" in edit.source  # the docstring is kept
        seen.add(edit.source)
    assert len(seen) > 5


def test_crossover_drops_the_comment_of_a_line_it_rewrites():
    receiver = (
        "def priority(item, bins):\n"
        "    room = bins - item  # room left after placement\n"
        "    return -room  # best fit\n"
    )
    donor = "def priority(item, bins):\n    return bins * 2.0 + item\n"
    outcomes = set()
    for rng in rngs(40):
        edit = crossover_subtree(receiver, donor, rng, contract=Contract.BINPACKING)
        if edit is None:
            continue
        lines = edit.source.splitlines()
        for before, after in zip(receiver.splitlines(), lines, strict=True):
            code = before.split("  #")[0]
            # A line kept as it was keeps its comment; a rewritten one loses it.
            assert after == before if after.split("  #")[0] == code else "#" not in after
        outcomes.add(tuple(line == before for line, before in zip(lines, receiver.splitlines(), strict=True)))
    assert len(outcomes) > 1


def test_crossover_mixes_both_parents_and_keeps_shapes():
    sources = list(seed_sources(Contract.BINPACKING).values())
    sources += [p.source for p in GPMutator(Contract.BINPACKING).seeds(np.random.default_rng(0), 10)]
    made = 0
    for i, rng in enumerate(rngs(150)):
        a, b = sources[i % len(sources)], sources[(3 * i + 1) % len(sources)]
        edit = crossover_subtree(a, b, rng, contract=Contract.BINPACKING)
        if edit is None:
            continue
        made += 1
        snippet = (
            re.search(r"replaced by '(.*)' of the donor$", edit.description).group(1).removesuffix(".copy()")
        )
        assert snippet.strip("()")[:20] in b.replace("\n", " ") or snippet.endswith("...")
        assert numpy_status(edit.source, Contract.BINPACKING) in (OutputStatus.OK, OutputStatus.NOT_FINITE)
    assert made >= 100


def test_crossover_returns_none_when_nothing_fits():
    same = "def priority(item, bins):\n    return bins\n"
    rng = np.random.default_rng(0)
    assert crossover_subtree(same, same, rng, contract=Contract.BINPACKING) is None
    helper = "def priority(item, bins):\n    return secret(bins)\n"
    assert crossover_subtree(same, helper, rng, contract=Contract.BINPACKING) is None
    assert crossover_subtree(same, "not python(", rng, contract=Contract.BINPACKING) is None


def test_crossover_adds_missing_imports():
    bare = "def priority(task, nodes):\n    return -nodes[:, 15]\n"
    donor = "import numpy as np\n\n\ndef priority(task, nodes):\n    return np.sqrt(nodes[:, 2])\n"
    edits = [crossover_subtree(bare, donor, rng, contract=Contract.ALLOCATION) for rng in rngs(20)]
    with_np = [e.source for e in edits if e is not None and "np." in e.source]
    assert with_np and all(s.startswith("import numpy as np\n") for s in with_np)
    assert all(numpy_status(s, Contract.ALLOCATION) is OutputStatus.OK for s in with_np)


# --- the mutator -----------------------------------------------------------------------------------


def test_seeds_are_the_shipped_programs():
    allocation = EditMutator(Contract.ALLOCATION).seeds(np.random.default_rng(0), 10)
    assert [p.extra["seed"] for p in allocation] == sorted(SEEDS)
    assert [p.source for p in allocation] == [SEEDS[name] for name in sorted(SEEDS)]
    binpacking = EditMutator(Contract.BINPACKING).seeds(np.random.default_rng(0), 2)
    assert [p.source for p in binpacking] == list(BASELINE_SOURCES.values())[:2]
    assert all(p.mutator == "edit.seed" and p.parent_ids == () for p in allocation + binpacking)


@pytest.mark.parametrize("contract", [Contract.ALLOCATION, Contract.BINPACKING], ids=lambda c: c.value)
def test_proposals_are_valid_deterministic_and_leave_global_random_alone(contract):
    mutator = EditMutator(contract)
    rng = np.random.default_rng(1)
    pool = [Parent(f"s{i}", p.source) for i, p in enumerate(mutator.seeds(rng, 10))]
    pool += [
        Parent(f"g{i}", p.source, genotype=p.genotype)
        for i, p in enumerate(GPMutator(contract).seeds(rng, 6))
    ]
    state = random.getstate()
    first = mutator.propose(pool, np.random.default_rng(2), 40)
    again = mutator.propose(pool, np.random.default_rng(2), 40)
    assert random.getstate() == state
    assert first == again and len(first) == 40
    assert {p.mutator for p in first} == {"edit.constant", "edit.operator", "edit.crossover"}
    ids = {p.program_id for p in pool}
    sources = {p.source for p in pool}
    assert len({p.source for p in first}) == 40 and not sources & {p.source for p in first}
    for proposal in first:
        assert screen_program(proposal.source).ok and parse_program(proposal.source)
        assert proposal.genotype is None and set(proposal.parent_ids) <= ids
        assert len(proposal.parent_ids) == (2 if proposal.mutator == "edit.crossover" else 1)
        assert proposal.reasoning.startswith(f"parent {proposal.parent_ids[0]}: ")
        if proposal.mutator == "edit.crossover":
            assert proposal.reasoning.endswith(f"of parent {proposal.parent_ids[1]}")


def test_one_parent_means_no_crossover_and_bad_parents_give_nothing():
    mutator = EditMutator(Contract.BINPACKING)
    proposals = mutator.propose([Parent("p", BASELINE_SOURCES["Worst Fit"])], np.random.default_rng(3), 10)
    assert proposals and all(p.mutator != "edit.crossover" for p in proposals)
    junk = [Parent("a", "def priority(item, bins) return"), Parent("b", "x = 1\n"), Parent("c", "")]
    assert mutator.propose(junk, np.random.default_rng(3), 5) == []
    assert mutator.propose([], np.random.default_rng(3), 5) == []


def test_crlf_sources_survive_edits():
    source = BASELINE_SOURCES["Worst Fit"].replace("\n", "\r\n")
    for rng in rngs(20):
        for edit in (perturb_constant(source, rng), swap_operator(source, rng)):
            assert edit is not None and screen_program(edit.source).ok and parse_program(edit.source)
            assert "# At least one empty bin is always offered" in edit.source


def test_settings_are_checked():
    with pytest.raises(TypeError, match="EditConfig"):
        EditMutator(Contract.BINPACKING, sigm=0.1)
    with pytest.raises(ValueError):
        EditMutator(Contract.BINPACKING, w_constant=0.0, w_operator=0.0)


def test_crossover_results_compile_with_numba():
    pairs = [("first_fit", "best_fit", 0), ("first_fit", "best_fit", 1), ("round_robin", "random_choice", 1)]
    for a, b, seed in pairs:
        edit = crossover_subtree(
            SEEDS[a], SEEDS[b], np.random.default_rng(seed), contract=Contract.ALLOCATION
        )
        program = compile_program(edit.source, Contract.ALLOCATION)
        assert program.compiled, (edit.source, program.jit_error)
