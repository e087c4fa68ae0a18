"""Scenario quality control: each layer refuses crafted bad scenarios for the right reason, every shipped
seed passes every layer, generated scenarios pass realism, the monitor's summary, and the CLI verb."""

from __future__ import annotations

import dataclasses
import json
import math
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aurora_evo.cli import main
from aurora_evo.cli.exit_status import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROGRAM_FAILED
from aurora_evo.errors import InputError
from aurora_evo.features import NO_DEADLINE
from aurora_evo.scenario import load_scenario, save_scenario
from aurora_evo.scenario.generate import generate_scenario
from aurora_evo.scenario.levels import LEVEL_NAMES, LEVELS
from aurora_evo.scenario.model import Domain, Nodes, Scenario, Tasks
from aurora_evo.scenario.params import domain_params
from aurora_evo.scenario.quality import (
    FEATURE_NAMES,
    FEATURE_SCALES,
    Layer,
    QualityConfig,
    QualityMonitor,
    QualityReport,
    Verdict,
    check_bounds,
    check_complexity,
    check_diversity,
    check_feasibility,
    check_realism,
    check_scenario,
    clairvoyant_deadline_packing,
    feature_distance,
    features,
)
from aurora_evo.scenario.traces import load_reference_samples
from aurora_evo.seeds import seed_scenario_paths

SEED_PATHS = {path.stem: path for path in seed_scenario_paths()}


@cache
def seed(name: str) -> Scenario:
    return load_scenario(SEED_PATHS[name])


def with_tasks(s: Scenario, **changes) -> Scenario:
    return dataclasses.replace(s, tasks=dataclasses.replace(s.tasks, **changes))


def with_nodes(s: Scenario, **changes) -> Scenario:
    return dataclasses.replace(s, nodes=dataclasses.replace(s.nodes, **changes))


def assert_one_line(verdict: Verdict) -> None:
    assert "\n" not in verdict.reason and verdict.reason.startswith(f"{verdict.layer.value}: ")
    json.dumps(verdict.as_dict())  # plain data


def assert_valid_schedule(s: Scenario, packing) -> None:
    """Every placed deadline task starts after arrival, within the queue timeout, meets its deadline
    (latency included), and no node is ever over capacity."""
    tasks, nodes = s.tasks, s.nodes
    placed = packing.node >= 0
    idx, start, node = packing.tasks[placed], packing.start[placed], packing.node[placed]
    end = start + tasks.duration[idx]
    assert np.all(start >= tasks.arrival[idx] - 1e-9)
    if s.queue_timeout_s is not None:
        assert np.all(start - tasks.arrival[idx] <= s.queue_timeout_s + 1e-6)
    latency = nodes.latency_ms[node] / 1000.0
    assert np.all(end + latency <= tasks.arrival[idx] + tasks.deadline[idx] + 1e-6)
    for j in np.unique(node):
        on = node == j
        for t in start[on]:  # usage peaks at some start
            live = on & (start <= t) & (end > t)
            assert np.all(tasks.demand[idx[live]].sum(axis=0) <= nodes.capacity[j] * (1 + 1e-9) + 1e-9)


# --- every shipped seed passes ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SEED_PATHS))
def test_every_seed_passes_every_layer(name):
    report = check_scenario(seed(name))
    assert report.passed, report.feedback()
    assert [v.layer for v in report.verdicts] == list(Layer)
    assert report.refused_by is None and report.feedback() == ""
    for verdict in report.verdicts:
        assert_one_line(verdict)


def test_the_seeds_are_diverse_among_themselves():
    recent = []
    for name in sorted(SEED_PATHS):
        verdict = check_diversity(seed(name), recent)
        assert verdict.passed, (name, verdict.reason)
        recent.append(np.array(verdict.details["features"]))


# --- bounds -----------------------------------------------------------------------------------------


def test_bounds_refuses_a_task_bigger_than_every_node():
    s = seed("hard-cloud-01")
    demand = s.tasks.demand.copy()
    demand[17, 0] = 512.0
    verdict = check_bounds(with_tasks(s, demand=demand))
    assert not verdict.passed
    assert verdict.reason == "bounds: task 17 asks for 512 cpu cores, more than any node has (64)"


