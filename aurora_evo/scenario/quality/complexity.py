"""Layer 5, complexity: task count, node count, offered load and deadline share lie in the ranges of
the scenario's difficulty level (:mod:`aurora_evo.scenario.levels`); a replayed trace window's task
count, node count and load within the window make its own level, which must be the one asked for."""

from __future__ import annotations

import math

from aurora_evo.scenario.levels import LEVEL_NAMES, trace_level_of, trace_minimums
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
from aurora_evo.scenario.quality.trace_window import trace_window


@_quiet
def check_complexity(
    s: Scenario, level: str | None = None, *, config: QualityConfig = DEFAULT_CONFIG
) -> Verdict:
    """Layer 5: task count, node count, offered load (:func:`scenario_load`) and deadline share lie
    in the ranges of the difficulty level (``level``, else the scenario's own; no level: passes with a
    note).

    A replayed trace window (``provenance["trace"]``) is held to its own level instead
    (:func:`check_trace_complexity`).

    Raises:
        InputError: one line naming the levels, for an unknown level.
    """
    name = level if level is not None else s.level
    if trace_window(s) is not None:
        return check_trace_complexity(s, name, config=config)
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


@_quiet
def trace_level(s: Scenario, config: QualityConfig = DEFAULT_CONFIG) -> str | None:
    """The level of a replayed trace window (:func:`~aurora_evo.scenario.levels.trace_level_of` of its
    task count, node count and the load offered within the window, :func:`scenario_load`); at least
    easy, ``None`` only when the load cannot be measured."""
    return trace_level_of(len(s.tasks), len(s.nodes), scenario_load(s, config))


@_quiet
def check_trace_complexity(
    s: Scenario, level: str | None, *, config: QualityConfig = DEFAULT_CONFIG
) -> Verdict:
    """Layer 5 for a replayed trace window: its own level (:func:`trace_level`) must be ``level``; with
    no level, it is reported (every window is at least easy). The load is the one offered within the
    window; the deadline share is the trace's and is reported, not judged.

    Raises:
        InputError: one line naming the levels, for an unknown level.
    """
    spec = level_spec(level) if level is not None else None
    window, source = _window(s, config)
    load = scenario_load(s, config)
    tasks, nodes = len(s.tasks), len(s.nodes)
    own = trace_level_of(tasks, nodes, load)
    measured = {"tasks": tasks, "nodes": nodes, "load": load}
    problems = []
    if own is None:
        problems = _below(measured, LEVEL_NAMES[0])
    elif spec is not None and LEVEL_NAMES.index(own) < spec.rank:
        problems = _below(measured, spec.name)
    elif spec is not None and own != spec.name:
        minima = ", ".join(_g(v) for v in trace_minimums(own).values())
        problems = [
            f"tasks {tasks}, nodes {nodes} and load {_g(load)} reach the {own} level's minimums ({minima}): "
            f"the window's level is {own}, not {spec.name}"
        ]
    details = {
        "level": level,
        "trace_level": own,
        "measured": {key: _num(value) for key, value in measured.items()}
        | {"deadline_share": float(s.tasks.has_deadline.mean())},
        "minimums": {name: trace_minimums(name) for name in LEVEL_NAMES},
        "load_window_s": _num(window),
        "load_window_source": source,
        "deadline_share": "the trace's: reported, not judged",
        "problems": problems,
    }
    if problems:
        return Verdict(Layer.COMPLEXITY, False, _join(Layer.COMPLEXITY, problems, limit=4), details)
    share = float(s.tasks.has_deadline.mean())
    return Verdict(
        Layer.COMPLEXITY,
        True,
        f"complexity: the trace window's tasks, nodes and load make it {own} (deadline share {share:.0%}, "
        "the trace's)",
        details,
    )


def _below(measured: dict[str, float], name: str) -> list[str]:
    """One problem per measure under level ``name``'s minimum."""
    problems = []
    for key, low in trace_minimums(name).items():
        value = measured[key]
        if not value >= low - 1e-9:  # NaN fails too
            label = "offered load within the window" if key == "load" else key
            problems.append(f"{label} {_g(value)} below the {name} level's minimum {_g(low)}")
    return problems
