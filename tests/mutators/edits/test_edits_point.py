"""The point edits: constant perturbation and operator swap."""

from __future__ import annotations

import ast
import re

import numpy as np

from aurora_evo.mutators.edits.point import perturb_constant, swap_operator
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
