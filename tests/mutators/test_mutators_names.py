"""Every mutator name a proposal can carry reads as words (exported files say what made a program)."""

from __future__ import annotations

import pytest

from aurora_evo.mutators.base import describe_mutator
from aurora_evo.mutators.gp import MUTATIONS

GP_NAMES = [f"gp.{name}" for name in (*MUTATIONS, "crossover", "seed", "random")]
EDIT_NAMES = ["edit.constant", "edit.operator", "edit.crossover"]


@pytest.mark.parametrize("name", GP_NAMES)
def test_gp_names_say_genetic_programming_and_the_operator(name):
    text = describe_mutator(name)
    assert text.startswith("genetic programming (") and "_" not in text


@pytest.mark.parametrize("name", EDIT_NAMES)
def test_edit_names_say_source_edit_never_genetic_programming(name):
    text = describe_mutator(name)
    assert text.startswith("a source edit (") and "genetic" not in text


def test_seeds_models_and_unknown_names():
    assert describe_mutator("edit.seed") == "none: a shipped seed program"
    assert describe_mutator("llm.best_shot") == "a language model (prompt mode: best_shot)"
    assert describe_mutator("llm") == "a language model"
    assert describe_mutator("hand.tuned") == "hand.tuned"
    assert describe_mutator("") == "unknown"
