"""How a prompt shows a parent: its score, metrics and sandbox message, and its code in a fence."""

from __future__ import annotations

import math
from collections.abc import Mapping

from aurora_evo.mutators.base import Parent

__all__ = ["feedback_lines", "fence", "format_metrics", "format_score", "one_line", "score_key"]


def format_score(score: float | None) -> str:
    """``-3.9812`` (four decimals), or a word when there is none."""
    if score is None:
        return "none (not evaluated)"
    try:
        return f"{float(score):.4f}"
    except (TypeError, ValueError):
        return str(score)


def format_metrics(metrics: Mapping[str, float]) -> str:
    """``name=value`` by sorted name, four significant digits; empty when there are none."""
    items = []
    for name in sorted(metrics, key=str):
        value = metrics[name]
        try:
            text = f"{float(value):.4g}"
        except (TypeError, ValueError):
            text = " ".join(str(value).split())
        items.append(f"{name}={text}")
    return ", ".join(items)


def one_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def feedback_lines(parent: Parent) -> list[str]:
    lines = [f"Score: {format_score(parent.score)}"]
    if parent.metrics:
        lines.append(f"Metrics: {format_metrics(parent.metrics)}")
    if parent.message.strip():
        lines.append(f"Sandbox: {one_line(parent.message)}")
    return lines


def fence(code: str) -> str:
    ticks = "```"
    while ticks in code:
        ticks += "`"
    return f"{ticks}python\n{code.rstrip()}\n{ticks}"


def score_key(parent: Parent) -> float:
    try:
        score = float(parent.score) if parent.score is not None else -math.inf
    except (TypeError, ValueError):
        return -math.inf
    return score if not math.isnan(score) else -math.inf
