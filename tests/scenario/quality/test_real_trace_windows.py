"""Real windows of every trace, replayed by :func:`aurora_evo.traces.replay.replay_window`, pass quality
control at their own level: bounds, realism against their own trace, complexity, and feasibility
wherever a scheduler could meet their deadlines. Also the shipped suites' windows. The windows come
from ``../shared/data`` (:mod:`trace_windows`); skipped when the data is absent."""

from __future__ import annotations

from itertools import islice

import numpy as np
import pytest
from trace_windows import shared_data, trace_windows

from aurora_evo.scenario.model import Scenario
from aurora_evo.scenario.quality import (
    check_bounds,
    check_complexity,
    check_feasibility,
    check_realism,
    check_scenario,
    trace_level,
)
from aurora_evo.scenario.quality.trace_window import TRACE_FORMATS
from aurora_evo.suites.build import build_trace_suite
from aurora_evo.suites.specs import SUITES, TraceSuiteSpec
from aurora_evo.traces.sizing import peak_demand

#: Windows per trace in the quick test: the first ones (half a window after each file's first
#: arrival, back to back) with at least :data:`MIN_TASKS` tasks.
WINDOWS = 3
MIN_TASKS = 20
#: Feasibility packs every task: windows up to this many tasks (a 22,000-task Google window takes 25 s).
PACKED_TASKS = 3000
#: Share of the windows that must pass: realism's thresholds are the largest of the trace's own
#: back-to-back windows, which a window at another offset can pass by a little, rarely.
PASS_SHARE = 0.98


def peak_over_capacity(s: Scenario) -> float:
    """The largest demand running at once over the cluster's capacity, every task started on arrival,
    in the bottleneck resource."""
    peak = peak_demand(s.tasks.demand, s.tasks.arrival, s.tasks.duration)
    capacity = s.nodes.capacity.sum(axis=0)
    used = capacity > 0
    return float(np.max(peak[used] / capacity[used]))


@pytest.mark.parametrize("fmt", TRACE_FORMATS)
def test_real_30_minute_windows_pass_at_their_own_level(fmt):
    data = shared_data()
    windows = list(islice((s for s in trace_windows(fmt, data) if len(s.tasks) >= MIN_TASKS), WINDOWS))
    assert len(windows) == WINDOWS
    for s in windows:
        level = trace_level(s)
        for verdict in (check_bounds(s), check_realism(s), check_complexity(s, level)):
            assert verdict.passed, f"{s.name} ({len(s.tasks)} tasks, level {level}): {verdict.reason}"
        realism = check_realism(s).details["tests"]
        assert any("ks_distance" in test for test in realism.values()), f"{s.name}: no KS test ran"


@pytest.mark.parametrize("fmt", TRACE_FORMATS)
def test_feasibility_refuses_a_real_window_only_when_its_cluster_is_overloaded(fmt):
    """The replay sizes the nodes for a load of 0.8 within the window and for the demand running at
    once; a window the packing still cannot serve must be one whose demand running at once passes the
    capacity (the replay adds nodes until a best fit on arrival places every latency-sensitive task,
    so no scheduler could meet its deadlines): a true refusal."""
    data = shared_data()
    small = (s for s in trace_windows(fmt, data) if MIN_TASKS <= len(s.tasks) <= PACKED_TASKS)
    for s in islice(small, WINDOWS):
        verdict = check_feasibility(s)
        assert verdict.passed or peak_over_capacity(s) > 1.0, f"{s.name}: {verdict.reason}"


@pytest.mark.slow
@pytest.mark.parametrize("fmt", TRACE_FORMATS)
def test_nearly_every_real_30_minute_window_passes(fmt):
    """Every 30-minute window of each trace (but those over the replay's task limit): bounds, realism
    and complexity at its own level pass for at least :data:`PASS_SHARE` of them."""
    data = shared_data()
    passed = checked = 0
    for s in trace_windows(fmt, data):
        level = trace_level(s)
        verdicts = [check_bounds(s), check_realism(s), check_complexity(s, level)]
        checked += 1
        passed += all(v.passed for v in verdicts)
    assert checked and passed / checked >= PASS_SHARE, f"{passed} of {checked} {fmt} windows passed"


@pytest.mark.slow
@pytest.mark.parametrize("name", [name for name, spec in SUITES.items() if isinstance(spec, TraceSuiteSpec)])
def test_nearly_every_window_of_a_shipped_suite_passes_quality_control(name):
    """The suites' windows (3 minutes of Google 2011, 5 of Alibaba 2018, 30 of Azure VM 2017, thinned to
    their task limits) through every layer, as the suite build checks them: the only refusals are
    realism's (a window past the largest of its trace's own back-to-back windows, rarely) and, as
    rarely, feasibility's of a cluster nearly full at once."""
    data = shared_data()
    _, scenarios = build_trace_suite(SUITES[name], data)
    checked = realism_refused = feasibility_refused = 0
    for split in scenarios.values():
        recent: list = []
        for s in split:
            report = check_scenario(s, recent=recent)
            recent.append(report.features)
            checked += 1
            assert set(report.refused_layers) <= {"realism", "feasibility"}, report.feedback()
            realism_refused += not report.verdict("realism").passed
            if not report.verdict("feasibility").passed:
                feasibility_refused += 1
                assert peak_over_capacity(s) > 0.9, f"{s.name}: {report.feedback()}"
    # Two windows at offsets unlike the references' back-to-back ones may pass their widest by a little
    # (google-2011: 2 of 99, 2.0 %).
    assert realism_refused <= max(2, (1 - PASS_SHARE) * checked), (
        f"realism refused {realism_refused} of {checked}"
    )
    assert feasibility_refused <= (1 - PASS_SHARE) * checked, f"feasibility refused {feasibility_refused}"