def test_bounds_refuses_a_hundred_year_duration():
    s = seed("hard-cloud-01")
    duration = s.tasks.duration.copy()
    duration[3] = 100 * 365 * 86_400.0
    verdict = check_bounds(with_tasks(s, duration=duration))
    assert not verdict.passed and "task 3" in verdict.reason and "duration" in verdict.reason


def test_the_model_refuses_nan_and_negative_values_itself():
    s = seed("easy-cloud-01")
    with pytest.raises(ValueError, match="NaN"):
        with_tasks(s, demand=np.where(np.arange(4) == 1, np.nan, s.tasks.demand))
    with pytest.raises(ValueError, match="negative"):
        with_tasks(s, arrival=s.tasks.arrival - 1000.0)
    with pytest.raises(ValueError, match="negative"):
        with_nodes(s, latency_ms=-s.nodes.latency_ms)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda s: with_tasks(s, priority=np.full(len(s.tasks), 12)), "priority"),
        (lambda s: with_tasks(s, demand=s.tasks.demand * np.array([1, 0, 1, 1])), "GiB of memory"),
        (lambda s: with_tasks(s, arrival=s.tasks.arrival + np.arange(len(s.tasks)) * 1e7), "arrival"),
        (lambda s: with_nodes(s, latency_ms=np.full(len(s.nodes), 5000.0)), "latency"),
        (lambda s: with_nodes(s, price_per_hour=np.full(len(s.nodes), 1e4)), "$/hour"),
        (lambda s: with_nodes(s, capacity=s.nodes.capacity * np.array([100, 1, 1, 1])), "cores of cpu"),
        (lambda s: with_nodes(s, capacity=s.nodes.capacity * np.array([1, 1, 1, 1000])), "network"),
        (lambda s: dataclasses.replace(s, queue_timeout_s=1e8), "queue timeout"),
    ],
)
def test_bounds_refuses_what_the_model_lets_through(change, words):
    verdict = check_bounds(change(seed("medium-cloud-01")))
    assert not verdict.passed and words in verdict.reason, verdict.reason
    assert_one_line(verdict)


def test_bounds_and_feasibility_refuse_deadlines_shorter_than_durations():
    s = seed("hard-cloud-01")
    deadline = np.where(s.tasks.has_deadline, s.tasks.duration * 0.5, NO_DEADLINE)
    bad = with_tasks(s, deadline=deadline)
    bounds, feasibility = check_bounds(bad), check_feasibility(bad)
    assert not bounds.passed and "shorter than its" in bounds.reason
    assert not feasibility.passed and "cannot be met even if started on arrival" in feasibility.reason
    assert feasibility.details["packing"].startswith("skipped")  # a lower bound refuses: no packing
    assert "clairvoyant_share" not in feasibility.details


# --- feasibility --------------------------------------------------------------------------------


def test_feasibility_refuses_a_load_no_packing_can_serve():
    s = seed("hard-cloud-01")
    bad = with_tasks(s, arrival=s.tasks.arrival * 0.001, deadline=s.tasks.duration * 1.2)
    verdict = check_feasibility(bad)
    assert not verdict.passed and "a clairvoyant packing meets only" in verdict.reason
    assert verdict.details["clairvoyant_share"] < 0.9
    assert check_bounds(bad).passed  # every value is in range: only the packing shows the problem


def test_feasibility_counts_the_capacity_of_tasks_without_a_deadline(make_scenario):
    # two 8-cpu nodes; four 8-cpu, 1000 s tasks without a deadline fill both at t=0, then ten 1-cpu
    # tasks with 30 s deadlines arrive: a scheduler that cannot see ahead starts the long tasks
    long = [[8, 4, 0, 0]] * 4
    short = [[1, 1, 0, 0]] * 10
    s = make_scenario(
        [[8, 32, 0, 0], [8, 32, 0, 0]],
        long + short,
        [0.0] * 4 + [1.0 + i for i in range(10)],
        [1000.0] * 4 + [10.0] * 10,
        deadline=[NO_DEADLINE] * 4 + [30.0] * 10,
    )
    verdict = check_feasibility(s)
    assert not verdict.passed and "started on arrival" in verdict.reason
    assert verdict.details["eager_share"] == 0.0
    packing = clairvoyant_deadline_packing(s)
    assert packing.met == 0 and sorted(packing.start[:4]) == [0.0, 0.0, 1000.0, 1000.0]  # no idling
    assert_valid_schedule(s, packing)
    # the same tasks arriving after the deadline tasks leave them room
    late = make_scenario(
        [[8, 32, 0, 0], [8, 32, 0, 0]],
        long + short,
        [20.0] * 4 + [1.0 + i for i in range(10)],
        [1000.0] * 4 + [10.0] * 10,
        deadline=[NO_DEADLINE] * 4 + [30.0] * 10,
    )
    assert check_feasibility(late).passed


