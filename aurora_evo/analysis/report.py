"""The figures and summary of ``aurora-evo report``: one PNG per question about a run, and a short
``report.md`` linking them.

Each figure is a public function ``fig_*(run) -> Figure`` taking a :class:`~aurora_evo.analysis.RunData`,
so notebooks and tests can use them one at a time; :func:`write_report` saves them all. Figures are built
on :class:`matplotlib.figure.Figure` directly (no pyplot, no global state); a run with nothing to show yet
gets a figure saying so instead of an error.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from aurora_evo.analysis.frames import RunData
from aurora_evo.errors import InputError

__all__ = [
    "FIGURES",
    "EloStanding",
    "elo_standing",
    "fig_attacker",
    "fig_elo",
    "fig_lineage",
    "fig_llm",
    "fig_map_elites",
    "fig_outcomes",
    "fig_scores_by_island",
    "flat_axes",
    "write_report",
]

#: Resolution of the saved pictures (dots per inch).
DPI = 110
#: The text drawn on a figure whose data the run does not hold yet.
NO_DATA = "no data yet"
#: Lineage trees up to this many programs get every node labelled; larger ones only the best and seeds.
LABEL_NODES_UP_TO = 40
#: Programs drawn in the Elo figure.
ELO_TOP = 5
#: At most this many bars in the outcome figures: iterations are grouped into bins beyond it.
MAX_BARS = 30

_OK_COLOUR = "tab:green"

_OTHER_COLOURS = ["tab:red", "tab:orange", "tab:purple", "tab:brown", "tab:pink", "tab:gray", "tab:olive",
                  "tab:cyan", "tab:blue", "gold", "black", "navy"]  # fmt: skip


def _short(program_id: object) -> str:
    return str(program_id)[:8]


def _figure(width: float = 9.0, height: float = 5.0) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _iteration_ticks() -> MaxNLocator:
    """Whole iterations, at round steps."""
    return MaxNLocator(integer=True, steps=[1, 2, 5, 10])


def _no_data(ax: Axes, title: str, why: str = NO_DATA) -> None:
    """Mark ``ax`` as empty: the title, and ``why`` in the middle."""
    ax.set_title(title)
    ax.text(0.5, 0.5, why, ha="center", va="center", fontsize=14, color="0.4", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _island_colours(n: int) -> list:
    if n <= 10:
        return [colormaps["tab10"](i) for i in range(n)]
    if n <= 20:
        return [colormaps["tab20"](i) for i in range(n)]
    return [colormaps["turbo"](i / max(1, n - 1)) for i in range(n)]


def _outcome_colours(names: list[str]) -> dict[str, object]:
    others = iter(_OTHER_COLOURS * (1 + len(names) // len(_OTHER_COLOURS)))
    return {name: _OK_COLOUR if name == "ok" else next(others) for name in names}


def _iteration_bins(iterations: np.ndarray) -> tuple[np.ndarray, int]:
    """The bin (its first iteration) of each iteration, and the bin width, so at most :data:`MAX_BARS`."""
    span = int(iterations.max()) + 1 if len(iterations) else 1
    width = max(1, math.ceil(span / MAX_BARS))
    return (iterations // width) * width, width


# --- 1. scores by island ------------------------------------------------------------------------------


def fig_scores_by_island(run: RunData) -> Figure:
    """Best (solid) and median (dashed) score of each island's members over the iterations; dotted
    vertical lines mark island resets."""
    fig = _figure()
    ax = fig.add_subplot()
    title = "Score of each island over the iterations"
    islands = run.islands()
    if islands.empty or islands.best_score.isna().all():
        _no_data(ax, title)
        return fig
    names = sorted(islands.island.unique())
    handles = []
    for i, (island, colour) in enumerate(zip(names, _island_colours(len(names)), strict=True)):
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
    ax.xaxis.set_major_locator(_iteration_ticks())
    ax.set_ylabel(run.score_label)
    ax.grid(alpha=0.3)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig


# --- 2. Elo -------------------------------------------------------------------------------------------


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
    """

    winner: str | None
    rank: int | None
    rated: int
    rating: float
    matches: int
    top_matches: float
    top: int
    opponents: int = 3

    @property
    def in_top(self) -> bool:
        return self.rank is not None and self.rank <= self.top

    def explanation(self) -> str:
        """One or two sentences for people: where the winner stands and, when outside the top, why."""
        if self.winner is None:
            return "No program has run yet."
        who = f"The run's winner {_short(self.winner)} (the program export ships first)"
        if self.rank is None:
            return f"{who} has no Elo rating: it has played no match yet."
        where = f"{who} is rated #{self.rank} of {self.rated} ({self.rating:.0f}, {self.matches} matches)."
        if self.in_top:
            return where
        return (
            f"{where} Elo counts wins in pairwise matches on one case at a time, not by how much, and each "
            f"new program plays {self.opponents} rated programs drawn at random: programs made early, drawn "
            f"by many later ones, play more (the top {self.top}: {self.top_matches:.0f} matches on average) "
            "and a winner made late has had few chances to climb. The winner is chosen by its mean score "
            "over every case (training and held-out), so the two rankings differ."
        )


