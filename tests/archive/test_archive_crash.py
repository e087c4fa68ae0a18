"""Crash safety: a writer killed with SIGKILL at random moments loses nothing it committed.

A subprocess writes evolution-like iterations, each in one transaction, and prints the iteration number
once the commit has returned. The test kills it at random moments, reopens the archive, and checks that
the file is intact, that every printed iteration is there, and that every iteration there is whole. The
writer resumes from the saved state each time, as a controller would.
"""

from __future__ import annotations

import contextlib
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from aurora_evo.archive import Archive

REPO = Path(__file__).resolve().parents[2]
PER_ITERATION = 5  # programs per iteration
CASES = 3  # evaluation cases per program

WRITER = f"""
import sys
import time
from aurora_evo.archive import Archive, Match, ProgramRecord

PER, CASES = {PER_ITERATION}, {CASES}
with Archive(sys.argv[1]) as archive:
    if not archive.runs.all():
        archive.runs.create("r", config={{"per": PER}}, seed=0)
    saved = archive.ledger.load_state("r")
    iteration, last = (0, None) if saved is None else (saved[0] + 1, saved[1]["last"])
    while True:
        with archive.transaction():
            ids = []
            for j in range(PER):
                source = f"def priority(item, bins):\\n    return bins * {{iteration}} + {{j}}\\n" + "#" * 500
                record = ProgramRecord.new(
                    "r", source, mutator="w", iteration=iteration, outcome="ok", score=float(j),
                    parent_ids=[last] if last else [],
                )
                archive.programs.add(record)
                archive.programs.add_evaluations(record.id, "train", {{f"c{{k}}": {{"score": k}} for k in range(CASES)}})
                ids.append(record.id)
            archive.elites.set_cell("r", (iteration % 7,), ids[0], float(iteration), iteration)
            for pid in ids:
                archive.elites.set_rating(pid, 1500.0 + iteration, iteration, iteration)
            archive.elites.add_matches([Match("r", iteration, ids[0], ids[1], "c0", 1.0)])
            archive.ledger.set_island_state("r", 0, iteration, ids, ids[-1], 4.0)
            archive.ledger.add_event("r", iteration, "iteration", {{"ids": ids}})
            archive.ledger.save_state("r", iteration, {{"last": ids[-1]}})
        print(iteration, flush=True)
        last = ids[-1]
        iteration += 1
"""

#: Rows every iteration writes, per table: (table, rows per iteration).
EXPECTED_ROWS = {
    "programs": PER_ITERATION,
    "evaluations": PER_ITERATION * CASES,
    "cell_history": 1,
    "rating_history": PER_ITERATION,
    "matches": 1,
    "islands": 1,
    "events": 1,
}

_ITERATION_OF = {
    "evaluations": "SELECT p.iteration AS it, COUNT(*) AS n FROM evaluations e JOIN programs p "
    "ON p.id = e.program_id GROUP BY p.iteration",
}


def _rows_per_iteration(db: sqlite3.Connection, table: str) -> dict[int, int]:
    sql = _ITERATION_OF.get(table, f"SELECT iteration AS it, COUNT(*) AS n FROM {table} GROUP BY iteration")
    return dict(db.execute(sql).fetchall())


def _check(path: Path, printed: set[int]) -> int:
    """Check the archive after a kill; returns how many iterations it holds."""
    with Archive(path) as archive, contextlib.closing(sqlite3.connect(path)) as db:
        assert archive.integrity_check() == "ok"
        # Counted with sqlite3 directly: the archive's API has no reason to count rows per table.
        counts = {table: _rows_per_iteration(db, table) for table in EXPECTED_ROWS}
        present = set(counts["programs"])
        assert present == set(range(len(present))), "iterations must be contiguous from 0"
        assert printed <= present, f"committed iterations lost: {sorted(printed - present)}"
        for table, per_iteration in EXPECTED_ROWS.items():
            assert counts[table] == dict.fromkeys(present, per_iteration), f"{table} has a partial iteration"
        lineage = db.execute("SELECT COUNT(*) FROM lineage").fetchone()[0]
        assert lineage == PER_ITERATION * max(len(present) - 1, 0)
        saved = archive.ledger.load_state("r")
        assert (saved[0] if saved else -1) == len(present) - 1
        if present:
            last = archive.programs.get(saved[1]["last"])
            assert last.iteration == saved[0]
            assert len(archive.programs.ancestry(last.id)) == len(present) - 1
        return len(present)


def _first_line(proc: subprocess.Popen, timeout: float) -> bytes:
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "the writer printed nothing in time"
    line = proc.stdout.readline()
    assert line, f"the writer died: {proc.stderr.read().decode()[-2000:]}"
    return line


def test_sigkill_at_random_moments_loses_no_committed_iteration(tmp_path):
    rng = random.Random(20240531)
    path = tmp_path / "archive.db"
    printed: set[int] = set()
    kills = 0
    while kills < 12:
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            lines = [_first_line(proc, timeout=20)]
            # Iterations take a few milliseconds: random delays land at every point of a transaction.
            time.sleep(rng.uniform(0.0, 0.06))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        kills += 1
        assert proc.returncode == -signal.SIGKILL
        lines += proc.stdout.read().splitlines()
        proc.stdout.close()
        proc.stderr.close()
        printed.update(int(line) for line in lines)
        _check(path, printed)
    assert _check(path, printed) >= kills  # each round committed at least one iteration
