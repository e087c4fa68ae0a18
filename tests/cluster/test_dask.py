"""Evaluation and evolution on a real Dask scheduler and workers on loopback: the same results and the
same archive as on this machine, through a worker killed mid-evaluation and a scheduler that dies."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="the dask extra is not installed (pip install -e '.[dev,dask]')")

from aurora_evo.archive import Archive
from aurora_evo.cluster import cluster_executor
from aurora_evo.config import RunConfig, override
from aurora_evo.config_files import save_config
from aurora_evo.domains import get_problem
from aurora_evo.evolver import build_evolver
from aurora_evo.evolver.steady import PER_WORKER
from aurora_evo.executor import SandboxExecutor
from aurora_evo.sandbox import SandboxConfig
from aurora_evo.seeds import seed_program_paths, seed_scenarios

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "evolve"))
from archive_snapshot import TINY_BINPACKING, filed_per_iteration, holds_a_batch, iteration_events, snapshot

CONFIG = SandboxConfig(full_warm_up=False)
#: Burns its whole timeout on the numpy path.
ENDLESS = "def priority(task, nodes):\n    x = 0\n    while True:\n        x += 1\n"


def _local(sources, cases, config=CONFIG):
    executor = SandboxExecutor(config)
    try:
        return executor.evaluate(get_problem("allocation"), sources, cases)
    finally:
        executor.close()


def test_results_on_the_cluster_match_one_local_sandbox(dask_processes):
    sources = [path.read_text() for path in seed_program_paths().values()]
    sources.append("def priority(task, nodes):\n    return nodes[:, 1] * float('nan')\n")
    cases = seed_scenarios("easy")[:2]
    executor = cluster_executor(dask_processes.address, CONFIG)
    try:
        got = executor.evaluate(get_problem("allocation"), sources, cases)
        again = executor.evaluate(get_problem("allocation"), sources[:2], cases)  # the cases already sent
    finally:
        executor.close()
    expected = _local(sources, cases)
    assert [r.as_dict() for r in got] == [r.as_dict() for r in expected]
    assert [r.as_dict() for r in again] == [r.as_dict() for r in expected[:2]]
    assert got[-1].outcome.value == "invalid_output"


def test_a_worker_killed_mid_evaluation_has_it_run_again_on_the_other(dask_processes):
    """The worker evaluating a slow candidate dies (its whole process group: worker, supervisor and
    jail); the scheduler runs the evaluation again on the other worker, and one result comes back."""
    config = SandboxConfig(full_warm_up=False, timeout_s=6.0)
    cases = seed_scenarios("easy")[:1]
    executor = cluster_executor(dask_processes.address, config)
    results = []
    try:
        evaluating = threading.Thread(
            target=lambda: results.extend(executor.evaluate(get_problem("allocation"), [ENDLESS], cases))
        )
        evaluating.start()
        victim = _worker_processing(executor.client, dask_processes, deadline_s=60)
        time.sleep(1.0)  # well into the evaluation
        os.killpg(victim.pid, signal.SIGKILL)
        evaluating.join(timeout=120)
        assert not evaluating.is_alive()
        assert victim.wait() != 0 and len(executor.client.scheduler_info()["workers"]) == 1
    finally:
        executor.close()
    assert len(results) == 1 and results[0].outcome.value == "timeout"


def _worker_processing(client, processes, deadline_s: float) -> subprocess.Popen:
    """The worker process that has a task in hand."""
    processes_at = client.run(os.getpid)  # worker address -> pid
    by_pid = {p.pid: p for p in processes.workers}
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        busy = [address for address, keys in client.processing().items() if keys]
        if busy:
            return by_pid[processes_at[busy[0]]]
        time.sleep(0.05)
    raise AssertionError("no worker took the evaluation")


def _tiny(tmp_path, iterations: int) -> RunConfig:
    return override(RunConfig(seed=4), **(TINY_BINPACKING | {"stop.max_iterations": iterations}))


def _reference(tmp_path, config) -> dict:
    """The same run on this machine, one evaluation at a time, in a folder of the same name."""
    evolution = build_evolver(config, tmp_path / "local" / "run")
    try:
        evolution.run()
    finally:
        evolution.close()
    return snapshot(tmp_path / "local" / "run")


def _prepared(tmp_path, config) -> Path:
    """A run folder holding only ``config``, named as the reference's: ``evolve --resume`` starts it."""
    run_dir = tmp_path / "cluster" / "run"
    run_dir.mkdir(parents=True)
    save_config(config, run_dir / "config.json")
    return run_dir


