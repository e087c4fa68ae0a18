"""A real Dask scheduler and two workers, each a separate process on loopback, for the cluster tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

STARTUP_S = 60


@dataclass
class DaskProcesses:
    """A scheduler and its workers, started by a test; ``address`` is the scheduler's."""

    folder: Path
    scheduler: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)
    address: str = ""

    def start_scheduler(self) -> str:
        file = self.folder / "scheduler.json"
        file.unlink(missing_ok=True)
        self.scheduler = _start(
            self.folder / "scheduler.log",
            "distributed.cli.dask_scheduler",
            "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(file),
        )  # fmt: skip
        deadline = time.monotonic() + STARTUP_S
        while not file.exists():
            if time.monotonic() > deadline or self.scheduler.poll() is not None:
                raise RuntimeError(
                    f"the scheduler did not start: {(self.folder / 'scheduler.log').read_text()}"
                )
            time.sleep(0.1)
        time.sleep(0.2)  # the file is written whole before the scheduler listens; a moment more is safe
        self.address = json.loads(file.read_text())["address"]
        return self.address

    def start_worker(self) -> subprocess.Popen:
        """A worker of one thread, without a nanny: killed, it stays dead."""
        worker = _start(
            self.folder / f"worker-{len(self.workers)}.log",
            "distributed.cli.dask_worker", self.address,
            "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
        )  # fmt: skip
        self.workers.append(worker)
        return worker

    def wait_for_workers(self, count: int) -> None:
        from distributed import Client

        with Client(self.address, timeout=STARTUP_S) as client:
            client.wait_for_workers(count, timeout=STARTUP_S)

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.workers, self.scheduler = [], None


def _start(log: Path, module: str, *args: str) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", module, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=log.parent,
        )


@pytest.fixture
def dask_processes(tmp_path):
    """A scheduler and two workers on loopback (each test its own: some kill them)."""
    processes = DaskProcesses(tmp_path)
    processes.start_scheduler()
    processes.start_worker()
    processes.start_worker()
    try:
        processes.wait_for_workers(2)
        yield processes
    finally:
        processes.stop()