def elo_standing(run: RunData, top: int = ELO_TOP) -> EloStanding:
    """Where the run's winner stands among the ``top`` best rated programs (see :class:`EloStanding`)."""
    ratings = run.ratings()
    winner = run.winner()
    top_matches = float(ratings.matches.head(top).mean()) if not ratings.empty else 0.0
    opponents = int(run.config.archive.elo_opponents)
    ranked = ratings.index[ratings.program_id == winner]
    if winner is None or ranked.empty:
        return EloStanding(winner, None, len(ratings), math.nan, 0, top_matches, top, opponents)
    row = ratings.loc[ranked[0]]
    rank = int(ranked[0]) + 1
    return EloStanding(
        winner, rank, len(ratings), float(row.rating), int(row.matches), top_matches, top, opponents
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
        f"{_short(program_id)} {programs.mutator.get(program_id, '?')}: {rating.rating:.0f} "
        f"({int(rating.matches)} matches, score {_score(score)})"
    )


def fig_elo(run: RunData, top: int = ELO_TOP) -> Figure:
    """Elo rating over the iterations of the ``top`` programs by current rating (one colour each) and
    of the run's winner (black, a star at its current rating; the program ``export`` ships first),
    over a grey band holding the middle 80 % of the ratings of every program rated by then (dashed:
    their median). The legend gives each program's id, mutator, current rating, matches played and
    training score; the note below says where the winner stands, and why when it is not in the top."""
    fig = _figure(11.0, 6.0)
    grid = fig.add_gridspec(2, 1, height_ratios=[7, 1])
    ax = fig.add_subplot(grid[0])
    note_ax = fig.add_subplot(grid[1])
    note_ax.axis("off")
    title = f"Elo ratings: the top {top} programs by current rating, and the run's winner"
    history, ratings = run.elo_history(), run.ratings()
    if history.empty or ratings.empty:
        _no_data(ax, title)
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
    ax.xaxis.set_major_locator(_iteration_ticks())
    ax.set_ylabel("Elo rating")
    ax.grid(alpha=0.3)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
              title="program mutator: rating now\n(matches, training score)", title_fontsize=8,
              alignment="left")  # fmt: skip
    note_ax.text(0.0, 1.0, "\n".join(textwrap.wrap(standing.explanation(), 150)), va="top", ha="left",
                 fontsize=8.5, transform=note_ax.transAxes)  # fmt: skip
    return fig


# --- 3. MAP-Elites -------------------------------------------------------------------------------------


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
    from aurora_evo.archive.map_elites import default_descriptors

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
    fig = _figure(8.5, 7.5 if len(names) > 1 else 3.5)
    if not names:
        ax = fig.add_subplot()
        _no_data(ax, "MAP-Elites", "no descriptors configured")
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


# --- 4. lineage ----------------------------------------------------------------------------------------