def test_queued_tasks_without_a_deadline_yield_to_deadline_tasks(make_scenario):
    # one node, busy until 10 s; a long task without a deadline queues at 1 s, a tight one arrives at
    # 2 s: a scheduler may serve the deadline first, and the long task still uses the node after it
    s = make_scenario(
        [[8, 32, 0, 0]],
        [[8, 4, 0, 0], [8, 4, 0, 0], [8, 4, 0, 0]],
        [0.0, 1.0, 2.0],
        [10.0, 500.0, 5.0],
        deadline=[20.0, NO_DEADLINE, 14.0],
    )
    packing = clairvoyant_deadline_packing(s)
    assert packing.met == 2 and packing.start[2] == pytest.approx(10.0)
    assert packing.start[1] == pytest.approx(15.0)  # placed, using capacity, after the deadline task
    assert_valid_schedule(s, packing)
    assert check_feasibility(s).passed


def test_feasibility_refuses_a_task_no_single_node_can_hold(make_scenario):
    # cpu fits the first node and memory the second, so bounds passes, but no node has both
    s = make_scenario([[32, 64, 0, 10], [8, 256, 0, 10]], [[16, 128, 0, 1]], [0.0], [60.0])
    assert check_bounds(s).passed
    verdict = check_feasibility(s)
    assert not verdict.passed and verdict.reason.startswith("feasibility: task 0 (16 cpu, 128 GiB")


def test_the_packing_plans_ahead_where_a_greedy_start_would_miss(make_scenario):
    # one node; task 0 arrives first but has a loose deadline, task 1 a tight one: start 1 first
    s = make_scenario(
        [[8, 32, 0, 10]],
        [[8, 16, 0, 1], [8, 16, 0, 1]],
        [0.0, 0.5],
        [60.0, 7.0],
        deadline=[131.0, 10.0],
    )
    packing = clairvoyant_deadline_packing(s)
    assert packing.met == 2 and packing.share == 1.0
    assert packing.start[1] == pytest.approx(0.5) and packing.start[0] == pytest.approx(7.5)
    assert_valid_schedule(s, packing)


def test_the_packing_respects_the_queue_timeout(make_scenario):
    s = make_scenario(
        [[8, 32, 0, 10]], [[8, 16, 0, 1], [8, 16, 0, 1]], [0.0, 0.0], [60.0, 60.0], deadline=[500.0, 500.0]
    )
    assert clairvoyant_deadline_packing(s).met == 2
    assert clairvoyant_deadline_packing(dataclasses.replace(s, queue_timeout_s=30.0)).met == 1


@pytest.mark.parametrize("name", ["hard-edge-05", "hard-network-04", "expert-cloud-03"])
def test_the_packing_is_a_valid_schedule(name):
    s = seed(name)
    held = clairvoyant_deadline_packing(s, eager=False)  # tasks without a deadline wait for the others
    assert held.share >= 0.9
    assert_valid_schedule(s, held)
    eager = clairvoyant_deadline_packing(s)  # they start on arrival when they can: fewer deadlines met
    assert 0.5 <= eager.share <= held.share
    assert_valid_schedule(s, eager)
    background = ~s.tasks.has_deadline
    assert (eager.node[background] >= 0).mean() > 0.5  # they use capacity (the rest time out)


def test_feasibility_passes_a_thousand_loose_tasks_on_a_hundred_nodes(make_scenario):
    rng = np.random.default_rng(0)
    n, k = 1000, 100
    demand = np.column_stack([rng.uniform(1, 16, n), rng.uniform(1, 64, n), np.zeros(n), np.zeros(n)])
    s = make_scenario(
        np.tile([64.0, 256.0, 0.0, 10.0], (k, 1)),
        demand,
        np.sort(rng.uniform(0, 3600, n)),
        rng.uniform(100, 3000, n),
        deadline=np.where(rng.random(n) < 0.5, 3.0e5, NO_DEADLINE),
    )
    assert check_feasibility(s).passed  # its speed is measured by benchmarks/quality_speed.py


