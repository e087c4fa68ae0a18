"""The curriculum's ceiling: ``attacker.top_level``."""

from __future__ import annotations

import pytest

from aurora_evo.attacker.coevolution import Attacker
from aurora_evo.config import ConfigError, RunConfig, override
from aurora_evo.scenario.model import Domain


def test_the_curriculum_climbs_no_further_than_its_top_level():
    attacker = Attacker(Domain.CLOUD, "medium", top_level="hard", advance_share=0.7)
    assert attacker.maybe_advance(1.0) == "hard" and attacker.mastered == "medium"
    assert attacker.maybe_advance(1.0) is None  # mastered, and nowhere further to go
    assert attacker.level == "hard" and attacker.mastered == "hard"


def test_the_top_level_is_one_of_the_levels_and_not_below_the_start():
    with pytest.raises(ConfigError, match="top_level must be one of"):
        override(RunConfig(), **{"attacker.top_level": "impossible"}).validate()
    with pytest.raises(ConfigError, match="top_level must not come before"):
        override(RunConfig(), **{"attacker.start_level": "hard", "attacker.top_level": "easy"}).validate()
