"""Replaying trace windows as scenarios: fidelity to the raw rows, node sizing, thinning, provenance."""

from __future__ import annotations

import csv
import gzip
import itertools
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trace_samples import shared_data, write_lines

from aurora_evo.errors import InputError
from aurora_evo.features import NO_DEADLINE
from aurora_evo.scenario import load_scenario, save_scenario
from aurora_evo.traces.platforms import GOOGLE_2011, Platform, machine_class
from aurora_evo.traces.records import ReadSummary, TraceTask
from aurora_evo.traces.replay import (
    MAX_CENSORED_SHARE,
    ReplayOptions,
    TraceSpan,
    arrival_span,
    candidate_windows,
    fill_empty_windows,
    replay_trace,
    replay_window,
    spread_windows,
)
from aurora_evo.traces.sizing import load_within_window, peak_demand
from aurora_evo.traces.sources import TraceInputs, trace_source
from aurora_evo.traces.units import GOOGLE_LARGEST_CORES, GOOGLE_LARGEST_GIB
from aurora_evo.traces.windows import Windows

GOOGLE = trace_source("google2011")
ONE_MACHINE = Platform("test", (machine_class("m", 1, 32.0, 128.0),), "a 32-core machine")


def task(arrival, duration, cpu=1 / 32, memory=1 / 128, **fields) -> TraceTask:
    return TraceTask(arrival_s=arrival, duration_s=duration, cpu=cpu, memory=memory, **fields)


def test_load_within_window_counts_only_the_part_of_each_run_inside_it():
    demand = np.array([[2.0, 1.0, 0, 0], [1.0, 0.0, 0, 0]])
    # The first runs 50 of its 500 s inside the 100 s window, the second all of its 20 s.
    load = load_within_window(
        demand, np.array([50.0, 0.0]), np.array([500.0, 20.0]), np.array([4.0, 2, 0, 0]), 100
    )
    assert load == pytest.approx([(2 * 50 + 1 * 20) / 400, 50 / 200, 0.0, 0.0])


def test_a_resource_asked_for_and_absent_is_an_infinite_load():
    load = load_within_window(
        np.array([[0, 0, 1.0, 0]]), np.zeros(1), np.ones(1), np.array([1.0, 1, 0, 0]), 10
    )
    assert load[2] == np.inf


def test_a_window_keeps_real_arrivals_durations_and_requests_on_the_platform():
    tasks = [
        task(1000, 30, priority=9, scheduling_class=3, job="7", user="alice"),
        task(1100, 4000, cpu=0.25, memory=0.5, job="8", user="bob", different_machine=True),
    ]
    scenario = replay_window(tasks, 990, 600, GOOGLE, GOOGLE_2011, ReplayOptions(nodes=3), "w")
    assert scenario.tasks.arrival.tolist() == [10.0, 110.0]
    assert scenario.tasks.duration.tolist() == [30.0, 4000.0]
    assert scenario.tasks.demand[:, :2].tolist() == [
        [GOOGLE_LARGEST_CORES / 32, GOOGLE_LARGEST_GIB / 128],
        [GOOGLE_LARGEST_CORES / 4, GOOGLE_LARGEST_GIB / 2],
    ]
    assert scenario.tasks.priority.tolist() == [9, 0]
    # Scheduling class 3 is latency-sensitive: its deadline is its run plus the wait allowance.
    assert scenario.tasks.deadline.tolist() == [30.0 + 60.0, NO_DEADLINE]
    assert scenario.tasks.owners == ("alice", "bob")
    trace = scenario.provenance["trace"]
    assert (trace["format"], trace["window_start_s"], trace["window_s"]) == ("google2011", 990.0, 600.0)
    assert scenario.provenance["replay"]["different_machine_ignored"] == 1
    assert "assumption" in scenario.provenance["units"]


