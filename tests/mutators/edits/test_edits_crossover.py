"""Subtree crossover: donor material where it is defined, shapes kept, imports added."""

from __future__ import annotations

import ast
import re

import numpy as np

from aurora_evo import features as F
from aurora_evo.contracts import Contract, OutputStatus, check_scores
from aurora_evo.mutators.edits.crossover import crossover_subtree
from aurora_evo.mutators.edits.mutator import seed_sources
from aurora_evo.mutators.gp import GPMutator
from aurora_evo.program_loading import compile_program
from aurora_evo.program_text import parse_program
from aurora_evo.sandbox.screen import screen_program
from aurora_evo.seeds import seed_program_paths

SEEDS = {name: path.read_text() for name, path in seed_program_paths().items()}


def rngs(n: int, start: int = 0):
    return (np.random.default_rng(seed) for seed in range(start, start + n))


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


def test_crossover_results_compile_with_numba():
    pairs = [("first_fit", "best_fit", 0), ("first_fit", "best_fit", 1), ("round_robin", "random_choice", 1)]
    for a, b, seed in pairs:
        edit = crossover_subtree(
            SEEDS[a], SEEDS[b], np.random.default_rng(seed), contract=Contract.ALLOCATION
        )
        program = compile_program(edit.source, Contract.ALLOCATION)
        assert program.compiled, (edit.source, program.jit_error)
