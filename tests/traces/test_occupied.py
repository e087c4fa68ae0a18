"""Alibaba 2018 machines less their long-running containers: one class per leftover shape at a time,
machines without containers whole, never below 0, and every other platform the same at any time."""

from __future__ import annotations

import dataclasses
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trace_samples import shared_data

from aurora_evo.traces.alibaba2018 import AlibabaMachine, ContainerRow, read_alibaba2018_containers
from aurora_evo.traces.occupied import OccupiedPlatform, occupied_platform
from aurora_evo.traces.platforms import (
    ALIBABA_2018_MACHINES,
    ASSUMED,
    AZURE_ND_H100_V5,
    GOOGLE_2011,
    alibaba2018_platform,
    swf_platform,
)
from aurora_evo.traces.records import ReadSummary
from aurora_evo.traces.sources import TraceInputs, trace_source


def machine(machine_id: str, cores: float = 96, memory: float = 100) -> AlibabaMachine:
    return AlibabaMachine(machine_id, 0, "1", "1", cores, memory, "USING")


def started(time_s: float, machine_id: str, cores: float, memory: float, status="started") -> ContainerRow:
    return ContainerRow(time_s, machine_id, status, cores, memory)


MACHINES = [machine("m_1"), machine("m_2"), machine("m_3"), machine("m_4"), machine("m_5", 64, 50)]
CONTAINERS = {
    "c_1": (started(0, "m_1", 16, 25), started(500, "m_1", 16, 25, "stopped")),
    "c_2": (started(0, "m_2", 16, 25),),
    "c_3": (started(100, "m_3", 8, 10), started(200, "m_3", 8, 10, "stopped")),
    "c_4": (started(0, "m_5", 100, 20),),  # more cores than m_5 has
    "c_5": (started(0, "m_9", 4, 1),),  # m_9 is not in the machine table
}


def occupied(machines=MACHINES, containers=CONTAINERS) -> OccupiedPlatform:
    return occupied_platform(alibaba2018_platform(machines), machines, containers, "container_meta.csv", 9)


def shapes(platform) -> dict[str, tuple[int, float, float]]:
    return {m.name: (m.count, m.cpu, m.memory_gib) for m in platform.machines}


@pytest.mark.parametrize(
    "platform",
    [GOOGLE_2011, AZURE_ND_H100_V5, alibaba2018_platform(), swf_platform(128, 128), *ASSUMED.values()],
)
def test_every_other_platform_is_the_same_at_any_time(platform):
    assert platform.at(0.0) is platform and platform.at(1e6) is platform


def test_at_a_time_each_leftover_shape_is_a_class_and_machines_without_containers_stay_whole():
    platform = occupied()
    assert shapes(platform.at(0)) == {
        "alibaba-96-512": (2, 96, 512),  # m_3 (its container comes at 100) and m_4
        "alibaba-96-occupied-16c-25pct": (2, 80, 384),  # m_1 and m_2
        "alibaba-64-occupied-64c-20pct": (1, 0, 153.6),  # m_5, its cores clipped at 0
    }
    assert shapes(platform.at(150)) == {
        "alibaba-96-occupied-16c-25pct": (2, 80, 384),
        "alibaba-96-512": (1, 96, 512),
        "alibaba-96-occupied-8c-10pct": (1, 88, 460.8),
        "alibaba-64-occupied-64c-20pct": (1, 0, 153.6),
    }
    assert shapes(platform.at(600)) == {
        "alibaba-96-512": (3, 96, 512),  # c_1 stopped at 500, c_3 at 200
        "alibaba-96-occupied-16c-25pct": (1, 80, 384),
        "alibaba-64-occupied-64c-20pct": (1, 0, 153.6),
    }


def test_the_source_says_when_what_was_subtracted_and_what_was_clipped_or_left_out():
    source = occupied().at(150).source
    assert source.startswith(alibaba2018_platform(MACHINES).source)
    assert "container_meta (container_meta.csv, 9 rows) at each window's start" in source
    assert "this window's start is 150 s" in source and "started or allocated" in source
    assert "5 machines held 144 cores" in source  # m_1, m_2, m_3, m_5 and m_9: 16 + 16 + 8 + 100 + 4
    assert "1 of them more than they have (their leftover clipped to 0)" in source
    assert "1 machines of containers are not in the machine table (left out)" in source
    assert "first 20,000 rows only" in source


