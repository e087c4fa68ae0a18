"""The archive's ledger: what the controller did and spent, and what it needs to resume.

Tables (nothing is ever deleted; ``state`` is overwritten):

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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import sqlite_utils

from aurora_evo.archive.records import Event, IslandState, now
from aurora_evo.archive.tables import (
    RUN_FK,
    TableSpec,
    dumps,
    loads,
    program_fk,
    real_or_none,
    require_program,
)

ISLANDS = TableSpec(
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
    foreign_keys=RUN_FK + program_fk("best_program_id"),
)
EVENTS = TableSpec(
    "events",
    {"id": int, "run_id": str, "iteration": int, "kind": str, "data_json": str, "created_at": str},
    pk="id",
    foreign_keys=RUN_FK,
    indexes=(("run_id", "kind"),),
)
STATE = TableSpec(
    "state", {"run_id": str, "iteration": int, "state_json": str}, pk="run_id", foreign_keys=RUN_FK
)
# program_id links a call to the candidate it produced when that candidate was archived (not a foreign
# key: refused duplicates are not).
LLM_CALLS = TableSpec(
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
    foreign_keys=RUN_FK,
    indexes=(("run_id", "iteration"),),
)
INSTRUCTIONS = TableSpec(
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
    foreign_keys=RUN_FK,
)
SCENARIOS = TableSpec(
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
    foreign_keys=RUN_FK,
)
QUALITY_CHECKS = TableSpec(
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
    foreign_keys=RUN_FK,
    indexes=(("run_id", "iteration"),),
)


class Ledger:
    """The islands, events, resumable state, LLM calls, prompt instructions, attacker scenarios and
    quality checks of an archive (``archive.ledger``); shares the archive's connection and transaction.
    Each write is atomic on its own outside a transaction.

    Args:
        db: the archive's open database.
        path: the archive's file, for error messages.
    """

    #: Its tables, in the order they are created.
    TABLES = (ISLANDS, EVENTS, STATE, LLM_CALLS, INSTRUCTIONS, SCENARIOS, QUALITY_CHECKS)

    def __init__(self, db: sqlite_utils.Database, path: str):
        self._db = db
        self.path = path

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
                    "members_json": dumps(list(members), "members_json"),
                    "best_program_id": best_program_id,
                    "best_score": real_or_none(best_score),
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
                    "data_json": dumps(dict(data or {}), "data_json"),
                    "created_at": now(),
                }
            )
        return int(table.last_rowid)

    def events(self, run_id: str, kind: str | None = None) -> list[Event]:
        """The run's events (of one kind when given), oldest first."""
        where, params = "run_id = ?", [run_id]
        if kind is not None:
            where, params = where + " AND kind = ?", [run_id, kind]
        return [
            Event(r["id"], r["run_id"], r["iteration"], r["kind"], loads(r["data_json"]), r["created_at"])
            for r in self._db.query(f"SELECT * FROM events WHERE {where} ORDER BY id", params)
        ]

    def save_state(self, run_id: str, iteration: int, state: Mapping) -> None:
        """Overwrite the controller's resumable state for a run (plain data: rng state, counters)."""
        with self._db.atomic():
            self._db.table("state").upsert(
                {"run_id": run_id, "iteration": iteration, "state_json": dumps(dict(state), "state_json")},
                pk="run_id",
            )

    def load_state(self, run_id: str) -> tuple[int, dict] | None:
        """The last saved (iteration, state) of a run, or ``None`` when none was saved."""
        row = next(self._db.query("SELECT * FROM state WHERE run_id = ?", [run_id]), None)
        return None if row is None else (row["iteration"], loads(row["state_json"]))

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
        require_program(self._db, program_id, self.path)
        with self._db.atomic():
            self._db.execute("UPDATE llm_calls SET program_id = ? WHERE id = ?", [program_id, call_id])

    def llm_calls(self, run_id: str) -> list[dict]:
        """The run's LLM call attempts, oldest first, as rows."""
        return list(self._db.query("SELECT * FROM llm_calls WHERE run_id = ? ORDER BY id", [run_id]))

    def llm_call_of(self, program_id: str) -> dict | None:
        """The first LLM call that produced the program, as a row, or ``None`` (not written by an LLM)."""
        return next(
            self._db.query("SELECT * FROM llm_calls WHERE program_id = ? ORDER BY id LIMIT 1", [program_id]),
            None,
        )

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
                "parent_ids_json": dumps(list(i["parent_ids"]), "parent_ids_json"),
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
                "parent_ids": loads(r["parent_ids_json"]),
            }
            for r in rows
        ]

    # --- attacker scenarios and quality control ------------------------------------------------------

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
            "scenario_json": dumps(dict(scenario), "scenario_json"),
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
        return loads(row[0])

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
                "refused_layers_json": dumps(list(c["refused_layers"]), "refused_layers_json"),
                "reasons_json": dumps(list(c["reasons"]), "reasons_json"),
                "features_json": (
                    None if c["features"] is None else dumps(list(c["features"]), "features_json")
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
                "refused_layers": loads(r["refused_layers_json"]),
                "reasons": loads(r["reasons_json"]),
                "features": loads(r["features_json"]),
            }
            for r in self._db.query("SELECT * FROM quality_checks WHERE run_id = ? ORDER BY id", [run_id])
        ]


def _island_state(row: dict) -> IslandState:
    return IslandState(
        row["run_id"],
        row["island"],
        row["iteration"],
        tuple(loads(row["members_json"])),
        row["best_program_id"],
        row["best_score"],
    )