def _generations(nodes: list[str], parents: dict[str, list[str]], root: str) -> dict[str, int]:
    """Each node's longest path (in parent links) down to ``root``, so every edge points one way."""
    children: dict[str, list[str]] = {}
    for child, ps in parents.items():
        for parent in ps:
            children.setdefault(parent, []).append(child)
    generation = {root: 0}
    # Kahn's order from the root upwards: a node is placed once all its children in the tree are.
    waiting = {n: len(children.get(n, [])) for n in nodes}
    ready = [root]
    while ready:
        node = ready.pop()
        for parent in parents.get(node, []):
            generation[parent] = max(generation.get(parent, 0), generation[node] + 1)
            waiting[parent] -= 1
            if waiting[parent] == 0:
                ready.append(parent)
    for node in nodes:  # unreachable only if the links hold a cycle: keep the BFS depth instead
        generation.setdefault(node, 0)
    return generation


def _layout(generation: dict[str, int], parents: dict[str, list[str]], root: str) -> dict[str, float]:
    """A y in [0, 1] for each node: layers by generation, ordered by their children's mean y."""
    children: dict[str, list[str]] = {}
    for child, ps in parents.items():
        for parent in ps:
            children.setdefault(parent, []).append(child)
    y = {root: 0.5}
    for layer in range(1, max(generation.values(), default=0) + 1):
        members = [n for n in generation if generation[n] == layer]
        barycentre = {
            n: float(np.mean([y[c] for c in children.get(n, []) if c in y] or [0.5])) for n in members
        }
        members.sort(key=lambda n: (barycentre[n], n))
        step = min(0.3, 0.9 / max(1, len(members) - 1))
        for rank, node in enumerate(members):
            y[node] = 0.5 + (rank - (len(members) - 1) / 2) * step
    return y


def _mutator_label(mutator: str) -> str:
    """``gp.mutate_subtree`` -> ``gp.subtree``: short enough to label a node."""
    return str(mutator).replace(".mutate_", ".")


