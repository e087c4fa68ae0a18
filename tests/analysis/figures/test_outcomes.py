"""How the sandbox judged the candidates."""

from __future__ import annotations

from drawn import legend_texts, texts

from aurora_evo.analysis import load_run
from aurora_evo.analysis.figures.drawing import NO_DATA
from aurora_evo.analysis.figures.outcomes import fig_outcomes


def test_stacked_outcome_counts_with_ok_first(small_run):
    with load_run(small_run) as run:
        ax = fig_outcomes(run).axes[0]
    assert ax.get_title().startswith("Sandbox outcomes of the candidates: ")
    assert ax.get_xlabel() == "iteration" and ax.get_ylabel() == "candidates (count)"
    assert legend_texts(ax)[0].startswith("ok (")


def test_a_run_with_nothing_evaluated_says_so(empty_run):
    with load_run(empty_run) as run:
        assert NO_DATA in texts(fig_outcomes(run))
