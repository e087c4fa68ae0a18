"""The archive's storage: one SQLite file per archive, written through ``sqlite-utils``.

Storage only. Which program takes a MAP-Elites cell, how ratings move, which programs are evicted: those
are decided by :mod:`~aurora_evo.archive.map_elites`, :mod:`~aurora_evo.archive.elo` and the controller,
and recorded here.

The file is plain SQLite, meant to be read with ``sqlite-utils``, the ``sqlite3`` shell or Datasette.
Conventions: ``*_json`` columns hold standard JSON text (NaN and infinities are refused, so SQLite's
``json_extract`` reads every value); timestamps are ISO-8601 UTC text (``2025-01-31T12:00:00.000Z``);
booleans are 0/1 integers; scores are higher-is-better REALs, NULL when there is none.

Tables (foreign keys enforced; nothing is ever deleted):

* ``meta(key PK, value)``: ``schema_version`` (:data:`SCHEMA_VERSION`), ``created_at``.
* ``runs(id PK, created_at, status, seed, config_json, versions_json)``; ``status`` is free text such as
  ``running``, ``finished``, ``failed``.
* ``programs(id PK, run_id, source, source_hash, genotype, mutator, island, iteration, outcome, message,
  score, validation_score, compiled, complexity, reasoning, descriptor_json, evicted, created_at)``:
  every candidate ever evaluated, failures included. ``outcome`` is an
  :class:`~aurora_evo.outcome.Outcome` value; ``descriptor_json`` maps descriptor names to values.
  Evicted programs stay (``evicted = 1``) so that lineage stays whole. Indexed on (run_id, source_hash),
  (run_id, score), (run_id, iteration).
* ``lineage(child_id, parent_id, position)`` PK (child_id, parent_id); ``position`` is the parent's
  place (0, 1, ...) in the child's parent list.
* ``evaluations(program_id, split, case_name, score, metrics_json)`` PK (program_id, split, case_name);
  ``split`` is one of :data:`SPLITS`.
* ``cells(run_id, cell, program_id, score, iteration)`` PK (run_id, cell): the current MAP-Elites elites;
  ``cell`` is the comma-joined cell index, e.g. ``"3,5"``. ``cell_history`` has the same columns and
  gets one row per change (append-only).
* ``ratings(program_id PK, rating, matches, iteration)``: current Elo ratings;
  ``rating_history(program_id, iteration, rating)`` gets one row per change.
  ``matches(run_id, iteration, program_a, program_b, case_name, result)``: ``result`` is 1 when a won,
  0.5 for a draw, 0 when b won.
* ``islands(run_id, island, iteration, members_json, best_program_id, best_score)``
  PK (run_id, island, iteration): island states over time (``members_json`` is a list of program ids,
  or of records holding one, e.g. ``[program_id, score, signature]``).
* ``events(id INTEGER PK, run_id, iteration, kind, data_json, created_at)``: what the controller did
  (migrations, resets, curriculum steps...); ids grow with time (rows are never deleted, so SQLite never
  reuses one).
* ``state(run_id PK, iteration, state_json)``: the controller's resumable state (rng state, counters),
  overwritten every iteration.
* ``llm_calls(id INTEGER PK, run_id, iteration, backend, model, purpose, mode, instruction_id, attempt,
  key_index, prompt_tokens, completion_tokens, latency_s, cost_usd, outcome, error, program_id,
  requested_at)``: every attempt at an LLM call, failures included (``outcome`` is ``ok``, a parse
  outcome such as ``diff_not_applied``, or an error kind such as ``rate_limited``); ``key_index`` names
  the API key by position, never by value; ``requested_at`` is unix time (seconds); ``program_id`` is
  the candidate the call produced, when it was archived. Rows with ``attempt = 0`` are calls the budget
  or the keys' quotas refused.
* ``instructions(run_id, id, text, parent_ids_json, origin, born, children, improved, retired)``
  PK (run_id, id): the evolving prompt instructions and their record (children judged, children that
  improved on their parents).
* ``scenarios(run_id, name, iteration, level, learnability, success_rate, scenario_json)``
  PK (run_id, name): every scenario the attacker put in the training set, once, when it entered
  (``scenario_json`` in the scenario file format, ``success_rate`` the elites' share that succeeded
  on it then).
* ``quality_checks(id INTEGER PK, run_id, iteration, scenario, passed, refused_layers_json,
  reasons_json, features_json)``: quality control's verdict on every scenario the attacker proposed
  (the records of :class:`~aurora_evo.scenario.quality.QualityMonitor`), oldest first.

Transactions: :meth:`Archive.transaction` makes everything inside it one atomic commit (one evolution
iteration = one transaction); an exception inside rolls it all back. Transactions nest (inner ones are
savepoints). Outside a transaction each write method is atomic on its own and commits before it returns.

Crash safety: the database runs in WAL mode with ``synchronous=NORMAL``. A process killed at any moment
(SIGKILL included) loses only the transaction it had not committed; whatever a commit returned from is
on disk for the next opener. (A power cut may lose the last few commits, never corrupt the file.)
One process writes an archive at a time; other processes may read it while it runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlite_utils

from aurora_evo.errors import InputError
from aurora_evo.outcome import Outcome

#: Version of the table layout; an archive written with another version is refused.
SCHEMA_VERSION = 1

#: The evaluation splits: ``train`` scores drive evolution, ``validation`` scores only report.
SPLITS = ("train", "validation")

# SQLite allows 32,766 bound parameters; chunks well under it keep IN (...) lists cheap.
_CHUNK = 500


# --- ids ---------------------------------------------------------------------------------------------


def source_hash(source: str) -> str:
    """SHA-256 of the exact source text, as 64 hex characters."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def program_id(run_id: str, source: str) -> str:
    """A program's stable id: the first 16 hex characters of SHA-256 over the run id and source, so the
    same source gets the same id within a run and different ids across runs."""
    return hashlib.sha256(f"{run_id}\0{source}".encode()).hexdigest()[:16]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- records -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunRecord:
    """A row of ``runs``, with its JSON parsed."""

    id: str
    created_at: str
    status: str
    seed: int | None
    config: dict
    versions: dict