def fig_lineage(run: RunData, program_id: str | None = None) -> Figure:
    """The family tree of ``program_id`` (default: the run's winner, the program ``export`` ships
    first, see :meth:`RunData.winner`) back to its seeds, evicted ancestors included.

    x is the generation back from the program (longest path, so every parent sits left of its
    children), y spreads each generation; edges run parent -> child (solid: the parent it was made
    from; dashed: a further parent, e.g. crossover's second). Colour is the training score; hollow
    nodes were evicted from the archive; the star is the program, squares are seeds. Every node's
    scatter artist has the program id as its ``gid``.
    """
    which = ""
    if program_id is None:
        program_id, which = run.winner(), " (the run's winner, as export picks it)"
    if program_id is None:
        fig = _figure(11.0, 6.5)
        _no_data(fig.add_subplot(), "Lineage of the best program")
        return fig
    tree = run.ancestry(program_id).set_index("id")
    links = run.lineage()
    links = links[links.child_id.isin(tree.index) & links.parent_id.isin(tree.index)]
    parents: dict[str, list[str]] = {}
    for child, parent in zip(links.child_id, links.parent_id, strict=True):
        parents.setdefault(child, []).append(parent)
    nodes = list(tree.index)
    generation = _generations(nodes, parents, program_id)
    span = max(generation.values())
    y = _layout(generation, parents, program_id)
    x = {n: -generation[n] for n in nodes}
    # Wide enough that the labels of neighbouring generations (staggered above and below) do not meet.
    fig = _figure(min(32.0, max(11.0, 2.5 + 0.62 * (span + 1))), 7.0)
    ax = fig.add_subplot()

    for child, parent, position in zip(links.child_id, links.parent_id, links.position, strict=True):
        # An edge skipping generations is bent, so it cannot hide under the chain of nodes between.
        bend = 0.0 if abs(x[child] - x[parent]) <= 1 else 0.3
        ax.annotate(
            "", xy=(x[child], y[child]), xytext=(x[parent], y[parent]), zorder=1,
            arrowprops={"arrowstyle": "-|>", "color": "0.55", "linewidth": 0.9, "shrinkA": 5, "shrinkB": 6,
                        "linestyle": "-" if position == 0 else "--", "mutation_scale": 8,
                        "connectionstyle": f"arc3,rad={bend}"},
        )  # fmt: skip
    scores = tree.score.astype(float)
    finite = scores.dropna()
    norm = Normalize(finite.min(), finite.max()) if not finite.empty else Normalize(0, 1)
    if norm.vmin == norm.vmax:
        norm = Normalize(norm.vmin - 0.5, norm.vmax + 0.5)
    cmap = colormaps["viridis"]
    roots = {n for n in nodes if not parents.get(n)}
    seeds = {n for n in roots if int(tree.iteration[n]) == 0}  # other roots: random programs made later
    big = len(nodes) > LABEL_NODES_UP_TO
    size = 30 if big else 70
    for node in nodes:
        score, evicted = scores[node], bool(tree.evicted[node])
        colour = cmap(norm(score)) if not np.isnan(score) else "0.6"
        marker = "*" if node == program_id else "s" if node in seeds else "D" if node in roots else "o"
        scale = 4.0 if node == program_id else 1.0
        face = "white" if evicted else colour
        width = 2.0 if evicted else 0.8
        ax.scatter([x[node]], [y[node]], s=size * scale, marker=marker, facecolors=[face],
                   edgecolors=[colour], linewidths=width, zorder=3, gid=node)  # fmt: skip
        if not big or node == program_id or node in roots:
            text = f"{_short(node)}\n{_mutator_label(tree.mutator[node])}" + (
                "\n(evicted)" if evicted else ""
            )
            above = generation[node] % 2 == 0
            ax.annotate(text, (x[node], y[node]), xytext=(0, 9 if above else -9), textcoords="offset points",
                        ha="center", va="bottom" if above else "top", fontsize=7, zorder=4)  # fmt: skip
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=f"training {run.score_label}", shrink=0.9)
    hollow = {"markerfacecolor": "white", "markeredgecolor": "0.3", "markeredgewidth": 2}
    legend = [
        Line2D([], [], marker="*", color="0.3", linestyle="", markersize=12, label="the program"),
        Line2D([], [], marker="s", color="0.3", linestyle="", markersize=7, label="seed"),
        Line2D([], [], marker="D", color="0.3", linestyle="", markersize=6, label="random program"),
        Line2D([], [], marker="o", color="0.3", linestyle="", markersize=7, label="in the archive"),
        Line2D([], [], marker="o", linestyle="", markersize=7, label="evicted", **hollow),
        Line2D([], [], color="0.55", label="made from (first parent)"),
        Line2D([], [], color="0.55", linestyle="--", label="further parent (crossover)"),
    ]
    ax.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=7, fontsize=8,
              frameon=False)  # fmt: skip
    evicted = int(tree.evicted.drop(program_id).sum())  # ancestors only
    if program_id in roots:
        summary = f"made from nothing ({tree.mutator[program_id]}): no ancestors"
    else:
        randoms = len(roots - seeds)
        summary = f"{len(nodes) - 1} ancestors, {evicted} evicted, {len(seeds)} seed(s)" + (
            f", {randoms} random program(s)" if randoms else ""
        )
    ax.set_title(f"Lineage of {_short(program_id)}{which}: {summary}")
    ax.set_xlim(-span - 0.6, 0.6)
    ax.set_ylim(-0.05, 1.08)
    ax.set_xlabel("generations back from the program (0 = the program; longest parent path)")
    ax.set_xticks(range(-span, 1, max(1, math.ceil((span + 1) / 30))))
    ax.xaxis.set_major_formatter(lambda value, _: f"{-round(value)}")
    ax.set_yticks([])
    ax.set_ylabel("programs of one generation, spread out")
    if big:
        ax.text(0.99, 0.99, f"{len(nodes)} programs: only the program and its seeds are labelled",
                transform=ax.transAxes, ha="right", va="top", fontsize=8, color="0.4")  # fmt: skip
    return fig


# --- 5. sandbox outcomes -------------------------------------------------------------------------------


def _stacked_bars(ax: Axes, counts: pd.DataFrame, width: int) -> None:
    """``counts``: one row per bin (index: its first iteration), one column per outcome."""
    colours = _outcome_colours(list(counts.columns))
    bottom = np.zeros(len(counts))
    for name in counts.columns:
        ax.bar(counts.index + (width - 1) / 2, counts[name], width=0.85 * width, bottom=bottom,
               color=colours[name], label=name)  # fmt: skip
        bottom += counts[name].to_numpy()


