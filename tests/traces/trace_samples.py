"""What the trace reader tests share: the project's real data beside the checkout, and garbled copies of
a valid file that must fail as one-line TraceErrors and nothing else."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import pytest

from aurora_evo.traces.records import TraceError

REPO = Path(__file__).resolve().parents[2]
Result = TypeVar("Result")


def shared_data(relative: str | Path, what: str) -> Path:
    """``../shared/data/RELATIVE`` beside the repository; the test skips, saying so, when it is absent."""
    path = REPO.parent / "shared" / "data" / relative
    if not path.exists():
        pytest.skip(f"{what} is not in ../shared/data beside this checkout ({REPO})")
    return path


def garble(data: bytes, edits: Sequence[tuple[int, bytes]], keep: int | None = None) -> bytes:
    """``data`` with each ``(position, replacement)`` written over it in turn, cut to ``keep`` bytes
    (``None``: not cut)."""
    for position, replacement in edits:
        data = data[:position] + replacement + data[position + len(replacement) :]
    return data[:keep]


def unless_trace_error(read: Callable[[], Result]) -> Result | None:
    """What ``read()`` returns, or ``None`` when it raised a one-line :class:`TraceError`; any other
    exception, or an error message of several lines, fails the test."""
    try:
        return read()
    except TraceError as error:
        assert "\n" not in str(error)
        return None
