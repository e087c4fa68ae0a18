"""What the trace reader tests share: the project's real data beside the checkout, and garbled copies of
a valid file that must fail as one-line TraceErrors and nothing else."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import strategies as st

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


def write_lines(path: Path, header: str, lines: Sequence[str]) -> Path:
    """``header`` then each of ``lines`` with its newline, written to ``path``, gzipped when its name ends
    in ``.gz``."""
    text = header + "".join(f"{line}\n" for line in lines)
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def garbled_copies(valid: bytes) -> dict[str, st.SearchStrategy]:
    """Hypothesis arguments for :func:`write_garbled` of ``valid``: up to six byte edits anywhere, a cut
    anywhere (or none), and whether the file is gzipped before the cut."""
    return {
        "edits": st.lists(st.tuples(st.integers(0, len(valid)), st.binary(max_size=4)), max_size=6),
        "keep": st.integers(0, len(valid) + 8),
        "compressed": st.booleans(),
    }


def write_garbled(
    path: Path, valid: bytes, edits: Sequence[tuple[int, bytes]], keep: int, compressed: bool = False
) -> Path:
    """``valid`` garbled by ``edits`` (:func:`garble`), gzipped when ``compressed``, then cut to ``keep``
    bytes (a cut gzip is a truncated archive), written to ``path``."""
    data = garble(valid, edits)
    path.write_bytes((gzip.compress(data) if compressed else data)[:keep])
    return path


def unless_trace_error(read: Callable[[], Result]) -> Result | None:
    """What ``read()`` returns, or ``None`` when it raised a one-line :class:`TraceError`; any other
    exception, or an error message of several lines, fails the test."""
    try:
        return read()
    except TraceError as error:
        assert "\n" not in str(error)
        return None
