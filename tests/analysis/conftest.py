"""Runs shared by the analysis tests: a small offline run (about 20 s here: one per session), one with
nothing evaluated, and a copy of the small one with language-model calls."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> Path:
    """The folder of a finished 20-iteration bin-packing run (offline mutators, 3 islands of 5), mapped over
    complexity and specialisation."""
    from aurora_evo.config import RunConfig, override
    from aurora_evo.evolver import build_evolver

    run_dir = tmp_path_factory.mktemp("runs") / "small"
    config = override(RunConfig(seed=3), **{
        "task.domain": "binpacking", "task.train_instances": 2, "task.train_items": 200,
        "task.validation_instances": 1, "task.validation_items": 300,
        "islands.islands": 3, "islands.population": 5, "islands.migration_interval": 3,
        "islands.reset_interval": 5, "stop.max_iterations": 20, "stop.patience": None, "stop.window": None,
        "evaluation.full_warm_up": False,
        # The axis that hardly varies, so that the map's note about it is seen (the default is nonlinearity).
        "archive.descriptors": ("complexity", "specialisation"),
    })  # fmt: skip
    evolution = build_evolver(config, run_dir)
    try:
        evolution.run()
    finally:
        evolution.close()
    return run_dir


@pytest.fixture(scope="session")
def empty_run(tmp_path_factory) -> Path:
    """The folder of a run that was set up and closed before its first iteration: nothing evaluated."""
    from aurora_evo.config import RunConfig, override
    from aurora_evo.evolver import build_evolver

    run_dir = tmp_path_factory.mktemp("runs") / "empty"
    config = override(RunConfig(seed=1), **{"task.domain": "binpacking", "task.train_instances": 1,
                                            "task.train_items": 50, "task.validation_instances": 1,
                                            "task.validation_items": 50, "evaluation.full_warm_up": False})  # fmt: skip
    build_evolver(config, run_dir).close()
    return run_dir


@pytest.fixture
def llm_run(small_run, tmp_path) -> Path:
    """A copy of :func:`small_run` whose archive holds LLM calls: three per iteration of 1-10 (one of them
    without code) and one refused by the budget."""
    from aurora_evo.analysis import load_run

    run_dir = tmp_path / "small"
    shutil.copytree(small_run, run_dir)
    with load_run(run_dir) as run:
        for iteration in range(1, 11):
            rows = [
                {"backend": "gemini", "model": "gemini-2.5-flash", "purpose": "program", "mode": "diff",
                 "instruction_id": "i1", "attempt": 1, "key_index": 0, "prompt_tokens": 1000 + iteration,
                 "completion_tokens": 300, "latency_s": 1.5, "cost_usd": 0.001,
                 "outcome": "ok" if k else "no_code", "error": "", "program_id": None, "when": 1000.0 + k}
                for k in range(3)
            ]  # fmt: skip
            refused = {**rows[0], "attempt": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0}
            run.archive.ledger.add_llm_calls(run.run_id, iteration, [*rows, {**refused, "outcome": "budget"}])
    return run_dir
