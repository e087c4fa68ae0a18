"""A small offline run shared by the analysis tests (about 20 s here: one per session)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> Path:
    """The folder of a finished 20-iteration bin-packing run (offline mutators, 3 islands of 5), mapped over
    complexity and specialisation."""
    from aurora_evo.config import RunConfig, override
    from aurora_evo.evolve import Evolution

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
    evolution = Evolution(config, run_dir)
    try:
        evolution.run()
    finally:
        evolution.close()
    return run_dir
