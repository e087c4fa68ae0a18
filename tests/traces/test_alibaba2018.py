"""The Alibaba v2018 readers: each rule and each error on hand-written files, garbled files never raising
anything but TraceError, and the published batch_task sample and machine_meta table read in full."""

from __future__ import annotations

import csv
import statistics
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trace_samples import garbled_copies, shared_data, unless_trace_error, write_garbled, write_lines

from aurora_evo.traces.alibaba2018 import (
    HOLDING_STATUSES,
    AlibabaMachine,
    ContainerRow,
    machine_occupancy,
    read_alibaba2018_batch,
    read_alibaba2018_containers,
    read_alibaba2018_machines,
)
from aurora_evo.traces.records import ReadSummary, TraceError, TraceTask

HEADER = "task_name,instance_num,job_name,task_type,status,start_time,end_time,plan_cpu,plan_mem\n"


def task_row(name="M1", instances=1, job="j_1", status="Terminated", start=100, end=110, cpu=50, mem=0.2):
    """One batch_task row; pass "" for an empty field."""
    return f"{name},{instances},{job},1,{status},{start},{end},{cpu},{mem}"


def write(tmp_path: Path, *rows: str, header: str = "", name: str = "batch_task.csv") -> Path:
    return write_lines(tmp_path / name, header, rows)


def read(path: Path) -> tuple[list[TraceTask], ReadSummary]:
    summary = ReadSummary()
    return list(read_alibaba2018_batch(path, summary)), summary


def test_a_task_row_gives_one_task_per_instance_in_the_trace_units(tmp_path):
    path = write(tmp_path, task_row(name="M1", instances=3, job="j_9", start=100, end=130, cpu=150, mem=0.49))
    tasks, summary = read(path)
    assert tasks == [
        TraceTask(arrival_s=100, duration_s=30, cpu=150, memory=0.49, job="j_9/M1", index=index)
        for index in range(3)
    ]
    assert (summary.rows, summary.tasks, summary.dropped, summary.repaired) == (1, 3, {}, {})


def test_the_header_of_the_samples_is_skipped_and_files_without_it_read_the_same(tmp_path):
    with_header = write(tmp_path, task_row(), header=HEADER, name="with.csv")
    without = write(tmp_path, task_row(), name="without.csv")
    assert read(with_header) == read(without)
    assert read(with_header)[1].rows == 1


def test_tasks_come_sorted_by_start_time_ties_in_file_order(tmp_path):
    path = write(
        tmp_path,
        task_row(name="M1", job="j_1", start=300, end=301),
        task_row(name="M1", job="j_2", start=100, end=101),
        task_row(name="M2", job="j_1", start=300, end=305),
        task_row(name="M1", job="j_3", start=200, end=210),
    )
    tasks, _ = read(path)
    assert [(task.arrival_s, task.job) for task in tasks] == [
        (100, "j_2/M1"),
        (200, "j_3/M1"),
        (300, "j_1/M1"),
        (300, "j_1/M2"),
    ]


def test_dependencies_are_dropped_and_counted_once_per_task_row(tmp_path):
    path = write(
        tmp_path,
        task_row(name="M1"),
        task_row(name="M2_1", instances=4),
        task_row(name="R3_1_2"),
        task_row(name="J10_3_8_9"),
        task_row(name="task_LTE4NjUxMjg5NDY5MDI4NjAzNzU="),
        task_row(name="MergeTask"),
    )
    tasks, summary = read(path)
    assert len(tasks) == summary.tasks == 9
    assert summary.repaired == {"dependencies dropped": 3}


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (task_row(status="Running", end=0, cpu="", mem=""), "status Running"),
        (task_row(status="Failed"), "status Failed"),
        (task_row(status="Waiting", instances=""), "status Waiting"),
        (task_row(status=""), "status (empty)"),
        (task_row(start=""), "no start or end time"),
        (task_row(end=""), "no start or end time"),
        (task_row(start=100, end=100), "zero or negative duration"),
        (task_row(start=100, end=90), "zero or negative duration"),
        (task_row(instances=""), "no instances"),
        (task_row(instances=0), "no instances"),
        (task_row(cpu=""), "no request"),
        (task_row(mem=""), "no request"),
    ],
)
def test_unusable_task_rows_are_dropped_by_reason(tmp_path, row, reason):
    path = write(tmp_path, task_row(instances=2), row)
    tasks, summary = read(path)
    assert (len(tasks), summary.rows, summary.tasks) == (2, 2, 2)
    assert summary.dropped == {reason: 1}