def _evolve(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "aurora_evo", "evolve", *args, "--no-progress"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _committed_iteration(run_dir: Path) -> int:
    try:
        with sqlite3.connect(run_dir / "archive.sqlite") as db:
            row = db.execute("select iteration from state").fetchone()
    except sqlite3.Error:
        return -1
    return row[0] if row else -1


def _wait_for_iteration(run_dir: Path, iteration: int, process: subprocess.Popen, deadline_s=180) -> None:
    deadline = time.monotonic() + deadline_s
    while _committed_iteration(run_dir) < iteration:
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.05)


def test_evolve_on_the_cluster_gives_the_local_archive_though_a_worker_died(dask_processes, tmp_path):
    config = _tiny(tmp_path, 10)
    expected = _reference(tmp_path, config)
    run_dir = _prepared(tmp_path, config)
    process = _evolve("--resume", str(run_dir), "--cluster", dask_processes.address)
    _wait_for_iteration(run_dir, 3, process)
    os.killpg(dask_processes.workers[0].pid, signal.SIGKILL)
    assert process.wait(timeout=300) == 0, process.stderr.read()
    with Archive(run_dir / "archive.sqlite") as archive:
        assert archive.integrity_check() == "ok"
    assert snapshot(run_dir) == expected  # nothing lost, nothing filed twice


def test_a_scheduler_that_dies_stops_the_run_in_one_line_and_it_resumes(dask_processes, tmp_path):
    config = _tiny(tmp_path, 10)
    expected = _reference(tmp_path, config)
    run_dir = _prepared(tmp_path, override(config, **{"stop.max_iterations": 100_000}))
    process = _evolve("--resume", str(run_dir), "--cluster", dask_processes.address)
    _wait_for_iteration(run_dir, 2, process)
    dask_processes.stop()
    assert process.wait(timeout=120) == 1
    error = process.stderr.read().strip()
    assert error.splitlines()[-1].startswith("aurora-evo evolve: error: the Dask scheduler stopped answering")
    assert "Traceback" not in error and " - ERROR - " not in error, error

    dask_processes.start_scheduler()
    dask_processes.start_worker()
    dask_processes.wait_for_workers(1)
    resumed = _evolve("--resume", str(run_dir), "--iterations", "10", "--cluster", dask_processes.address)
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    assert snapshot(run_dir) == expected


def test_the_steady_state_on_the_cluster_goes_on_through_a_dead_worker(dask_processes, tmp_path):
    """Evaluations in flight on a worker that dies are run again on the other; every iteration still
    tells a batch's worth, each result filed once."""
    config = override(_tiny(tmp_path, 10), **{"evaluation.mode": "steady"})
    run_dir = _prepared(tmp_path, config)
    process = _evolve("--resume", str(run_dir), "--cluster", dask_processes.address)
    _wait_for_iteration(run_dir, 3, process)
    os.killpg(dask_processes.workers[0].pid, signal.SIGKILL)
    assert process.wait(timeout=300) == 0, process.stderr.read()
    events, filed = iteration_events(run_dir, "run"), filed_per_iteration(run_dir, "run")
    assert sorted(events) == list(range(11))
    for iteration in range(1, 11):
        assert events[iteration]["evaluated"] == filed.get(iteration, 0)
        # The last iteration tells everything in flight (two workers at most).
        assert holds_a_batch(events[iteration], config.batch_size, PER_WORKER * 2 * (iteration == 10))
