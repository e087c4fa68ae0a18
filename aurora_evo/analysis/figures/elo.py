"""Where programs stand in the Elo ratings: the winner's standing, and the ratings over the iterations."""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from aurora_evo.analysis.figures.drawing import (
    iteration_ticks,
    mark_no_data,
    new_figure,
    score_text,
    short_id,
)
from aurora_evo.analysis.frames import RunData

#: Programs drawn in the Elo figure.
ELO_TOP = 5


@dataclass(frozen=True)
class EloStanding:
    """Where the run's winner stands in the Elo ratings.

    Attributes:
        winner: its program id (the program ``export`` ships first), or ``None`` before any ran.
        rank: its place by current rating (1 is the best), or ``None`` when it has no rating.
        rated: how many programs have a rating.
        rating: its rating, or NaN.
        matches: the matches it played (0 when unrated).
        top_matches: the mean number of matches played by the ``top`` best rated.
        top: how many programs count as the top.
        opponents: the rated programs each new program plays (``archive.elo_opponents``).
        chosen_by: how the winner was chosen (:meth:`RunData.winner_chosen_by`).
    """

    winner: str | None
    rank: int | None
    rated: int
    rating: float
    matches: int
    top_matches: float
    top: int
    opponents: int = 3
    chosen_by: str = "its score on the held-out cases alone"

    @property
    def in_top(self) -> bool:
        return self.rank is not None and self.rank <= self.top

    def explanation(self) -> str:
        """One or two sentences for people: where the winner stands and, when outside the top, why."""
        if self.winner is None:
            return "No program has run yet."
        who = f"The run's winner {short_id(self.winner)} (the program export ships first)"
        if self.rank is None:
            return f"{who} has no Elo rating: it has played no match yet."
        where = f"{who} is rated #{self.rank} of {self.rated} ({self.rating:.0f}, {self.matches} matches)."
        if self.in_top:
            return where
        return (
            f"{where} Elo counts wins in pairwise matches on one case at a time, not by how much, and each "
            f"new program plays {self.opponents} rated programs drawn at random: programs made early, drawn "
            f"by many later ones, play more (the top {self.top}: {self.top_matches:.0f} matches on average) "
            f"and a winner made late has had few chances to climb. The winner is chosen by {self.chosen_by}, "
            "so the two rankings differ."
        )


def elo_standing(run: RunData, top: int = ELO_TOP) -> EloStanding:
    """Where the run's winner stands among the ``top`` best rated programs (see :class:`EloStanding`)."""
    ratings = run.ratings()
    winner = run.winner()
    top_matches = float(ratings.matches.head(top).mean()) if not ratings.empty else 0.0
    opponents = int(run.config.archive.elo_opponents)
    chosen_by = run.winner_chosen_by()
    ranked = ratings.index[ratings.program_id == winner]
    if winner is None or ranked.empty:
        return EloStanding(winner, None, len(ratings), math.nan, 0, top_matches, top, opponents, chosen_by)
    row = ratings.loc[ranked[0]]
    rank = int(ranked[0]) + 1
    return EloStanding(
        winner,
        rank,
        len(ratings),
        float(row.rating),
        int(row.matches),
        top_matches,
        top,
        opponents,
        chosen_by,
    )


def _rating_band(last: pd.DataFrame, low: float = 10.0, high: float = 90.0) -> pd.DataFrame:
    """``iteration``, ``low``, ``median``, ``high``: percentiles of the ratings of every program rated
    by then (each keeps its last rating until it changes), per iteration."""
    table = last.pivot(index="iteration", columns="program_id", values="rating").sort_index().ffill()
    values = table.to_numpy()
    return pd.DataFrame(
        {
            "iteration": table.index.to_numpy(),
            "low": np.nanpercentile(values, low, axis=1),
            "median": np.nanpercentile(values, 50.0, axis=1),
            "high": np.nanpercentile(values, high, axis=1),
        }
    )


