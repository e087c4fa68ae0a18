"""Meta-prompt evolution: the population of prompt instructions, its sampling, steps and persistence."""

from __future__ import annotations

import numpy as np
import pytest

from aurora_evo.mutators.llm.meta import InstructionPool, meta_prompt, parse_instruction

SEEDS = ("Make one small change. Keep the rest.", "Try a different idea entirely.", "Tune the constants.")


def test_thompson_sampling_prefers_the_instruction_whose_children_improve():
    pool = InstructionPool(SEEDS, size=3)
    good, bad, _ = list(pool.items)
    for _ in range(20):
        pool.record(good, True)
        pool.record(bad, False)
    rng = np.random.default_rng(0)
    picks = [pool.sample(rng).id for _ in range(200)]
    assert picks.count(good) > 150 and picks.count(bad) < 5


def test_a_step_retires_the_worst_and_adds_the_model_s_instruction():
    pool = InstructionPool(SEEDS, size=3, interval=4, min_trials=2)
    ids = list(pool.items)
    for index, instruction in enumerate(ids):
        for trial in range(4):
            pool.record(instruction, improved=trial < index)  # the first seed never improves
    assert pool.due
    asked = []
    new = pool.step(
        np.random.default_rng(0),
        7,
        lambda text: asked.append(text) or "<instruction>Merge the best two ideas.</instruction>",
    )
    assert (
        new is not None and new.text == "Merge the best two ideas." and new.origin == "llm" and new.born == 7
    )
    assert pool.items[ids[0]].retired and len(pool.active) == 3 and not pool.due
    assert "2/4 improved" in asked[0] and "0/4 improved" in asked[0]
    assert asked[0].index("2/4") < asked[0].index("0/4")  # best first


def test_without_a_model_answer_two_instructions_are_recombined():
    pool = InstructionPool(SEEDS, size=4, interval=1, min_trials=1)
    new = pool.step(np.random.default_rng(1), 1, lambda text: None)
    assert new is not None and new.origin == "recombined" and len(new.parent_ids) == 2
    sentences = [s for seed in SEEDS for s in seed.split(". ")]
    assert any(part.rstrip(".") in new.text for part in sentences)


def test_the_pool_survives_a_save_and_restore():
    pool = InstructionPool(SEEDS, size=3)
    pool.record(next(iter(pool.items)), True)
    again = InstructionPool(("other",), size=3)
    again.restore(pool.state())
    assert again.state() == pool.state()


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            "<instruction>Use the remaining capacity more cleverly.</instruction>",
            "Use the remaining capacity more cleverly.",
        ),
        (
            "Sure! <instruction>\n  Prefer   tight fits.  \n</instruction> Hope this helps",
            "Prefer tight fits.",
        ),
        ("<instruction>x</instruction>", None),  # too short to be an instruction
        ("", None),
    ],
)
def test_parse_instruction(reply, expected):
    assert parse_instruction(reply) == expected


def test_meta_prompt_lists_untried_instructions():
    pool = InstructionPool(SEEDS, size=3)
    assert meta_prompt(pool.active).count("not tried yet") == 3
