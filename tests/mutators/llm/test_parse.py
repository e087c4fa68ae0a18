"""Parsing model answers: fences, unfenced code, versions, diffs, thinking, reasoning, and robustness."""

from __future__ import annotations

import ast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aurora_evo.contracts import Contract
from aurora_evo.mutators.edits import seed_sources
from aurora_evo.mutators.llm.parse import REASONING_CHARS, ParseStatus, parse_response
from aurora_evo.mutators.llm.prompts import PromptMode

BEST_FIT = seed_sources(Contract.BINPACKING)["Best Fit"]
PARENT = '''"""A parent with helpers."""

import numpy as np

SCALE = 2.0


def gap(item, bins):
    return bins - item


def priority(item, bins):
    # tighter is better
    score = -gap(item, bins) * SCALE
    return score
'''
PROGRAM = "import numpy as np\n\n\ndef priority(item, bins):\n    return -(bins - item) ** 2\n"


def parse(text, mode=PromptMode.REWRITE, parent=BEST_FIT, **kwargs):
    return parse_response(text, mode, parent, **kwargs)


def ok(parsed):
    assert parsed.status is ParseStatus.OK, parsed.detail
    assert parsed.detail == ""
    tree = ast.parse(parsed.source)
    assert any(isinstance(n, ast.FunctionDef) and n.name == "priority" for n in tree.body)
    return parsed.source


# --- code blocks -----------------------------------------------------------------------------------


def test_fenced_full_program():
    parsed = parse(f"Square the gap so near-misses count less.\n\n```python\n{PROGRAM}```\n")
    assert ok(parsed) == PROGRAM
    assert parsed.reasoning == "Square the gap so near-misses count less."


@pytest.mark.parametrize("opening", ["```py", "```", "```Python", "~~~python", "```python3"])
def test_fence_languages(opening):
    closing = opening[:3]
    assert ok(parse(f"Idea.\n{opening}\n{PROGRAM}{closing}\n")) == PROGRAM


def test_other_languages_are_not_code():
    parsed = parse("Run it like this:\n```bash\npython run.py\n```\n")
    assert parsed.status is ParseStatus.NO_CODE and parsed.source is None
    assert "no code in the answer" in parsed.detail


def test_unfenced_whole_answer():
    assert ok(parse(PROGRAM)) == PROGRAM


def test_unfenced_code_after_and_before_prose():
    text = f"I square the gap.\nIt helps small items.\n\n{PROGRAM}\nThis should beat best fit.\n"
    parsed = parse(text)
    assert ok(parsed) == PROGRAM
    assert parsed.reasoning == "I square the gap.\nIt helps small items.\n\nThis should beat best fit."


def test_text_around_several_fences_picks_the_block_defining_priority():
    text = (
        "First the constant:\n```python\nSCALE = 3.0\n```\nThen the function:\n```python\n"
        "def priority(item, bins):\n    return -(bins - item) * SCALE\n```\nUsage:\n```python\nprint(1)\n```\n"
    )
    parsed = parse(text, parent=None)
    source = ok(parsed)
    assert source.startswith("SCALE = 3.0\n") and "print" not in source
    assert parsed.reasoning == "First the constant:\nThen the function:\nUsage:"


def test_the_last_of_several_complete_programs_wins():
    old = "def priority(item, bins):\n    return -bins\n"
    text = f"Before:\n```python\n{old}```\nAfter:\n```python\n{PROGRAM}```\n"
    assert ok(parse(text)) == PROGRAM


def test_truncated_fence_is_read_to_the_end():
    assert ok(parse(f"Idea.\n```python\n{PROGRAM}")) == PROGRAM
    parsed = parse(
        "Idea.\n```python\nimport numpy as np\n\ndef priority(item, bins):\n    return np.maximum(bins,"
    )
    assert parsed.status is ParseStatus.NO_CODE
    assert parsed.detail.startswith("the code does not parse (the answer was cut off): line 4")


def test_broken_code():
    parsed = parse("Idea.\n```python\ndef priority(item, bins):\n    return -bins +\n```\n")
    assert parsed.status is ParseStatus.NO_CODE and parsed.source is None
    assert parsed.detail == "the code does not parse: line 2: invalid syntax"
    assert parsed.reasoning == "Idea."


def test_code_without_priority():
    parsed = parse("```python\ndef other(item, bins):\n    return bins\n```")
    assert parsed.status is ParseStatus.NO_CODE
    assert parsed.detail == "no code block defines priority() (1 Python block(s) in the answer)"


def test_empty_and_prose_only_answers():
    for text in ("", "   \n\n", None):
        parsed = parse(text)
        assert parsed.status is ParseStatus.NO_CODE and parsed.detail == "the answer is empty"
    parsed = parse("I could not think of an improvement.")
    assert parsed.status is ParseStatus.NO_CODE
    assert parsed.reasoning == "I could not think of an improvement."