def test_without_nodes_the_cluster_is_sized_to_the_load():
    tasks = [task(float(t), 0.9, cpu=0.5, memory=0.01) for t in range(100)]  # never two at once
    for target in (0.1, 0.2):
        scenario = replay_window(tasks, 0, 100, GOOGLE, ONE_MACHINE, ReplayOptions(load=target), "w")
        inside = np.minimum(scenario.tasks.duration, 100 - scenario.tasks.arrival)
        work = (scenario.tasks.demand[:, 0] * inside).sum()
        n = len(scenario.nodes)
        assert work / (n * 32 * 100) <= target < work / ((n - 1) * 32 * 100)


def test_thinning_keeps_whole_real_tasks_within_the_load_and_follows_the_seed():
    tasks = [task(float(t), 50.0, cpu=0.1, memory=0.001, job=str(t)) for t in range(100)]
    options = ReplayOptions(nodes=1, load=0.5, seed=3)
    first = replay_window(tasks, 0, 100, GOOGLE, ONE_MACHINE, options, "w")
    again = replay_window(tasks, 0, 100, GOOGLE, ONE_MACHINE, options, "w")
    other = replay_window(tasks, 0, 100, GOOGLE, ONE_MACHINE, ReplayOptions(nodes=1, load=0.5, seed=4), "w")
    assert first.tasks.arrival.tolist() == again.tasks.arrival.tolist()
    assert first.tasks.arrival.tolist() != other.tasks.arrival.tolist()
    replayed = first.provenance["replay"]["load_within_window"]
    assert replayed["offered"][0] > 0.5 >= replayed["replayed"][0] > 0.45
    assert set(first.tasks.arrival.tolist()) <= {float(t) for t in range(100)}
    assert first.provenance["replay"]["dropped"]["thinned to the load"] == 100 - len(first.tasks)


def test_a_task_larger_than_every_node_is_dropped_and_counted():
    tasks = [task(0, 10, cpu=2.0, memory=0.001), task(1, 10, cpu=0.5, memory=0.001)]
    scenario = replay_window(tasks, 0, 60, GOOGLE, ONE_MACHINE, ReplayOptions(nodes=1), "w")
    assert len(scenario.tasks) == 1
    assert scenario.provenance["replay"]["dropped"] == {"larger than every node": 1}


def test_the_platform_mix_is_scaled_to_the_node_count_in_proportion():
    names = Counter(m.name for m in GOOGLE_2011.nodes(100))
    assert names.most_common(2) == [("google-0.50-0.50", 54), ("google-0.50-0.25", 31)]
    assert sum(names.values()) == 100
    with pytest.raises(InputError):
        GOOGLE_2011.nodes(0)


@pytest.mark.parametrize(("first", "last", "count", "stride"), [(0, 1000, 5, 225), (0, 100, 4, 100)])
def test_spread_windows_cover_the_trace_from_first_to_last_arrival(first, last, count, stride):
    spread = spread_windows(Windows(100, count=count), first, last)
    starts = list(spread.starts(first))
    assert spread.stride_s == pytest.approx(stride, abs=1e-5)
    assert starts[0] == first and starts[-1] + 100 >= last


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 999), st.floats(0.5, 5000), st.floats(0.0, 1.5)), min_size=1, max_size=40
    ),
    st.integers(1, 5),
    st.one_of(st.none(), st.floats(0.1, 1.5)),
)
def test_any_window_replays_to_a_valid_scenario_or_none(rows, nodes, load):
    tasks = [task(a, d, cpu=c, memory=c / 2) for a, d, c in sorted(rows)]
    scenario = replay_window(tasks, 0, 1000, GOOGLE, GOOGLE_2011, ReplayOptions(nodes=nodes, load=load), "w")
    if scenario is None:
        return
    assert np.all(scenario.tasks.demand[:, 0] <= scenario.nodes.capacity[:, 0].max())
    assert np.all((scenario.tasks.arrival >= 0) & (scenario.tasks.arrival < 1000))


# --- against the raw rows --------------------------------------------------------------------------


