"""The score of each island over the iterations."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from aurora_evo.analysis.figures.drawing import island_colours, iteration_ticks, mark_no_data, new_figure
from aurora_evo.analysis.frames import RunData


def fig_scores_by_island(run: RunData) -> Figure:
    """Best (solid) and median (dashed) score of each island's members over the iterations; dotted
    vertical lines mark island resets."""
    fig = new_figure()
    ax = fig.add_subplot()
    title = "Score of each island over the iterations"
    islands = run.islands()
    if islands.empty or islands.best_score.isna().all():
        mark_no_data(ax, title)
        return fig
    names = sorted(islands.island.unique())
    handles = []
    for i, (island, colour) in enumerate(zip(names, island_colours(len(names)), strict=True)):
        rows = islands[islands.island == island].sort_values("iteration")
        # Earlier islands drawn wider, so a line that coincides with a later one still shows at its edges.
        width = 1.5 + 2.5 * (len(names) - 1 - i) / max(1, len(names) - 1)
        ax.plot(rows.iteration, rows.best_score, color=colour, linewidth=width, solid_capstyle="butt")
        ax.plot(rows.iteration, rows.median_score, color=colour, linewidth=1.2, linestyle="--", alpha=0.8)
        handles.append(Line2D([], [], color=colour, linewidth=1.8, label=f"island {island}"))
    handles += [
        Line2D([], [], color="black", linewidth=1.8, label="best (solid)"),
        Line2D([], [], color="black", linewidth=1.2, linestyle="--", label="median (dashed)"),
    ]
    resets = sorted(set(run.events("reset").iteration))
    for iteration in resets:
        ax.axvline(iteration, color="0.5", linestyle=":", linewidth=1.0)
    if resets:
        handles.append(Line2D([], [], color="0.5", linestyle=":", linewidth=1.0, label="island reset"))
    # An island just reset holds one or two programs, whose median can be far below everything else:
    # the axis follows the best lines and the bulk of the medians, and the title says what it cut.
    best, medians = islands.best_score.dropna(), islands.median_score.dropna()
    low = min(best.min(), medians.quantile(0.05)) if not medians.empty else best.min()
    high = max(best.max(), medians.max()) if not medians.empty else best.max()
    pad = 0.05 * (high - low) if high > low else 0.5
    ax.set_ylim(low - pad, high + pad)
    cut = int((medians < low - pad).sum())
    if cut:
        title += f" ({cut} median points below the axis)"
    ax.set_title(title)
    ax.set_xlabel("iteration")
    ax.xaxis.set_major_locator(iteration_ticks())
    ax.set_ylabel(run.score_label)
    ax.grid(alpha=0.3)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig
