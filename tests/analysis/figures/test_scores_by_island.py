"""The score of each island over the iterations."""

from __future__ import annotations

from drawn import legend_texts, texts

from aurora_evo.analysis import load_run
from aurora_evo.analysis.figures.drawing import NO_DATA
from aurora_evo.analysis.figures.scores_by_island import fig_scores_by_island


def test_one_best_and_one_median_line_per_island_and_the_resets(small_run):
    with load_run(small_run) as run:
        fig = fig_scores_by_island(run)
        ax = fig.axes[0]
        assert ax.get_title() == "Score of each island over the iterations"
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("iteration", run.score_label)
    legend = legend_texts(ax)
    assert {"island 0", "island 1", "island 2", "best (solid)", "median (dashed)"} <= set(legend)
    assert "island reset" in legend  # resets every 5 iterations
    assert len(ax.lines) >= 2 * 3


def test_a_run_with_nothing_evaluated_says_so(empty_run):
    with load_run(empty_run) as run:
        assert NO_DATA in texts(fig_scores_by_island(run))
