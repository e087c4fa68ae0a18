"""Real 30-minute windows of every trace pass quality control at their own level: bounds, realism
against their own trace, and complexity (feasibility too where the window is small enough to pack in a
test's time). The windows come from ``../shared/data`` through the readers and the tests' stand-in for
the replay (:mod:`trace_windows`); skipped when the data is absent."""

from __future__ import annotations

from itertools import islice

import pytest
from trace_windows import shared_data, trace_windows

from aurora_evo.scenario.quality import (
    check_bounds,
    check_complexity,
    check_feasibility,
    check_realism,
    trace_level,
)
from aurora_evo.scenario.quality.trace_window import TRACE_FORMATS

#: Windows per trace in the quick test: the first ones (half a window after each file's first
#: arrival, back to back) with at least :data:`MIN_TASKS` tasks.
WINDOWS = 3
MIN_TASKS = 20
#: Feasibility packs every task: windows up to this many tasks (a 22,000-task Google window takes 25 s).
PACKED_TASKS = 3000
#: Share of all the windows with a level that must pass: realism refuses about 1% of a trace's own
#: windows by design (its thresholds are the 99th percentiles of the trace's windows).
PASS_SHARE = 0.98


def _verdicts(s):
    level = trace_level(s)
    verdicts = [check_bounds(s), check_realism(s), check_complexity(s, level)]
    if len(s.tasks) <= PACKED_TASKS:
        verdicts.append(check_feasibility(s))
    return level, verdicts


@pytest.mark.parametrize("fmt", TRACE_FORMATS)
def test_real_windows_pass_at_their_own_level(fmt):
    data = shared_data()
    windows = list(islice((s for s in trace_windows(fmt, data) if len(s.tasks) >= MIN_TASKS), WINDOWS))
    assert len(windows) == WINDOWS
    for s in windows:
        level, verdicts = _verdicts(s)
        assert level is not None, s.name
        for verdict in verdicts:
            assert verdict.passed, f"{s.name} ({len(s.tasks)} tasks, level {level}): {verdict.reason}"
        realism = verdicts[1].details["tests"]
        assert any("ks_distance" in test for test in realism.values()), f"{s.name}: no KS test ran"


@pytest.mark.slow
@pytest.mark.parametrize("fmt", TRACE_FORMATS)
def test_nearly_every_real_window_with_a_level_passes(fmt):
    """Every 30-minute window of each trace: those with a level (at least 3 tasks on 2 nodes) pass at
    least :data:`PASS_SHARE` of the time. Up to a minute for Alibaba 2018."""
    data = shared_data()
    passed = checked = 0
    for s in trace_windows(fmt, data):
        if trace_level(s) is None:
            continue
        level = trace_level(s)
        verdicts = [check_bounds(s), check_realism(s), check_complexity(s, level)]
        checked += 1
        passed += all(v.passed for v in verdicts)
    assert checked and passed / checked >= PASS_SHARE, f"{passed} of {checked} {fmt} windows passed"