# --- realism ------------------------------------------------------------------------------------


def test_realism_refuses_tasks_all_the_same_size():
    s = seed("hard-cloud-01")
    verdict = check_realism(with_tasks(s, demand=np.tile(s.tasks.demand[0], (len(s.tasks), 1))))
    assert not verdict.passed and "250 tasks share 1 request shapes" in verdict.reason


def test_realism_refuses_memory_a_million_times_the_traces():
    s = seed("hard-cloud-01")
    verdict = check_realism(with_tasks(s, demand=s.tasks.demand * np.array([1, 1e6, 1, 1])))
    assert not verdict.passed
    assert "median memory" in verdict.reason and "Google 2011 memory requests" in verdict.reason


def test_realism_refuses_identical_durations():
    s = seed("hard-network-01")
    verdict = check_realism(with_tasks(s, duration=np.full(len(s.tasks), 60.0)))
    assert not verdict.passed
    assert "duration distribution differs from the Alibaba 2017 durations (KS D=0.50" in verdict.reason


def test_realism_refuses_metronome_arrivals():
    s = seed("hard-cloud-02")
    n = len(s.tasks)
    unique = s.tasks.demand * (1.0 + 1e-4 * np.arange(n))[:, None]  # every task its own job
    verdict = check_realism(with_tasks(s, arrival=np.arange(n) * 3.0, demand=unique))
    assert not verdict.passed and "job inter-arrival gap distribution differs" in verdict.reason


def test_realism_refuses_three_repeated_durations():
    s = seed("hard-cloud-03")
    three = np.array([5.0, 30.0, 300.0])[np.arange(len(s.tasks)) % 3]  # KS D ~ 0.3 alone
    verdict = check_realism(with_tasks(s, duration=three))
    assert not verdict.passed and "only 3 distinct duration values among 250" in verdict.reason
    assert verdict.details["tests"]["duration"]["min_distinct"] == 10


def test_realism_refuses_many_tasks_on_few_shapes_and_a_regular_clock():
    s = seed("hard-cloud-03")
    n = len(s.tasks)
    cpu = 0.25 * 1.2 ** (np.arange(n) % 19)  # 19 shapes, one cpu:memory ratio
    demand = np.column_stack([cpu, 4.0 * cpu, np.zeros(n), np.zeros(n)])
    verdict = check_realism(with_tasks(s, demand=demand, arrival=np.arange(n) * 2.0))
    assert not verdict.passed
    assert "250 tasks share only 19 request shapes" in verdict.reason
    assert "near-regular clock" in verdict.reason
    assert "distinct cpu memory ratio" in verdict.reason
    # each rule alone
    assert "near-regular clock" in check_realism(with_tasks(s, arrival=np.arange(n) * 2.0)).reason
    few = check_realism(with_tasks(s, demand=demand))
    assert not few.passed and "share only 19 request shapes" in few.reason


def test_small_scenarios_get_the_weak_check_and_say_so():
    verdict = check_realism(seed("easy-cloud-01"))
    assert verdict.passed and "weak check" in verdict.reason and "location only" in verdict.details["note"]
    assert "ks_distance" not in verdict.details["tests"]["duration"]
    far = check_realism(
        with_tasks(seed("easy-cloud-01"), duration=seed("easy-cloud-01").tasks.duration * 1e4)
    )
    assert not far.passed and "median duration" in far.reason


def test_realism_accepts_an_explicit_reference():
    s = seed("hard-edge-02")
    assert check_realism(s, load_reference_samples()).details == check_realism(s).details


@pytest.mark.parametrize("level_name", LEVEL_NAMES)
@pytest.mark.parametrize("domain", [Domain.CLOUD, Domain.EDGE, Domain.NETWORK])
def test_generated_scenarios_pass_realism(level_name, domain):
    spec = LEVELS[level_name]
    n_tasks = min(int(math.sqrt(spec.tasks[0] * spec.tasks[1])), 1000)
    n_nodes = min(int(math.sqrt(spec.nodes[0] * spec.nodes[1])), 150)
    for rng_seed in (1, 2):
        params = domain_params(
            f"gen-{level_name}", domain, level=level_name, n_tasks=n_tasks, n_nodes=n_nodes,
            target_load=float(np.mean(spec.load)),
        )  # fmt: skip
        verdict = check_realism(generate_scenario(np.random.default_rng(rng_seed), params))
        assert verdict.passed, verdict.reason


