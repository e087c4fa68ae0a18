"""Shared fixtures: the seed programs compiled once per session, a small scenario builder, and the
project's own ruff checks for generated files; and the grouping of tests for pytest-xdist.

The suite runs on pytest-xdist's workers (``-n logical --dist loadgroup``, set in pyproject.toml): each
worker is its own process, so a fixture of module or session scope is built once *per worker* that runs
one of its tests. :data:`BUILT_ONCE` names the fixtures that take many seconds to build;
:func:`pytest_collection_modifyitems` puts every test using one of them in one xdist group, so that it is
built once in the whole run. Every other test is handed out on its own, to whichever worker is free.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aurora_evo.contracts import Contract
from aurora_evo.program_loading import load_program_file
from aurora_evo.scenario.model import Domain, Nodes, Scenario, Tasks
from aurora_evo.seeds import seed_scenarios

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"

#: Fixtures of module or session scope that take many seconds to build (a whole evolution run, hundreds
#: of numba compilations): the tests using one run in one xdist worker, which builds it once.
BUILT_ONCE = frozenset({
    "coevolved",  # tests/evolve/test_coevolution.py: a 16-iteration co-evolution run
    "measured",  # tests/scenario/quality/test_synthetic_verdicts.py: 85 scenarios through every layer
    "numba_checks",  # tests/mutators/test_mutators_gp.py: 200 GP trees compiled with numba
    "small_run",  # tests/analysis/conftest.py: a 20-iteration bin-packing run, read by the analysis tests
})  # fmt: skip


def _xdist_group(item: pytest.Item, fixture: str) -> str | None:
    """The group of the tests sharing ``item``'s instance of ``fixture``: one per module for a fixture of
    module scope, one per definition otherwise; ``None`` for a function-scoped fixture."""
    definitions = getattr(item, "_fixtureinfo", None) and item._fixtureinfo.name2fixturedefs.get(fixture)
    if not definitions:
        return None
    definition = definitions[-1]
    if definition.scope == "function":
        return None
    where = item.nodeid.split("::")[0] if definition.scope in ("module", "class") else definition.baseid
    return f"{where}::{fixture}"


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests using a fixture of :data:`BUILT_ONCE` with one ``xdist_group`` per instance of it
    (tests using two such fixtures join both groups into one). Group names must be the same in every
    worker, so nothing here depends on the order of a set."""
    parent: dict[str, str] = {}

    def root(group: str) -> str:
        while parent.setdefault(group, group) != group:
            group = parent[group]
        return group

    used = {}
    for item in items:
        shared = sorted(BUILT_ONCE.intersection(getattr(item, "fixturenames", ())))
        groups = [g for g in (_xdist_group(item, f) for f in shared) if g]
        for group in groups[1:]:
            parent[root(group)] = root(groups[0])
        if groups:
            used[item] = groups[0]
    for item, group in used.items():
        item.add_marker(pytest.mark.xdist_group(root(group)))


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


@pytest.fixture
def tiny_suite(monkeypatch):
    """A suite called ``tiny`` of seed scenarios (train: two easy cloud seeds, validation: two others,
    test: two medium ones) that :func:`aurora_evo.suites.load_suite` gives in this test; every other name
    goes to the real one."""
    # heavy: the suites' package reads scenarios (numpy); only the tests that use a suite import it
    import aurora_evo.suites
    from aurora_evo.domains.allocation.problem import load_suite_once

    easy, medium = seed_scenarios("easy", "cloud"), seed_scenarios("medium", "cloud")
    suite = aurora_evo.suites.Suite(
        name="tiny", manifest={"name": "tiny"}, train=tuple(easy[:2]), validation=tuple(easy[2:4]),
        test=tuple(medium[:2]),
    )  # fmt: skip
    real = aurora_evo.suites.load_suite
    monkeypatch.setattr(aurora_evo.suites, "load_suite", lambda name: suite if name == "tiny" else real(name))
    load_suite_once.cache_clear()
    yield suite
    load_suite_once.cache_clear()  # the suite the allocation problem keeps must not outlive the test