def test_a_google_window_holds_every_simple_task_of_the_raw_rows(tmp_path):
    """Counted from the raw shard without the reader: each task with exactly one SUBMIT, SCHEDULE and
    FINISH, submitted in the window, is in the scenario with its arrival, duration and request; there are
    no more tasks than SUBMIT rows in the window (a key submitted again after it finished is a new task)."""
    shard = shared_data("google_cluster_2011/task_events/part-00001-of-00500.csv.gz", "a Google 2011 shard")
    events: dict[tuple[str, str], list[tuple[int, int, str, str]]] = {}
    with gzip.open(shard, "rt", newline="") as handle:
        for row in csv.reader(handle):
            events.setdefault((row[2], row[3]), []).append((int(row[0]), int(row[5]), row[9], row[10]))
    start_s, window_s = 10_000.0, 600.0
    simple = Counter()
    submitted = 0
    for history in events.values():
        submitted += sum(kind == 0 and start_s <= t / 1e6 < start_s + window_s for t, kind, _, _ in history)
        if history[0][1] == 0 and start_s <= history[0][0] / 1e6 < start_s + window_s:
            if [kind for _, kind, _, _ in history] == [0, 1, 4] and history[0][2] and history[0][3]:
                (submit, _, cpu, _), (schedule, _, _, _), (finish, _, _, _) = history
                simple[
                    (round(submit / 1e6 - start_s, 6), round((finish - schedule) / 1e6, 6), float(cpu))
                ] += 1
    [scenario] = replay_trace(
        GOOGLE, [shard], TraceInputs(), Windows(window_s, starts_s=(start_s,)), ReplayOptions(), ReadSummary()
    )
    replayed = Counter(
        (round(a, 6), round(d, 6), c / GOOGLE_LARGEST_CORES)
        for a, d, c in zip(
            scenario.tasks.arrival, scenario.tasks.duration, scenario.tasks.demand[:, 0], strict=True
        )
    )
    assert sum(simple.values()) > 100
    assert not simple - replayed, "a simple task of the raw rows is missing or changed"
    assert sum(simple.values()) <= len(scenario.tasks) <= submitted


def test_an_alibaba_window_matches_the_raw_rows_statistics():
    """Arrival count, mean duration and request quantiles of the window, from the raw batch_task rows."""
    path = shared_data("alibaba/v2018/batch_task_sample.csv", "the Alibaba 2018 batch_task sample")
    start_s, window_s = 300_000.0, 1800.0
    instances, durations, cpus = 0, [], []
    with open(path, newline="") as handle:
        for row in csv.reader(handle):
            if row[0] == "task_name" or row[4] != "Terminated" or not row[5] or not row[6]:
                continue
            begin, end = float(row[5]), float(row[6])
            if start_s <= begin < start_s + window_s and end > begin and row[1] and row[7] and row[8]:
                k = int(float(row[1]))
                instances += k
                durations += [end - begin] * k
                cpus += [float(row[7]) / 100] * k
    source = trace_source("alibaba2018")
    [scenario] = replay_trace(
        source, [path], TraceInputs(), Windows(window_s, starts_s=(start_s,)), ReplayOptions(), ReadSummary()
    )
    assert instances > 100 and len(scenario.tasks) == instances
    assert scenario.tasks.duration.mean() == pytest.approx(np.mean(durations))
    quantiles = (0.1, 0.5, 0.9, 0.99)
    assert np.quantile(scenario.tasks.demand[:, 0], quantiles) == pytest.approx(np.quantile(cpus, quantiles))