def test_a_gzip_file_reads_as_the_plain_one_whatever_its_name(tmp_path):
    rows = [task_row(name=f"M{n}", start=n, end=n + 5) for n in range(1, 20)]
    plain = write(tmp_path, *rows, name="plain.csv")
    packed = write(tmp_path, *rows, name="packed.csv.gz")
    renamed = tmp_path / "renamed.csv"
    renamed.write_bytes(packed.read_bytes())
    assert read(plain) == read(packed) == read(renamed)


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        (task_row() + ",9", "10 columns, expected 9"),
        ("M1,1,j_1", "3 columns, expected 9"),
        (task_row(instances="two"), "instance_num 'two' is not an integer"),
        (task_row(instances="1.5"), "instance_num '1.5' is not an integer"),
        (task_row(start="soon"), "start_time 'soon' is not an integer"),
        (task_row(end="inf"), "end_time 'inf' is not an integer"),
        (task_row(cpu="nan"), "plan_cpu 'nan' is not a finite number"),
        (task_row(mem="1e999"), "plan_mem '1e999' is not a finite number"),
        (task_row(status="Running", cpu="x"), "plan_cpu 'x' is not a finite number"),
        (HEADER.strip(), "instance_num 'instance_num' is not an integer"),
    ],
)
def test_a_malformed_row_is_an_error_naming_file_line_and_rule(tmp_path, row, rule):
    path = write(tmp_path, task_row(), row, header=HEADER)
    with pytest.raises(TraceError) as error:
        read(path)
    assert str(error.value) == f"{path}: line 3: {rule}"


def test_a_missing_file_is_an_error(tmp_path):
    for reader in (read_alibaba2018_batch, read_alibaba2018_machines, read_alibaba2018_containers):
        with pytest.raises(TraceError, match=r"absent\.csv: cannot be read: FileNotFoundError"):
            list(reader(tmp_path / "absent.csv"))


def test_a_truncated_gzip_is_an_error(tmp_path):
    whole = write(tmp_path, *(task_row(name=f"M{n}", job=f"j_{n}") for n in range(3000)), name="t.csv.gz")
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(TraceError, match=r"cut\.csv\.gz: after line \d+: EOFError: Compressed file ended"):
        read(cut)


def test_an_unterminated_quote_is_an_error(tmp_path):
    path = write(tmp_path, task_row(), '"M2,1,j_1,1,Terminated,1,2,3,4')
    with pytest.raises(TraceError) as error:
        read(path)
    assert "\n" not in str(error.value) and str(path) in str(error.value)


MACHINES = """\
m_2,500,7,3,96,100,USING
m_1,300,219,17,96,100,USING
m_1,0,219,17,64,90,IMPORT_INSTALLING
m_2,900,7,,96,100,USING
m_3,800,1,1,48,50,USING
"""


def test_a_machine_is_taken_from_its_first_row_by_default(tmp_path):
    path = tmp_path / "machine_meta.csv"
    path.write_text(MACHINES)
    assert read_alibaba2018_machines(path) == [
        AlibabaMachine("m_2", 500, "7", "3", 96, 100, "USING"),
        AlibabaMachine("m_1", 0, "219", "17", 64, 90, "IMPORT_INSTALLING"),
        AlibabaMachine("m_3", 800, "1", "1", 48, 50, "USING"),
    ]


def test_a_machine_is_taken_from_its_latest_row_at_a_time_and_absent_before_its_first(tmp_path):
    path = tmp_path / "machine_meta.csv"
    path.write_text(MACHINES)
    assert read_alibaba2018_machines(path, at_s=900) == [
        AlibabaMachine("m_2", 900, "7", "", 96, 100, "USING"),
        AlibabaMachine("m_1", 300, "219", "17", 96, 100, "USING"),
        AlibabaMachine("m_3", 800, "1", "1", 48, 50, "USING"),
    ]
    assert [machine.machine_id for machine in read_alibaba2018_machines(path, at_s=400)] == ["m_1"]


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        ("m_1,0,1,1,96,100", "6 columns, expected 7"),
        ("m_1,,1,1,96,100,USING", "time_stamp is empty"),
        ("m_1,0,1,1,many,100,USING", "cpu_num 'many' is not a finite number"),
        ("m_1,0,1,1,96,nan,USING", "mem_size 'nan' is not a finite number"),
    ],
)
def test_a_malformed_machine_row_is_an_error(tmp_path, row, rule):
    path = tmp_path / "machine_meta.csv"
    path.write_text(f"m_0,0,1,1,96,100,USING\n{row}\n")
    with pytest.raises(TraceError) as error:
        read_alibaba2018_machines(path)
    assert str(error.value) == f"{path}: line 2: {rule}"