def fig_outcomes(run: RunData) -> Figure:
    """How the sandbox judged the candidates: stacked bars of outcome counts (``ok``, ``timeout``,
    ``syntax_error``...) over iterations, grouped into bins when there are many iterations."""
    fig = _figure()
    ax = fig.add_subplot()
    title = "Sandbox outcomes of the candidates"
    outcomes = run.outcomes()
    names = [c for c in outcomes.columns if c != "iteration"]
    if outcomes.empty or not names or outcomes[names].to_numpy().sum() == 0:
        _no_data(ax, title)
        return fig
    names.sort(key=lambda n: (n != "ok", -outcomes[n].sum(), n))
    start, width = _iteration_bins(outcomes.iteration.to_numpy())
    counts = outcomes[names].groupby(start).sum()
    _stacked_bars(ax, counts, width)
    ax.set_ylim(0, counts.sum(axis=1).max() * 1.08)
    ax.xaxis.set_major_locator(_iteration_ticks())
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


# --- 6. attacker and curriculum -----------------------------------------------------------------------


def _numeric_series(events: pd.DataFrame) -> dict[str, pd.Series]:
    """Every numeric field of the events' data, as a series over iterations."""
    series: dict[str, dict[int, float]] = {}
    for iteration, data in zip(events.iteration, events.data, strict=True):
        for key, value in (data or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                series.setdefault(key, {})[int(iteration)] = float(value)
    return {key: pd.Series(values).sort_index() for key, values in series.items()}


def _fig_coevolution(run: RunData, attacks: pd.DataFrame) -> Figure:
    """The controller's attacker steps: the curriculum's level, the defender against the attacker's
    scenarios (success means matching or beating best fit on a scenario), and the candidates quality
    control let through."""
    from aurora_evo.scenario.levels import LEVEL_NAMES

    data = pd.DataFrame(list(attacks.data))
    data["iteration"] = attacks.iteration.to_numpy()
    settings = run.config.attacker
    fig = _figure(9.5, 10.0)
    level_ax, success_ax, qc_ax = (fig.add_subplot(3, 1, i) for i in (1, 2, 3))

    # The level after each step: a step that advanced the curriculum ends one level up.
    advanced_at = set(run.events("curriculum").iteration)
    ranks = data.level_rank.astype(float) + [float(i in advanced_at) for i in data.iteration]
    level_ax.step(data.iteration, ranks, where="post", color="tab:purple", linewidth=2, label="level")
    for iteration in sorted(advanced_at):
        level_ax.axvline(iteration, color="0.5", linestyle=":", linewidth=1)
    level_ax.set_yticks(range(len(LEVEL_NAMES)), LEVEL_NAMES)
    level_ax.set_ylim(-0.5, len(LEVEL_NAMES) - 0.5)
    advances = len(run.events("curriculum"))
    level_ax.set_title(f"Attacker and curriculum: {advances} level advance(s), now at {data.level.iloc[-1]}")
    level_ax.set_ylabel("curriculum level")
    level_ax.legend(handles=[*level_ax.get_lines()[:1], Line2D([], [], color="0.5", linestyle=":",
                                                                 label="advance")], fontsize=8)  # fmt: skip

    for column, label, colour in (
        ("mean_success", "elites matching best fit on new scenarios (share)", "tab:blue"),
        ("level_success", "best program matching best fit on the level's scenarios (share)", "tab:green"),
        ("mean_learnability", "learnability of new scenarios (0-1)", "tab:red"),
    ):
        values = pd.to_numeric(data[column], errors="coerce")
        success_ax.plot(data.iteration, values, marker="o", markersize=3, color=colour, label=label)
    success_ax.axhline(settings.sweet_spot, color="tab:blue", linestyle="--", linewidth=1,
                       label=f"sweet spot ({settings.sweet_spot:g})")  # fmt: skip
    success_ax.axhline(settings.advance_share, color="tab:green", linestyle=":", linewidth=1,
                       label=f"level advance at ({settings.advance_share:g})")  # fmt: skip
    success_ax.set_ylim(-0.05, 1.05)
    success_ax.set_title("The defender against the attacker's scenarios")
    success_ax.set_ylabel("share / learnability (0-1)")
    success_ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)

    refused = data.refused.astype(int)
    accepted = data.proposed.astype(int) - refused
    width = max(1.0, 0.8 * settings.interval)
    qc_ax.bar(data.iteration, accepted, width=width, color="tab:green", label="accepted")
    qc_ax.bar(data.iteration, refused, width=width, bottom=accepted, color="tab:red", label="refused")
    rate = accepted.sum() / max(1, data.proposed.astype(int).sum())
    qc_ax.set_title(f"Quality control of the attacker's candidates: {rate:.0%} accepted")
    qc_ax.set_ylabel("candidates per step (count)")
    qc_ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    for ax in (level_ax, success_ax, qc_ax):
        ax.set_xlabel("iteration")
        ax.xaxis.set_major_locator(_iteration_ticks())
        ax.grid(alpha=0.3)
    return fig