def test_indented_fence_in_a_list_is_dedented():
    text = "1. The idea.\n2. The code:\n\n    ```python\n    def priority(item, bins):\n        return -bins\n    ```\n"
    assert ok(parse(text, parent=None)) == "def priority(item, bins):\n    return -bins\n"


# --- versions (BEST_SHOT) --------------------------------------------------------------------------


def test_versioned_function_is_renamed_with_its_recursive_references():
    text = "```python\ndef priority_v3(item, bins):\n    return -bins if item > 0 else priority_v3(1.0, bins)\n```"
    source = ok(parse(text, PromptMode.BEST_SHOT, None, version=3))
    assert source == "def priority(item, bins):\n    return -bins if item > 0 else priority(1.0, bins)\n"


def test_requested_version_else_highest_and_unused_versions_dropped():
    text = (
        "```python\ndef priority_v1(item, bins):\n    return -bins\n\n\n"
        "def priority_v2(item, bins):\n    return bins\n\n\ndef priority_v4(item, bins):\n    return 2 * bins\n```"
    )
    assert (
        ok(parse(text, PromptMode.BEST_SHOT, None, version=2))
        == "def priority(item, bins):\n    return bins\n"
    )
    assert (
        ok(parse(text, PromptMode.BEST_SHOT, None, version=9))
        == "def priority(item, bins):\n    return 2 * bins\n"
    )


def test_a_version_the_new_one_calls_is_kept():
    text = "```python\ndef priority_v1(item, bins):\n    return -bins\n\n\ndef priority_v2(item, bins):\n    return priority_v1(item, bins) * 2\n```"
    source = ok(parse(text, PromptMode.BEST_SHOT, None, version=2))
    assert "def priority_v1(item, bins)" in source and "return priority_v1(item, bins) * 2" in source


def test_function_only_gets_numpy_import_and_missing_helpers_from_the_parent():
    text = "Scale more.\n```python\ndef priority_v2(item, bins):\n    return np.sqrt(bins) - gap(item, bins) * SCALE\n```"
    source = ok(parse(text, PromptMode.BEST_SHOT, PARENT, version=2))
    assert source == (
        "import numpy as np\n\nSCALE = 2.0\n\n\ndef gap(item, bins):\n    return bins - item\n\n\n"
        "def priority(item, bins):\n    return np.sqrt(bins) - gap(item, bins) * SCALE\n"
    )


def test_body_continuation_is_wrapped_with_the_parents_parameters():
    text = "    scores = -(bins - item)\n    return scores\n\n\ndef priority_v3(item, bins):\n    pass\n"
    source = ok(parse(text, PromptMode.BEST_SHOT, PARENT, version=2))
    assert source == "def priority(item, bins):\n    scores = -(bins - item)\n    return scores\n"
    fenced = "Idea.\n```python\n    return -nodes[:, N_PLACED]\n```"
    assert ok(parse(fenced, PromptMode.BEST_SHOT, None, version=1)) == (
        "def priority(task, nodes):\n    return -nodes[:, N_PLACED]\n"
    )


def test_math_import_is_added_when_used():
    source = ok(parse("```python\ndef priority(item, bins):\n    return bins * math.pi\n```", parent=None))
    assert source.startswith("import math\n\n\ndef priority")


# --- diffs -----------------------------------------------------------------------------------------


def block(search, replace):
    return f"<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n"


def test_diff_applied():
    text = "Penalise empty bins.\n\n" + block(
        "    return -(bins - item)",
        "    is_empty = bins == np.max(bins)\n    return -(bins - item) - 5.0 * is_empty",
    )
    parsed = parse(text, PromptMode.DIFF)
    source = ok(parsed)
    assert source.startswith("import numpy as np\n\n\ndef priority(item, bins):\n")
    assert source.endswith(
        "    is_empty = bins == np.max(bins)\n    return -(bins - item) - 5.0 * is_empty\n"
    )
    assert parsed.reasoning == "Penalise empty bins."


def test_several_diff_blocks_in_a_fence_apply_in_order():
    text = (
        "Two edits.\n```diff\n"
        + block("SCALE = 2.0", "SCALE = 2.5")
        + block("    return score", "    return score + 0.1")
        + "```\nDone."
    )
    parsed = parse(text, PromptMode.DIFF, PARENT)
    source = ok(parsed)
    assert "SCALE = 2.5\n" in source and "    return score + 0.1\n" in source
    assert parsed.reasoning == "Two edits.\nDone."