@dataclass(frozen=True)
class ProgramRecord:
    """A row of ``programs``, with its JSON parsed and its parents (from ``lineage``, in order).

    Build new ones with :meth:`new`, which fills the id, hash and timestamp.

    Attributes:
        id: the program's id (see :func:`program_id`).
        run_id: the run it belongs to.
        source: its full source.
        source_hash: :func:`source_hash` of ``source``.
        mutator: name of the operator that made it (``"seed"`` for hand-written starters).
        iteration: the controller iteration it was made in.
        outcome: how its evaluation ended.
        message: one line on a failure (empty when OK).
        score: training score, higher is better; ``None`` unless OK.
        validation_score: held-out score, once measured.
        compiled: True when numba compiled it.
        complexity: a size measure, e.g. its number of AST nodes.
        reasoning: the mutator's explanation of the change.
        genotype: a mutator-specific representation (e.g. a GP tree as text).
        island: the island it lives on, if any.
        descriptor: MAP-Elites descriptor values by descriptor name, if computed.
        evicted: True once it left every population (it stays stored for lineage).
        created_at: ISO-8601 UTC time it was made.
        parent_ids: the ids of its parents, in order (empty for seeds).
    """

    id: str
    run_id: str
    source: str
    source_hash: str
    mutator: str
    iteration: int
    outcome: Outcome
    message: str = ""
    score: float | None = None
    validation_score: float | None = None
    compiled: bool = False
    complexity: int = 0
    reasoning: str = ""
    genotype: str | None = None
    island: int | None = None
    descriptor: dict[str, float] | None = None
    evicted: bool = False
    created_at: str = ""
    parent_ids: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        object.__setattr__(self, "parent_ids", tuple(self.parent_ids))

    @classmethod
    def new(
        cls,
        run_id: str,
        source: str,
        *,
        mutator: str,
        iteration: int,
        outcome: Outcome | str,
        parent_ids: Sequence[str] = (),
        **fields: Any,
    ) -> ProgramRecord:
        """A record for a program not yet stored: id from :func:`program_id`, hash, creation time now.
        ``fields`` are the other attributes (``score``, ``message``, ``island``...)."""
        return cls(
            id=program_id(run_id, source),
            run_id=run_id,
            source=source,
            source_hash=source_hash(source),
            mutator=mutator,
            iteration=iteration,
            outcome=outcome,
            parent_ids=tuple(parent_ids),
            created_at=fields.pop("created_at", None) or _now(),
            **fields,
        )


@dataclass(frozen=True)
class CellChange:
    """A row of ``cell_history``: ``program_id`` took ``cell`` with ``score`` at ``iteration``."""

    cell: tuple[int, ...]
    program_id: str
    score: float
    iteration: int


@dataclass(frozen=True)
class Rating:
    """A row of ``ratings``: a program's current Elo rating after ``matches`` matches."""

    program_id: str
    rating: float
    matches: int
    iteration: int


@dataclass(frozen=True)
class Match:
    """A row of ``matches``: ``result`` is 1 when ``program_a`` won on ``case_name``, 0.5 a draw, 0 a loss."""

    run_id: str
    iteration: int
    program_a: str
    program_b: str
    case_name: str
    result: float


@dataclass(frozen=True)
class IslandState:
    """A row of ``islands``: an island's members and best program at one iteration.

    ``members`` holds what the controller stored for each member, parsed from JSON: program ids, or
    records such as ``[program_id, score, signature]`` (lists stay lists).
    """

    run_id: str
    island: int
    iteration: int
    members: tuple[Any, ...]
    best_program_id: str | None = None
    best_score: float | None = None


@dataclass(frozen=True)
class Event:
    """A row of ``events``; ``data`` is the parsed ``data_json``."""

    id: int
    run_id: str
    iteration: int
    kind: str
    data: dict = field(default_factory=dict)
    created_at: str = ""


# --- schema ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TableSpec:
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


def _program_fk(*columns: str) -> tuple[tuple[str, str, str], ...]:
    return tuple((c, "programs", "id") for c in columns)


_RUN_FK = (("run_id", "runs", "id"),)
_RUN_CELL = {"run_id": str, "cell": str, "program_id": str, "score": float, "iteration": int}

