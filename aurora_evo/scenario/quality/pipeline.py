"""All five layers on one scenario: :func:`check_scenario`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from aurora_evo.scenario.model import Scenario
from aurora_evo.scenario.quality.bounds import check_bounds
from aurora_evo.scenario.quality.complexity import check_complexity
from aurora_evo.scenario.quality.diversity import check_diversity
from aurora_evo.scenario.quality.feasibility import check_feasibility
from aurora_evo.scenario.quality.realism import check_realism
from aurora_evo.scenario.quality.report import DEFAULT_CONFIG, QualityConfig, QualityReport


def check_scenario(
    s: Scenario,
    *,
    level: str | None = None,
    recent: Sequence[np.ndarray] = (),
    reference: Mapping[str, np.ndarray] | None = None,
    config: QualityConfig = DEFAULT_CONFIG,
) -> QualityReport:
    """Run the five layers in order, every one of them (a failure does not stop the rest, so that the
    feedback lists every problem). ``level`` overrides the scenario's own; ``recent`` holds the feature
    vectors of recently accepted scenarios, oldest first; ``reference`` replaces the shipped samples.

    Raises:
        InputError: one line naming the levels, for an unknown ``level``.
    """
    verdicts = (
        check_bounds(s),
        check_feasibility(s, config=config),
        check_realism(s, reference, config=config),
        check_diversity(s, recent, config=config),
        check_complexity(s, level, config=config),
    )
    return QualityReport(s.name, verdicts)