def container_row(container="c_1", machine="m_1", time=0, status="started", cpu=400, limit=400, mem=1.56):
    """One container_meta row; pass "" for an empty field."""
    return f"{container},{machine},{time},app_1,{status},{cpu},{limit},{mem}"


def test_a_container_gets_its_rows_by_time_in_cores_and_percent(tmp_path):
    path = write(
        tmp_path,
        container_row("c_2", "m_7", time=500, status="stopped", cpu=1600, mem=6.25),
        container_row("c_1", "m_1", time=300, cpu=400, mem=1.56),
        container_row("c_2", "m_7", time=0, cpu=1600, mem=6.25),
        container_row("c_1", "m_1", time=0, status="allocated", cpu=400, mem=1.56),
        name="container_meta.csv",
    )
    summary = ReadSummary()
    assert read_alibaba2018_containers(path, summary) == {
        "c_2": (
            ContainerRow(0, "m_7", "started", 16.0, 6.25),
            ContainerRow(500, "m_7", "stopped", 16.0, 6.25),
        ),
        "c_1": (
            ContainerRow(0, "m_1", "allocated", 4.0, 1.56),
            ContainerRow(300, "m_1", "started", 4.0, 1.56),
        ),
    }
    assert (summary.rows, summary.repaired) == (4, {})


def test_containers_read_the_same_from_gzip_and_negative_requests_are_read_as_0(tmp_path):
    rows = [container_row(f"c_{n}", time=n) for n in range(50)] + [container_row("c_x", cpu=-1, mem=-1)]
    plain = write(tmp_path, *rows, name="plain.csv")
    packed = write(tmp_path, *rows, name="packed.csv.gz")
    summary = ReadSummary()
    containers = read_alibaba2018_containers(packed, summary)
    assert containers == read_alibaba2018_containers(plain)
    assert containers["c_x"] == (ContainerRow(0, "m_1", "started", 0.0, 0.0),)
    assert (summary.rows, summary.repaired) == (51, {"negative request read as 0": 1})


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        (container_row() + ",x", "9 columns, expected 8"),
        ("c_1,m_1,0,app_1,started,400,400", "7 columns, expected 8"),
        (container_row(time=""), "time_stamp is empty"),
        (container_row(time="later"), "time_stamp 'later' is not a finite number"),
        (container_row(cpu=""), "cpu_request is empty"),
        (container_row(cpu="4 cores"), "cpu_request '4 cores' is not a finite number"),
        (container_row(mem="nan"), "mem_size 'nan' is not a finite number"),
        (container_row(mem=""), "mem_size is empty"),
    ],
)
def test_a_malformed_container_row_is_an_error_naming_file_line_and_rule(tmp_path, row, rule):
    path = write(tmp_path, container_row(), row, name="container_meta.csv")
    with pytest.raises(TraceError) as error:
        read_alibaba2018_containers(path)
    assert str(error.value) == f"{path}: line 2: {rule}"


def test_occupancy_follows_each_container_through_start_stop_and_restart():
    containers = {
        # started at 0, stopped at 100, started again at 200
        "c_1": (
            ContainerRow(0, "m_1", "started", 4.0, 1.5),
            ContainerRow(100, "m_1", "stopped", 4.0, 1.5),
            ContainerRow(200, "m_1", "started", 4.0, 1.5),
        ),
        # allocated at 50, started at 150, on the same machine
        "c_2": (
            ContainerRow(50, "m_1", "allocated", 8.0, 3.0),
            ContainerRow(150, "m_1", "started", 8.0, 3.0),
        ),
        # stopped all along: holds nothing
        "c_3": (ContainerRow(0, "m_2", "stopped", 16.0, 6.0), ContainerRow(300, "m_2", "stopped", 16.0, 6.0)),
        # arrives at 250 on another machine
        "c_4": (ContainerRow(250, "m_3", "started", 2.5, 1.0),),
    }
    assert machine_occupancy(containers, -1) == {}
    assert machine_occupancy(containers, 0) == {"m_1": (4.0, 1.5)}
    assert machine_occupancy(containers, 50) == {"m_1": (12.0, 4.5)}
    assert machine_occupancy(containers, 99.9) == {"m_1": (12.0, 4.5)}
    assert machine_occupancy(containers, 100) == {"m_1": (8.0, 3.0)}
    assert machine_occupancy(containers, 200) == {"m_1": (12.0, 4.5)}
    assert machine_occupancy(containers, 250) == {"m_1": (12.0, 4.5), "m_3": (2.5, 1.0)}
    assert machine_occupancy(containers, 10**6) == {"m_1": (12.0, 4.5), "m_3": (2.5, 1.0)}
    assert HOLDING_STATUSES == {"started", "allocated"}