_TABLES = (
    _TableSpec("meta", {"key": str, "value": str}, pk="key"),
    _TableSpec(
        "runs",
        {"id": str, "created_at": str, "status": str, "seed": int, "config_json": str, "versions_json": str},
        pk="id",
        nullable=("seed",),
    ),
    _TableSpec(
        "programs",
        {
            "id": str,
            "run_id": str,
            "source": str,
            "source_hash": str,
            "genotype": str,
            "mutator": str,
            "island": int,
            "iteration": int,
            "outcome": str,
            "message": str,
            "score": float,
            "validation_score": float,
            "compiled": int,
            "complexity": int,
            "reasoning": str,
            "descriptor_json": str,
            "evicted": int,
            "created_at": str,
        },
        pk="id",
        nullable=("genotype", "island", "score", "validation_score", "descriptor_json"),
        defaults={"message": "", "reasoning": "", "compiled": 0, "complexity": 0, "evicted": 0},
        foreign_keys=_RUN_FK,
        indexes=(("run_id", "source_hash"), ("run_id", "score"), ("run_id", "iteration")),
    ),
    _TableSpec(
        "lineage",
        {"child_id": str, "parent_id": str, "position": int},
        pk=("child_id", "parent_id"),
        foreign_keys=_program_fk("child_id", "parent_id"),
        indexes=(("parent_id",),),
    ),
    _TableSpec(
        "evaluations",
        {"program_id": str, "split": str, "case_name": str, "score": float, "metrics_json": str},
        pk=("program_id", "split", "case_name"),
        nullable=("score",),
        foreign_keys=_program_fk("program_id"),
    ),
    _TableSpec("cells", _RUN_CELL, pk=("run_id", "cell"), foreign_keys=_RUN_FK + _program_fk("program_id")),
    _TableSpec(
        "cell_history",
        _RUN_CELL,
        foreign_keys=_RUN_FK + _program_fk("program_id"),
        indexes=(("run_id", "iteration"),),
    ),
    _TableSpec(
        "ratings",
        {"program_id": str, "rating": float, "matches": int, "iteration": int},
        pk="program_id",
        foreign_keys=_program_fk("program_id"),
    ),
    _TableSpec(
        "rating_history",
        {"program_id": str, "iteration": int, "rating": float},
        foreign_keys=_program_fk("program_id"),
        indexes=(("program_id",),),
    ),
    _TableSpec(
        "matches",
        {
            "run_id": str,
            "iteration": int,
            "program_a": str,
            "program_b": str,
            "case_name": str,
            "result": float,
        },
        foreign_keys=_RUN_FK + _program_fk("program_a", "program_b"),
        indexes=(("run_id", "iteration"),),
    ),
    _TableSpec(
        "islands",
        {
            "run_id": str,
            "island": int,
            "iteration": int,
            "members_json": str,
            "best_program_id": str,
            "best_score": float,
        },
        pk=("run_id", "island", "iteration"),
        nullable=("best_program_id", "best_score"),
        foreign_keys=_RUN_FK + _program_fk("best_program_id"),
    ),
    _TableSpec(
        "events",
        {"id": int, "run_id": str, "iteration": int, "kind": str, "data_json": str, "created_at": str},
        pk="id",
        foreign_keys=_RUN_FK,
        indexes=(("run_id", "kind"),),
    ),
    _TableSpec(
        "state",
        {"run_id": str, "iteration": int, "state_json": str},
        pk="run_id",
        foreign_keys=_RUN_FK,
    ),
    # Every attempt at an LLM call, failures included. program_id links the call to the candidate it
    # produced when that candidate was archived (not a foreign key: refused duplicates are not).
    _TableSpec(
        "llm_calls",
        {
            "id": int,
            "run_id": str,
            "iteration": int,
            "backend": str,
            "model": str,
            "purpose": str,
            "mode": str,
            "instruction_id": str,
            "attempt": int,
            "key_index": int,
            "prompt_tokens": int,
            "completion_tokens": int,
            "latency_s": float,
            "cost_usd": float,
            "outcome": str,
            "error": str,
            "program_id": str,
            "requested_at": float,
        },
        pk="id",
        nullable=("instruction_id", "key_index", "program_id"),
        defaults={"error": ""},
        foreign_keys=_RUN_FK,
        indexes=(("run_id", "iteration"),),
    ),
    # The population of prompt instructions (meta-prompt evolution); retired ones stay.
    _TableSpec(
        "instructions",
        {
            "id": str,
            "run_id": str,
            "text": str,
            "parent_ids_json": str,
            "origin": str,
            "born": int,
            "children": int,
            "improved": int,
            "retired": int,
        },
        pk=("run_id", "id"),
        foreign_keys=_RUN_FK,
    ),
    # Scenarios the attacker put in the training set, stored once each (the state names them).
    _TableSpec(
        "scenarios",
        {
            "run_id": str,
            "name": str,
            "iteration": int,
            "level": str,
            "learnability": float,
            "success_rate": float,
            "scenario_json": str,
        },
        pk=("run_id", "name"),
        foreign_keys=_RUN_FK,
    ),
    # Quality control's verdict on every scenario the attacker proposed (the monitor's records).
    _TableSpec(
        "quality_checks",
        {
            "id": int,
            "run_id": str,
            "iteration": int,
            "scenario": str,
            "passed": int,
            "refused_layers_json": str,
            "reasons_json": str,
            "features_json": str,
        },
        pk="id",
        nullable=("features_json",),
        foreign_keys=_RUN_FK,
        indexes=(("run_id", "iteration"),),
    ),
)


# --- JSON and row helpers ----------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(
        f"{type(value).__name__} is not JSON serialisable; convert it to a dict, list, str or number"
    )


def _dumps(value: Any, column: str) -> str:
    try:
        return json.dumps(value, allow_nan=False, default=_json_default, ensure_ascii=False)
    except ValueError as exc:
        raise ValueError(
            f"{column}: {exc}; store None or a finite number instead of NaN or infinity"
        ) from None
    except TypeError as exc:
        raise TypeError(f"{column}: {exc}") from None


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _float(value: Any) -> float | None:
    """A float for a nullable REAL column; NaN becomes None (SQLite would store NULL anyway)."""
    return None if value is None or math.isnan(value) else float(value)


def _cell_key(cell: Sequence[int]) -> str:
    return ",".join(str(int(i)) for i in cell)


def _cell_index(key: str) -> tuple[int, ...]:
    return tuple(int(i) for i in key.split(",")) if key else ()


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split {split!r}; use one of {', '.join(SPLITS)}")


def _island_state(row: dict) -> IslandState:
    return IslandState(
        row["run_id"],
        row["island"],
        row["iteration"],
        tuple(_loads(row["members_json"])),
        row["best_program_id"],
        row["best_score"],
    )


# --- the archive -------------------------------------------------------------------------------------


