"""What the figures share: their size and layout, the mark of an empty panel, iteration axes, and the
colours of islands and of sandbox outcomes."""

from __future__ import annotations

import math

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

#: The text drawn on a figure whose data the run does not hold yet.
NO_DATA = "no data yet"
#: At most this many bars in the outcome figures: iterations are grouped into bins beyond it.
MAX_BARS = 30

_OK_COLOUR = "tab:green"

_OTHER_COLOURS = ["tab:red", "tab:orange", "tab:purple", "tab:brown", "tab:pink", "tab:gray", "tab:olive",
                  "tab:cyan", "tab:blue", "gold", "black", "navy"]  # fmt: skip


def short_id(program_id: object) -> str:
    """A program id's first 8 characters, enough to tell programs apart on a figure."""
    return str(program_id)[:8]


def new_figure(width: float = 9.0, height: float = 5.0) -> Figure:
    """An empty figure, ``width`` x ``height`` inches, laid out so that nothing overlaps."""
    return Figure(figsize=(width, height), layout="constrained")


def iteration_ticks() -> MaxNLocator:
    """Whole iterations, at round steps."""
    return MaxNLocator(integer=True, steps=[1, 2, 5, 10])


def mark_no_data(ax: Axes, title: str, why: str = NO_DATA) -> None:
    """Mark ``ax`` as empty: the title, and ``why`` in the middle."""
    ax.set_title(title)
    ax.text(0.5, 0.5, why, ha="center", va="center", fontsize=14, color="0.4", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def island_colours(n: int) -> list:
    """``n`` distinct colours, one per island."""
    if n <= 10:
        return [colormaps["tab10"](i) for i in range(n)]
    if n <= 20:
        return [colormaps["tab20"](i) for i in range(n)]
    return [colormaps["turbo"](i / max(1, n - 1)) for i in range(n)]


def outcome_colours(names: list[str]) -> dict[str, object]:
    """A colour per outcome name: green for ``ok``, distinct others for the rest, in order."""
    others = iter(_OTHER_COLOURS * (1 + len(names) // len(_OTHER_COLOURS)))
    return {name: _OK_COLOUR if name == "ok" else next(others) for name in names}


def iteration_bins(iterations: np.ndarray) -> tuple[np.ndarray, int]:
    """The bin (its first iteration) of each iteration, and the bin width, so at most :data:`MAX_BARS`."""
    span = int(iterations.max()) + 1 if len(iterations) else 1
    width = max(1, math.ceil(span / MAX_BARS))
    return (iterations // width) * width, width


def score_text(value: float) -> str:
    """A score for people: 4 significant digits, or ``not scored``."""
    return "not scored" if value is None or np.isnan(value) else f"{value:.4g}"