def fig_attacker(run: RunData) -> Figure:
    """Attacker and curriculum progress from events of kind ``curriculum`` and ``attacker`` (every
    numeric field over the iterations, e.g. level and learnability). A run without them gets what it
    has about its scenarios instead: the best and mean score reached on each case."""
    attacks = run.events("attacker")
    if not attacks.empty and all("proposed" in (d or {}) for d in attacks.data):
        return _fig_coevolution(run, attacks)
    kinds = {kind: run.events(kind) for kind in ("curriculum", "attacker")}
    kinds = {kind: events for kind, events in kinds.items() if not events.empty}
    if kinds:
        fig = _figure(9.0, 3.6 * len(kinds))
        for i, (kind, events) in enumerate(kinds.items()):
            ax = fig.add_subplot(len(kinds), 1, i + 1)
            series = _numeric_series(events)
            if not series:
                _no_data(ax, f"{kind} events", f"{len(events)} {kind} event(s), no numeric fields")
                continue
            for key, values in series.items():
                ax.plot(values.index, values.to_numpy(), marker="o", markersize=3, label=key)
            ax.set_title(
                f"{kind.capitalize()} progress" if i else f"Attacker and curriculum: {kind} progress"
            )
            ax.set_xlabel("iteration")
            ax.xaxis.set_major_locator(_iteration_ticks())
            ax.set_ylabel("value (see legend)" if len(series) > 1 else next(iter(series)))
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        return fig

    scenarios = run.scenarios()
    fig = _figure(9.0, max(3.5, 1.2 + 0.38 * len(scenarios)))
    ax = fig.add_subplot()
    title = "Scenarios (no attacker in this run)"
    if scenarios.empty:
        _no_data(ax, title)
        return fig
    scenarios = scenarios.sort_values(["split", "case"]).reset_index(drop=True)  # train, then validation
    rows = np.arange(len(scenarios))[::-1]  # first case at the top
    ax.hlines(rows, scenarios.mean_score, scenarios.best_score, color="0.7", linewidth=2, zorder=1)
    ax.scatter(
        scenarios.mean_score,
        rows,
        marker="o",
        color="tab:blue",
        zorder=2,
        label="mean over the programs scored",
    )
    ax.scatter(
        scenarios.best_score,
        rows,
        marker="D",
        color="tab:orange",
        zorder=3,
        label="best score of any program",
    )
    ax.set_yticks(rows)
    ax.set_yticklabels(
        [
            f"{case}{' (held out)' if split == 'validation' else ''}, {n} program{'s' * (n != 1)}"
            for case, split, n in zip(scenarios.case, scenarios.split, scenarios.programs, strict=True)
        ],
        fontsize=8,
    )
    ax.set_title(f"{title}: score reached on each case")
    ax.set_xlabel(run.score_label)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig


# --- 7. LLM calls -------------------------------------------------------------------------------------


