"""Quality control of replayed trace windows, on hand-made windows (no trace files needed): a window is
told apart from a synthetic scenario by ``provenance["trace"]``, measured against its own trace, loaded
within its window, and given its own level; and a garbled replay is still refused."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from aurora_evo.errors import InputError
from aurora_evo.features import NO_DEADLINE
from aurora_evo.scenario.generate import offered_load
from aurora_evo.scenario.levels import LEVEL_NAMES, LEVELS, trace_level_of, trace_minimums
from aurora_evo.scenario.model import Domain, Nodes, Scenario, Tasks
from aurora_evo.scenario.quality import (
    DEFAULT_CONFIG,
    check_bounds,
    check_complexity,
    check_diversity,
    check_realism,
    check_scenario,
    features,
    scenario_load,
    trace_level,
    trace_window,
)
from aurora_evo.scenario.quality.trace_references import load_trace_reference
from aurora_evo.scenario.quality.trace_window import TRACE_FORMATS, window_load, window_samples

WINDOW_S = 1800.0


def trace_scenario(
    n_jobs: int = 60, tasks_per_job: int = 40, n_nodes: int = 60, seed: int = 0, trace: dict | None = None
) -> Scenario:
    """A Google 2011 window of ``n_jobs`` jobs of ``tasks_per_job`` identical tasks, sizes and durations
    drawn from the shipped Google 2011 tables, jobs arriving uniformly over the window, on 32-core,
    128 GiB nodes: what a replay of that trace looks like (many tasks per request shape)."""
    rng = np.random.default_rng(seed)
    ref = load_trace_reference("google2011", WINDOW_S).distributions
    cpu = rng.choice(ref["cpu"].quantiles, n_jobs)
    memory = rng.choice(ref["memory"].quantiles, n_jobs)
    job = np.repeat(np.arange(n_jobs), tasks_per_job)
    arrival = np.sort(rng.uniform(0.0, WINDOW_S, n_jobs))[job] + rng.uniform(0.0, 5.0, job.size)
    demand = np.column_stack([cpu[job], memory[job], np.zeros((job.size, 2))])
    tasks = Tasks(
        arrival=np.minimum(arrival, WINDOW_S - 1.0),
        duration=rng.choice(ref["duration"].quantiles, job.size),
        demand=demand,
        priority=np.zeros(job.size, dtype=np.int64),
        deadline=np.full(job.size, NO_DEADLINE),
        owner=np.zeros(job.size, dtype=np.int64),
        owners=("user",),
    )
    nodes = Nodes(
        names=tuple(f"m{k}" for k in range(n_nodes)),
        capacity=np.tile([32.0, 128.0, 0.0, 0.0], (n_nodes, 1)),
        price_per_hour=np.ones(n_nodes),
        idle_watts=np.full(n_nodes, 100.0),
        peak_watts=np.full(n_nodes, 300.0),
        latency_ms=np.ones(n_nodes),
        zone=np.zeros(n_nodes, dtype=np.int64),
        zones=("z",),
    )
    provenance = {"trace": trace or {"format": "google2011", "window_s": WINDOW_S, "window_start_s": 600.0}}
    return Scenario("window", Domain.CLOUD, nodes, tasks, provenance=provenance)


def synthetic(s: Scenario) -> Scenario:
    return dataclasses.replace(s, provenance={})


def with_tasks(s: Scenario, **changes) -> Scenario:
    return dataclasses.replace(s, tasks=dataclasses.replace(s.tasks, **changes))


# --- what a trace window is ------------------------------------------------------------------------------


def test_a_trace_window_is_told_by_its_provenance():
    s = trace_scenario()
    window = trace_window(s)
    assert (window.format, window.window_s, window.window_start_s) == ("google2011", WINDOW_S, 600.0)
    assert trace_window(synthetic(s)) is None


@pytest.mark.parametrize(
    ("trace", "words"),
    [
        ({"format": "borg2019", "window_s": 1800}, "provenance.trace.format 'borg2019' is not one of"),
        ({"format": "swf", "window_s": 0}, "provenance.trace.window_s must be a positive number"),
        ({"format": "swf", "window_s": "30m"}, "provenance.trace.window_s must be a positive number"),
        ({"format": "swf"}, "provenance.trace.window_s must be a positive number"),
        ("swf", "provenance.trace must be an object"),
    ],
)
def test_a_malformed_trace_provenance_is_one_line_of_bad_input(trace, words):
    s = dataclasses.replace(trace_scenario(n_jobs=3, tasks_per_job=2), provenance={"trace": trace})
    with pytest.raises(InputError, match=words) as caught:
        check_scenario(s)
    assert "\n" not in str(caught.value)


def test_every_format_has_a_shipped_reference():
    for fmt in TRACE_FORMATS:
        ref = load_trace_reference(fmt, WINDOW_S)
        assert ref.window_s == WINDOW_S and {"cpu", "duration"} <= set(ref.distributions)
        for dist in ref.distributions.values():
            assert dist.quantiles.size == 256 and np.all(np.diff(dist.quantiles) >= 0)


@pytest.mark.parametrize(
    ("window_s", "nearest"), [(60, 180), (180, 180), (200, 180), (600, 300), (3600, 1800), (1e6, 7200)]
)
def test_a_window_is_compared_with_the_trace_s_windows_of_the_nearest_length(window_s, nearest):
    ref = load_trace_reference("google2011", window_s)
    assert ref.window_s == nearest and ref.windows > 0


def test_window_samples_count_a_shape_and_a_row_once():
    """Instances copying one task row (same arrival, request, priority, duration) are one duration;
    a job is its request and priority, arriving with its first task."""
    arrival = np.array([0.0, 0.0, 0.0, 10.0, 30.0])
    duration = np.array([5.0, 5.0, 5.0, 7.0, 9.0])
    demand = np.array([[1, 2, 0, 0], [1, 2, 0, 0], [1, 2, 0, 0], [1, 2, 0, 0], [4, 2, 0, 0]], dtype=float)
    samples = window_samples(arrival, duration, demand, np.zeros(5))
    assert samples["cpu"].tolist() == [1.0, 4.0] and samples["memory"].tolist() == [2.0, 2.0]
    assert sorted(samples["duration"]) == [5.0, 7.0, 9.0]
    assert samples["interarrival"].tolist() == [1.0]  # jobs at 0 and 30


# --- realism -----------------------------------------------------------------------------------------


def test_realism_accepts_a_window_of_many_identical_tasks_that_it_refuses_as_synthetic():
    s = trace_scenario()
    verdict = check_realism(s)
    assert verdict.passed, verdict.reason
    assert verdict.reason.startswith("realism: cpu, memory, cpu_memory_ratio, duration, interarrival match")
    per_shape = verdict.details["tests"]["tasks_per_shape"]
    assert per_shape["value"] >= 40 > DEFAULT_CONFIG.max_tasks_per_shape and not per_shape["judged"]
    assert per_shape["trace_windows"] == dict(
        load_trace_reference("google2011", WINDOW_S).figures["tasks_per_shape"]
    )
    refused = check_realism(synthetic(s))
    assert not refused.passed and "tasks per shape; Alibaba 2017 jobs average" in refused.reason


def test_realism_refuses_a_replay_that_forgot_the_units():
    """Google 2011 requests left as shares of the largest machine (not x32 cores, x128 GiB)."""
    s = trace_scenario()
    verdict = check_realism(with_tasks(s, demand=s.tasks.demand / np.array([32.0, 128.0, 1.0, 1.0])))
    assert not verdict.passed
    assert "cpu distribution differs from the google2011 trace's 30-minute windows" in verdict.reason


def test_realism_refuses_durations_in_milliseconds():
    s = trace_scenario()
    verdict = check_realism(with_tasks(s, duration=s.tasks.duration * 1000.0))
    assert (
        not verdict.passed
        and "median duration" in verdict.reason
        and "above the google2011" in verdict.reason
    )


def test_realism_refuses_arrivals_outside_the_window():
    s = trace_scenario()
    verdict = check_realism(with_tasks(s, arrival=s.tasks.arrival + 600.0))
    assert not verdict.passed and "arrive outside the 1800 s window" in verdict.reason


def test_realism_refuses_a_format_it_has_no_reference_for(monkeypatch):
    def missing(fmt, window_s):
        raise KeyError(fmt)

    monkeypatch.setattr("aurora_evo.scenario.quality.trace_realism.load_trace_reference", missing)
    verdict = check_realism(trace_scenario())
    assert not verdict.passed and verdict.reason.startswith("realism: no reference for the google2011 trace")


def test_realism_skips_what_the_trace_does_not_record():
    """SWF logs record no memory: no memory or ratio comparison, and no refusal for it."""
    s = trace_scenario(trace={"format": "swf", "window_s": WINDOW_S})
    verdict = check_realism(with_tasks(s, demand=s.tasks.demand * np.array([1.0, 0.0, 0.0, 0.0])))
    assert verdict.details["not_recorded"] == ["memory", "cpu_memory_ratio"]
    assert "memory" not in verdict.details["tests"]


# --- load, levels and complexity ---------------------------------------------------------------------


def test_the_load_counts_only_the_part_of_each_run_inside_the_window():
    """One task of 1 core on one 2-core node arriving at 900 s for a day: half the window at half the
    node, a load of 0.25; counted whole, as a synthetic scenario's, 24 x 0.5 = 48."""
    s = trace_scenario(n_jobs=2, tasks_per_job=1, n_nodes=1)
    one = with_tasks(
        s,
        arrival=[900.0, 900.0],
        duration=[86_400.0, 86_400.0],
        demand=[[0.5, 1.0, 0.0, 0.0], [0.5, 1.0, 0.0, 0.0]],
    )
    one = dataclasses.replace(one, nodes=dataclasses.replace(one.nodes, capacity=[[2.0, 128.0, 0.0, 0.0]]))
    assert window_load(one, WINDOW_S) == pytest.approx(0.25)
    assert scenario_load(one) == pytest.approx(0.25)
    assert offered_load(one, WINDOW_S) == pytest.approx(24.0)
    assert features(one)[2] == pytest.approx(0.25)


