"""Shared fixtures: the seed programs compiled once per session, a small scenario builder, and the
project's own ruff checks for generated files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aurora_evo.policy import Contract, load_program_file
from aurora_evo.scenario.model import Domain, Nodes, Scenario, Tasks

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def seed_programs():
    """The five seed allocation programs, compiled (they are vetted, so in-process is fine)."""
    return {
        path.stem: load_program_file(path, Contract.ALLOCATION)
        for path in sorted((REPO / "seeds" / "programs").glob("*.py"))
    }


def build_scenario(
    capacity,
    demand,
    arrival,
    duration,
    *,
    deadline=None,
    owner=None,
    timeout=None,
    sleep=True,
    price=None,
    idle=None,
    peak=None,
    latency=None,
    domain=Domain.CLOUD,
    objective=None,
) -> Scenario:
    """Build a scenario from plain lists; ``capacity`` is (n_nodes, 4), ``demand`` (n_tasks, 4)."""
    capacity = np.asarray(capacity, dtype=float)
    demand = np.asarray(demand, dtype=float)
    m, n = len(capacity), len(demand)
    nodes = Nodes(
        names=tuple(f"n{i}" for i in range(m)),
        capacity=capacity,
        price_per_hour=np.ones(m) if price is None else price,
        idle_watts=np.full(m, 100.0) if idle is None else idle,
        peak_watts=np.full(m, 200.0) if peak is None else peak,
        latency_ms=np.zeros(m) if latency is None else latency,
        zone=np.zeros(m, dtype=int),
        zones=("z0",),
    )
    owner = np.zeros(n, dtype=int) if owner is None else np.asarray(owner)
    tasks = Tasks(
        arrival=arrival,
        duration=duration,
        demand=demand,
        priority=np.zeros(n, dtype=int),
        deadline=np.full(n, 1e9) if deadline is None else deadline,
        owner=owner,
        owners=tuple(f"o{i}" for i in range(int(owner.max()) + 1)),
    )
    return Scenario(
        name="test",
        domain=domain,
        nodes=nodes,
        tasks=tasks,
        objective=objective or {},
        queue_timeout_s=timeout,
        idle_nodes_sleep=sleep,
    )


@pytest.fixture(scope="session")
def make_scenario():
    """The :func:`build_scenario` helper, as a fixture."""
    return build_scenario


def ruff_problems(paths) -> str:
    """What ``ruff check`` and ``ruff format --check`` (the project's settings) report on ``paths``;
    empty when both pass."""
    out = []
    for check in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *check, *map(str, paths)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            out.append(done.stdout + done.stderr)
    return "".join(out)


@pytest.fixture(scope="session")
def ruff():
    """The :func:`ruff_problems` helper, as a fixture."""
    return ruff_problems