def _program_label(program_id: str, programs: pd.DataFrame, ratings: pd.DataFrame) -> str:
    rating = ratings.loc[program_id]
    score = programs.score.get(program_id, np.nan)
    return (
        f"{short_id(program_id)} {programs.mutator.get(program_id, '?')}: {rating.rating:.0f} "
        f"({int(rating.matches)} matches, score {score_text(score)})"
    )


def fig_elo(run: RunData, top: int = ELO_TOP) -> Figure:
    """Elo rating over the iterations of the ``top`` programs by current rating (one colour each) and
    of the run's winner (black, a star at its current rating; the program ``export`` ships first),
    over a grey band holding the middle 80 % of the ratings of every program rated by then (dashed:
    their median). The legend gives each program's id, mutator, current rating, matches played and
    training score; the note below says where the winner stands, and why when it is not in the top."""
    fig = new_figure(11.0, 6.0)
    grid = fig.add_gridspec(2, 1, height_ratios=[7, 1])
    ax = fig.add_subplot(grid[0])
    note_ax = fig.add_subplot(grid[1])
    note_ax.axis("off")
    title = f"Elo ratings: the top {top} programs by current rating, and the run's winner"
    history, ratings = run.elo_history(), run.ratings()
    if history.empty or ratings.empty:
        mark_no_data(ax, title)
        return fig
    # Several matches per iteration: keep the rating at the end of each iteration.
    last = history.groupby(["program_id", "iteration"], sort=False).rating.last().reset_index()
    band = _rating_band(last)
    ax.fill_between(band.iteration, band.low, band.high, step="post", color="0.88", zorder=1)
    ax.step(band.iteration, band["median"], where="post", color="0.55", linestyle="--", linewidth=1.0,
            zorder=2)  # fmt: skip
    programs = run.programs().set_index("id")
    by_id = ratings.set_index("program_id")
    standing = elo_standing(run, top)
    best = list(ratings.program_id.head(top))
    drawn = best + ([standing.winner] if standing.rank is not None and not standing.in_top else [])
    colours = [c for c in (colormaps["tab10"](i) for i in range(10)) if c != colormaps["tab10"](7)]
    handles = []
    final = int(last.iteration.max())
    for i, program_id in enumerate(drawn):
        rows = last[last.program_id == program_id]
        # A rating holds until its next match: draw it on to the last iteration, where "now" is.
        rows = pd.concat([rows, rows.tail(1).assign(iteration=final)], ignore_index=True)
        winner = program_id == standing.winner
        colour = "black" if winner else colours[i % len(colours)]
        ax.step(rows.iteration, rows.rating, where="post", color=colour, linewidth=3.0 if winner else 2.0,
                zorder=4 if winner else 3)  # fmt: skip
        end = rows.iloc[-1]
        ax.plot([end.iteration], [end.rating], marker="*" if winner else "o", markersize=16 if winner else 6,
                color=colour, markeredgecolor="white" if winner else colour, zorder=5)  # fmt: skip
        label = ("winner, " if winner else f"#{i + 1} ") + _program_label(program_id, programs, by_id)
        style = {"color": colour, "linewidth": 3.0 if winner else 2.0, "marker": "*" if winner else "o"}
        handles.append(Line2D([], [], markersize=10 if winner else 5, label=label, **style))
    handles += [
        Patch(color="0.88", label=f"middle 80 % of the {len(ratings)} rated programs"),
        Line2D([], [], color="0.55", linestyle="--", linewidth=1.0, label="their median"),
        Line2D([], [], color="0.4", linestyle=":", linewidth=1.0, label="start rating (1500)"),
    ]
    ax.axhline(1500, color="0.4", linestyle=":", linewidth=1.0, zorder=1)
    ax.set_title(title)
    ax.set_xlabel("iteration")
    ax.xaxis.set_major_locator(iteration_ticks())
    ax.set_ylabel("Elo rating")
    ax.grid(alpha=0.3)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
              title="program mutator: rating now\n(matches, training score)", title_fontsize=8,
              alignment="left")  # fmt: skip
    note_ax.text(0.0, 1.0, "\n".join(textwrap.wrap(standing.explanation(), 150)), va="top", ha="left",
                 fontsize=8.5, transform=note_ax.transAxes)  # fmt: skip
    return fig