@pytest.mark.parametrize(
    ("fmt", "files", "inputs"),
    [
        ("alibaba-gpu2025", ["alibaba/gpu_v2025/disaggregated_DLRM_trace.csv"], {}),
        ("azure-llm2023", ["azure/llm_inference_2023/AzureLLMInferenceTrace_code.csv"], {}),
        (
            "azure-vm2017",
            ["azure/vm_2017_derived/resources/traces/v1.dev.txt"],
            {"durations": "azure/vm_2017_derived/resources/traces/v1.dev.c2100000.txt"},
        ),
        ("swf", ["parallel_workloads_archive/NASA-iPSC-1993-3.1-cln.swf.gz"], {}),
    ],
)
def test_every_format_replays_scenarios_that_save_and_load(tmp_path, fmt, files, inputs):
    paths = [shared_data(f, fmt) for f in files]
    inputs = TraceInputs(**{k: shared_data(v, fmt) for k, v in inputs.items()})
    scenarios = list(
        replay_trace(trace_source(fmt), paths, inputs, Windows(3600, count=3), ReplayOptions(), ReadSummary())
    )
    assert scenarios
    for scenario in scenarios:
        loaded = load_scenario(save_scenario(scenario, tmp_path / f"{scenario.name}.json"))
        assert np.array_equal(loaded.tasks.demand, scenario.tasks.demand)
        assert loaded.provenance["trace"]["format"] == fmt
        assert [f["name"] for f in loaded.provenance["trace"]["files"]] == [Path(p).name for p in paths]


def test_max_tasks_keeps_a_seeded_subset_of_real_tasks_before_sizing_the_nodes():
    tasks = [task(float(t), 50.0, cpu=0.1, memory=0.001) for t in range(100)]
    options = ReplayOptions(max_tasks=10, load=0.5, seed=1)
    scenario = replay_window(tasks, 0, 100, GOOGLE, ONE_MACHINE, options, "w")
    again = replay_window(tasks, 0, 100, GOOGLE, ONE_MACHINE, options, "w")
    assert len(scenario.tasks) == 10 and scenario.tasks.arrival.tolist() == again.tasks.arrival.tolist()
    assert set(scenario.tasks.arrival.tolist()) <= {float(t) for t in range(100)}
    assert scenario.provenance["trace"]["tasks_in_window"] == 100
    assert scenario.provenance["replay"]["dropped"] == {"over --max-tasks": 90}
    assert scenario.provenance["replay"]["load_within_window"]["replayed"][0] <= 0.5


def test_tasks_outlasting_the_window_are_sized_for_the_demand_running_at_its_end():
    """Ten 1-core tasks that run for a day, arriving over a minute: the load within the minute is about
    half of what runs at its end, and the nodes hold what runs at once."""
    tasks = [task(float(t), 86_400.0, cpu=1 / 32, memory=0.001) for t in range(0, 60, 6)]
    one_core = Platform("test", (machine_class("c", 1, 1.0, 4.0),), "a 1-core machine")
    scenario = replay_window(tasks, 0, 60, GOOGLE, one_core, ReplayOptions(load=0.8), "w")
    assert scenario.provenance["replay"]["load_within_window"]["replayed"][0] < 0.8
    assert len(scenario.nodes) == 10
    assert peak_demand(scenario.tasks.demand, scenario.tasks.arrival, scenario.tasks.duration)[0] == 10


def test_the_span_of_a_trace_whose_tasks_at_0_were_already_there_starts_after_them():
    tasks = [task(0.0, 5.0), task(0.0, 5.0), task(600.5, 1.0), task(900.0, 1.0)]
    assert arrival_span(tasks) == (0.0, 900.0)
    assert arrival_span(tasks, after_zero=True) == (600.5, 900.0)


@pytest.mark.parametrize(
    ("present", "chosen"),
    [
        ({0: "a", 1: "b", 2: "c", 3: "d", 4: "e"}, ["a", "c", "e"]),  # the even ones: the spread windows
        ({0: "a", 3: "d", 4: "e"}, ["a", "d", "e"]),  # 2 held no task: the one after it stands in
        ({0: "a", 1: "b", 4: "e"}, ["a", "b", "e"]),  # 2 and 3 empty: the one before it, not yet taken
        ({1: "b"}, ["b"]),  # 0 empty takes 1; 2 cannot take 1 again
        ({}, []),
    ],
)
def test_an_empty_window_gives_way_to_the_candidate_beside_it(present, chosen):
    assert list(fill_empty_windows(sorted(present.items()), 3)) == chosen


