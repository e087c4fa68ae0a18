"""SEARCH/REPLACE blocks: found in an answer, applied to whole lines of the parent, first match only."""

from __future__ import annotations

import pytest

from aurora_evo.mutators.llm.diff import DiffError, apply_diff, diff_blocks


def block(search, replace):
    return f"<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n"


def test_diff_blocks_and_apply_diff():
    text = "x\n" + block("a = 1", "a = 2") + "y\n" + block("b = 1\n", "")
    assert diff_blocks(text) == [("a = 1", "a = 2"), ("b = 1\n", "")]
    assert apply_diff("a = 1\nb = 1\nc = 1\n", diff_blocks(text)) == "a = 2\nc = 1\n"
    assert diff_blocks("<<<<<<< SEARCH\na\n=======\nb\n") == []  # left open
    with pytest.raises(DiffError, match="diff block 1: the SEARCH text is empty"):
        apply_diff("a = 1\n", [("\n", "b = 2")])
    with pytest.raises(DiffError, match="diff block 1: SEARCH text not found"):
        apply_diff("a = 1\n", [("a = 1 + 1", "")])
    # whole lines only, first occurrence only
    assert apply_diff("xa = 1\na = 1\na = 1\n", [("a = 1", "a = 3")]) == "xa = 1\na = 3\na = 1\n"
