"""The Alibaba GPU v2025 DLRM reader: each rule and each error on hand-written files, garbled files never
raising anything but TraceError, and the published trace read in full."""

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

from aurora_evo.traces.alibaba_gpu2025 import read_alibaba_gpu2025
from aurora_evo.traces.records import ReadSummary, TraceError, TraceTask

HEADER = (
    "instance_sn,role,app_name,cpu_request,cpu_limit,gpu_request,gpu_limit,rdma_request,rdma_limit,"
    "memory_request,memory_limit,disk_request,disk_limit,max_instance_per_node,creation_time,"
    "scheduled_time,deletion_time\n"
)


def instance(
    n=0, app="app_0", cpu=12, gpu=1, memory=120.0, disk=680.0, cap=-1, created="", scheduled="", deleted=""
):
    """One row of the DLRM trace; times are empty unless given."""
    role = "HN" if gpu else "CN"
    return (
        f"instance_{n},{role},{app},{cpu},{cpu},{gpu},{gpu},25,25,{memory},{memory},{disk},800.0,{cap},"
        f"{created},{scheduled},{deleted}"
    )


def write(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "dlrm.csv") -> Path:
    return write_lines(tmp_path / name, header, rows)


def read(path: Path, trace_end_s: float | None = None) -> tuple[list[TraceTask], ReadSummary]:
    summary = ReadSummary()
    return list(read_alibaba_gpu2025(path, summary, trace_end_s)), summary


def test_an_instance_is_one_task_in_the_trace_units(tmp_path):
    path = write(tmp_path, instance(app="app_3", created="100.0", scheduled="130.0", deleted="1130.0"))
    [task], summary = read(path)
    assert task == TraceTask(
        arrival_s=100, duration_s=1000, cpu=12, memory=120, disk=680, gpu=1, job="app_3", index=0
    )
    assert (summary.rows, summary.tasks, summary.dropped, summary.repaired) == (1, 1, {}, {})


def test_instances_come_sorted_by_creation_and_indexed_within_their_app(tmp_path):
    path = write(
        tmp_path,
        instance(app="a", created=50, scheduled=50, deleted=60),
        instance(app="b", created=10, scheduled=10, deleted=20),
        instance(app="a", created=30, scheduled=31, deleted=40),
        instance(app="a", created=50, scheduled=55, deleted=70),
    )
    tasks, _ = read(path)
    assert [(task.arrival_s, task.job, task.index, task.duration_s) for task in tasks] == [
        (10, "b", 0, 10),
        (30, "a", 1, 9),
        (50, "a", 0, 10),
        (50, "a", 2, 15),
    ]


def test_an_instance_created_before_the_start_arrives_at_zero(tmp_path):
    path = write(tmp_path, instance(deleted="500"), instance(deleted="nan", created="NaN", scheduled=""))
    tasks, summary = read(path)
    assert [(task.arrival_s, task.duration_s, task.outcome) for task in tasks] == [(0, 500, "finish")]
    assert summary.repaired == {"created before the start, arrival 0": 1}
    assert summary.dropped == {"alive at the end": 1}


def test_an_instance_alive_at_the_end_is_cut_there_when_the_end_is_given(tmp_path):
    path = write(tmp_path, instance(created=100, scheduled=200), instance())
    tasks, summary = read(path, trace_end_s=1000)
    assert [(task.arrival_s, task.duration_s, task.outcome) for task in tasks] == [
        (0, 1000, "censored"),
        (100, 800, "censored"),
    ]
    assert summary.repaired == {"alive at the end, cut there": 2, "created before the start, arrival 0": 1}
    assert summary.dropped == {}


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (instance(created=10, deleted=20), "never scheduled"),
        (instance(created=10, scheduled=20, deleted=20), "zero or negative duration"),
        (instance(created=10, scheduled=30, deleted=20), "zero or negative duration"),
        (instance(created=10, scheduled=20), "alive at the end"),
    ],
)
def test_unusable_instances_are_dropped_by_reason(tmp_path, row, reason):
    path = write(tmp_path, instance(created=1, scheduled=1, deleted=2), row)
    tasks, summary = read(path)
    assert (len(tasks), summary.rows, summary.tasks) == (1, 2, 1)
    assert summary.dropped == {reason: 1}


def test_a_density_cap_of_one_is_different_machine_and_other_caps_are_counted(tmp_path):
    times = {"created": 1, "scheduled": 1, "deleted": 2}
    path = write(tmp_path, instance(cap=1, **times), instance(cap=-1, **times), instance(cap=8, **times))
    tasks, summary = read(path)
    assert [task.different_machine for task in tasks] == [True, False, False]
    assert summary.repaired == {"density cap dropped": 1}


