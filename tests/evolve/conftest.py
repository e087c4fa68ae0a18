"""Small, fast runs for the evolution tests."""

from __future__ import annotations

import pytest

from aurora_evo.config import RunConfig, override

TINY_BINPACKING = {
    "task.domain": "binpacking",
    "task.train_instances": 2,
    "task.train_items": 200,
    "task.validation_instances": 1,
    "task.validation_items": 300,
    "islands.islands": 3,
    "islands.population": 5,
    "islands.migration_interval": 3,
    "islands.reset_interval": 5,
    "stop.max_iterations": 8,
    "evaluation.full_warm_up": False,
}


@pytest.fixture
def tiny_config() -> RunConfig:
    return override(RunConfig(seed=3), **TINY_BINPACKING)
