"""Small, fast runs for the evolution tests."""

from __future__ import annotations

import pytest
from archive_snapshot import TINY_BINPACKING

from aurora_evo.config import RunConfig, override


@pytest.fixture
def tiny_config() -> RunConfig:
    return override(RunConfig(seed=3), **TINY_BINPACKING)