def test_the_columns_are_found_by_name_and_a_gzip_reads_the_same(tmp_path):
    plain = write(tmp_path, instance(created=1, scheduled=2, deleted=5))
    packed = write(tmp_path, instance(created=1, scheduled=2, deleted=5), name="dlrm.csv.gz")
    reordered = tmp_path / "reordered.csv"
    with open(plain, newline="") as stream:
        rows = [list(reversed(row)) for row in csv.reader(stream)]
    with open(reordered, "w", newline="") as stream:
        csv.writer(stream).writerows(rows)
    assert read(plain) == read(packed) == read(reordered)


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        (instance() + ",9", "18 fields, the header has 17"),
        (instance(cpu=""), "cpu_request '' is not a finite number"),
        (instance(gpu="one"), "gpu_request 'one' is not a finite number"),
        (instance(memory="nan"), "memory_request 'nan' is not a finite number"),
        (instance(cap="inf"), "max_instance_per_node 'inf' is not a finite number"),
        (instance(created="soon"), "creation_time 'soon' is not a number"),
        (instance(deleted="-inf"), "deletion_time '-inf' is not a number"),
    ],
)
def test_a_malformed_row_is_an_error_naming_file_line_and_rule(tmp_path, row, rule):
    path = write(tmp_path, instance(), row)
    with pytest.raises(TraceError) as error:
        read(path)
    assert str(error.value) == f"{path}: line 3: {rule}"


def test_a_file_without_the_header_is_an_error(tmp_path):
    path = write(tmp_path, instance(), header="")
    with pytest.raises(TraceError, match=r"line 1: the header lacks app_name, cpu_request, .*deletion_time$"):
        read(path)


def test_a_missing_file_and_a_truncated_gzip_are_errors(tmp_path):
    with pytest.raises(TraceError, match=r"absent\.csv: cannot be read: FileNotFoundError"):
        read(tmp_path / "absent.csv")
    whole = write(tmp_path, *(instance(n=n, app=f"app_{n}") for n in range(3000)), name="t.csv.gz")
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(TraceError, match=r"cut\.csv\.gz: after line \d+: EOFError: Compressed file ended"):
        read(cut)


VALID = HEADER + "".join(
    f"{instance(n=n, app=f'app_{n % 4}', gpu=n % 2, cap=n % 3 - 1, created=n if n % 5 else '', scheduled=n + n % 3 if n % 5 else '', deleted=2 * n if n % 7 else '')}\n"
    for n in range(1, 40)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**garbled_copies(VALID.encode()), trace_end_s=st.sampled_from([None, 100.0]))
def test_a_garbled_or_truncated_file_raises_only_trace_errors(tmp_path, edits, keep, compressed, trace_end_s):
    path = write_garbled(tmp_path / "garbled.csv", VALID.encode(), edits, keep, compressed)
    unless_trace_error(lambda: read(path, trace_end_s))


@pytest.fixture(scope="module")
def dlrm() -> Path:
    return shared_data(
        Path("alibaba") / "gpu_v2025" / "disaggregated_DLRM_trace.csv", "the Alibaba GPU v2025 DLRM trace"
    )


def test_the_dlrm_trace_reads_whole_by_creation_time(dlrm):
    with open(dlrm, newline="") as stream:
        rows = list(csv.DictReader(stream))
    deleted = [row for row in rows if row["deletion_time"]]
    kept = [
        row
        for row in deleted
        if float(row["deletion_time"]) > float(row["scheduled_time"] or 0)
        and bool(row["creation_time"]) == bool(row["scheduled_time"])
    ]
    started = time.perf_counter()
    tasks, summary = read(dlrm)
    elapsed = time.perf_counter() - started
    assert (summary.rows, len(rows)) == (23_871, 23_871)
    assert summary.tasks == len(tasks) == len(kept) == 14_977
    assert summary.dropped == {"alive at the end": len(rows) - len(deleted), "zero or negative duration": 16}
    assert summary.repaired == {
        "created before the start, arrival 0": sum(not row["creation_time"] for row in kept),
        "density cap dropped": sum(int(row["max_instance_per_node"]) > 1 for row in kept),
    }
    arrivals = [task.arrival_s for task in tasks]
    assert arrivals == sorted(float(row["creation_time"] or 0) for row in kept)
    durations = [float(row["deletion_time"]) - float(row["scheduled_time"] or 0) for row in kept]
    assert statistics.fmean(task.duration_s for task in tasks) == pytest.approx(statistics.fmean(durations))
    assert statistics.quantiles([task.duration_s for task in tasks], n=10) == statistics.quantiles(
        durations, n=10
    )
    assert Counter(task.gpu for task in tasks) == Counter(float(row["gpu_request"]) for row in kept)
    assert statistics.fmean(task.cpu for task in tasks) == pytest.approx(
        statistics.fmean(float(row["cpu_request"]) for row in kept)
    )
    assert statistics.fmean(task.memory for task in tasks) == pytest.approx(
        statistics.fmean(float(row["memory_request"]) for row in kept)
    )
    assert {task.outcome for task in tasks} == {"finish"}
    print(f"read 23,871 DLRM rows in {elapsed:.2f} s")
    assert elapsed < 5, f"reading 23,871 rows took {elapsed:.2f} s"


def test_cut_at_the_last_deletion_every_instance_with_a_run_is_kept(dlrm):
    with open(dlrm, newline="") as stream:
        rows = list(csv.DictReader(stream))
    end = max(float(row["deletion_time"]) for row in rows if row["deletion_time"])
    tasks, summary = read(dlrm, trace_end_s=end)
    assert summary.tasks == len(tasks) == len(rows) - 16
    assert summary.repaired["alive at the end, cut there"] == sum(not row["deletion_time"] for row in rows)
    assert max(task.arrival_s + task.duration_s for task in tasks) == end == 2_677_541
