"""The evolved programs in ``programs/``: standalone files that do what BENCHMARKS.md says they do.

Each is scored here the way the benchmark commands score it (in the sandbox, on the released test sets
or the held-out seeds), so a change to the simulator, the packer or the program itself that moves a
published figure fails this test.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import aurora_evo
from aurora_evo.contracts import Contract
from aurora_evo.domains import get_problem
from aurora_evo.domains.allocation.bench import run_allocation_bench
from aurora_evo.domains.allocation.problem import AllocationFitnessProblem
from aurora_evo.domains.binpacking import builtin_datasets
from aurora_evo.sandbox import Sandbox, SandboxConfig
from aurora_evo.suites import load_suite
from aurora_evo.suites.build import build_trace_suite
from aurora_evo.suites.specs import SUITES

PROGRAMS = Path(__file__).resolve().parents[2] / "programs"
SHIPPED = {
    "binpack_weibull.py": "binpacking (weibull)",
    "binpack_or.py": "binpacking (or)",
    "cloud.py": "cloud",
    "google-2011.py": "cloud",
    "alibaba-2018.py": "cloud",
    "azure.py": "cloud",
}

# Figures recorded in BENCHMARKS.md (excess bins over L1, percent; mean reward).
WEIBULL_5K_EXCESS = 0.65
OR3_EXCESS = 3.08
CLOUD_HELD_OUT = 0.7732
# Per trace suite's program: its test split's mean reward and mean fitness against best fit (0 is best
# fit), both measured in the sandbox.
SUITE_TEST = {
    "google-2011": (0.7590, +0.0421),
    "alibaba-2018": (0.7761, +0.0100),
    "azure": (0.8075, +0.2379),
}
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _test_split(suite: str) -> list:
    """The suite's test split; alibaba-2018, which Alibaba's terms keep out of the package, is built
    here from ``../shared/data`` (the test skips without it)."""
    if suite != "alibaba-2018":
        return list(load_suite(suite).split("test"))
    if not DATA.is_dir():
        pytest.skip(f"alibaba-2018 is built from ../shared/data, absent beside this checkout ({DATA})")
    return list(build_trace_suite(SUITES[suite], DATA)[1]["test"])


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(SandboxConfig(full_warm_up=False)) as box:
        yield box


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_a_shipped_program_stands_alone_and_says_where_it_came_from(name, tmp_path):
    text = (PROGRAMS / name).read_text()
    header = dict(re.findall(r"^# (domain|run|program|lineage|scores): (.*)$", text, re.MULTILINE))
    assert header["domain"].startswith(SHIPPED[name]) and header["run"] and header["lineage"]
    assert "validation" in header["scores"]
    # Only numpy: it runs in a fresh interpreter that never imports aurora_evo.
    check = (
        f"import runpy, sys; g = runpy.run_path({str(PROGRAMS / name)!r}); "
        "assert 'aurora_evo' not in sys.modules; print(callable(g['priority']))"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "True", done.stderr


def _excess(sandbox, name: str, dataset: str) -> float:
    source = (PROGRAMS / name).read_text()
    result = sandbox.evaluate(get_problem("binpacking"), source, [builtin_datasets()[dataset]])
    assert result.outcome.ok, result.message
    return -result.score


def test_the_weibull_program_on_weibull_5k(sandbox):
    excess = _excess(sandbox, "binpack_weibull.py", "Weibull 5k")
    assert round(excess, 2) == WEIBULL_5K_EXCESS
    assert excess <= 0.68  # issue 24's target, FunSearch's published figure (Best Fit 3.98 %)


def test_the_or_program_on_or3(sandbox):
    excess = _excess(sandbox, "binpack_or.py", "OR3")
    assert round(excess, 2) == OR3_EXCESS
    assert excess <= 3.11  # issue 24's target, FunSearch's published figure (Best Fit 5.37 %)


def test_the_cloud_program_beats_best_fit_on_the_held_out_seeds(sandbox):
    source = (PROGRAMS / "cloud.py").read_text()
    in_sandbox = functools.partial(sandbox.evaluate, get_problem("allocation"))
    rows = {r.program: r for r in run_allocation_bench({"cloud": source}, None, in_sandbox)}
    assert round(rows["cloud"].held_out, 4) == CLOUD_HELD_OUT
    assert rows["cloud"].held_out > rows["best_fit"].held_out


@pytest.mark.parametrize("suite", sorted(SUITE_TEST))
def test_a_trace_suite_program_scores_on_its_test_split_what_benchmarks_says(sandbox, suite):
    scenarios = _test_split(suite)
    source = (PROGRAMS / f"{suite}.py").read_text()
    result = sandbox.evaluate(AllocationFitnessProblem(), source, scenarios)
    assert result.outcome.ok, result.message
    reward, fitness = SUITE_TEST[suite]
    assert round(float(np.mean([case["reward"] for case in result.per_case.values()])), 4) == reward
    assert round(result.score, 4) == fitness


def test_a_shipped_program_loads_as_a_scheduler():
    packer = aurora_evo.load_scheduler(PROGRAMS / "binpack_weibull.py")
    assert packer.contract is Contract.BINPACKING
    instance = builtin_datasets()["Weibull 5k"].instances[0]
    assert packer.pack(instance.items, instance.capacity).bins_used > 0