def test_trace_minimums_rise_with_the_level():
    rows = [trace_minimums(name) for name in LEVEL_NAMES]
    for key in ("tasks", "nodes", "load"):
        assert [row[key] for row in rows] == sorted(row[key] for row in rows)
    assert rows[0] == {"tasks": 1, "nodes": 1, "load": 0.0}
    assert rows[1] == {"tasks": 12, "nodes": 5, "load": LEVELS["medium"].load[0]}


@pytest.mark.parametrize(
    ("tasks", "nodes", "load", "level"),
    [
        (1, 1, 0.0, "easy"),  # every real window is at least easy
        (2, 10, 0.5, "easy"),
        (3, 1, 0.9, "easy"),  # a Parallel Workloads Archive machine is one node
        (5, 3, 0.01, "easy"),
        (10_000, 300, 0.4, "easy"),  # a big, lightly loaded window: as easy as its load
        (12, 5, 0.5, "medium"),
        (12, 5, float("nan"), None),
        (60, 16, 0.79, "medium"),
        (60, 16, 0.8, "hard"),
        (10_000, 49, 2.0, "hard"),
        (450, 60, 0.96, "expert"),
        (500, 100, 1.0, "beyond"),
        (100_000, 2_000, 3.0, "beyond"),
    ],
)
def test_a_trace_window_reaches_the_hardest_level_whose_minimums_it_meets(tasks, nodes, load, level):
    assert trace_level_of(tasks, nodes, load) == level