def test_spread_windows_of_a_sparse_trace_give_the_count_asked_where_the_trace_has_them(tmp_path):
    """Arrivals with a gap where the third of five spread windows falls: its neighbour stands in."""
    tasks = [task(float(t), 5.0) for t in [*range(0, 440, 7), *range(560, 1000, 7)]]
    windows = Windows(60, count=5)
    spread = list(spread_windows(windows, 0, 994).starts(0))
    assert not any(spread[2] <= t.arrival_s < spread[2] + 60 for t in tasks)  # the gap
    candidates = candidate_windows(windows, 0, 994)
    chosen = list(
        fill_empty_windows(
            [
                (i, s)
                for i, s in enumerate(candidates.starts(0))
                if any(s <= t.arrival_s < s + 60 for t in tasks)
            ],
            5,
        )
    )
    assert len(chosen) == 5 and chosen[2] != spread[2]


def test_an_alibaba_window_runs_on_what_the_containers_leave_at_its_start(tmp_path):
    """m_1 holds a 16-core container all along, m_2 a 48-core one stopped at 500 s: the window at 0 has
    80 and 48 cores, the window at 1000 s 80 and 96; without the containers, 96 and 96."""
    batch = tmp_path / "batch_task.csv"
    batch.write_text("".join(f"M1,1,j_{t},1,Terminated,{t},{t + 50},100,1\n" for t in (10, 20, 1010, 1020)))
    machines = tmp_path / "machine_meta.csv"
    machines.write_text("m_1,0,1,1,96,100,USING\nm_2,0,1,1,96,100,USING\n")
    containers = tmp_path / "container_meta.csv"
    containers.write_text(
        "c_1,m_1,0,app_1,started,1600,1600,25\n"
        "c_2,m_2,0,app_2,started,4800,4800,50\n"
        "c_2,m_2,500,app_2,stopped,4800,4800,50\n"
    )
    windows = Windows(600, starts_s=(0.0, 1000.0))
    options = ReplayOptions(nodes=2)

    def capacities(**inputs) -> list[list[tuple[float, float]]]:
        scenarios = replay_trace(
            trace_source("alibaba2018"), [batch], TraceInputs(**inputs), windows, options, ReadSummary()
        )
        return [sorted(map(tuple, s.nodes.capacity[:, :2].tolist())) for s in scenarios]

    assert capacities(machines=machines, containers=containers) == [
        [(48.0, 256.0), (80.0, 384.0)],
        [(80.0, 384.0), (96.0, 512.0)],
    ]
    assert capacities(machines=machines) == [[(96.0, 512.0)] * 2] * 2
    # Without the machine table, m_1 and m_2 are 2 of the published 4,034: 2 nodes are whole machines.
    assert capacities(containers=containers)[0] == [(96.0, 512.0)] * 2
    [_, later] = replay_trace(
        trace_source("alibaba2018"),
        [batch],
        TraceInputs(machines=machines, containers=containers),
        windows,
        options,
        ReadSummary(),
    )
    platform = later.provenance["platform"]
    assert (
        platform["name"] == "alibaba-2018-occupied" and "this window's start is 1000 s" in platform["source"]
    )
    assert {m["name"]: m["count"] for m in platform["machines"]} == {
        "alibaba-96-512": 1,
        "alibaba-96-occupied-16c-25pct": 1,
    }


def test_sized_nodes_include_a_machine_of_every_class_a_task_needs():
    """One node of a mix of CPU and GPU machines is a CPU machine: a light window of GPU tasks gets a
    GPU machine as well, instead of losing its tasks as larger than every node."""
    mix = Platform(
        "mix",
        (machine_class("cpu", 1, 192.0, 1024.0), machine_class("gpu", 1, 192.0, 1024.0, gpu=8.0)),
        "a mix",
    )
    tasks = [task(0.0, 10.0, cpu=0.05, memory=0.01, gpu=1.0), task(5.0, 10.0, cpu=0.05, memory=0.01)]
    scenario = replay_window(tasks, 0, 60, GOOGLE, mix, ReplayOptions(), "w")
    assert len(scenario.tasks) == 2 and scenario.nodes.capacity[:, 2].max() == 8.0
    assert "larger than every node" not in scenario.provenance["replay"]["dropped"]