def test_without_a_machine_table_the_containers_machines_are_among_the_published_ones():
    platform = occupied_platform(alibaba2018_platform(), None, CONTAINERS, "c.csv", 9).at(0)
    counts = {m.name: m.count for m in platform.machines}
    assert counts == {
        "alibaba-96": ALIBABA_2018_MACHINES - 4,
        "alibaba-96-occupied-16c-25pct": 2,
        "alibaba-96-occupied-96c-20pct": 1,  # m_5 read as a 96-core machine: 100 cores clipped at 96
        "alibaba-96-occupied-4c-1pct": 1,
    }


def test_the_occupied_platform_scales_to_nodes_and_records_itself_whole_and_at_a_time():
    platform = occupied()
    assert platform.as_dict() == {**alibaba2018_platform(MACHINES).as_dict(), "source": platform.source}
    assert [m.cpu for m in platform.nodes(5)] == [96, 96, 96, 96, 64]
    at_0 = platform.at(0)
    assert [m.cpu for m in at_0.nodes(5)] == [96, 96, 80, 80, 0]
    assert at_0.as_dict()["name"] == "alibaba-2018-occupied"
    assert sum(m["count"] for m in at_0.as_dict()["machines"]) == len(MACHINES)


def test_the_occupied_platform_cannot_be_changed():
    platform = occupied()
    with pytest.raises(dataclasses.FrozenInstanceError):
        platform.containers = {}
    with pytest.raises(TypeError):
        platform.containers["c_9"] = ()
    with pytest.raises(TypeError):
        platform.hosts["m_9"] = (96, 100)


@settings(max_examples=60, deadline=None)
@given(
    held=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 12_000), st.integers(0, 120), st.integers(0, 10)),
        max_size=12,
    ),
    at_s=st.integers(0, 10),
)
def test_leftover_plus_held_is_the_machine_and_no_machine_is_lost(held, at_s):
    machines = [machine(f"m_{i}") for i in range(6)]
    containers = {
        f"c_{n}": (started(time_s, f"m_{i}", cpu / 100, memory),)
        for n, (i, cpu, memory, time_s) in enumerate(held)
    }
    platform = occupied(machines, containers).at(at_s)
    assert sum(m.count for m in platform.machines) == 6
    for m in platform.machines:
        assert 0 <= m.cpu <= 96 and 0 <= m.memory_gib <= 512
    cores_held = {}
    for i, cpu, _, time_s in held:
        if time_s <= at_s:
            cores_held[i] = cores_held.get(i, 0) + cpu / 100
    left = sorted(m.cpu for m in platform.machines for _ in range(m.count))
    assert left == pytest.approx(sorted(max(96 - cores_held.get(i, 0), 0) for i in range(6)))


def test_the_shared_sample_leaves_about_88_cores_on_the_median_machine_with_containers():
    """With the published machine table and the 20,000-row container sample, at 300,000 s: 2,281 machines
    hold containers (8 cores on the median one, see test_alibaba2018), the other 1,753 stay whole."""
    data = shared_data("alibaba/v2018/container_meta_sample.csv", "the Alibaba v2018 container sample").parent
    inputs = TraceInputs(machines=data / "machine_meta.csv", containers=data / "container_meta_sample.csv")
    platform = trace_source("alibaba2018").platform([data / "batch_task_sample.csv"], inputs)
    at = platform.at(300_000)
    whole = [m for m in at.machines if "occupied" not in m.name]
    assert [(m.name, m.count) for m in whole] == [("alibaba-96-512", 1_753)]
    leftover = [m.cpu for m in at.machines if "occupied" in m.name for _ in range(m.count)]
    assert len(leftover) == 2_281 and statistics.median(leftover) == 88 and min(leftover) == 56
    assert sum(m.count for m in at.machines) == 4_034
    summary = ReadSummary()
    read_alibaba2018_containers(data / "container_meta_sample.csv", summary)
    assert f"{summary.rows:,} rows" in platform.source