def occupancy_by_scan(containers, at_s):
    """machine_occupancy written as a plain scan of every row."""
    held: dict[str, list[float]] = {}
    for rows in containers.values():
        before = [row for row in rows if row.time_s <= at_s]
        if before and before[-1].status in ("started", "allocated"):
            cores, memory = held.setdefault(before[-1].machine_id, [0.0, 0.0])
            held[before[-1].machine_id] = [cores + before[-1].cpu_cores, memory + before[-1].memory]
    return {machine: tuple(values) for machine, values in held.items()}


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 5),
            st.sampled_from(["m_1", "m_2", "m_3"]),
            st.integers(0, 20),
            st.sampled_from(["started", "stopped", "allocated", "unknown"]),
            st.integers(0, 3200),
        ),
        max_size=30,
    ),
    at_s=st.integers(-1, 21),
)
def test_occupancy_is_the_latest_row_of_each_container_at_or_before_the_time(rows, at_s):
    by_container: dict[str, list[ContainerRow]] = {}
    for container, machine, time_s, status, cpu in rows:
        by_container.setdefault(f"c_{container}", []).append(
            ContainerRow(time_s, machine, status, cpu / 100, 1.0)
        )
    containers = {c: tuple(sorted(held, key=lambda row: row.time_s)) for c, held in by_container.items()}
    expected = occupancy_by_scan(containers, at_s)
    got = machine_occupancy(containers, at_s)
    assert got.keys() == expected.keys()
    for machine, (cores, memory) in expected.items():
        assert got[machine] == pytest.approx((cores, memory))


VALID = HEADER + "".join(
    f"{task_row(name=f'R{n}_{n - 1}', instances=n % 4, job=f'j_{n % 5}', start=7 * n % 50, end=7 * n % 50 + n % 3)}\n"
    for n in range(1, 40)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**garbled_copies(VALID.encode()))
def test_a_garbled_or_truncated_file_raises_only_trace_errors(tmp_path, edits, keep, compressed):
    path = write_garbled(tmp_path / "garbled.csv", VALID.encode(), edits, keep, compressed)
    unless_trace_error(lambda: list(read_alibaba2018_batch(path)))
    unless_trace_error(lambda: read_alibaba2018_machines(path))
    unless_trace_error(lambda: read_alibaba2018_containers(path))


def names_dependencies(task_name: str) -> bool:
    """Whether a task name reads "letters, number, then _number..." (R3_1_2), checked without a regex."""
    own, *upstream = task_name.split("_")
    letters = own.rstrip("0123456789")
    return bool(upstream) and letters.isalpha() and own != letters and all(u.isdigit() for u in upstream)


@pytest.fixture(scope="module")
def v2018() -> Path:
    return shared_data(Path("alibaba") / "v2018" / "batch_task_sample.csv", "the Alibaba v2018 sample").parent


