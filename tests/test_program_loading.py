"""Compiling programs: which ones numba may run, given that it writes overlapping memory unlike numpy."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from aurora_evo.contracts import Contract
from aurora_evo.program_loading import compile_program, overlap_hazard

HAZARDS = [
    ("s[1:] -= s[:-1]", "it writes through a slice"),
    ("s[1:] = s[:-1]", "it writes through a slice"),
    ("s[:, 1:] = t", "it writes through a slice"),
    ("(a, s[2:]) = (1.0, t)", "it writes through a slice"),
    ("s += s[::-1]", "it updates an array in place from a view"),
    ("s *= t.T", "it updates an array in place from a view"),
    ("np.subtract(s, t, out=s)", "it writes a result into out="),
]

SAFE = [
    "s[:3] = 0.0",  # literals read no memory
    "s[2:] += -1e9",
    "s[m] = -s[m]",  # a boolean mask's reading is a copy
    "s[0] = s[1]",
    "s = s[1:] - s[:-1]",  # a new array
    "s += t",
]


@pytest.mark.parametrize(("statement", "said"), HAZARDS)
def test_an_overlapping_write_is_named_with_its_line(statement, said):
    assert overlap_hazard(ast.parse(f"x = 1\n{statement}\n")) == f"line 2: {said}"


@pytest.mark.parametrize("statement", SAFE)
def test_writes_that_cannot_overlap_are_left_to_numba(statement):
    assert overlap_hazard(ast.parse(statement)) is None


def test_such_a_program_runs_on_the_numpy_path_with_the_reason():
    source = "def priority(item, bins):\n    s = bins - item\n    s[1:] -= s[:-1]\n    return s\n"
    compiled = compile_program(source, Contract.BINPACKING)
    assert compiled.jitted is None
    assert compiled.jit_error == (
        "line 3: it writes through a slice, which numba does without numpy's care for overlapping memory"
    )
    np.testing.assert_array_equal(compiled.python(1.0, np.array([5.0, 4.0, 3.0])), [4.0, -1.0, -1.0])
    assert compile_program(source.replace("s[1:] -= s[:-1]", "s = s * 2"), Contract.BINPACKING).compiled