# --- diversity ------------------------------------------------------------------------------------


def test_diversity_refuses_a_near_copy_of_a_recent_scenario():
    s = seed("hard-cloud-03")
    copy = with_tasks(s, arrival=s.tasks.arrival * 1.01, duration=s.tasks.duration * 1.01)
    recent = [features(seed("hard-edge-01")), features(s), features(seed("expert-cloud-01"))]
    verdict = check_diversity(copy, recent)
    assert not verdict.passed and "near-copy of a recent scenario (2 back)" in verdict.reason
    assert verdict.details["nearest_distance"] < 0.01


def test_diversity_passes_with_nothing_recent_and_looks_back_only_so_far():
    s = seed("hard-cloud-03")
    assert check_diversity(s, []).passed
    recent = [features(s)] + [features(seed(name)) for name in ("hard-edge-01", "expert-cloud-01")]
    assert not check_diversity(s, recent).passed
    assert check_diversity(s, recent, config=QualityConfig(diversity_recent=2)).passed


def test_feature_distance_is_standardised():
    x = features(seed("medium-edge-01"))
    assert len(x) == len(FEATURE_NAMES) == len(FEATURE_SCALES)
    assert feature_distance(x, x) == 0.0
    y = x + np.asarray(FEATURE_SCALES)  # one typical spread on every feature
    assert feature_distance(x, y) == pytest.approx(1.0)


# --- complexity -------------------------------------------------------------------------------------


def test_complexity_refuses_a_five_task_scenario_labelled_expert():
    verdict = check_complexity(dataclasses.replace(seed("easy-cloud-01"), level="expert"))
    assert not verdict.passed and "tasks 5 outside the expert level's 400-1500" in verdict.reason
    assert check_complexity(seed("easy-cloud-01"), "expert").reason == verdict.reason


def test_complexity_without_a_level_passes_with_a_note_and_an_unknown_level_is_bad_input():
    s = dataclasses.replace(seed("easy-cloud-01"), level=None)
    verdict = check_complexity(s)
    assert verdict.passed and verdict.details["note"] == "no level: not checked"
    with pytest.raises(InputError, match="no level 'legendary'"):
        check_complexity(s, "legendary")


def test_complexity_does_not_trust_a_provenance_that_disagrees_with_the_arrivals():
    s = seed("hard-cloud-02")
    squeezed = with_tasks(s, arrival=s.tasks.arrival * 0.05)  # provenance still records the old window
    verdict = check_complexity(squeezed)
    assert not verdict.passed and "offered load" in verdict.reason
    assert verdict.details["load_window_source"].startswith("arrivals")
    assert check_complexity(s).details["load_window_source"] == "provenance"


def test_complexity_does_not_trust_a_stale_window_for_a_few_jobs():
    s = seed("medium-cloud-01")  # 8 jobs: too few for the old plausibility test
    squeezed = with_tasks(s, arrival=s.tasks.arrival * 0.01)
    verdict = check_complexity(squeezed)
    assert not verdict.passed and "offered load" in verdict.reason
    assert verdict.details["measured"]["load"] > 50
    assert verdict.details["load_window_source"].startswith("arrivals")
    stretched = with_tasks(s, arrival=s.tasks.arrival * 1.5)  # the other way: load 1.5x lower
    assert check_complexity(stretched).details["load_window_source"].startswith("arrivals")


# --- all layers ---------------------------------------------------------------------------------------


def test_check_scenario_runs_every_layer_and_feeds_back_every_problem():
    s = seed("hard-cloud-01")
    demand = s.tasks.demand.copy()
    demand[17, 0] = 512.0
    report = check_scenario(with_tasks(s, demand=demand), level="expert", recent=[features(s)])
    assert isinstance(report, QualityReport) and not report.passed
    assert report.refused_by is Layer.BOUNDS
    # one task changed: a near-copy of the recent one too
    assert report.refused_layers == (Layer.BOUNDS, Layer.FEASIBILITY, Layer.DIVERSITY, Layer.COMPLEXITY)
    lines = report.feedback().splitlines()
    assert [line.split(":")[0] for line in lines] == ["bounds", "feasibility", "diversity", "complexity"]
    assert report.features is not None and len(report.features) == len(FEATURE_NAMES)
    json.dumps(report.as_dict())


