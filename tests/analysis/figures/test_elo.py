"""The Elo figure and where the run's winner stands in the ratings."""

from __future__ import annotations

import re
import shutil

from drawn import legend_texts, texts

from aurora_evo.analysis import load_run
from aurora_evo.analysis.figures.drawing import NO_DATA
from aurora_evo.analysis.figures.elo import EloStanding, elo_standing, fig_elo
from aurora_evo.analysis.report import write_report


def _elo_lines(ax) -> list:
    """The trajectories of the Elo figure (drawn with ``step``), without the band's median."""
    return [line for line in ax.lines if line.get_drawstyle() == "steps-post" and line.get_linestyle() == "-"]


def test_the_top_programs_by_current_rating_over_a_band_of_all(small_run):
    with load_run(small_run) as run:
        fig = fig_elo(run)
        top = run.ratings().program_id.head(5)
    ax = fig.axes[0]
    assert ax.get_title() == "Elo ratings: the top 5 programs by current rating, and the run's winner"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("iteration", "Elo rating")
    legend = legend_texts(ax)
    ids = [text.split()[1][:8] for text in legend if text.startswith(("#", "winner, "))]
    assert ids[:5] == [pid[:8] for pid in top]
    assert legend[-3].startswith("middle 80 % of the ")


def test_elo_figure_marks_the_winner_in_its_own_colour_among_distinct_ones(small_run):
    with load_run(small_run) as run:
        standing = elo_standing(run)
        fig = fig_elo(run)
    ax = fig.axes[0]
    legend = legend_texts(ax)
    winner = [text for text in legend if text.startswith("winner, ")]
    assert len(winner) == 1 and winner[0].split()[1] == standing.winner[:8]
    assert all(re.search(r": \d+ \(\d+ matches, score ", text) for text in legend[:5])  # rating, matches
    colours = [tuple(line.get_color()) if not isinstance(line.get_color(), str) else line.get_color()
               for line in _elo_lines(ax)]  # fmt: skip
    assert len(colours) == len(set(colours)) == (5 if standing.in_top else 6)
    assert "black" in colours  # the winner
    assert any(line.get_marker() == "*" for line in ax.lines)
    assert standing.explanation() in " ".join(" ".join(texts(fig)).split())


def test_elo_figure_says_why_the_winner_is_not_among_the_top(small_run, tmp_path):
    run_dir = tmp_path / "small"
    shutil.copytree(small_run, run_dir)
    with load_run(run_dir) as run:
        winner = run.winner()
        run.archive.elites.set_rating(winner, 1000.0, 3, 20)  # far below every other program
        standing = elo_standing(run)
        assert not standing.in_top and standing.rank == standing.rated
        fig = fig_elo(run)
        written = write_report(run_dir, tmp_path / "report")
    note = " ".join(" ".join(texts(fig)).split())
    assert f"is rated #{standing.rank} of {standing.rated} (1000, 3 matches)" in note
    assert "Elo counts wins in pairwise matches on one case at a time" in note
    assert "chosen by its score on the held-out cases alone" in note  # bin packing: many validation instances
    assert len(_elo_lines(fig.axes[0])) == 6  # the top five and the winner
    assert f"- Elo: {standing.explanation()}" in written[-1].read_text()


def test_elo_standing_of_a_winner_in_the_top_needs_no_excuse():
    standing = EloStanding("abcdef0123", 2, 40, 1612.4, 30, 28.0, 5)
    assert standing.in_top
    assert (
        standing.explanation()
        == "The run's winner abcdef01 (the program export ships first) is rated #2 of 40 (1612, 30 matches)."
    )
    assert "no Elo rating" in EloStanding("abcdef0123", None, 40, float("nan"), 0, 28.0, 5).explanation()


def test_a_run_with_nothing_evaluated_says_so(empty_run):
    with load_run(empty_run) as run:
        assert NO_DATA in texts(fig_elo(run))
