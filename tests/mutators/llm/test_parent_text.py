"""How the prompts show a parent's evaluation."""

from __future__ import annotations

from aurora_evo.mutators.llm.parent_text import format_metrics, format_score


def test_formatting_helpers():
    assert format_score(-3.98123) == "-3.9812"
    assert format_score(None) == "none (not evaluated)"
    assert format_metrics({"b": 1 / 3, "a": 12345.678, "c": float("nan")}) == "a=1.235e+04, b=0.3333, c=nan"
    assert format_metrics({}) == ""
