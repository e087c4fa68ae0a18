"""Reading the user's text and JSON files, every failure as one line naming the file.

Shared by the scenario and dataset loaders: a missing file, a directory, bytes that are not UTF-8,
malformed JSON, NaN or Infinity, a number too large for a float, a key given twice, nesting too deep.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from aurora_evo.errors import InputError


def read_text(path: Path, error: type[InputError] = InputError) -> str:
    """The file's text (UTF-8); any failure raises ``error`` with one line naming the file."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: byte {exc.start} is not UTF-8; expected a text file") from None
    except OSError as exc:
        raise error(unreadable(path, exc)) from None


def unreadable(path: str | Path, exc: OSError) -> str:
    """Why ``path`` could not be opened, in one line naming it: missing, a folder, or the system's
    reason."""
    if isinstance(exc, FileNotFoundError):
        return f"{path}: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"{path}: is a directory, not a file"
    return f"{path}: cannot be read ({exc.strerror or exc})"


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed in JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large for a number")
    return value


def _unique_keys(pairs: list) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"key {key!r} appears twice in one object")
        result[key] = value
    return result


def parse_json(text: str, source: str, error: type[InputError] = InputError) -> object:
    """Decode strict JSON; any failure raises ``error`` with one line naming ``source``."""
    try:
        return json.loads(
            text, parse_constant=_reject_constant, parse_float=_finite_float, object_pairs_hook=_unique_keys
        )
    except json.JSONDecodeError as exc:
        raise error(f"{source}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except ValueError as exc:
        raise error(f"{source}: invalid JSON: {exc}") from None
    except RecursionError:
        raise error(f"{source}: invalid JSON: nested too deeply") from None


def read_json(path: Path, error: type[InputError] = InputError) -> object:
    """:func:`read_text` then :func:`parse_json`."""
    return parse_json(read_text(path, error), str(path), error)
