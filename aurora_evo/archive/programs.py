"""The archive's store of programs: every candidate ever evaluated, its parents, and its metrics per case.

Tables (nothing is ever deleted):

* ``programs(id PK, run_id, source, source_hash, genotype, mutator, island, iteration, outcome, message,
  score, validation_score, compiled, complexity, reasoning, descriptor_json, evicted, created_at)``:
  every candidate ever evaluated, failures included. ``outcome`` is an
  :class:`~aurora_evo.outcome.Outcome` value; ``descriptor_json`` maps descriptor names to values.
  Evicted programs stay (``evicted = 1``) so that lineage stays whole. Indexed on (run_id, source_hash),
  (run_id, score), (run_id, iteration).
* ``lineage(child_id, parent_id, position)`` PK (child_id, parent_id); ``position`` is the parent's
  place (0, 1, ...) in the child's parent list.
* ``evaluations(program_id, split, case_name, score, metrics_json)`` PK (program_id, split, case_name);
  ``split`` is one of :data:`~aurora_evo.archive.records.SPLITS`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

import sqlite_utils

from aurora_evo.archive.records import SPLITS, ProgramRecord, now
from aurora_evo.archive.tables import (
    RUN_FK,
    TableSpec,
    chunks,
    dumps,
    has_row,
    loads,
    marks,
    program_fk,
    real_or_none,
    require_program,
    update_one,
)
from aurora_evo.outcome import Outcome

PROGRAMS = TableSpec(
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
    foreign_keys=RUN_FK,
    indexes=(("run_id", "source_hash"), ("run_id", "score"), ("run_id", "iteration")),
)
LINEAGE = TableSpec(
    "lineage",
    {"child_id": str, "parent_id": str, "position": int},
    pk=("child_id", "parent_id"),
    foreign_keys=program_fk("child_id", "parent_id"),
    indexes=(("parent_id",),),
)
EVALUATIONS = TableSpec(
    "evaluations",
    {"program_id": str, "split": str, "case_name": str, "score": float, "metrics_json": str},
    pk=("program_id", "split", "case_name"),
    nullable=("score",),
    foreign_keys=program_fk("program_id"),
)


class ProgramStore:
    """The programs of an archive, their lineage and evaluations (``archive.programs``); shares the
    archive's connection and transaction. Each write is atomic on its own outside a transaction.

    Args:
        db: the archive's open database.
        path: the archive's file, for error messages.
    """

    #: Its tables, in the order they are created.
    TABLES = (PROGRAMS, LINEAGE, EVALUATIONS)

    def __init__(self, db: sqlite_utils.Database, path: str):
        self._db = db
        self.path = path

    # --- programs ------------------------------------------------------------------------------------

    def add(self, record: ProgramRecord, parent_ids: Sequence[str] | None = None) -> ProgramRecord:
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
        record = replace(record, parent_ids=parents, created_at=record.created_at or now())
        if record.id in parents:
            raise ValueError(f"program {record.id} lists itself as a parent")
        with self._db.atomic():
            if has_row(self._db, "programs", record.id):
                raise ValueError(
                    f"program {record.id} is already in the archive; look it up with find_by_hash before "
                    "adding a source again"
                )
            if not has_row(self._db, "runs", record.run_id):
                raise KeyError(f"program {record.id}: no run {record.run_id!r}; call runs.create first")
            missing = set(parents) - self._existing_ids(parents)
            if missing:
                raise KeyError(
                    f"program {record.id}: parents {', '.join(sorted(missing))} are not stored; add parents "
                    "before their children"
                )
            self._db.table("programs").insert(_program_row(record))
            self._db.table("lineage").insert_all(
                {"child_id": record.id, "parent_id": parent, "position": position}
                for position, parent in enumerate(parents)
            )
        return record

    def get(self, program_id: str) -> ProgramRecord:
        """The program with this id. Raises ``KeyError`` when there is none."""
        records = self._records(self._db.query("SELECT * FROM programs WHERE id = ?", [program_id]))
        if not records:
            raise KeyError(f"no program {program_id!r} in {self.path}")
        return records[0]

    def find_by_hash(self, run_id: str, source_hash: str) -> ProgramRecord | None:
        """The first program of the run whose source has this
        :func:`~aurora_evo.archive.records.source_hash`, or ``None``."""
        rows = self._db.query(
            "SELECT * FROM programs WHERE run_id = ? AND source_hash = ? ORDER BY rowid LIMIT 1",
            [run_id, source_hash],
        )
        records = self._records(rows)
        return records[0] if records else None

    def of_run(
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
                    f"UPDATE programs SET evicted = ? WHERE id IN ({marks(len(chunk))})",
                    [int(bool(evicted)), *chunk],
                ).rowcount
                for chunk in chunks(ids)
            )
            if changed != len(ids):
                missing = set(ids) - self._existing_ids(ids)
                raise KeyError(f"no programs {', '.join(sorted(missing))} in {self.path}")

    def set_validation_score(self, program_id: str, value: float | None) -> None:
        """Record a program's held-out score. Raises ``KeyError`` for an unknown program."""
        update_one(
            self._db,
            "UPDATE programs SET validation_score = ? WHERE id = ?",
            [real_or_none(value), program_id],
            f"no program {program_id!r}",
            self.path,
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
        require_program(self._db, program_id, self.path)
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

    def lineage_rows(self, run_id: str) -> list[dict]:
        """Every parent link of the run's programs, as rows ``{child_id, parent_id, position}``, by child
        in the order the children were stored, then by position."""
        return list(
            self._db.query(
                "SELECT l.child_id, l.parent_id, l.position FROM lineage l JOIN programs p "
                "ON p.id = l.child_id WHERE p.run_id = ? ORDER BY p.rowid, l.position",
                [run_id],
            )
        )

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
                    "score": real_or_none(metrics["score"]),
                    "metrics_json": dumps(dict(metrics), "metrics_json"),
                }
            )
        with self._db.atomic():
            require_program(self._db, program_id, self.path)
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
            result.setdefault(row["split"], {})[row["case_name"]] = loads(row["metrics_json"])
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

    def mean_metrics(self, program_id: str, split: str = "train") -> dict[str, float]:
        """Each numeric metric of a program's evaluations averaged over its cases (the feedback an LLM
        is shown); empty when it has none."""
        totals: dict[str, list[float]] = {}
        for metrics in self.evaluations(program_id, split).get(split, {}).values():
            for name, value in metrics.items():
                if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
                    totals.setdefault(name, []).append(float(value))
        return {name: sum(values) / len(values) for name, values in sorted(totals.items())}

    def evaluation_rows(self, run_id: str, split: str | None = None) -> list[dict]:
        """Every evaluation of the run's programs (on one split when given), as rows ``{program_id,
        split, case_name, score, metrics}`` (``metrics`` parsed), by program in the order stored, then
        by split and case name."""
        where, params = "p.run_id = ?", [run_id]
        if split is not None:
            where, params = where + " AND e.split = ?", [run_id, split]
        rows = self._db.query(
            "SELECT e.program_id, e.split, e.case_name, e.score, e.metrics_json FROM evaluations e "
            f"JOIN programs p ON p.id = e.program_id WHERE {where} ORDER BY p.rowid, e.split, e.case_name",
            params,
        )
        return [
            {**{k: v for k, v in row.items() if k != "metrics_json"}, "metrics": loads(row["metrics_json"])}
            for row in rows
        ]

    # --- helpers -------------------------------------------------------------------------------------

    def _existing_ids(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(list(ids)):
            found.update(
                row[0]
                for row in self._db.execute(
                    f"SELECT id FROM programs WHERE id IN ({marks(len(chunk))})", list(chunk)
                )
            )
        return found

    def _parent_map(self, child_ids: Sequence[str]) -> dict[str, list[str]]:
        """child id -> its parent ids in order, for the given children (in the given order)."""
        result: dict[str, list[str]] = {child: [] for child in child_ids}
        for chunk in chunks(list(child_ids)):
            for child, parent in self._db.execute(
                f"SELECT child_id, parent_id FROM lineage WHERE child_id IN ({marks(len(chunk))}) "
                "ORDER BY child_id, position",
                list(chunk),
            ):
                result[child].append(parent)
        return result

    def _records(self, rows: Iterable[dict]) -> list[ProgramRecord]:
        rows = list(rows)
        parent_map = self._parent_map([row["id"] for row in rows])
        return [_program_record(row, parent_map[row["id"]]) for row in rows]

    def _programs_by_id(self, ids: Sequence[str]) -> list[ProgramRecord]:
        """The programs with these ids, in the given order."""
        by_id: dict[str, ProgramRecord] = {}
        for chunk in chunks(list(ids)):
            rows = self._db.query(f"SELECT * FROM programs WHERE id IN ({marks(len(chunk))})", list(chunk))
            by_id.update((record.id, record) for record in self._records(rows))
        return [by_id[i] for i in ids]


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split {split!r}; use one of {', '.join(SPLITS)}")


def _program_row(record: ProgramRecord) -> dict:
    """The ``programs`` row of a record."""
    return {
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
        "score": real_or_none(record.score),
        "validation_score": real_or_none(record.validation_score),
        "compiled": int(bool(record.compiled)),
        "complexity": int(record.complexity),
        "reasoning": record.reasoning,
        "descriptor_json": None if record.descriptor is None else dumps(record.descriptor, "descriptor_json"),
        "evicted": int(bool(record.evicted)),
        "created_at": record.created_at,
    }


def _program_record(row: dict, parent_ids: Sequence[str]) -> ProgramRecord:
    """The record of a ``programs`` row with its parents."""
    return ProgramRecord(
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
        descriptor=loads(row["descriptor_json"]),
        evicted=bool(row["evicted"]),
        created_at=row["created_at"],
        parent_ids=tuple(parent_ids),
    )
