"""Reading a trace file, plain or gzip, a line or a CSV row at a time, with every way a file can fail to
be read turned into a one-line :class:`~aurora_evo.traces.records.TraceError`; and the numbers in it."""

from __future__ import annotations

import csv
import gzip
import math
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from aurora_evo.traces.records import TraceError

_GZIP_MAGIC = b"\x1f\x8b"


def open_text(path: str | Path, newline: str | None = None) -> IO[str]:
    """The file at ``path`` as text, gunzipped when it starts with the gzip magic bytes (whatever its
    name). Bytes that are not UTF-8 are replaced, so that a garbled line fails as a field, not a decode."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == _GZIP_MAGIC:
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline=newline)
    return open(path, encoding="utf-8", errors="replace", newline=newline)


def text_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """``(line number from 1, line)`` of the plain or gzip file at ``path``, one at a time; a
    :class:`TraceError` when it cannot be opened or its gzip stream is truncated or corrupt."""
    line_number = 0
    try:
        with open_text(path) as stream:
            for line_number, line in enumerate(stream, start=1):
                yield line_number, line
    except (OSError, EOFError, zlib.error) as error:
        raise _unreadable(path, line_number, error) from None


def csv_rows(path: str | Path) -> Iterator[tuple[int, list[str]]]:
    """``(line number from 1, fields)`` of the plain or gzip CSV at ``path``, blank lines skipped; a
    :class:`TraceError` when it cannot be opened, its gzip stream is truncated or the csv module fails."""
    line_number = 0
    try:
        with open_text(path, newline="") as stream:
            reader = csv.reader(stream)
            for fields in reader:
                line_number = reader.line_num
                if fields:
                    yield line_number, fields
    except (OSError, EOFError, zlib.error, csv.Error) as error:
        raise _unreadable(path, line_number, error) from None


def finite_number(text: str) -> float | None:
    """The finite number ``text`` writes, or ``None`` (empty, not a number, NaN or infinite); each
    reader says which of those its format allows."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _unreadable(path: str | Path, line_number: int, error: Exception) -> TraceError:
    where = f"after line {line_number}" if line_number else "cannot be read"
    return TraceError(f"{path}: {where}: {type(error).__name__}: {error}")