class Archive:
    """An archive file: open (or create) it, read and write its rows. See the module docstring for the
    tables, transactions and crash safety.

    Use it as a context manager, or call :meth:`close`. It holds one connection: use it from the thread
    that opened it.

    Args:
        path: the database file (created with its tables when missing), or ``":memory:"``.
        busy_timeout_ms: how long a write waits for a reader's lock before failing.

    Raises:
        InputError: when the file is not an aurora-evo archive or has another schema version.
    """

    def __init__(self, path: str | os.PathLike, *, busy_timeout_ms: int = 5_000):
        self.path = os.fspath(path)
        self._closed = False
        self._db = sqlite_utils.Database(self.path)
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self._db.enable_wal()
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._ensure_schema()
        except BaseException:
            self._db.close()
            raise

    def _ensure_schema(self) -> None:
        names = set(self._db.table_names())
        if names and "meta" not in names:
            raise InputError(
                f"{self.path}: not an aurora-evo archive (tables {', '.join(sorted(names)[:5])} but no meta "
                "table); give a new file name"
            )
        if "meta" in names:
            row = next(self._db.query("SELECT value FROM meta WHERE key = 'schema_version'"), None)
            if row is None or row["value"] != str(SCHEMA_VERSION):
                found = "none" if row is None else row["value"]
                raise InputError(
                    f"{self.path}: archive schema version {found}, this aurora-evo reads version "
                    f"{SCHEMA_VERSION}; open it with the aurora-evo that wrote it, or start a new archive"
                )
            if names >= {spec.name for spec in _TABLES}:
                return
        # One transaction, so a crash while creating leaves either no tables or all of them. Tables added
        # to this version after an archive was made (the LLM ones) are created when it is next opened.
        with self._db.atomic():
            for spec in _TABLES:
                table = self._db.create_table(
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
            self._db.table("meta").insert_all(
                [
                    {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                    {"key": "created_at", "value": _now()},
                ],
                ignore=True,
            )

    # --- connection ----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Archive]:
        """Everything written inside commits at once when the block ends, or not at all if it raises.
        Nested blocks are savepoints: an exception caught inside the outer block undoes only the inner."""
        with self._db.atomic():
            yield self

    @property
    def in_transaction(self) -> bool:
        return self._db.conn.in_transaction

    @property
    def database(self) -> sqlite_utils.Database:
        """The underlying ``sqlite_utils.Database``, for ad-hoc read queries (reports, notebooks)."""
        return self._db

    def integrity_check(self) -> str:
        """``"ok"`` when SQLite's ``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check`` find
        nothing wrong, else their findings, one per line."""
        problems = [row[0] for row in self._db.execute("PRAGMA integrity_check").fetchall()]
        if problems == ["ok"]:
            problems = []
        problems += [
            f"{table} row {rowid}: no matching row in {parent}"
            for table, rowid, parent, _ in self._db.execute("PRAGMA foreign_key_check").fetchall()
        ]
        return "\n".join(problems) or "ok"

    def close(self) -> None:
        """Close the connection (again: nothing happens); a transaction still open is rolled back."""
        if self._closed:
            return
        self._closed = True
        self._db.rollback()
        self._db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Archive({self.path!r})"

    # --- runs ----------------------------------------------------------------------------------------

    def create_run(
        self,
        run_id: str,
        config: Mapping,
        seed: int | None,
        versions: Mapping | None = None,
        *,
        status: str = "running",
    ) -> RunRecord:
        """Record a new run. ``config`` is the run's configuration as plain data; ``versions`` the
        versions of what produced it (package, numpy, model names...).

        Raises:
            ValueError: when a run with this id exists (resume it with :meth:`get_run` instead).
        """
        record = RunRecord(run_id, _now(), status, seed, dict(config), dict(versions or {}))
        with self._db.atomic():
            if self._exists("runs", run_id):
                raise ValueError(f"run {run_id!r} already exists; resume it or choose another run id")
            self._db.table("runs").insert(
                {
                    "id": run_id,
                    "created_at": record.created_at,
                    "status": status,
                    "seed": seed,
                    "config_json": _dumps(record.config, "config_json"),
                    "versions_json": _dumps(record.versions, "versions_json"),
                }
            )
        return record

    def get_run(self, run_id: str) -> RunRecord:
        """The run with this id. Raises ``KeyError`` when there is none."""
        row = next(self._db.query("SELECT * FROM runs WHERE id = ?", [run_id]), None)
        if row is None:
            raise KeyError(f"no run {run_id!r} in {self.path}")
        return self._run(row)

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first."""
        return [self._run(row) for row in self._db.query("SELECT * FROM runs ORDER BY rowid")]

    def update_run_status(self, run_id: str, status: str) -> None:
        """Set a run's status (e.g. ``"finished"``). Raises ``KeyError`` for an unknown run."""
        self._update("UPDATE runs SET status = ? WHERE id = ?", [status, run_id], f"no run {run_id!r}")

    @staticmethod
    def _run(row: dict) -> RunRecord:
        return RunRecord(
            row["id"],
            row["created_at"],
            row["status"],
            row["seed"],
            _loads(row["config_json"]),
            _loads(row["versions_json"]),
        )

    # --- programs ------------------------------------------------------------------------------------

    def add_program(self, record: ProgramRecord, parent_ids: Sequence[str] | None = None) -> ProgramRecord:
        """Store a program and its lineage; returns the record as stored.

        Args:
            record: the program (see :meth:`ProgramRecord.new`).
            parent_ids: its parents in order; ``None`` takes ``record.parent_ids``. Repeats are dropped
                (a crossover of a program with itself has one parent).

        Raises:
            ValueError: the id is already stored (look sources up with :meth:`find_by_hash` first), or
                the program is its own parent, or ``parent_ids`` contradicts ``record.parent_ids``.
            KeyError: the run or a parent is not stored (store parents before their children).
        """
        if parent_ids is not None and record.parent_ids and tuple(parent_ids) != record.parent_ids:
            raise ValueError(
                f"program {record.id}: parent_ids {tuple(parent_ids)} differ from the record's "
                f"{record.parent_ids}; pass one of them"
            )
        parents = tuple(dict.fromkeys(record.parent_ids if parent_ids is None else parent_ids))
        record = replace(record, parent_ids=parents, created_at=record.created_at or _now())
        if record.id in parents:
            raise ValueError(f"program {record.id} lists itself as a parent")
        with self._db.atomic():
            if self._exists("programs", record.id):
                raise ValueError(
                    f"program {record.id} is already in the archive; look it up with find_by_hash before "
                    "adding a source again"
                )
            if not self._exists("runs", record.run_id):
                raise KeyError(f"program {record.id}: no run {record.run_id!r}; call create_run first")
            missing = set(parents) - self._existing_ids(parents)
            if missing:
                raise KeyError(
                    f"program {record.id}: parents {', '.join(sorted(missing))} are not stored; add parents "
                    "before their children"
                )
            self._db.table("programs").insert(
                {
                    "id": record.id,
                    "run_id": record.run_id,
                    "source": record.source,
                    "source_hash": record.source_hash,
                    "genotype": record.genotype,
                    "mutator": record.mutator,
                    "island": record.island,
                    "iteration": record.iteration,
                    "outcome": record.outcome.value,
                    "message": record.message,
                    "score": _float(record.score),
                    "validation_score": _float(record.validation_score),
                    "compiled": int(bool(record.compiled)),
                    "complexity": int(record.complexity),
                    "reasoning": record.reasoning,
                    "descriptor_json": None
                    if record.descriptor is None
                    else _dumps(record.descriptor, "descriptor_json"),
                    "evicted": int(bool(record.evicted)),
                    "created_at": record.created_at,
                }
            )
            self._db.table("lineage").insert_all(
                {"child_id": record.id, "parent_id": parent, "position": position}
                for position, parent in enumerate(parents)
            )
        return record

    def get_program(self, program_id: str) -> ProgramRecord:
        """The program with this id. Raises ``KeyError`` when there is none."""
        records = self._records(self._db.query("SELECT * FROM programs WHERE id = ?", [program_id]))
        if not records:
            raise KeyError(f"no program {program_id!r} in {self.path}")
        return records[0]

    def find_by_hash(self, run_id: str, source_hash: str) -> ProgramRecord | None:
        """The first program of the run whose source has this :func:`source_hash`, or ``None``."""
        rows = self._db.query(
            "SELECT * FROM programs WHERE run_id = ? AND source_hash = ? ORDER BY rowid LIMIT 1",
            [run_id, source_hash],
        )
        records = self._records(rows)
        return records[0] if records else None

    def programs(
        self,
        run_id: str,
        *,
        outcome: Outcome | str | None = None,
        island: int | None = None,
        include_evicted: bool = True,
        order_by_score: bool = False,
        limit: int | None = None,
    ) -> list[ProgramRecord]:
        """The run's programs, in the order they were stored, or best score first (those without a
        score last) with ``order_by_score``; filtered by outcome and island, at most ``limit`` of them."""
        where, params = ["run_id = ?"], [run_id]
        if outcome is not None:
            where.append("outcome = ?")
            params.append(Outcome(outcome).value)
        if island is not None:
            where.append("island = ?")
            params.append(island)
        if not include_evicted:
            where.append("evicted = 0")
        order = "score IS NULL, score DESC, rowid" if order_by_score else "rowid"
        sql = f"SELECT * FROM programs WHERE {' AND '.join(where)} ORDER BY {order}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return self._records(self._db.query(sql, params))

    def set_evicted(self, program_ids: Iterable[str], evicted: bool = True) -> None:
        """Mark programs as evicted (or back). Raises ``KeyError`` (changing nothing) if one is unknown."""
        ids = list(dict.fromkeys(program_ids))
        with self._db.atomic():
            changed = sum(
                self._db.execute(
                    f"UPDATE programs SET evicted = ? WHERE id IN ({_marks(len(chunk))})",
                    [int(bool(evicted)), *chunk],
                ).rowcount
                for chunk in _chunks(ids)
            )
            if changed != len(ids):
                missing = set(ids) - self._existing_ids(ids)
                raise KeyError(f"no programs {', '.join(sorted(missing))} in {self.path}")

    def set_validation_score(self, program_id: str, value: float | None) -> None:
        """Record a program's held-out score. Raises ``KeyError`` for an unknown program."""
        self._update(
            "UPDATE programs SET validation_score = ? WHERE id = ?",
            [_float(value), program_id],
            f"no program {program_id!r}",
        )

    # --- lineage -------------------------------------------------------------------------------------

    def parents(self, program_id: str) -> list[ProgramRecord]:
        """The program's parents, in the order they were given."""
        return self._records(
            self._db.query(
                "SELECT p.* FROM lineage l JOIN programs p ON p.id = l.parent_id WHERE l.child_id = ? "
                "ORDER BY l.position",
                [program_id],
            )
        )

    def children(self, program_id: str) -> list[ProgramRecord]:
        """The programs made from this one, in the order they were stored."""
        return self._records(
            self._db.query(
                "SELECT p.* FROM lineage l JOIN programs p ON p.id = l.child_id WHERE l.parent_id = ? "
                "ORDER BY p.rowid",
                [program_id],
            )
        )

    def ancestry(self, program_id: str) -> list[ProgramRecord]:
        """Every ancestor of the program back to the seeds, evicted ones included, each once, nearest
        generation first (breadth-first, parents in their given order). The program itself is not in it.
        Raises ``KeyError`` for an unknown program."""
        if not self._exists("programs", program_id):
            raise KeyError(f"no program {program_id!r} in {self.path}")
        seen, order, frontier = {program_id}, [], [program_id]
        while frontier:
            parent_map = self._parent_map(frontier)
            frontier = []
            for child in parent_map:
                for parent in parent_map[child]:
                    if parent not in seen:
                        seen.add(parent)
                        order.append(parent)
                        frontier.append(parent)
        return self._programs_by_id(order)

    # --- evaluations ---------------------------------------------------------------------------------

    def add_evaluations(self, program_id: str, split: str, per_case: Mapping[str, Mapping]) -> None:
        """Store a program's metrics per case on one split (replacing earlier ones of the same cases).

        Args:
            program_id: the program evaluated.
            split: ``"train"`` or ``"validation"``.
            per_case: case name -> its metrics as plain data, holding at least ``"score"`` (a number,
                higher is better, or ``None``); the whole dict is kept as ``metrics_json``.
        """
        _check_split(split)
        rows = []
        for case, metrics in per_case.items():
            if "score" not in metrics:
                raise ValueError(
                    f"program {program_id}, {split} case {case!r}: the metrics need a 'score' entry (the "
                    "case's number to maximise, e.g. its reward)"
                )
            rows.append(
                {
                    "program_id": program_id,
                    "split": split,
                    "case_name": case,
                    "score": _float(metrics["score"]),
                    "metrics_json": _dumps(dict(metrics), "metrics_json"),
                }
            )
        with self._db.atomic():
            self._require_program(program_id)
            self._db.table("evaluations").upsert_all(rows, pk=("program_id", "split", "case_name"))

    def evaluations(self, program_id: str, split: str | None = None) -> dict[str, dict[str, dict]]:
        """``{split: {case: metrics}}`` of a program, cases in name order; one split when given."""
        where, params = "program_id = ?", [program_id]
        if split is not None:
            _check_split(split)
            where, params = where + " AND split = ?", [*params, split]
        result: dict[str, dict[str, dict]] = {}
        for row in self._db.query(
            f"SELECT split, case_name, metrics_json FROM evaluations WHERE {where} ORDER BY split, case_name",
            params,
        ):
            result.setdefault(row["split"], {})[row["case_name"]] = _loads(row["metrics_json"])
        return result

    def case_scores(self, program_id: str, split: str = "train") -> dict[str, float | None]:
        """``{case: score}`` of a program on one split, in case-name order."""
        _check_split(split)
        return {
            row["case_name"]: row["score"]
            for row in self._db.query(
                "SELECT case_name, score FROM evaluations WHERE program_id = ? AND split = ? "
                "ORDER BY case_name",
                [program_id, split],
            )
        }

    # --- MAP-Elites cells ----------------------------------------------------------------------------

    def mean_metrics(self, program_id: str, split: str = "train") -> dict[str, float]:
        """Each numeric metric of a program's evaluations averaged over its cases (the feedback an LLM
        is shown); empty when it has none."""
        totals: dict[str, list[float]] = {}
        for metrics in self.evaluations(program_id, split).get(split, {}).values():
            for name, value in metrics.items():
                if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
                    totals.setdefault(name, []).append(float(value))
        return {name: sum(values) / len(values) for name, values in sorted(totals.items())}

    def set_cell(
        self, run_id: str, cell: Sequence[int], program_id: str, score: float, iteration: int
    ) -> None:
        """Make ``program_id`` the elite of ``cell`` (an index tuple) and append the change to history."""
        row = {
            "run_id": run_id,
            "cell": _cell_key(cell),
            "program_id": program_id,
            "score": float(score),
            "iteration": iteration,
        }
        with self._db.atomic():
            self._db.table("cells").upsert(row, pk=("run_id", "cell"))
            self._db.table("cell_history").insert(row)

    def cells(self, run_id: str) -> dict[tuple[int, ...], tuple[str, float]]:
        """The run's elites: cell index -> (program id, score)."""
        return {
            _cell_index(row["cell"]): (row["program_id"], row["score"])
            for row in self._db.query(
                "SELECT cell, program_id, score FROM cells WHERE run_id = ? ORDER BY cell", [run_id]
            )
        }

    def cell_history(self, run_id: str) -> list[CellChange]:
        """Every change of the run's elites, oldest first."""
        return [
            CellChange(_cell_index(row["cell"]), row["program_id"], row["score"], row["iteration"])
            for row in self._db.query("SELECT * FROM cell_history WHERE run_id = ? ORDER BY rowid", [run_id])
        ]

    # --- Elo ratings ---------------------------------------------------------------------------------

    def set_rating(self, program_id: str, rating: float, matches: int, iteration: int) -> None:
        """Set a program's current rating after ``matches`` matches, and append it to its history."""
        with self._db.atomic():
            self._db.table("ratings").upsert(
                {
                    "program_id": program_id,
                    "rating": float(rating),
                    "matches": int(matches),
                    "iteration": iteration,
                },
                pk="program_id",
            )
            self._db.table("rating_history").insert(
                {"program_id": program_id, "iteration": iteration, "rating": float(rating)}
            )

    def ratings(self, run_id: str) -> dict[str, Rating]:
        """The current ratings of the run's programs, best first: program id -> :class:`Rating`."""
        return {
            row["program_id"]: Rating(row["program_id"], row["rating"], row["matches"], row["iteration"])
            for row in self._db.query(
                "SELECT r.* FROM ratings r JOIN programs p ON p.id = r.program_id WHERE p.run_id = ? "
                "ORDER BY r.rating DESC, r.program_id",
                [run_id],
            )
        }

    def rated_programs(self, run_id: str) -> list[str]:
        """Ids of the run's rated programs, in the order the programs were archived."""
        return [
            row["program_id"]
            for row in self._db.query(
                "SELECT r.program_id FROM ratings r JOIN programs p ON p.id = r.program_id "
                "WHERE p.run_id = ? ORDER BY p.rowid",
                [run_id],
            )
        ]

    def rating_history(self, program_id: str) -> list[tuple[int, float]]:
        """A program's ratings over time: (iteration, rating), oldest first."""
        return [
            (row["iteration"], row["rating"])
            for row in self._db.query(
                "SELECT iteration, rating FROM rating_history WHERE program_id = ? ORDER BY rowid",
                [program_id],
            )
        ]

    def add_matches(self, matches: Iterable[Match | Sequence]) -> int:
        """Append played matches, as :class:`Match` or tuples in its field order; returns how many."""
        rows = []
        for m in matches:
            m = m if isinstance(m, Match) else Match(*m)
            if not 0.0 <= m.result <= 1.0:
                raise ValueError(f"match result {m.result}; use 1 (a won), 0.5 (draw) or 0 (b won)")
            rows.append(
                {
                    "run_id": m.run_id,
                    "iteration": m.iteration,
                    "program_a": m.program_a,
                    "program_b": m.program_b,
                    "case_name": m.case_name,
                    "result": float(m.result),
                }
            )
        with self._db.atomic():
            self._db.table("matches").insert_all(rows)
        return len(rows)

    def matches(self, run_id: str, iteration: int | None = None) -> list[Match]:
        """The run's matches (of one iteration when given), in the order they were stored."""
        where, params = "run_id = ?", [run_id]
        if iteration is not None:
            where, params = where + " AND iteration = ?", [run_id, iteration]
        return [
            Match(r["run_id"], r["iteration"], r["program_a"], r["program_b"], r["case_name"], r["result"])
            for r in self._db.query(f"SELECT * FROM matches WHERE {where} ORDER BY rowid", params)
        ]

    # --- islands -------------------------------------------------------------------------------------

    def set_island_state(
        self,
        run_id: str,
        island: int,
        iteration: int,
        members: Sequence,
        best_program_id: str | None = None,
        best_score: float | None = None,
    ) -> None:
        """Record an island's members and best program at an iteration (replacing a record of the same
        island and iteration). ``members`` are program ids, or JSON-able records of them (e.g.
        ``[program_id, score, signature]``), as the controller needs to rebuild the island."""
        with self._db.atomic():
            self._db.table("islands").upsert(
                {
                    "run_id": run_id,
                    "island": int(island),
                    "iteration": iteration,
                    "members_json": _dumps(list(members), "members_json"),
                    "best_program_id": best_program_id,
                    "best_score": _float(best_score),
                },
                pk=("run_id", "island", "iteration"),
            )

    def latest_islands(self, run_id: str) -> dict[int, IslandState]:
        """Each island's most recent state: island number -> :class:`IslandState`."""
        rows = self._db.query(
            "SELECT * FROM islands i WHERE run_id = ? AND iteration = (SELECT MAX(iteration) FROM islands "
            "WHERE run_id = i.run_id AND island = i.island) ORDER BY island",
            [run_id],
        )
        return {row["island"]: _island_state(row) for row in rows}

    def island_history(self, run_id: str, island: int | None = None) -> list[IslandState]:
        """Island states over time, by iteration then island; one island's when given."""
        where, params = "run_id = ?", [run_id]
        if island is not None:
            where, params = where + " AND island = ?", [run_id, island]
        rows = self._db.query(f"SELECT * FROM islands WHERE {where} ORDER BY iteration, island", params)
        return [_island_state(row) for row in rows]

    # --- events and resumable state ------------------------------------------------------------------

    def add_event(self, run_id: str, iteration: int, kind: str, data: Mapping | None = None) -> int:
        """Append an event (``kind`` like ``"migration"``, ``data`` plain data); returns its id."""
        with self._db.atomic():
            table = self._db.table("events").insert(
                {
                    "run_id": run_id,
                    "iteration": iteration,
                    "kind": kind,
                    "data_json": _dumps(dict(data or {}), "data_json"),
                    "created_at": _now(),
                }
            )
        return int(table.last_rowid)

    def events(self, run_id: str, kind: str | None = None) -> list[Event]:
        """The run's events (of one kind when given), oldest first."""
        where, params = "run_id = ?", [run_id]
        if kind is not None:
            where, params = where + " AND kind = ?", [run_id, kind]
        return [
            Event(r["id"], r["run_id"], r["iteration"], r["kind"], _loads(r["data_json"]), r["created_at"])
            for r in self._db.query(f"SELECT * FROM events WHERE {where} ORDER BY id", params)
        ]

    def save_state(self, run_id: str, iteration: int, state: Mapping) -> None:
        """Overwrite the controller's resumable state for a run (plain data: rng state, counters)."""
        with self._db.atomic():
            self._db.table("state").upsert(
                {"run_id": run_id, "iteration": iteration, "state_json": _dumps(dict(state), "state_json")},
                pk="run_id",
            )

    def load_state(self, run_id: str) -> tuple[int, dict] | None:
        """The last saved (iteration, state) of a run, or ``None`` when none was saved."""
        row = next(self._db.query("SELECT * FROM state WHERE run_id = ?", [run_id]), None)
        return None if row is None else (row["iteration"], _loads(row["state_json"]))

    # --- LLM calls and prompt instructions -----------------------------------------------------------

    def add_llm_calls(self, run_id: str, iteration: int, calls: Iterable[Mapping]) -> list[int]:
        """Store attempts at LLM calls (mappings with the ``llm_calls`` columns but the run, iteration
        and id; ``when`` becomes ``requested_at``); returns their row ids."""
        ids = []
        with self._db.atomic():
            table = self._db.table("llm_calls")
            for call in calls:
                row = {k: v for k, v in call.items() if k != "when"}
                table.insert({"run_id": run_id, "iteration": iteration, "requested_at": call["when"], **row})
                ids.append(int(table.last_rowid))
        return ids

    def link_llm_call(self, call_id: int, program_id: str) -> None:
        """Record that LLM call ``call_id`` produced the archived program ``program_id``."""
        self._require_program(program_id)
        with self._db.atomic():
            self._db.execute("UPDATE llm_calls SET program_id = ? WHERE id = ?", [program_id, call_id])

    def llm_calls(self, run_id: str) -> list[dict]:
        """The run's LLM call attempts, oldest first, as rows."""
        return list(self._db.query("SELECT * FROM llm_calls WHERE run_id = ? ORDER BY id", [run_id]))

    def llm_spending(self, run_id: str) -> tuple[int, float]:
        """(attempts made, dollars spent) on LLM calls in the run; refused calls (budget, quota) are not
        attempts."""
        row = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(cost_usd), 0) FROM llm_calls WHERE run_id = ? AND attempt > 0",
            [run_id],
        ).fetchone()
        return int(row[0]), float(row[1])

    def key_history(self, run_id: str, since: float) -> list[tuple[int, float]]:
        """(key index, unix time) of the run's requests made at or after ``since``."""
        rows = self._db.execute(
            "SELECT key_index, requested_at FROM llm_calls WHERE run_id = ? AND requested_at >= ? "
            "AND key_index IS NOT NULL ORDER BY requested_at",
            [run_id, since],
        ).fetchall()
        return [(int(k), float(t)) for k, t in rows]

    def set_instructions(self, run_id: str, instructions: Iterable[Mapping]) -> None:
        """Upsert prompt instructions (mappings like :class:`~aurora_evo.mutators.llm.meta.Instruction`)."""
        rows = [
            {
                "id": i["id"],
                "run_id": run_id,
                "text": i["text"],
                "parent_ids_json": _dumps(list(i["parent_ids"]), "parent_ids_json"),
                "origin": i["origin"],
                "born": i["born"],
                "children": i["children"],
                "improved": i["improved"],
                "retired": int(bool(i["retired"])),
            }
            for i in instructions
        ]
        if rows:
            with self._db.atomic():
                self._db.table("instructions").upsert_all(rows, pk=("run_id", "id"))

    def instructions(self, run_id: str) -> list[dict]:
        """The run's prompt instructions, as rows (``parent_ids`` parsed)."""
        rows = self._db.query("SELECT * FROM instructions WHERE run_id = ? ORDER BY born, id", [run_id])
        return [
            {
                **{k: v for k, v in r.items() if k != "parent_ids_json"},
                "parent_ids": _loads(r["parent_ids_json"]),
            }
            for r in rows
        ]

    # --- attacker scenarios --------------------------------------------------------------------------

    def add_scenario(
        self, run_id: str, iteration: int, scenario: Mapping, *, learnability: float, success_rate: float
    ) -> bool:
        """Store a training scenario of the attacker (``scenario`` in the file format's dict form, with
        its ``name`` and ``level``) unless the run already has one of that name; returns whether it
        was new."""
        row = {
            "run_id": run_id,
            "name": scenario["name"],
            "iteration": iteration,
            "level": scenario.get("level") or "",
            "learnability": float(learnability),
            "success_rate": float(success_rate),
            "scenario_json": _dumps(dict(scenario), "scenario_json"),
        }
        with self._db.atomic():
            if self._db.execute(
                "SELECT 1 FROM scenarios WHERE run_id = ? AND name = ?", [run_id, row["name"]]
            ).fetchone():
                return False
            self._db.table("scenarios").insert(row)
            return True

    def scenario(self, run_id: str, name: str) -> dict:
        """A stored attacker scenario, in the file format's dict form.

        Raises:
            KeyError: the run has no scenario of that name.
        """
        row = self._db.execute(
            "SELECT scenario_json FROM scenarios WHERE run_id = ? AND name = ?", [run_id, name]
        ).fetchone()
        if row is None:
            raise KeyError(f"run {run_id!r} has no scenario {name!r}")
        return _loads(row[0])

    def scenario_rows(self, run_id: str) -> list[dict]:
        """The run's stored attacker scenarios without their content, in the order they entered."""
        return list(
            self._db.query(
                "SELECT run_id, name, iteration, level, learnability, success_rate FROM scenarios "
                "WHERE run_id = ? ORDER BY iteration, name",
                [run_id],
            )
        )

    def add_quality_checks(self, run_id: str, checks: Iterable[Mapping]) -> None:
        """Append quality-control records (:func:`~aurora_evo.scenario.quality.check_record`)."""
        rows = [
            {
                "run_id": run_id,
                "iteration": int(c["iteration"]),
                "scenario": c["scenario"],
                "passed": int(bool(c["passed"])),
                "refused_layers_json": _dumps(list(c["refused_layers"]), "refused_layers_json"),
                "reasons_json": _dumps(list(c["reasons"]), "reasons_json"),
                "features_json": (
                    None if c["features"] is None else _dumps(list(c["features"]), "features_json")
                ),
            }
            for c in checks
        ]
        if rows:
            with self._db.atomic():
                self._db.table("quality_checks").insert_all(rows)

    def quality_checks(self, run_id: str) -> list[dict]:
        """The run's quality-control records, oldest first, in :func:`check_record`'s form."""
        return [
            {
                "iteration": r["iteration"],
                "scenario": r["scenario"],
                "passed": bool(r["passed"]),
                "refused_layers": _loads(r["refused_layers_json"]),
                "reasons": _loads(r["reasons_json"]),
                "features": _loads(r["features_json"]),
            }
            for r in self._db.query("SELECT * FROM quality_checks WHERE run_id = ? ORDER BY id", [run_id])
        ]

    # --- helpers -------------------------------------------------------------------------------------

    def _exists(self, table: str, key: str) -> bool:
        return self._db.execute(f"SELECT 1 FROM {table} WHERE id = ?", [key]).fetchone() is not None

    def _require_program(self, program_id: str) -> None:
        if not self._exists("programs", program_id):
            raise KeyError(f"no program {program_id!r} in {self.path}")

    def _existing_ids(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(list(ids)):
            found.update(
                row[0]
                for row in self._db.execute(
                    f"SELECT id FROM programs WHERE id IN ({_marks(len(chunk))})", list(chunk)
                )
            )
        return found

    def _update(self, sql: str, params: list, missing: str) -> None:
        with self._db.atomic():
            if self._db.execute(sql, params).rowcount == 0:
                raise KeyError(f"{missing} in {self.path}")

    def _parent_map(self, child_ids: Sequence[str]) -> dict[str, list[str]]:
        """child id -> its parent ids in order, for the given children (in the given order)."""
        result: dict[str, list[str]] = {child: [] for child in child_ids}
        for chunk in _chunks(list(child_ids)):
            for child, parent in self._db.execute(
                f"SELECT child_id, parent_id FROM lineage WHERE child_id IN ({_marks(len(chunk))}) "
                "ORDER BY child_id, position",
                list(chunk),
            ):
                result[child].append(parent)
        return result

    def _records(self, rows: Iterable[dict]) -> list[ProgramRecord]:
        rows = list(rows)
        parent_map = self._parent_map([row["id"] for row in rows])
        return [
            ProgramRecord(
                id=row["id"],
                run_id=row["run_id"],
                source=row["source"],
                source_hash=row["source_hash"],
                mutator=row["mutator"],
                iteration=row["iteration"],
                outcome=Outcome(row["outcome"]),
                message=row["message"],
                score=row["score"],
                validation_score=row["validation_score"],
                compiled=bool(row["compiled"]),
                complexity=row["complexity"],
                reasoning=row["reasoning"],
                genotype=row["genotype"],
                island=row["island"],
                descriptor=_loads(row["descriptor_json"]),
                evicted=bool(row["evicted"]),
                created_at=row["created_at"],
                parent_ids=tuple(parent_map[row["id"]]),
            )
            for row in rows
        ]

    def _programs_by_id(self, ids: Sequence[str]) -> list[ProgramRecord]:
        """The programs with these ids, in the given order."""
        by_id: dict[str, ProgramRecord] = {}
        for chunk in _chunks(list(ids)):
            rows = self._db.query(f"SELECT * FROM programs WHERE id IN ({_marks(len(chunk))})", list(chunk))
            by_id.update((record.id, record) for record in self._records(rows))
        return [by_id[i] for i in ids]