def test_config_refuses_nonsense():
    with pytest.raises(ValueError, match="sla_share"):
        QualityConfig(sla_share=1.5)
    with pytest.raises(ValueError, match="realism_alpha"):
        QualityConfig(realism_alpha=0.0)


def test_a_stricter_sla_share_refuses_a_seed_the_default_accepts():
    s = seed("expert-edge-03")  # its best packing meets 93% of the deadlines
    assert check_feasibility(s).passed
    assert not check_feasibility(s, config=QualityConfig(sla_share=0.99)).passed


# --- any valid scenario -------------------------------------------------------------------------------


@st.composite
def scenarios(draw):
    n_nodes = draw(st.integers(1, 5))
    n_tasks = draw(st.integers(1, 30))
    size = st.floats(0.0, 64.0, allow_nan=False)
    capacity = np.array(
        draw(st.lists(st.lists(size, min_size=4, max_size=4), min_size=n_nodes, max_size=n_nodes))
    )
    demand = np.array(
        draw(st.lists(st.lists(size, min_size=4, max_size=4), min_size=n_tasks, max_size=n_tasks))
    )
    same_time = draw(st.booleans())
    arrival = (
        np.zeros(n_tasks)
        if same_time
        else np.array(draw(st.lists(st.floats(0, 1e6), min_size=n_tasks, max_size=n_tasks)))
    )
    duration = np.array(draw(st.lists(st.floats(1e-3, 1e6), min_size=n_tasks, max_size=n_tasks)))
    deadline = np.array(
        draw(
            st.lists(
                st.one_of(st.just(NO_DEADLINE), st.floats(1e-3, 1e7)), min_size=n_tasks, max_size=n_tasks
            )
        )
    )
    latency = np.array(draw(st.lists(st.floats(0, 100), min_size=n_nodes, max_size=n_nodes)))
    nodes = Nodes(
        names=tuple(f"n{i}" for i in range(n_nodes)), capacity=capacity, price_per_hour=np.ones(n_nodes),
        idle_watts=np.full(n_nodes, 50.0), peak_watts=np.full(n_nodes, 100.0), latency_ms=latency,
        zone=np.zeros(n_nodes, dtype=int), zones=("z",),
    )  # fmt: skip
    tasks = Tasks(
        arrival=arrival, duration=duration, demand=demand, priority=np.zeros(n_tasks, dtype=int),
        deadline=deadline, owner=np.zeros(n_tasks, dtype=int), owners=("o",),
    )  # fmt: skip
    level = draw(st.sampled_from([None, *LEVEL_NAMES]))
    timeout = draw(st.one_of(st.none(), st.floats(1.0, 1e4)))
    return Scenario("h", Domain.CLOUD, nodes, tasks, level=level, queue_timeout_s=timeout)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_any_valid_scenario_gets_finite_features_and_one_line_verdicts(s):
    x = features(s)
    assert x.shape == (len(FEATURE_NAMES),) and np.all(np.isfinite(x))
    report = check_scenario(s, recent=[x])
    assert len(report.verdicts) == len(Layer)
    for verdict in report.verdicts:
        assert_one_line(verdict)
    assert_valid_schedule(s, clairvoyant_deadline_packing(s))


# --- monitoring -------------------------------------------------------------------------------------


def test_the_monitor_reports_rates_refusals_and_drift():
    monitor = QualityMonitor(window=2)
    good = [seed(name) for name in ("hard-cloud-01", "hard-edge-01", "expert-cloud-02", "expert-edge-02")]
    bad = dataclasses.replace(seed("easy-cloud-01"), level="expert")
    for iteration, s in enumerate([*good, bad]):
        report = check_scenario(s)
        monitor.record(report, report.features, iteration)
    summary = json.loads(json.dumps(monitor.summary()))
    assert summary["checked"] == 5 and summary["accepted"] == 4 and summary["validation_rate"] == 0.8
    assert summary["refused_first_by"]["complexity"] == 1 and summary["refused_by_layer"]["bounds"] == 0
    assert summary["top_reasons"][0][0].startswith("complexity: tasks 5 outside")
    windows = summary["windows"]
    assert [w["checked"] for w in windows] == [2, 2, 1]
    assert windows[0]["drift"] == 0.0 and windows[1]["drift"] > 0.5  # hard -> expert
    assert windows[2]["mean_features"] is None and windows[2]["validation_rate"] == 0.0
    assert len(monitor) == 5


