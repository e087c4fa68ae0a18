"""The language model's tokens, cost and call outcomes."""

from __future__ import annotations

import pytest
from drawn import legend_texts, texts

from aurora_evo.analysis import load_run
from aurora_evo.analysis.figures.llm import fig_llm


def test_llm_figure_from_the_archived_calls(llm_run):
    with load_run(llm_run) as run:
        fig = fig_llm(run)
    tokens, outcomes, cost = fig.axes  # the twin axis comes last
    assert tokens.get_title() == "LLM tokens and cumulative cost: 30 calls sent, $0.03 spent"
    assert (tokens.get_xlabel(), tokens.get_ylabel()) == ("iteration", "tokens per iteration")
    assert cost.get_ylabel() == "cumulative cost (US dollars)"
    assert legend_texts(tokens) == ["prompt tokens", "completion tokens", "cumulative cost"]
    assert cost.lines[0].get_ydata()[-1] == pytest.approx(0.03)
    assert outcomes.get_title() == "LLM call outcomes"
    assert [t.get_text() for t in outcomes.get_yticklabels()] == ["no_code", "budget", "ok"]  # upwards


def test_a_run_without_llm_calls_says_so(empty_run):
    with load_run(empty_run) as run:
        assert "no LLM calls in this run" in texts(fig_llm(run))
