"""What the archive's parts share: how a table is declared and created, and how values are written to and
read from its columns (JSON text, nullable REALs) and queried in chunks.

Conventions: ``*_json`` columns hold standard JSON text (NaN and infinities are refused, so SQLite's
``json_extract`` reads every value); booleans are 0/1 integers; scores are higher-is-better REALs, NULL
when there is none.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlite_utils

# SQLite allows 32,766 bound parameters; chunks well under it keep IN (...) lists cheap.
_CHUNK = 500


@dataclass(frozen=True)
class TableSpec:
    """A table: columns are NOT NULL unless listed in ``nullable`` (SQLite would otherwise even let NULL
    into text primary keys); a lone INTEGER primary key is left for SQLite to fill."""

    name: str
    columns: dict[str, type]
    pk: str | tuple[str, ...] | None = None
    nullable: tuple[str, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)
    foreign_keys: tuple[tuple[str, str, str], ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()

    @property
    def not_null(self) -> tuple[str, ...]:
        rowid_alias = self.pk if isinstance(self.pk, str) and self.columns[self.pk] is int else None
        return tuple(c for c in self.columns if c not in self.nullable and c != rowid_alias)


def program_fk(*columns: str) -> tuple[tuple[str, str, str], ...]:
    """Foreign keys from ``columns`` to ``programs.id``."""
    return tuple((c, "programs", "id") for c in columns)


#: The foreign key from ``run_id`` to ``runs.id``.
RUN_FK = (("run_id", "runs", "id"),)


def create_tables(db: sqlite_utils.Database, specs: Sequence[TableSpec]) -> None:
    """Create the tables and indexes of ``specs`` that do not exist yet, in order."""
    for spec in specs:
        table = db.create_table(
            spec.name,
            spec.columns,
            pk=spec.pk,
            not_null=spec.not_null,
            defaults=spec.defaults,
            foreign_keys=spec.foreign_keys,
            if_not_exists=True,
        )
        for columns in spec.indexes:
            table.create_index(columns, if_not_exists=True)


# --- column values -----------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(
        f"{type(value).__name__} is not JSON serialisable; convert it to a dict, list, str or number"
    )


def dumps(value: Any, column: str) -> str:
    """``value`` as standard JSON text for ``column`` (numpy scalars and arrays become numbers and lists).

    Raises:
        ValueError: it holds NaN or an infinity.
        TypeError: it holds something JSON cannot say.
    """
    try:
        return json.dumps(value, allow_nan=False, default=_json_default, ensure_ascii=False)
    except ValueError as exc:
        raise ValueError(
            f"{column}: {exc}; store None or a finite number instead of NaN or infinity"
        ) from None
    except TypeError as exc:
        raise TypeError(f"{column}: {exc}") from None


def loads(text: str | None) -> Any:
    """The value of a JSON column; ``None`` for NULL."""
    return None if text is None else json.loads(text)


def real_or_none(value: Any) -> float | None:
    """A float for a nullable REAL column; NaN becomes None (SQLite would store NULL anyway)."""
    return None if value is None or math.isnan(value) else float(value)


# --- queries -----------------------------------------------------------------------------------------


def chunks(items: Sequence, size: int = _CHUNK) -> Iterator[Sequence]:
    """``items`` in slices of at most ``size``, for ``IN (...)`` lists."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def marks(n: int) -> str:
    """``n`` comma-separated ``?`` placeholders."""
    return ", ".join("?" * n)


def has_row(db: sqlite_utils.Database, table: str, key: str) -> bool:
    """Whether ``table`` holds a row whose ``id`` is ``key``."""
    return db.execute(f"SELECT 1 FROM {table} WHERE id = ?", [key]).fetchone() is not None


def require_program(db: sqlite_utils.Database, program_id: str, path: str) -> None:
    """Raise ``KeyError`` unless the archive at ``path`` holds the program."""
    if not has_row(db, "programs", program_id):
        raise KeyError(f"no program {program_id!r} in {path}")


def update_one(db: sqlite_utils.Database, sql: str, params: list, missing: str, path: str) -> None:
    """Run an ``UPDATE`` atomically; ``KeyError(f"{missing} in {path}")`` (changing nothing) when it
    matches no row."""
    with db.atomic():
        if db.execute(sql, params).rowcount == 0:
            raise KeyError(f"{missing} in {path}")
