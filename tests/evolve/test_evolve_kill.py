"""A run killed with SIGKILL at random moments and resumed each time loses nothing it committed."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np

from aurora_evo.archive import Archive

PRESET = """
seed = 5
[islands]
islands = 3
population = 5
migration_interval = 3
reset_interval = 7
[stop]
max_iterations = 100000
patience = 100000
window = 100000
[task]
domain = "binpacking"
train_instances = 2
train_items = 150
validation_instances = 1
validation_items = 300
[evaluation]
full_warm_up = false
"""


def committed(run_dir) -> tuple[set[str], int]:
    """Program ids stored, and the last committed iteration (-1 before the first)."""
    with sqlite3.connect(run_dir / "archive.sqlite") as db:
        ids = {row[0] for row in db.execute("select id from programs")}
        state = db.execute("select iteration from state").fetchone()
    return ids, (state[0] if state else -1)


def test_sigkill_at_random_moments_then_resume(tmp_path):
    preset = tmp_path / "tiny.toml"
    preset.write_text(PRESET)
    run_dir = tmp_path / "killed"
    rng = np.random.default_rng(11)
    seen: set[str] = set()
    last_iteration = -1
    kills = 0
    # Kill moments are drawn up to `latest` seconds after the start; on a loaded machine the start-up
    # alone can take longer, so the window widens whenever an attempt committed nothing new, and narrows
    # again once one did: it stays about as long as a start-up and a few iterations, so the kills land
    # in the start-up (opening and resuming the archive) as well as between and inside the iterations'
    # commits, without waiting out long stretches of iterations that all commit the same way.
    shortest = latest = 3.5
    for _attempt in range(14):
        if not (run_dir / "config.json").exists():  # killed before the run was set up: start afresh
            shutil.rmtree(run_dir, ignore_errors=True)
            args = ["evolve", "--preset", str(preset), "--run-dir", str(run_dir), "--no-progress"]
        else:
            args = ["evolve", "--resume", str(run_dir), "--no-progress"]
        process = subprocess.Popen(
            [sys.executable, "-m", "aurora_evo", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        time.sleep(float(rng.uniform(1.0, latest)))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            kills += 1
        elif process.returncode != 0:
            raise AssertionError(f"evolve exited with {process.returncode}: {process.stderr.read().decode()}")
        process.wait()
        if not (run_dir / "archive.sqlite").exists():
            latest = min(latest * 1.3, 40.0)
            continue  # killed before the archive existed: the next attempt starts afresh
        with Archive(run_dir / "archive.sqlite") as archive:
            assert archive.integrity_check() == "ok"
        ids, iteration = committed(run_dir)
        assert seen <= ids, f"committed programs lost after kill {kills}: {sorted(seen - ids)[:3]}"
        assert iteration >= last_iteration
        if iteration == last_iteration:
            latest = min(latest * 1.3, 40.0)
        else:
            latest = max(latest / 1.3, shortest)
        seen, last_iteration = ids, iteration
    assert kills >= 10
    assert last_iteration > 0 and len(seen) > 10