def test_diff_with_whitespace_differences():
    # trailing spaces, and the whole block indented by two instead of four
    text = block(
        "  score = -gap(item, bins) * SCALE   \n  return score",
        "  score = -gap(item, bins) * SCALE\n  if item > 50:\n      score = score * 2\n  return score",
    )
    source = ok(parse(text, PromptMode.DIFF, PARENT))
    assert (
        "    score = -gap(item, bins) * SCALE\n    if item > 50:\n        score = score * 2\n    return score\n"
        in source
    )


def test_diff_not_applicable():
    text = "Idea.\n" + block("SCALE = 2.0", "SCALE = 3.0") + block("    return bins * 7", "    return bins")
    parsed = parse(text, PromptMode.DIFF, PARENT)
    assert parsed.status is ParseStatus.DIFF_NOT_APPLIED and parsed.source is None
    assert parsed.detail == 'diff block 2: SEARCH text not found in the parent (it starts "return bins * 7")'
    assert parsed.reasoning == "Idea."


def test_diff_without_parent():
    parsed = parse(block("a", "b"), PromptMode.DIFF, None)
    assert parsed.status is ParseStatus.NO_CODE
    assert "no parent program" in parsed.detail


def test_unclosed_diff_block_is_refused():
    parsed = parse(
        block("SCALE = 2.0", "SCALE = 3.0") + "<<<<<<< SEARCH\n    return score\n=======\n",
        PromptMode.DIFF,
        PARENT,
    )
    assert parsed.status is ParseStatus.NO_CODE
    assert parsed.detail.startswith("diff block 2 is not closed")


def test_diff_that_breaks_the_program():
    parsed = parse(block("    return score", "    return score +"), PromptMode.DIFF, PARENT)
    assert parsed.status is ParseStatus.NO_CODE
    assert parsed.detail.startswith("the program after the diff does not parse: line 15")


# --- thinking and reasoning ------------------------------------------------------------------------


def test_think_sections_are_removed():
    decoy = "```python\ndef priority(item, bins):\n    return bins\n```"
    text = f"<think>\nMaybe worst fit?\n{decoy}\n</think>\nBest fit squared.\n```python\n{PROGRAM}```"
    parsed = parse(text)
    assert ok(parsed) == PROGRAM and parsed.reasoning == "Best fit squared."
    # a server that drops the opening tag, and an answer cut off while thinking
    assert parse(f"thinking...\n</think>\nIdea.\n```python\n{PROGRAM}```").reasoning == "Idea."
    parsed = parse("<think>\nstill thinking")
    assert parsed.status is ParseStatus.NO_CODE and parsed.detail == "the answer holds only thinking"


def test_reasoning_is_whitespace_normalised_and_capped():
    parsed = parse(f"  An   idea\twith   spaces.  \n\n\n\nSecond   paragraph.\n```python\n{PROGRAM}```")
    assert parsed.reasoning == "An idea with spaces.\n\nSecond paragraph."
    long = parse("word " * 1000 + f"\n```python\n{PROGRAM}```").reasoning
    assert len(long) == REASONING_CHARS and long.endswith("...")


def test_crlf_answers():
    parsed = parse(f"Idea.\r\n```python\r\n{PROGRAM.replace(chr(10), chr(13) + chr(10))}```\r\n")
    assert ok(parsed) == PROGRAM


# --- never raises ----------------------------------------------------------------------------------

FRAGMENTS = [
    "```python\n", "```\n", "```py", "~~~\n", "<<<<<<< SEARCH\n", "=======\n", ">>>>>>> REPLACE\n",
    "<think>", "</think>", "def priority(item, bins):\n", "def priority_v2(item, bins):\n",
    "    return -bins\n", "    return", "import numpy as np\n", "from math import *\n", "    ", "\n",
    "np.", "math.", "SCALE", " = 2.0\n", "(", ")", "'''", '"', "\x00", "\t", "é", "priority_v1(", "@njit\n",
    "class A:\n", "global x\n", "lambda: 0\n", "[x for x in y]\n",
]  # fmt: skip

answers = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=40).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(
    text=answers,
    mode=st.sampled_from(list(PromptMode)),
    parent=st.one_of(
        st.none(), st.sampled_from([BEST_FIT, PARENT, "", "def priority(:"]), st.text(max_size=80)
    ),
    version=st.one_of(st.none(), st.integers(-2, 5)),
)
def test_parse_response_never_raises(text, mode, parent, version):
    parsed = parse_response(text, mode, parent, version=version)
    assert isinstance(parsed.status, ParseStatus)
    assert len(parsed.reasoning) <= REASONING_CHARS
    assert "\n" not in parsed.detail
    if parsed.status is ParseStatus.OK:
        ok(parsed)
    else:
        assert parsed.source is None and parsed.detail