@pytest.mark.parametrize(("scheduling_class", "nodes"), [(2, 3), (0, 2)])
def test_sized_nodes_grow_until_a_best_fit_on_arrival_places_every_latency_sensitive_task(
    scheduling_class, nodes
):
    """The same three tasks, running all day: their peak fills two 4-core nodes exactly (a load of 2 asks
    no more). When the last is latency-sensitive (Google scheduling class 2), the replay gives a third
    node so that its deadline can be met; a batch task may wait."""
    tasks = [task(0.0, 86_400.0, cpu=3 / 32), task(1.0, 86_400.0, cpu=3 / 32)]
    tasks.append(task(2.0, 86_400.0, cpu=2 / 32, scheduling_class=scheduling_class))
    four_cores = Platform("test", (machine_class("c", 1, 4.0, 16.0),), "a 4-core machine")
    scenario = replay_window(tasks, 0, 60, GOOGLE, four_cores, ReplayOptions(load=2.0), "w")
    assert peak_demand(scenario.tasks.demand, scenario.tasks.arrival, scenario.tasks.duration)[0] == 8
    assert len(scenario.nodes) == nodes


def test_a_window_of_mostly_censored_tasks_is_not_replayed():
    """Durations cut at the trace's end are lower bounds: a window most of whose tasks are cut so would
    misstate the workload; one with a minority of them is replayed whole."""
    cut = [task(float(t), 50.0, outcome="censored") for t in range(3)]
    whole = [task(float(t), 500.0) for t in range(3, 6)]
    assert MAX_CENSORED_SHARE == 0.5
    assert replay_window([*cut, *whole[:2]], 0, 60, GOOGLE, ONE_MACHINE, ReplayOptions(), "w") is None
    kept = replay_window([*cut[:2], *whole], 0, 60, GOOGLE, ONE_MACHINE, ReplayOptions(), "w")
    assert len(kept.tasks) == 5 and kept.provenance["replay"]["outcomes"] == {"finish": 3, "censored": 2}


def test_the_free_windows_of_a_span_are_occupied_and_overlap_none_taken():
    tasks = [task(float(t), 1.0) for t in (0, 5, 130, 250, 610, 700, 915)]
    span = TraceSpan.of(tasks, 60.0)
    assert (span.first_s, span.last_s, span.occupied) == (0.0, 915.0, (0, 2, 4, 10, 11, 15))
    assert span.free_windows([100.0], 9) == (0.0, 240.0, 600.0, 660.0, 900.0)  # 120 overlaps 100
    assert span.free_windows([], 3) == (0.0, 240.0, 900.0)  # spread by rank
    assert span.free_windows([], 2, after=200.0) == (240.0, 900.0)
    assert span.free_windows([], 0) == ()


def test_a_log_with_long_gaps_still_gives_the_windows_asked_for(tmp_path):
    """An SWF log of three bursts of jobs an hour long each, days apart: five 10-minute windows spread
    over it mostly fall in the gaps, and windows of the bursts make up the count, none overlapping."""
    submits = [day * 86_400 + minute * 60 for day in (0, 3, 9) for minute in range(0, 60, 2)]
    jobs = [
        f"{n + 1} {submit} -1 300 4 -1 -1 4 -1 -1 1 1 1 -1 -1 -1 -1 -1" for n, submit in enumerate(submits)
    ]
    log = write_lines(tmp_path / "log.swf", "; MaxProcs: 128\n", jobs)
    source = trace_source("swf")
    scenarios = list(
        replay_trace(source, [log], TraceInputs(), Windows(600, count=5), ReplayOptions(), ReadSummary())
    )
    starts = sorted(s.provenance["trace"]["window_start_s"] for s in scenarios)
    assert len(scenarios) == 5 and len({s.name for s in scenarios}) == 5
    assert all(b - a >= 600 for a, b in itertools.pairwise(starts))
    assert all(len(s.tasks) == 5 for s in scenarios)