def test_a_monitor_rebuilt_from_its_json_records_summarises_the_same():
    """A resumed run's monitor is rebuilt from the records stored in the archive (as JSON)."""
    monitor, records = QualityMonitor(window=2), []
    bad = dataclasses.replace(seed("easy-cloud-01"), level="expert")
    for iteration, s in enumerate([seed("hard-cloud-01"), bad, seed("expert-edge-02")]):
        report = check_scenario(s)
        features = None if iteration == 2 else np.where(np.arange(len(report.features)) == 0, np.nan, 1.0)
        records.append(json.loads(json.dumps(monitor.record(report, features, iteration))))
    assert records[1]["refused_layers"] == ["complexity"] and records[1]["reasons"][0].startswith(
        "complexity"
    )
    assert records[0]["features"][0] is None and records[2]["features"] is None
    again = QualityMonitor(window=2)
    for record in records:
        again.add(record)
    assert json.dumps(again.summary()) == json.dumps(monitor.summary())


# --- the command ------------------------------------------------------------------------------------


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_prints_a_line_per_layer_and_exits_0_when_all_pass(capsys):
    files = [str(SEED_PATHS["easy-cloud-01"]), str(SEED_PATHS["medium-edge-02"])]
    code, out, err = run(capsys, "scenarios", "validate", *files)
    lines = out.splitlines()
    assert code == EXIT_OK and err == ""
    assert lines[0] == f"{files[0]}: bounds ok"
    assert f"{files[0]}: complexity ok" in lines and f"{files[1]}: diversity ok" in lines
    assert len(lines) == 2 * len(Layer) + 1 and lines[-1] == "2 of 2 files passed"


def test_cli_exits_1_and_names_the_refusing_layers(capsys, tmp_path):
    s = seed("hard-edge-03")  # nodes of 8 and 16 cores; the schema lets a task ask for up to 32
    demand = s.tasks.demand.copy()
    demand[17, 0] = 32.0
    bad = tmp_path / "bad.json"
    save_scenario(with_tasks(s, demand=demand), bad)
    good = str(SEED_PATHS["hard-cloud-02"])
    code, out, _ = run(capsys, "scenarios", "validate", good, str(bad))
    assert code == EXIT_PROGRAM_FAILED
    assert f"{bad}: bounds REFUSED: task 17 asks for 32 cpu cores, more than any node has (16)" in out
    assert f"{bad}: realism ok" in out
    assert out.splitlines()[-1].startswith("1 of 2 files refused (bounds, feasibility")

    code, out, _ = run(capsys, "scenarios", "validate", good, good, "--json")
    payload = json.loads(out)
    assert code == EXIT_PROGRAM_FAILED and payload["refused"] == 1
    assert payload["files"][1]["refused_by"] == "diversity" and payload["refused_by_layer"]["diversity"] == 1


def test_cli_level_overrides_the_files_own(capsys):
    code, out, _ = run(capsys, "scenarios", "validate", str(SEED_PATHS["easy-cloud-01"]), "--level", "expert")
    assert code == EXIT_PROGRAM_FAILED and "complexity REFUSED: tasks 5 outside the expert level" in out


def test_cli_a_malformed_file_in_a_batch_is_refused_in_one_line_and_the_others_are_checked(capsys, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json", encoding="utf-8")
    good = str(SEED_PATHS["easy-cloud-01"])
    code, out, err = run(capsys, "scenarios", "validate", str(broken), good)
    assert code == EXIT_PROGRAM_FAILED and "Traceback" not in err
    assert [line for line in out.splitlines() if line.startswith(str(broken))] == [
        f"{broken}: format REFUSED: invalid JSON at line 1 column 3: Expecting property name enclosed in double quotes"
    ]
    assert f"{good}: bounds ok" in out
    assert out.splitlines()[-1].startswith("1 of 2 files refused (format")


@pytest.mark.parametrize("case", ["missing", "unknown level", "no files"])
def test_cli_bad_input_is_one_line_and_exit_2(capsys, tmp_path, case):
    argv = {
        "missing": ["scenarios", "validate", str(tmp_path / "nope.json")],
        "unknown level": ["scenarios", "validate", str(SEED_PATHS["easy-cloud-01"]), "--level", "legendary"],
        "no files": ["scenarios", "validate"],
    }[case]
    code, out, err = run(capsys, *argv)
    assert code == EXIT_BAD_INPUT and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
