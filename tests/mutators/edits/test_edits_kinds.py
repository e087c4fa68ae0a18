"""The shape inference behind crossover: the kinds of expressions, and what is known before each statement."""

from __future__ import annotations

import ast

from aurora_evo.contracts import Contract
from aurora_evo.mutators.edits.kinds import FEATURES, MATRIX, SCALAR, VECTOR, Kinds, statement_scopes
from aurora_evo.program_text import parse_program


def kind(expression: str, **env: str) -> str | None:
    return Kinds(env)(ast.parse(expression, mode="eval").body)


def test_kinds_of_expressions():
    assert kind("nodes[:, 1]", nodes=MATRIX) == VECTOR
    assert kind("nodes[0, 1]", nodes=MATRIX) == SCALAR
    assert kind("task[2] * 2.0", task=FEATURES) == SCALAR
    assert kind("np.maximum(bins - item, 0.0)", bins=VECTOR, item=SCALAR) == VECTOR
    assert kind("bins.sum()", bins=VECTOR) == SCALAR
    assert kind("nodes.sum(axis=1)", nodes=MATRIX) == VECTOR


def test_unsure_kinds_are_none():
    assert kind("task + nodes[:, 1]", task=FEATURES, nodes=MATRIX) is None  # two array kinds
    assert kind("x @ y", x=VECTOR, y=VECTOR) is None
    assert kind("unknown * 2.0") is None


def test_scopes_follow_the_statements_of_priority():
    source = (
        "import numpy as np\n\n\ndef priority(item, bins):\n"
        "    gap = bins - item\n    best = gap.min()\n    return -gap\n"
    )
    function, scopes = statement_scopes(parse_program(source), Contract.BINPACKING)
    assert function.name == "priority" and len(scopes) == 3
    assert scopes[0].env["item"] == SCALAR and scopes[0].env["bins"] == VECTOR
    assert "gap" not in scopes[0].defined and {"np", "item", "bins"} <= scopes[0].defined
    assert scopes[1].env["gap"] == VECTOR and scopes[2].env["best"] == SCALAR
