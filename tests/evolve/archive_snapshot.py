"""Tiny runs and an archive's content without timestamps and timings, for comparing runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from aurora_evo.archive import Archive
from aurora_evo.evolver.proposals import ATTEMPTS

TINY_BINPACKING = {
    "task.domain": "binpacking",
    "task.train_instances": 2,
    "task.train_items": 200,
    "task.validation_instances": 1,
    "task.validation_items": 300,
    "islands.islands": 3,
    "islands.population": 5,
    "islands.migration_interval": 3,
    "islands.reset_interval": 5,
    "stop.max_iterations": 8,
    "evaluation.full_warm_up": False,
}


def snapshot(path) -> dict:
    """The archive's content without timestamps and timings, for comparing runs."""
    with sqlite3.connect(path / "archive.sqlite") as db:
        return {
            "programs": db.execute(
                "select id, source, mutator, island, iteration, outcome, score, validation_score, genotype, evicted"
                " from programs order by iteration, source"
            ).fetchall(),
            "lineage": db.execute("select * from lineage order by child_id, parent_id").fetchall(),
            "evaluations": db.execute(
                "select * from evaluations order by program_id, split, case_name"
            ).fetchall(),
            "cells": db.execute(
                "select cell, program_id, score, iteration from cells order by cell"
            ).fetchall(),
            "ratings": db.execute("select * from ratings order by program_id").fetchall(),
            "islands": db.execute(
                "select island, iteration, members_json from islands order by island, iteration"
            ).fetchall(),
            "state": db.execute("select iteration, state_json from state").fetchall(),
        }


def iteration_events(path: Path, run_id: str) -> dict[int, dict]:
    """The ledger's iteration events by iteration (the archive checked whole first)."""
    with Archive(path / "archive.sqlite") as archive:
        assert archive.integrity_check() == "ok"
        return {e.iteration: e.data for e in archive.ledger.events(run_id, "iteration")}


def filed_per_iteration(path: Path, run_id: str) -> dict[int, int]:
    """Programs filed per iteration."""
    with Archive(path / "archive.sqlite") as archive:
        counts: dict[int, int] = {}
        for program in archive.programs.of_run(run_id):
            counts[program.iteration] = counts.get(program.iteration, 0) + 1
        return counts


def holds_a_batch(event: dict, batch_size: int, in_flight: int = 0) -> bool:
    """Whether a steady-state iteration (its ledger event) holds ``batch_size`` slots: each evaluated,
    or left empty after as many near-duplicates in a row as a slot is tried (``ATTEMPTS``). The run's
    last iteration also tells what was still in flight: pass ``in_flight``, the most that can be."""
    empty = batch_size - event["evaluated"]
    return -in_flight <= empty <= event["duplicates"] // ATTEMPTS