def test_the_batch_task_sample_reads_whole_by_start_time(v2018):
    with open(v2018 / "batch_task_sample.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    kept = [
        row
        for row in rows
        if row["status"] == "Terminated"
        and int(row["end_time"]) > int(row["start_time"])
        and row["instance_num"]
        and row["plan_cpu"]
        and row["plan_mem"]
    ]
    kept.sort(key=lambda row: int(row["start_time"]))
    summary = ReadSummary()
    count, cpu_total, durations, first_of_task = 0, 0.0, [], []
    started = time.perf_counter()
    for task in read_alibaba2018_batch(v2018 / "batch_task_sample.csv", summary):
        count += 1
        cpu_total += task.cpu
        if task.index == 0:
            first_of_task.append(task)
            durations.append(task.duration_s)
    elapsed = time.perf_counter() - started
    instances = [int(row["instance_num"]) for row in kept]
    assert (summary.rows, len(rows)) == (50_000, 50_000)
    assert count == summary.tasks == sum(instances) == 5_082_246
    assert summary.dropped == {
        "zero or negative duration": 2_735,
        "status Running": 390,
        "status Failed": 296,
        "status Waiting": 85,
    }
    assert summary.repaired == {
        "dependencies dropped": sum(names_dependencies(row["task_name"]) for row in kept)
    }
    assert [task.arrival_s for task in first_of_task] == [int(row["start_time"]) for row in kept]
    assert [task.job for task in first_of_task] == [f"{row['job_name']}/{row['task_name']}" for row in kept]
    assert cpu_total / count == pytest.approx(
        sum(float(row["plan_cpu"]) * n for row, n in zip(kept, instances, strict=True)) / sum(instances)
    )
    expected_durations = [int(row["end_time"]) - int(row["start_time"]) for row in kept]
    assert statistics.quantiles(durations, n=10) == statistics.quantiles(expected_durations, n=10)
    memories = Counter(task.memory for task in first_of_task)
    assert memories == Counter(float(row["plan_mem"]) for row in kept)
    assert max(memories) <= 100 and min(task.cpu for task in first_of_task) >= 5
    print(f"read {count:,} instances of 50,000 task rows in {elapsed:.1f} s")
    assert elapsed < 60, f"reading 5,082,246 instances took {elapsed:.1f} s"


def test_the_machine_table_gives_4034_machines_of_96_cores(v2018):
    with open(v2018 / "machine_meta.csv", newline="") as stream:
        rows = list(csv.reader(stream))
    first_time: dict[str, int] = {}
    for row in rows:
        first_time[row[0]] = min(first_time.get(row[0], int(row[1])), int(row[1]))
    started = time.perf_counter()
    machines = read_alibaba2018_machines(v2018 / "machine_meta.csv")
    elapsed = time.perf_counter() - started
    assert len(machines) == len(first_time) == 4_034
    assert {machine.machine_id: machine.time_s for machine in machines} == first_time
    assert {(machine.cpu_cores, machine.memory) for machine in machines} == {(96, 100)}
    at_zero = read_alibaba2018_machines(v2018 / "machine_meta.csv", at_s=0)
    assert len(at_zero) == sum(time_s == 0 for time_s in first_time.values()) == 3_887
    assert elapsed < 2, f"reading machine_meta took {elapsed:.2f} s"


def test_the_container_sample_holds_8_cores_on_the_median_machine_with_containers(v2018):
    """PROVENANCE_samples.txt: 20,000 rows, 3,861 containers on 2,397 machines. At 300,000 s, the
    occupancy counted by hand with the csv module (each container's latest row at or before then, started
    or allocated) is what machine_occupancy gives; a machine with containers holds a median of 8 cores
    (4 to 40) and 3.12 % of memory."""
    path = v2018 / "container_meta_sample.csv"
    summary = ReadSummary()
    containers = read_alibaba2018_containers(path, summary)
    assert (summary.rows, len(containers)) == (20_000, 3_861)
    assert len({row.machine_id for rows in containers.values() for row in rows}) == 2_397
    latest: dict[str, list[str]] = {}
    with open(path, newline="") as stream:
        for row in csv.reader(stream):
            if int(row[2]) <= 300_000 and (row[0] not in latest or int(row[2]) >= int(latest[row[0]][2])):
                latest[row[0]] = row
    expected: dict[str, list[float]] = {}
    for row in latest.values():
        if row[4] in ("started", "allocated"):
            cores, memory = expected.setdefault(row[1], [0.0, 0.0])
            expected[row[1]] = [cores + int(row[5]) / 100, memory + float(row[7])]
    held = machine_occupancy(containers, 300_000)
    assert held.keys() == expected.keys() and len(held) == 2_281
    assert all(held[m] == pytest.approx(tuple(expected[m])) for m in held)
    cores = [c for c, _ in held.values()]
    assert statistics.median(cores) == 8 and min(cores) == 4 and max(cores) == 40
    assert statistics.median(m for _, m in held.values()) == pytest.approx(3.12)
    statuses = Counter(row.status for rows in containers.values() for row in rows)
    assert statuses == {"started": 19_817, "stopped": 176, "allocated": 7}
