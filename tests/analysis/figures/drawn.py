"""What the figure tests read off a drawn figure: its texts and its legends' entries."""

from __future__ import annotations


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def texts(fig) -> list[str]:
    """Every text drawn in the figure's axes (notes, labels, arrows), not titles or tick labels."""
    return [t.get_text() for ax in fig.axes for t in ax.texts]
