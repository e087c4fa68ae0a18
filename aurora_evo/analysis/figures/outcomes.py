"""How the sandbox judged the candidates, over the iterations."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from aurora_evo.analysis.figures.drawing import (
    iteration_bins,
    iteration_ticks,
    mark_no_data,
    new_figure,
    outcome_colours,
)
from aurora_evo.analysis.frames import RunData


def _stacked_bars(ax: Axes, counts: pd.DataFrame, width: int) -> None:
    """``counts``: one row per bin (index: its first iteration), one column per outcome."""
    colours = outcome_colours(list(counts.columns))
    bottom = np.zeros(len(counts))
    for name in counts.columns:
        ax.bar(counts.index + (width - 1) / 2, counts[name], width=0.85 * width, bottom=bottom,
               color=colours[name], label=name)  # fmt: skip
        bottom += counts[name].to_numpy()


def fig_outcomes(run: RunData) -> Figure:
    """How the sandbox judged the candidates: stacked bars of outcome counts (``ok``, ``timeout``,
    ``syntax_error``...) over iterations, grouped into bins when there are many iterations."""
    fig = new_figure()
    ax = fig.add_subplot()
    title = "Sandbox outcomes of the candidates"
    outcomes = run.outcomes()
    names = [c for c in outcomes.columns if c != "iteration"]
    if outcomes.empty or not names or outcomes[names].to_numpy().sum() == 0:
        mark_no_data(ax, title)
        return fig
    names.sort(key=lambda n: (n != "ok", -outcomes[n].sum(), n))
    start, width = iteration_bins(outcomes.iteration.to_numpy())
    counts = outcomes[names].groupby(start).sum()
    _stacked_bars(ax, counts, width)
    ax.set_ylim(0, counts.sum(axis=1).max() * 1.08)
    ax.xaxis.set_major_locator(iteration_ticks())
    totals = outcomes[names].sum()
    # llm.* counts are answers that never reached the sandbox (no code, a diff that did not apply).
    judged = totals[[n for n in names if not n.startswith("llm.")]].sum()
    share = totals.get("ok", 0) / judged if judged else 0.0
    ax.set_title(f"{title}: {int(judged)} evaluated, {share:.0%} ok")
    ax.set_xlabel("iteration" if width == 1 else f"iteration (bars of {width} iterations)")
    ax.set_ylabel("candidates (count)" if width == 1 else f"candidates per {width} iterations (count)")
    ax.grid(axis="y", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    labels = [f"{name} ({int(totals[name])})" for name in labels]
    ax.legend(handles, labels, title="outcome (total)", fontsize=8, loc="upper left",
              bbox_to_anchor=(1.01, 1.0), frameon=False)  # fmt: skip
    return fig
