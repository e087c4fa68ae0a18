"""The family tree of a program back to its seeds."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Colormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from aurora_evo.analysis.figures.drawing import mark_no_data, new_figure, short_id
from aurora_evo.analysis.frames import RunData

#: Lineage trees up to this many programs get every node labelled; larger ones only the best and seeds.
LABEL_NODES_UP_TO = 40


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


def _tree_links(run: RunData, program_id: str) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, list[str]]]:
    """The program's ancestry indexed by id, the lineage links within it, and each member's parents."""
    tree = run.ancestry(program_id).set_index("id")
    links = run.lineage()
    links = links[links.child_id.isin(tree.index) & links.parent_id.isin(tree.index)]
    parents: dict[str, list[str]] = {}
    for child, parent in zip(links.child_id, links.parent_id, strict=True):
        parents.setdefault(child, []).append(parent)
    return tree, links, parents


def _draw_links(ax: Axes, links: pd.DataFrame, x: dict[str, float], y: dict[str, float]) -> None:
    """One arrow per link, parent -> child: solid from the first parent, dashed from further ones."""
    for child, parent, position in zip(links.child_id, links.parent_id, links.position, strict=True):
        # An edge skipping generations is bent, so it cannot hide under the chain of nodes between.
        bend = 0.0 if abs(x[child] - x[parent]) <= 1 else 0.3
        ax.annotate(
            "", xy=(x[child], y[child]), xytext=(x[parent], y[parent]), zorder=1,
            arrowprops={"arrowstyle": "-|>", "color": "0.55", "linewidth": 0.9, "shrinkA": 5, "shrinkB": 6,
                        "linestyle": "-" if position == 0 else "--", "mutation_scale": 8,
                        "connectionstyle": f"arc3,rad={bend}"},
        )  # fmt: skip


def _score_scale(scores: pd.Series) -> Normalize:
    """The colour scale of the training scores (a unit wide around a single value)."""
    finite = scores.dropna()
    norm = Normalize(finite.min(), finite.max()) if not finite.empty else Normalize(0, 1)
    if norm.vmin == norm.vmax:
        norm = Normalize(norm.vmin - 0.5, norm.vmax + 0.5)
    return norm


@dataclass(frozen=True)
class _Placement:
    """Where each program of the tree is drawn (``x``, ``y``, its ``generation``) and its colour scale."""

    x: dict[str, float]
    y: dict[str, float]
    generation: dict[str, int]
    norm: Normalize
    cmap: Colormap


def _draw_programs(
    ax: Axes, tree: pd.DataFrame, program_id: str, roots: set[str], seeds: set[str], place: _Placement
) -> None:
    """One marker per program (its ``gid`` the program id), coloured by score, hollow when evicted; a
    label beside each one, or in a big tree only beside the program and the roots."""
    scores = tree.score.astype(float)
    big = len(tree) > LABEL_NODES_UP_TO
    size = 30 if big else 70
    for node in tree.index:
        score, evicted = scores[node], bool(tree.evicted[node])
        colour = place.cmap(place.norm(score)) if not np.isnan(score) else "0.6"
        marker = "*" if node == program_id else "s" if node in seeds else "D" if node in roots else "o"
        scale = 4.0 if node == program_id else 1.0
        face = "white" if evicted else colour
        width = 2.0 if evicted else 0.8
        ax.scatter([place.x[node]], [place.y[node]], s=size * scale, marker=marker, facecolors=[face],
                   edgecolors=[colour], linewidths=width, zorder=3, gid=node)  # fmt: skip
        if not big or node == program_id or node in roots:
            text = f"{short_id(node)}\n{_mutator_label(tree.mutator[node])}" + (
                "\n(evicted)" if evicted else ""
            )
            above = place.generation[node] % 2 == 0
            ax.annotate(text, (place.x[node], place.y[node]), xytext=(0, 9 if above else -9),
                        textcoords="offset points", ha="center", va="bottom" if above else "top", fontsize=7,
                        zorder=4)  # fmt: skip


def _legend(ax: Axes) -> None:
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


def _ancestry_summary(tree: pd.DataFrame, program_id: str, roots: set[str], seeds: set[str]) -> str:
    """How many ancestors, evicted ones, seeds and random programs the tree holds, for the title."""
    evicted = int(tree.evicted.drop(program_id).sum())  # ancestors only
    if program_id in roots:
        return f"made from nothing ({tree.mutator[program_id]}): no ancestors"
    randoms = len(roots - seeds)
    return f"{len(tree) - 1} ancestors, {evicted} evicted, {len(seeds)} seed(s)" + (
        f", {randoms} random program(s)" if randoms else ""
    )


def _generation_axes(ax: Axes, span: int) -> None:
    """x: generations back from the program, 0 at the right; y: no scale, only spread."""
    ax.set_xlim(-span - 0.6, 0.6)
    ax.set_ylim(-0.05, 1.08)
    ax.set_xlabel("generations back from the program (0 = the program; longest parent path)")
    ax.set_xticks(range(-span, 1, max(1, math.ceil((span + 1) / 30))))
    ax.xaxis.set_major_formatter(lambda value, _: f"{-round(value)}")
    ax.set_yticks([])
    ax.set_ylabel("programs of one generation, spread out")


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
        fig = new_figure(11.0, 6.5)
        mark_no_data(fig.add_subplot(), "Lineage of the best program")
        return fig
    tree, links, parents = _tree_links(run, program_id)
    nodes = list(tree.index)
    generation = _generations(nodes, parents, program_id)
    span = max(generation.values())
    y = _layout(generation, parents, program_id)
    x = {n: -generation[n] for n in nodes}
    # Wide enough that the labels of neighbouring generations (staggered above and below) do not meet.
    fig = new_figure(min(32.0, max(11.0, 2.5 + 0.62 * (span + 1))), 7.0)
    ax = fig.add_subplot()
    _draw_links(ax, links, x, y)
    place = _Placement(x, y, generation, _score_scale(tree.score.astype(float)), colormaps["viridis"])
    roots = {n for n in nodes if not parents.get(n)}
    seeds = {n for n in roots if int(tree.iteration[n]) == 0}  # other roots: random programs made later
    _draw_programs(ax, tree, program_id, roots, seeds, place)
    fig.colorbar(ScalarMappable(norm=place.norm, cmap=place.cmap), ax=ax, label=f"training {run.score_label}",
                 shrink=0.9)  # fmt: skip
    _legend(ax)
    summary = _ancestry_summary(tree, program_id, roots, seeds)
    ax.set_title(f"Lineage of {short_id(program_id)}{which}: {summary}")
    _generation_axes(ax, span)
    if len(nodes) > LABEL_NODES_UP_TO:
        ax.text(0.99, 0.99, f"{len(nodes)} programs: only the program and its seeds are labelled",
                transform=ax.transAxes, ha="right", va="top", fontsize=8, color="0.4")  # fmt: skip
    return fig
