"""Evaluation and evolution on Ray: a local Ray (its own GCS, raylet and worker processes) gives the same
results as this machine through an actor killed mid-evaluation; a Ray head started by the test on
loopback, joined by address, gives the same archive."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="the ray extra is not installed (pip install -e '.[dev,ray]')")

import ray

from aurora_evo.cluster import cluster_executor
from aurora_evo.config import RunConfig, override
from aurora_evo.config_files import save_config
from aurora_evo.domains import get_problem
from aurora_evo.evolver import build_evolver
from aurora_evo.executor import SandboxExecutor
from aurora_evo.sandbox import SandboxConfig
from aurora_evo.seeds import seed_program_paths, seed_scenarios

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "evolve"))
from archive_snapshot import TINY_BINPACKING, snapshot

ENDLESS = "def priority(task, nodes):\n    x = 0\n    while True:\n        x += 1\n"

pytestmark = pytest.mark.slow


def test_results_match_one_local_sandbox_and_a_killed_actor_has_its_evaluation_run_again():
    config = SandboxConfig(full_warm_up=False, timeout_s=6.0)
    sources = [path.read_text() for path in seed_program_paths().values()]
    sources.append("def priority(task, nodes):\n    return nodes[:, 1] * float('nan')\n")
    cases = seed_scenarios("easy")[:2]
    executor = cluster_executor("ray:local:2", config)
    try:
        got = executor.evaluate(get_problem("allocation"), sources, cases)
        pids = [ray.get(actor.pid.remote()) for actor in executor.actors]
        results = []
        evaluating = threading.Thread(
            target=lambda: results.extend(executor.evaluate(get_problem("allocation"), [ENDLESS], cases[:1]))
        )
        evaluating.start()
        deadline = time.monotonic() + 60  # the thread submits when it is scheduled (a loaded machine)
        while not any(executor._waiting) and time.monotonic() < deadline:
            time.sleep(0.01)
        busy = next(i for i, waiting in enumerate(executor._waiting) if waiting)
        time.sleep(2.0)  # well into the evaluation
        os.kill(pids[busy], signal.SIGKILL)
        evaluating.join(timeout=240)
        assert not evaluating.is_alive()
        assert ray.get(executor.actors[busy].pid.remote()) != pids[busy]  # Ray restarted the actor
    finally:
        executor.close()
    local = SandboxExecutor(config)
    try:
        expected = local.evaluate(get_problem("allocation"), sources, cases)
    finally:
        local.close()
    assert [r.as_dict() for r in got] == [r.as_dict() for r in expected]
    assert len(results) == 1 and results[0].outcome.value == "timeout"


@pytest.fixture
def ray_head(tmp_path, monkeypatch):
    """A Ray head node started by the test on loopback, as its own processes (``ray start --block``);
    token authentication off on both sides (a loopback test; a real cluster keeps Ray's own)."""
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    port = _free_port()
    with open(tmp_path / "ray-head.log", "wb") as log:
        head = subprocess.Popen(
            [sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
             "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        _wait_for_port(port, head, deadline_s=120)
        yield f"ray:127.0.0.1:{port}"
    finally:
        os.killpg(head.pid, signal.SIGKILL)
        head.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "ray start --head ended"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                time.sleep(2.0)  # the GCS listens before the raylet has joined it
                return
        time.sleep(0.2)
    raise AssertionError("the Ray head did not start")


def test_evolve_on_a_running_ray_cluster_gives_the_local_archive(tmp_path, ray_head):
    config = override(RunConfig(seed=4), **(TINY_BINPACKING | {"stop.max_iterations": 6}))
    evolution = build_evolver(config, tmp_path / "local" / "run")
    try:
        evolution.run()
    finally:
        evolution.close()
    run_dir = tmp_path / "ray" / "run"
    run_dir.mkdir(parents=True)
    save_config(config, run_dir / "config.json")
    done = subprocess.run(
        [sys.executable, "-m", "aurora_evo", "evolve", "--resume", str(run_dir), "--cluster", ray_head,
         "--no-progress"],
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(run_dir) == snapshot(tmp_path / "local" / "run")


def test_a_local_ray_is_its_own_even_beside_a_running_cluster(ray_head):
    """``ray:local:N`` starts a Ray of its own; a plain ``ray.init()`` would join the cluster that
    ``ray start`` left on this machine (and refuse ``num_cpus``)."""
    executor = cluster_executor("ray:local:1", SandboxConfig(full_warm_up=False))
    try:
        address = ray.get_runtime_context().gcs_address
        assert not address.endswith(":" + ray_head.rsplit(":", 1)[1]) and executor.capacity == 1
    finally:
        executor.close()
