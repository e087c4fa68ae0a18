"""The Alibaba v2018 readers: each rule and each error on hand-written files, garbled files never raising
anything but TraceError, and the published batch_task sample and machine_meta table read in full."""

from __future__ import annotations

import csv
import gzip
import statistics
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trace_samples import garble, shared_data, unless_trace_error

from aurora_evo.traces.alibaba2018 import (
    AlibabaMachine,
    read_alibaba2018_batch,
    read_alibaba2018_machines,
)
from aurora_evo.traces.records import ReadSummary, TraceError, TraceTask

HEADER = "task_name,instance_num,job_name,task_type,status,start_time,end_time,plan_cpu,plan_mem\n"


def task_row(name="M1", instances=1, job="j_1", status="Terminated", start=100, end=110, cpu=50, mem=0.2):
    """One batch_task row; pass "" for an empty field."""
    return f"{name},{instances},{job},1,{status},{start},{end},{cpu},{mem}"


def write(tmp_path: Path, *rows: str, header: str = "", name: str = "batch_task.csv") -> Path:
    path = tmp_path / name
    text = header + "".join(f"{row}\n" for row in rows)
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


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
    for reader in (read_alibaba2018_batch, read_alibaba2018_machines):
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


VALID = HEADER + "".join(
    f"{task_row(name=f'R{n}_{n - 1}', instances=n % 4, job=f'j_{n % 5}', start=7 * n % 50, end=7 * n % 50 + n % 3)}\n"
    for n in range(1, 40)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(st.tuples(st.integers(0, len(VALID)), st.binary(max_size=4)), max_size=6),
    keep=st.integers(0, len(VALID) + 8),
    compressed=st.booleans(),
)
def test_a_garbled_or_truncated_file_raises_only_trace_errors(tmp_path, edits, keep, compressed):
    data = garble(VALID.encode(), edits)
    path = tmp_path / "garbled.csv"
    path.write_bytes((gzip.compress(data) if compressed else data)[:keep])
    unless_trace_error(lambda: list(read_alibaba2018_batch(path)))
    unless_trace_error(lambda: read_alibaba2018_machines(path))


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
