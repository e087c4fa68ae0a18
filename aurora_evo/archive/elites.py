"""The elite archive over the program store: the MAP-Elites grid and the Elo ratings of a run.

Policy on top of storage, as pyribs keeps ``GridArchive`` apart from its ``ArrayStore``: which program
takes a cell is :func:`~aurora_evo.archive.map_elites.consider`'s rule, applied by :meth:`Elites.offer`;
how ratings move is :mod:`~aurora_evo.archive.elo`'s; this module records the outcome.

Tables (append-only histories; nothing is ever deleted):

* ``cells(run_id, cell, program_id, score, iteration)`` PK (run_id, cell): the current MAP-Elites elites;
  ``cell`` is the comma-joined cell index, e.g. ``"3,5"``. ``cell_history`` has the same columns and
  gets one row per change.
* ``ratings(program_id PK, rating, matches, iteration)``: current Elo ratings;
  ``rating_history(program_id, iteration, rating)`` gets one row per change.
* ``matches(run_id, iteration, program_a, program_b, case_name, result)``: ``result`` is 1 when a won,
  0.5 for a draw, 0 when b won.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlite_utils

from aurora_evo.archive.map_elites import AddStatus, consider
from aurora_evo.archive.records import CellChange, Match, Rating
from aurora_evo.archive.tables import RUN_FK, TableSpec, program_fk

_RUN_CELL = {"run_id": str, "cell": str, "program_id": str, "score": float, "iteration": int}

CELLS = TableSpec("cells", _RUN_CELL, pk=("run_id", "cell"), foreign_keys=RUN_FK + program_fk("program_id"))
CELL_HISTORY = TableSpec(
    "cell_history",
    _RUN_CELL,
    foreign_keys=RUN_FK + program_fk("program_id"),
    indexes=(("run_id", "iteration"),),
)
RATINGS = TableSpec(
    "ratings",
    {"program_id": str, "rating": float, "matches": int, "iteration": int},
    pk="program_id",
    foreign_keys=program_fk("program_id"),
)
RATING_HISTORY = TableSpec(
    "rating_history",
    {"program_id": str, "iteration": int, "rating": float},
    foreign_keys=program_fk("program_id"),
    indexes=(("program_id",),),
)
MATCHES = TableSpec(
    "matches",
    {
        "run_id": str,
        "iteration": int,
        "program_a": str,
        "program_b": str,
        "case_name": str,
        "result": float,
    },
    foreign_keys=RUN_FK + program_fk("program_a", "program_b"),
    indexes=(("run_id", "iteration"),),
)


def _cell_key(cell: Sequence[int]) -> str:
    return ",".join(str(int(i)) for i in cell)


def _cell_index(key: str) -> tuple[int, ...]:
    return tuple(int(i) for i in key.split(",")) if key else ()


class Elites:
    """The MAP-Elites cells and Elo ratings of an archive (``archive.elites``); shares the archive's
    connection and transaction. Each write is atomic on its own outside a transaction.

    Args:
        db: the archive's open database.
        path: the archive's file, for error messages.
    """

    #: Its tables, in the order they are created.
    TABLES = (CELLS, CELL_HISTORY, RATINGS, RATING_HISTORY, MATCHES)

    def __init__(self, db: sqlite_utils.Database, path: str):
        self._db = db
        self.path = path

    # --- MAP-Elites cells ----------------------------------------------------------------------------

    def offer(
        self, run_id: str, cell: Sequence[int], program_id: str, score: float, iteration: int
    ) -> tuple[AddStatus, str | None]:
        """Offer ``program_id`` (scored ``score``) the elite's place in ``cell``; it takes it when
        :func:`~aurora_evo.archive.map_elites.consider` says so. Returns the decision and the id of the
        elite it displaced (``None`` unless it took an occupied cell)."""
        row = self._db.execute(
            "SELECT program_id, score FROM cells WHERE run_id = ? AND cell = ?", [run_id, _cell_key(cell)]
        ).fetchone()
        current = None if row is None else (row[0], row[1])
        status = consider(current, score)
        if status is AddStatus.NOT_ADDED:
            return status, None
        self.set_cell(run_id, cell, program_id, score, iteration)
        return status, None if current is None else current[0]

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

    def rating_changes(self, run_id: str) -> list[dict]:
        """Every rating change of the run's programs, oldest first, as rows ``{program_id, iteration,
        rating}``."""
        return list(
            self._db.query(
                "SELECT h.program_id, h.iteration, h.rating FROM rating_history h JOIN programs p "
                "ON p.id = h.program_id WHERE p.run_id = ? ORDER BY h.rowid",
                [run_id],
            )
        )

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
