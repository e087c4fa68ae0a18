"""Layer 5, complexity: task count, node count, offered load and deadline share lie in the ranges of
the scenario's difficulty level (:mod:`aurora_evo.scenario.levels`)."""

from __future__ import annotations

import math

from aurora_evo.scenario.levels import level as level_spec
from aurora_evo.scenario.model import Scenario
from aurora_evo.scenario.quality.arrivals import _window, scenario_load
from aurora_evo.scenario.quality.report import (
    DEFAULT_CONFIG,
    Layer,
    QualityConfig,
    Verdict,
    _g,
    _join,
    _num,
    _quiet,
)


@_quiet
def check_complexity(
    s: Scenario, level: str | None = None, *, config: QualityConfig = DEFAULT_CONFIG
) -> Verdict:
    """Layer 5: task count, node count, offered load (:func:`scenario_load`) and deadline share lie
    in the ranges of the difficulty level (``level``, else the scenario's own; no level: passes with a
    note).

    Raises:
        InputError: one line naming the levels, for an unknown level.
    """
    name = level if level is not None else s.level
    if name is None:
        return Verdict(
            Layer.COMPLEXITY, True, "complexity: no level to check against", {"note": "no level: not checked"}
        )
    spec = level_spec(name)
    window, source = _window(s, config)
    load = scenario_load(s, config)
    share = float(s.tasks.has_deadline.mean())
    measured = {
        "tasks": (len(s.tasks), spec.tasks, "tasks"),
        "nodes": (len(s.nodes), spec.nodes, "nodes"),
        "load": (load, spec.load, "offered load"),
        "deadline_share": (share, spec.deadline_share, "deadline share"),
    }
    problems = []
    for value, (low, high), label in measured.values():
        if not (low - 1e-9 <= value <= high + 1e-9):  # NaN fails too
            shown = (
                "undefined (all tasks arrive at once)"
                if isinstance(value, float) and math.isnan(value)
                else _g(value)
            )
            problems.append(f"{label} {shown} outside the {name} level's {_g(low)}-{_g(high)}")
    details = {
        "level": name,
        "measured": {key: _num(value) for key, (value, _, _) in measured.items()},
        "ranges": {key: list(rng) for key, (_, rng, _) in measured.items()},
        "load_window_s": _num(window),
        "load_window_source": source,
        "problems": problems,
    }
    if problems:
        return Verdict(Layer.COMPLEXITY, False, _join(Layer.COMPLEXITY, problems, limit=4), details)
    return Verdict(
        Layer.COMPLEXITY, True, f"complexity: sizes, load and deadlines fit the {name} level", details
    )
