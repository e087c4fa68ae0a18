"""Same seed, same archive, before and after a redesign: runs every shipped preset for a few
iterations with one worker, at a base commit and at the working tree, and compares the archives.

    python benchmarks/spine_equivalence.py --base b02eb17            # both sides, then compare
    python benchmarks/spine_equivalence.py --base b02eb17 --keep /tmp/eq   # keep both sides' runs

What must match, program by program: id, source, genotype, mutator, island, iteration, outcome,
score, validation score, descriptors, eviction, parents (in order), and every evaluation (split,
case, score, metrics); and per run the cells, ratings, matches and the iteration events (without
timestamps or timings). The archives are read with ``sqlite3`` directly, not through the package:
the point is to compare archives made by two versions of it, so the reader must belong to neither.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PRESETS = ("default", "cloud", "coevolution", "binpacking-or", "binpacking-weibull")

#: Per table: the query whose rows must be equal on both sides (ordered, so that equal is equal).
QUERIES = {
    "programs": "SELECT id, source, genotype, mutator, island, iteration, outcome, message, score, "
    "validation_score, compiled, complexity, reasoning, descriptor_json, evicted FROM programs ORDER BY id",
    "lineage": "SELECT child_id, parent_id, position FROM lineage ORDER BY child_id, position",
    "evaluations": "SELECT program_id, split, case_name, score, metrics_json FROM evaluations "
    "ORDER BY program_id, split, case_name",
    "cells": "SELECT cell, program_id, score, iteration FROM cells ORDER BY cell",
    "cell_history": "SELECT cell, program_id, score, iteration FROM cell_history ORDER BY rowid",
    "ratings": "SELECT program_id, rating, matches, iteration FROM ratings ORDER BY program_id",
    "matches": "SELECT iteration, program_a, program_b, case_name, result FROM matches ORDER BY rowid",
    "islands": "SELECT island, iteration, members_json, best_program_id, best_score FROM islands "
    "ORDER BY island, iteration",
    "events": "SELECT iteration, kind, data_json FROM events WHERE kind != 'quality' ORDER BY id",
    "scenarios": "SELECT name, iteration, level, learnability, success_rate, scenario_json FROM scenarios "
    "ORDER BY name",
}


def dump(archive: Path) -> dict[str, list]:
    """The rows of :data:`QUERIES` in ``archive`` (opened read-only)."""
    connection = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    try:
        return {table: [list(row) for row in connection.execute(sql)] for table, sql in QUERIES.items()}
    finally:
        connection.close()


def run_preset(code: Path, preset: str, iterations: int, run_dir: Path) -> float:
    """Evolve ``preset`` with the package found in ``code``; seconds taken."""
    environment = dict(os.environ, PYTHONPATH=str(code), AURORA_EVO_ITERATIONS=str(iterations))
    command = [sys.executable, "-m", "aurora_evo", "evolve", "--preset", preset, "--workers", "1",
               "--iterations", str(iterations), "--run-dir", str(run_dir), "--no-progress"]  # fmt: skip
    started = time.monotonic()
    subprocess.run(command, env=environment, cwd=code, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def first_difference(a: dict[str, list], b: dict[str, list]) -> str | None:
    """Where two dumps first differ, in words, or ``None``."""
    for table in QUERIES:
        rows_a, rows_b = a[table], b[table]
        if len(rows_a) != len(rows_b):
            return f"{table}: {len(rows_a)} rows against {len(rows_b)}"
        for index, (row_a, row_b) in enumerate(zip(rows_a, rows_b, strict=True)):
            if row_a != row_b:
                return f"{table} row {index}: {json.dumps(row_a)[:300]} against {json.dumps(row_b)[:300]}"
    return None


def side(code: Path, out: Path, presets, iterations: int) -> dict[str, dict]:
    """Run every preset with the code in ``code`` into ``out``; their dumps by preset."""
    dumps = {}
    for preset in presets:
        run_dir = out / preset
        seconds = run_preset(code, preset, iterations, run_dir)
        dumps[preset] = dump(run_dir / "archive.sqlite")
        programs = len(dumps[preset]["programs"])
        print(f"  {preset}: {programs} programs in {seconds:.0f} s ({code})", flush=True)
    return dumps


def base_side(commit: str, code: Path, out: Path, presets, iterations: int) -> dict[str, dict]:
    """:func:`side` with the code of ``commit``, checked out into ``code`` for the time of the runs."""
    add = ["git", "-C", str(REPO), "worktree", "add", "--detach", str(code), commit]
    subprocess.run(add, check=True, capture_output=True)
    try:
        print(f"base {commit}:", flush=True)
        return side(code, out, presets, iterations)
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(code)], check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="commit to compare the working tree against")
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--presets", default=",".join(PRESETS))
    parser.add_argument("--keep", type=Path, help="keep both sides' runs in this folder")
    parser.add_argument(
        "--base-runs", type=Path, help="reuse the base side's runs kept (--keep) in this folder's base/"
    )
    args = parser.parse_args(argv)
    presets = args.presets.split(",")
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        if args.base_runs is not None:
            before = {preset: dump(args.base_runs / "base" / preset / "archive.sqlite") for preset in presets}
        else:
            before = base_side(args.base, Path(scratch) / "base", root / "base", presets, args.iterations)
        print("working tree:", flush=True)
        after = side(REPO, root / "head", presets, args.iterations)
    failed = 0
    for preset in presets:
        difference = first_difference(before[preset], after[preset])
        counts = ", ".join(f"{len(rows)} {table}" for table, rows in after[preset].items() if rows)
        print(f"{preset}: {'identical' if difference is None else 'DIFFERENT: ' + difference} ({counts})")
        failed += difference is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
