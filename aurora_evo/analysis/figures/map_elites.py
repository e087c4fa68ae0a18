"""The MAP-Elites grid, and the descriptors that hardly vary over a run's programs."""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from aurora_evo.analysis.figures.drawing import NO_DATA, mark_no_data, new_figure
from aurora_evo.analysis.frames import RunData
from aurora_evo.archive.map_elites import default_descriptors

#: An axis whose programs all fall in this many bins or fewer (of at least twice as many) is called flat.
FLAT_AXIS_BINS = 2

#: Why a built-in descriptor may hardly vary, for the MAP-Elites figure.
_FLAT_WHY = {
    "specialisation": "it measures how much the per-case scores differ, which the cases' own difficulty "
    "sets alike for every program; the descriptor nonlinearity spreads programs instead",
}


def _axes_of(run: RunData):
    """The run's descriptor axes (:class:`~aurora_evo.archive.map_elites.Descriptor`), or ``None`` when
    one is not a built-in descriptor any more."""
    try:
        return default_descriptors(list(run.config.archive.descriptors), list(run.config.archive.bins))
    except (KeyError, ValueError):
        return None


def flat_axes(run: RunData) -> list[str]:
    """One sentence per descriptor whose values, over every program that ran, fill at most
    :data:`FLAT_AXIS_BINS` of its bins (an axis that cannot spread programs), saying what they span."""
    axes = _axes_of(run)
    values = run.descriptors()
    if axes is None or values.empty:
        return []
    out = []
    for axis in axes:
        column = values[axis.name].dropna()
        if column.empty or axis.bins < 2 * FLAT_AXIS_BINS:
            continue
        filled = sorted({axis.bin_of(float(v)) for v in column})
        if len(filled) > FLAT_AXIS_BINS:
            continue
        where = f"bin {filled[0]}" if len(filled) == 1 else f"bins {filled[0]}-{filled[-1]}"
        scale = ", log" if axis.log else ""
        sentence = (
            f"{axis.name} hardly varies: the {len(column)} programs span {column.min():.3g} to "
            f"{column.max():.3g}, {where} of {axis.bins} (axis {axis.low:g} to {axis.high:g}{scale})"
        )
        why = _FLAT_WHY.get(axis.name)
        out.append(sentence + (f"; {why}." if why else "."))
    return out


def _edge_labels(axis) -> list[str]:
    return [f"{edge:.0f}" if abs(edge) >= 10 else f"{edge:.2g}" for edge in axis.edges()]


def _label_axis(ax: Axes, which: str, name: str, bins: int, axis) -> None:
    """Ticks at the bin boundaries, labelled with the descriptor's values there when it is known."""
    set_ticks = ax.set_xticks if which == "x" else ax.set_yticks
    set_label = ax.set_xlabel if which == "x" else ax.set_ylabel
    edges = np.arange(-0.5, bins)
    if axis is None:
        set_ticks(range(bins))
        set_label(f"{name} (bin)")
        return
    set_ticks(edges, _edge_labels(axis), fontsize=7)
    unit = f"{axis.unit}, " if axis.unit else ""
    set_label(f"{name} ({unit}{'log ' if axis.log else ''}bins)")


def fig_map_elites(run: RunData) -> Figure:
    """The MAP-Elites grid: each cell coloured by its elite's score over the first two descriptors'
    bins (a one-row grid for one descriptor; further descriptors are folded, keeping the best);
    empty cells are blank. Ticks mark the bin boundaries in the descriptors' units (values beyond the
    axis go to its end bins); a note below says when a descriptor hardly varies over the run's programs
    (see :func:`flat_axes`)."""
    names = list(run.config.archive.descriptors)
    bins = [int(b) for b in run.config.archive.bins]
    cells = run.cells()
    total = int(np.prod(bins)) if bins else 0
    filled = len(cells)
    fig = new_figure(8.5, 7.5 if len(names) > 1 else 3.5)
    if not names:
        ax = fig.add_subplot()
        mark_no_data(ax, "MAP-Elites", "no descriptors configured")
        return fig
    flat = flat_axes(run)
    grid_spec = fig.add_gridspec(2, 1, height_ratios=[9, 1.2 if flat else 0.01])
    ax = fig.add_subplot(grid_spec[0])
    note_ax = fig.add_subplot(grid_spec[1])
    note_ax.axis("off")
    if flat:
        text = "\n".join(textwrap.fill(line, 110) for line in flat)
        note_ax.text(0.0, 1.0, text, va="top", ha="left", fontsize=8.5, transform=note_ax.transAxes)
    title = f"MAP-Elites: {filled} of {total} cells filled ({filled / total:.0%})"
    axes = _axes_of(run) or [None] * len(names)
    x_name, x_bins = names[0], bins[0]
    y_name, y_bins = (names[1], bins[1]) if len(names) > 1 else (None, 1)
    grid = np.full((y_bins, x_bins), np.nan)
    for row in cells.itertuples(index=False):
        x, y = int(getattr(row, x_name)), int(getattr(row, y_name)) if y_name else 0
        if np.isnan(grid[y, x]) or row.score > grid[y, x]:
            grid[y, x] = row.score
    ax.set_title(title)
    _label_axis(ax, "x", x_name, x_bins, axes[0])
    if y_name:
        _label_axis(ax, "y", y_name, y_bins, axes[1])
    else:
        ax.set_yticks([])
    ax.grid(color="0.85", linewidth=0.8)
    ax.tick_params(length=2)
    ax.set_xlim(-0.5, x_bins - 0.5)
    ax.set_ylim(-0.5, y_bins - 0.5)
    if cells.empty:
        ax.text(0.5, 0.5, NO_DATA, ha="center", va="center", fontsize=14, color="0.4", transform=ax.transAxes)
        return fig
    image = ax.imshow(np.ma.masked_invalid(grid), origin="lower", cmap="viridis", aspect="auto",
                      interpolation="nearest")  # fmt: skip
    fig.colorbar(image, ax=ax, label=f"elite's {run.score_label}", shrink=0.9)
    if x_bins * y_bins <= 150:
        norm = Normalize(np.nanmin(grid), np.nanmax(grid))
        for (y, x), score in np.ndenumerate(grid):
            if not np.isnan(score):
                colour = "black" if norm(score) > 0.6 else "white"
                ax.text(x, y, f"{score:.3g}", ha="center", va="center", fontsize=7, color=colour)
    return fig