def fig_llm(run: RunData) -> Figure:
    """Language-model use: prompt and completion tokens per iteration (stacked bars) with the
    cumulative cost in US dollars (line, right axis), and the outcomes of the calls."""
    fig = _figure(12.0, 5.0)
    grid = fig.add_gridspec(1, 3)
    ax = fig.add_subplot(grid[0, :2])
    outcomes_ax = fig.add_subplot(grid[0, 2])
    title = "LLM tokens and cumulative cost"
    calls = run.llm_calls()
    if calls.empty:
        _no_data(ax, title, "no LLM calls in this run")
        _no_data(outcomes_ax, "LLM call outcomes", "no LLM calls in this run")
        return fig
    calls = calls.astype({"prompt_tokens": float, "completion_tokens": float, "cost_usd": float})
    calls = calls.fillna({"prompt_tokens": 0.0, "completion_tokens": 0.0, "cost_usd": 0.0})
    start, width = _iteration_bins(calls.iteration.to_numpy())
    tokens = calls[["prompt_tokens", "completion_tokens"]].groupby(start).sum()
    centre = tokens.index + (width - 1) / 2
    ax.bar(centre, tokens.prompt_tokens, width=0.85 * width, color="tab:blue", label="prompt tokens")
    ax.bar(centre, tokens.completion_tokens, width=0.85 * width, bottom=tokens.prompt_tokens,
           color="tab:cyan", label="completion tokens")  # fmt: skip
    cost = calls.groupby("iteration").cost_usd.sum().sort_index().cumsum()
    twin = ax.twinx()
    twin.plot(cost.index, cost.to_numpy(), color="tab:red", linewidth=2, marker="o", markersize=3,
              label="cumulative cost")  # fmt: skip
    twin.set_ylabel("cumulative cost (US dollars)", color="tab:red")
    twin.tick_params(axis="y", colors="tab:red")
    twin.set_ylim(bottom=0)
    sent = int((calls.attempt > 0).sum())
    ax.set_title(f"{title}: {sent} calls sent, ${cost.iloc[-1]:.4g} spent")
    ax.set_xlabel("iteration" if width == 1 else f"iteration (bars of {width} iterations)")
    ax.set_ylabel("tokens per iteration" if width == 1 else f"tokens per {width} iterations")
    ax.xaxis.set_major_locator(_iteration_ticks())
    ax.grid(axis="y", alpha=0.3)
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left", fontsize=8)

    counts = calls.outcome.fillna("unknown").value_counts()
    # Most frequent at the top (barh draws upwards), ties in name order.
    totals = counts[sorted(counts.index, key=lambda name: (-counts[name], name))][::-1]
    colours = _outcome_colours(list(totals.index))
    outcomes_ax.barh(range(len(totals)), totals.to_numpy(), color=[colours[n] for n in totals.index])
    outcomes_ax.set_yticks(range(len(totals)), list(totals.index))
    for i, count in enumerate(totals.to_numpy()):
        outcomes_ax.text(count, i, f" {count}", va="center", fontsize=8)
    outcomes_ax.set_xlim(0, totals.max() * 1.2)
    outcomes_ax.set_title("LLM call outcomes")
    outcomes_ax.set_xlabel("calls (count; 'budget' and quota ones were not sent)")
    outcomes_ax.set_ylabel("outcome")
    return fig


# --- the report ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureSpec:
    """One picture of the report: its file name, what draws it, its caption."""

    file: str
    draw: Callable[[RunData], Figure]
    caption: str


#: The pictures of the report, in order; ``llm.png`` only for runs that called a language model.
FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec("scores_by_island.png", fig_scores_by_island,
               "Best (solid) and median (dashed) score of each island's members per iteration."),
    FigureSpec("elo.png", fig_elo,
               f"Elo rating trajectories of the {ELO_TOP} programs rated highest now and of the run's winner "
               "(black star), over the middle 80 % of all ratings (grey)."),
    FigureSpec("map_elites.png", fig_map_elites,
               "The MAP-Elites grid: the elite's score in each descriptor cell (blank: empty); ticks are "
               "the descriptors' bin boundaries."),
    FigureSpec("lineage.png", fig_lineage,
               "Family tree of the run's winner back to its seeds (hollow: evicted ancestors)."),
    FigureSpec("outcomes.png", fig_outcomes, "How the sandbox judged the candidates, per iteration."),
    FigureSpec("attacker.png", fig_attacker,
               "Attacker and curriculum progress, or, without an attacker, the score reached on each case."),
    FigureSpec("llm.png", fig_llm, "Language-model tokens, cumulative cost and call outcomes."),
)  # fmt: skip