def test_complexity_holds_a_window_to_its_own_level_and_reports_the_deadline_share():
    s = trace_scenario()  # 2,400 tasks on 60 nodes
    own = trace_level(s)
    assert own == "easy" and scenario_load(s) < LEVELS["medium"].load[0]
    passed = check_complexity(s, own)
    assert passed.passed, passed.reason
    assert passed.details["trace_level"] == "easy" and passed.details["measured"]["deadline_share"] == 0.0
    assert check_complexity(s).passed  # no level asked: its own
    higher = check_complexity(s, "expert")
    assert not higher.passed
    assert (
        "offered load within the window" in higher.reason
        and "below the expert level's minimum" in higher.reason
    )
    assert not check_complexity(synthetic(s), "easy").passed  # 2,400 tasks are past easy's 12


def test_complexity_refuses_a_lower_level_than_the_window_reaches():
    s = trace_scenario(n_nodes=6)  # the same work on a tenth of the nodes
    assert trace_level(s) == "medium"
    verdict = check_complexity(s, "easy")
    assert not verdict.passed and "the window's level is medium, not easy" in verdict.reason


def test_a_window_of_two_tasks_is_easy_and_not_medium():
    s = trace_scenario(n_jobs=1, tasks_per_job=2)
    assert trace_level(s) == "easy" and check_complexity(s).passed
    verdict = check_complexity(s, "medium")
    assert not verdict.passed and verdict.reason.startswith(
        "complexity: tasks 2 below the medium level's minimum 12"
    )


# --- diversity ---------------------------------------------------------------------------------------


def test_diversity_measures_a_trace_window_without_refusing_a_near_copy():
    s = trace_scenario()
    verdict = check_diversity(s, [features(s)])
    assert verdict.passed and verdict.details["nearest_distance"] == 0.0
    assert (
        verdict.reason
        == "diversity: a trace window, not judged; nearest of 1 recent scenarios at distance 0.000"
    )
    assert not check_diversity(synthetic(s), [features(synthetic(s))]).passed


# --- bounds ------------------------------------------------------------------------------------------


def test_bounds_take_a_trace_window_s_zero_requests_as_recorded():
    s = trace_scenario()
    demand = s.tasks.demand.copy()
    demand[:3, 0] = 0.0  # Google 2011 tasks with no cpu request
    demand[3:5, 1] = 0.0
    zero = with_tasks(s, demand=demand)
    verdict = check_bounds(zero)
    assert verdict.passed, verdict.reason
    assert verdict.details["zero_requests"] == {"cpu": 3, "memory": 2}
    assert not check_bounds(synthetic(zero)).passed


def test_every_layer_passes_the_hand_made_window():
    report = check_scenario(trace_scenario(), level="easy", config=DEFAULT_CONFIG)
    assert report.passed, report.feedback()