def _score(value: float) -> str:
    return "not scored" if value is None or np.isnan(value) else f"{value:.4g}"


def _summary(run: RunData) -> list[str]:
    """The head of ``report.md``: what the run is and how far it got."""
    programs = run.programs()
    iterations = run.events("iteration")
    status = run.archive.runs.get(run.run_id).status
    lines = [
        f"# Run `{run.run_id}`",
        "",
        f"- domain: {run.config.task.domain}",
        f"- status: {'running, or interrupted' if status == 'running' else status or 'unknown'}",
        f"- iterations: {len(iterations)}"
        + (f" (0 to {int(iterations.iteration.max())}; 0 scores the seeds)" if len(iterations) else ""),
        f"- programs: {len(programs)} ({int((programs.outcome == 'ok').sum())} ran ok, "
        f"{int(programs.evicted.sum())} evicted)",
        f"- scores: {run.score_label}, higher is better",
    ]
    frame = programs.set_index("id")
    for by, name in (("score", "training"), ("validation_score", "held-out")):
        # From this one read of the programs: a run still going may add a new best meanwhile.
        scored = programs.dropna(subset=[by])
        if scored.empty:
            lines.append(f"- best {name} score: none yet")
            continue
        best = scored.sort_values([by, "iteration"], ascending=[False, True]).id.iloc[0]
        row = frame.loc[best]
        lines.append(
            f"- best {name} score: {_score(row[by])} (program `{best}`, {row.mutator}, "
            f"iteration {int(row.iteration)}; training {_score(row.score)}, "
            f"held-out {_score(row.validation_score)})"
        )
    winner = run.winner()
    if winner is not None and winner in frame.index:
        lines.append(f"- the run's winner (what `aurora-evo export` ships first): `{winner}`, made by "
                     f"`{frame.mutator[winner]}`")  # fmt: skip
        lines.append(f"- Elo: {elo_standing(run).explanation()}")
    filled, total = len(run.cells()), int(np.prod(run.config.archive.bins))
    over = ", ".join(run.config.archive.descriptors)
    lines.append(f"- MAP-Elites: {filled} of {total} cells filled over {over}"
                 + "".join(f"; {sentence}" for sentence in flat_axes(run)))  # fmt: skip
    calls = run.llm_calls()
    if not calls.empty:
        sent = calls[calls.attempt > 0]
        cost = float(pd.to_numeric(sent.cost_usd, errors="coerce").fillna(0).sum())
        tokens = (
            pd.to_numeric(sent.prompt_tokens, errors="coerce").fillna(0).sum()
            + pd.to_numeric(sent.completion_tokens, errors="coerce").fillna(0).sum()
        )
        lines.append(f"- LLM calls: {len(sent)} sent ({len(calls) - len(sent)} refused), "
                     f"{int(tokens)} tokens, ${cost:.4f}")  # fmt: skip
    else:
        lines.append("- LLM calls: none (offline mutators)")
    return lines


def write_report(run_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Write the report of the run in ``run_dir`` into ``out_dir`` (created if needed): one PNG per
    figure of :data:`FIGURES` (``llm.png`` only when the run called a language model) and
    ``report.md`` linking them. Returns the paths written, ``report.md`` last.

    Raises:
        InputError: when ``run_dir`` is not a run folder, or ``out_dir`` cannot be a folder.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder; give --out a folder")
    with RunData(run_dir) as run:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{out}: cannot create the folder ({exc.strerror})") from None
        has_llm = not run.llm_calls().empty
        written: list[Path] = []
        lines = [*_summary(run), "", "## Figures", ""]
        for spec in FIGURES:
            if spec.file == "llm.png" and not has_llm:
                continue
            figure = spec.draw(run)
            path = out / spec.file
            figure.savefig(path, dpi=DPI, bbox_inches="tight")  # no label cut off at the edges
            written.append(path)
            lines += [f"![{spec.file.removesuffix('.png')}]({spec.file})", "", spec.caption, ""]
    report = out / "report.md"
    report.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return [*written, report]
