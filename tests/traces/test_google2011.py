"""The Google 2011 task_events reader: tasks rebuilt from hand-written shards, every malformed input a
one-line TraceError, garbled shards never anything else, and the real shards against raw-row statistics."""

from __future__ import annotations

import csv
import gzip
import itertools
import statistics
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trace_samples import shared_data, unless_trace_error

from aurora_evo.traces.google2011 import AFTER_TRACE_END, read_google2011
from aurora_evo.traces.records import ReadSummary, TraceError

S = 1_000_000  # µs per second
SUBMIT, SCHEDULE, EVICT, FAIL, FINISH, KILL, LOST, UPDATE_PENDING, UPDATE_RUNNING = range(9)


def event(t_s, job, index, kind, cpu="0.125", memory="0.0625", disk="0.001", priority="9", klass="2"):
    """One task_events row (13 columns), time given in seconds."""
    fields = [str(job), str(index), "", str(kind), "user", klass, priority, cpu, memory, disk, "0"]
    return [str(int(t_s * S)), "", *fields]


def shard(tmp_path: Path, rows, name="part-00000-of-00500.csv.gz") -> Path:
    """A gzipped shard of ``rows`` (lists of fields, or raw lines)."""
    path = tmp_path / name
    text = "".join((",".join(row) if isinstance(row, list) else row) + "\n" for row in rows)
    path.write_bytes(gzip.compress(text.encode()))
    return path


def read(*paths, **options):
    summary = ReadSummary()
    return list(read_google2011(paths, summary, **options)), summary


def test_submit_schedule_finish_gives_one_task(tmp_path):
    tasks, summary = read(
        shard(tmp_path, [event(10, 7, 3, SUBMIT), event(12, 7, 3, SCHEDULE), event(42.5, 7, 3, FINISH)])
    )
    assert len(tasks) == 1 and summary.tasks == 1 and summary.rows == 3
    task = tasks[0]
    assert (task.arrival_s, task.duration_s, task.outcome) == (10.0, 30.5, "finish")
    assert (task.cpu, task.memory, task.disk, task.priority, task.scheduling_class) == (
        0.125,
        0.0625,
        0.001,
        9,
        2,
    )
    assert (task.job, task.index, task.different_machine, task.user) == ("7", 3, False, "user")


def test_eviction_then_resubmission_keeps_the_first_arrival_and_the_last_run(tmp_path):
    rows = [
        event(10, 1, 0, SUBMIT),
        event(20, 1, 0, SCHEDULE),
        event(30, 1, 0, EVICT),
        event(30, 1, 0, SUBMIT),
        event(40, 1, 0, SCHEDULE),
        event(100, 1, 0, FINISH),
    ]
    tasks, summary = read(shard(tmp_path, rows))
    assert [(t.arrival_s, t.duration_s, t.outcome) for t in tasks] == [(10.0, 60.0, "finish")]
    assert not summary.dropped and not summary.repaired


def test_a_run_ended_without_resubmission_is_yielded_after_the_grace_with_its_outcome(tmp_path):
    rows = [event(0, 1, 0, SUBMIT), event(1, 1, 0, SCHEDULE), event(5, 1, 0, FAIL), event(2, 2, 0, SUBMIT)]
    rows.sort(key=lambda row: int(row[0]))
    later = [event(100, 3, 0, SUBMIT), event(101, 3, 0, SCHEDULE), event(102, 3, 0, KILL)]
    tasks, summary = read(shard(tmp_path, rows + later), resubmit_grace_s=10)
    assert [(t.job, t.duration_s, t.outcome) for t in tasks] == [("1", 4.0, "fail"), ("3", 1.0, "kill")]
    assert summary.dropped == {"never scheduled": 1}


def test_updates_change_the_requests_and_the_latest_wins(tmp_path):
    rows = [
        event(1, 5, 0, SUBMIT, cpu="0.1", memory="0.2"),
        event(2, 5, 0, UPDATE_PENDING, cpu="0.3"),
        event(3, 5, 0, SCHEDULE, cpu="", memory="", disk=""),
        event(4, 5, 0, UPDATE_RUNNING, cpu="", memory="0.5", priority="11"),
        event(9, 5, 0, FINISH, cpu="", memory="", disk="", priority=""),
    ]
    (task,), _ = read(shard(tmp_path, rows))
    assert (task.cpu, task.memory, task.priority, task.duration_s) == (0.3, 0.5, 11, 6.0)


def test_a_task_without_requests_is_dropped_and_counted(tmp_path):
    rows = [
        event(1, 5, 0, SUBMIT, cpu="", memory=""),
        event(2, 5, 0, SCHEDULE, cpu="", memory=""),
        event(3, 5, 0, FINISH, cpu="", memory="0.1"),
    ]
    tasks, summary = read(shard(tmp_path, rows))
    assert tasks == [] and summary.dropped == {"no request": 1}


def test_tasks_present_at_time_zero_arrive_at_zero(tmp_path):
    rows = [
        event(0, 1, 0, SUBMIT, cpu=""),
        event(0, 1, 0, SCHEDULE),
        event(0, 1, 1, SUBMIT),
        event(0, 1, 1, SCHEDULE),
        event(5, 1, 1, FINISH),
        event(8, 1, 0, FINISH),
    ]
    tasks, _ = read(shard(tmp_path, rows))
    assert [(t.index, t.arrival_s, t.duration_s) for t in tasks] == [(1, 0.0, 5.0), (0, 0.0, 8.0)]


def test_a_task_running_at_input_end_is_cut_there_and_one_never_scheduled_dropped(tmp_path):
    rows = [
        event(1, 1, 0, SUBMIT),
        event(2, 1, 0, SCHEDULE),
        event(3, 2, 0, SUBMIT),
        event(4, 3, 0, SUBMIT),
        event(5, 3, 0, SCHEDULE),
        event(6, 3, 0, FINISH),
        event(7.5, 4, 0, SUBMIT),
    ]
    tasks, summary = read(shard(tmp_path, rows))
    assert [(t.job, t.arrival_s, t.duration_s, t.outcome) for t in tasks] == [
        ("1", 1.0, 5.5, "censored"),  # scheduled at 2, the input's last event at 7.5: a lower bound
        ("3", 4.0, 1.0, "finish"),
    ]
    assert summary.tasks == 2
    assert summary.dropped == {"never scheduled": 2}
    assert summary.repaired == {"still running at input end, cut there": 1}
    assert "repaired 1 still running at input end, cut there" in summary.describe()


def test_a_task_cut_at_input_end_without_a_request_is_dropped_not_counted_as_cut(tmp_path):
    rows = [event(1, 1, 0, SUBMIT, cpu=""), event(2, 1, 0, SCHEDULE, cpu=""), event(3, 2, 0, SUBMIT)]
    tasks, summary = read(shard(tmp_path, rows))
    assert tasks == [] and summary.repaired == {}
    assert summary.dropped == {"no request": 1, "never scheduled": 1}


def test_tasks_come_in_arrival_order_though_they_end_in_another(tmp_path):
    rows = [
        event(1, 1, 0, SUBMIT),
        event(1, 1, 0, SCHEDULE),
        event(2, 2, 0, SUBMIT),
        event(2, 2, 0, SCHEDULE),
        event(3, 2, 0, FINISH),
        event(4, 3, 0, SUBMIT),
        event(4, 3, 0, SCHEDULE),
        event(5, 3, 0, FINISH),
        event(50, 1, 0, FINISH),
    ]
    first, second = shard(tmp_path, rows[:5]), shard(tmp_path, rows[5:], "part-00001-of-00500.csv.gz")
    stream = read_google2011([first, second])
    assert [t.job for t in stream] == ["1", "2", "3"]


def test_the_reorder_window_gives_up_long_runs_so_the_rest_streams(tmp_path):
    rows = [event(0, 1, 0, SUBMIT), event(0, 1, 0, SCHEDULE)]
    rows += [
        e
        for n in range(2, 12)
        for e in (event(n * 10, n, 0, SUBMIT), event(n * 10, n, 0, SCHEDULE), event(n * 10 + 1, n, 0, FINISH))
    ]
    rows.append(event(500, 1, 0, FINISH))
    stream = read_google2011([shard(tmp_path, rows)], summary := ReadSummary(), reorder_window_s=30)
    assert next(stream).job == "2" and summary.rows < len(rows)  # yielded before the input was read
    assert [t.job for t in stream] == [str(n) for n in range(3, 12)]
    assert summary.dropped == {"outlived the reorder window": 1, "event of no live task": 1}


def test_rows_after_the_trace_end_and_unreadable_fields_are_counted(tmp_path):
    late = event(0, 1, 0, FINISH)
    late[0] = str(AFTER_TRACE_END)
    rows = [
        event(1, 1, 0, SUBMIT, cpu="lots"),
        event(2, 1, 0, SCHEDULE, priority="high"),
        late,
        event(3, "", 0, SUBMIT),
    ]
    tasks, summary = read(shard(tmp_path, rows))
    assert [(t.job, t.cpu, t.priority, t.outcome) for t in tasks] == [("1", 0.125, 9, "censored")]
    assert summary.dropped == {"after trace end": 1, "no task key": 1}
    assert summary.repaired == {
        "unreadable request": 1,
        "unreadable priority": 1,
        "still running at input end, cut there": 1,
    }


def test_ends_without_a_run_drop_the_task_as_never_scheduled(tmp_path):
    rows = [
        event(1, 1, 0, SUBMIT),
        event(2, 1, 0, FINISH),
        event(3, 2, 0, SUBMIT),
        event(4, 2, 0, KILL),
        event(5, 3, 0, SUBMIT),
        event(6, 3, 0, EVICT),
        event(7, 3, 0, EVICT),
    ]
    tasks, summary = read(shard(tmp_path, rows))
    assert tasks == [] and summary.dropped == {"never scheduled": 3}
    assert summary.repaired == {"out-of-order event": 1}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 8), st.booleans()), max_size=60)
)
def test_any_sorted_event_sequence_gives_positive_runs_in_arrival_order(tmp_path, steps):
    times = itertools.accumulate(gap for gap, *_ in steps)
    rows = [
        event(t, job, 0, kind, cpu="0.5" if carries else "")
        for t, (_, job, kind, carries) in zip(times, steps, strict=True)
    ]
    tasks, summary = read(shard(tmp_path, rows), resubmit_grace_s=1, reorder_window_s=5)
    assert all(t.duration_s > 0 and t.cpu == 0.5 for t in tasks)
    assert [t.arrival_s for t in tasks] == sorted(t.arrival_s for t in tasks) and summary.tasks == len(tasks)


GOOD = [event(1, 1, 0, SUBMIT), event(2, 1, 0, SCHEDULE), event(3, 1, 0, FINISH)]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([GOOD[0], GOOD[1][:12], GOOD[2]], "row 2: 12 columns, a task_events row has 13"),
        ([GOOD[0], ["1.5s", *GOOD[1][1:]]], "row 2: time '1.5s' is not an integer"),
        ([GOOD[0], [*GOOD[1][:5], "9", *GOOD[1][6:]]], "row 2: event type '9' is not one of 0-8"),
        ([GOOD[0], [*GOOD[1][:5], "x", *GOOD[1][6:]]], "row 2: event type 'x' is not one of 0-8"),
        ([GOOD[1], GOOD[0]], "row 2: time 1000000 goes back from 2000000"),
        ([GOOD[0], ["-1", *GOOD[1][1:]]], "row 2: time -1 is negative"),
        ([GOOD[0], ""], "row 2: 0 columns"),
    ],
)
def test_malformed_rows_are_one_line_trace_errors_naming_file_and_row(tmp_path, rows, message):
    path = shard(tmp_path, rows)
    with pytest.raises(TraceError) as caught:
        read(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_time_going_back_between_shards_is_a_trace_error(tmp_path):
    first = shard(tmp_path, [event(5, 1, 0, SUBMIT)])
    second = shard(tmp_path, [event(4, 2, 0, SUBMIT)], "part-00001-of-00500.csv.gz")
    with pytest.raises(TraceError, match=r"part-00001-of-00500.csv.gz: row 1: time 4000000 goes back"):
        read(first, second)


def test_truncated_corrupt_and_missing_files_are_trace_errors(tmp_path):
    whole = shard(tmp_path, [event(n, n, 0, SUBMIT) for n in range(2000)]).read_bytes()
    truncated = tmp_path / "truncated.csv.gz"
    truncated.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(TraceError, match=r"truncated.csv.gz: row \d+: cannot read"):
        read(truncated)
    corrupt = tmp_path / "corrupt.csv.gz"
    corrupt.write_bytes(b"not a gzip file at all")
    with pytest.raises(TraceError, match=r"corrupt.csv.gz: start: cannot read \(Not a gzipped file"):
        read(corrupt)
    with pytest.raises(TraceError, match=r"absent.csv.gz: no such file"):
        read(tmp_path / "absent.csv.gz")


VALID_ROWS = [
    *GOOD,
    event(4, 2, 0, SUBMIT),
    event(5, 2, 0, SCHEDULE),
    event(6, 2, 0, EVICT),
    event(6, 2, 0, SUBMIT),
]
VALID = gzip.compress("".join(",".join(row) + "\n" for row in VALID_ROWS).encode())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cut=st.integers(min_value=0, max_value=2000),
    flips=st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), max_size=4),
    plain=st.booleans(),
)
def test_a_garbled_or_truncated_shard_raises_nothing_but_trace_error(tmp_path, cut, flips, plain):
    data = bytearray(gzip.decompress(VALID) if plain else VALID)
    for position, value in flips:
        data[position % len(data)] = value
    path = tmp_path / ("garbled.csv" if plain else "garbled.csv.gz")
    path.write_bytes(bytes(data[: cut % (len(data) + 1)]))
    read_all = unless_trace_error(lambda: read(path))
    if read_all is not None:
        tasks, summary = read_all
        assert all(t.duration_s > 0 for t in tasks) and summary.tasks == len(tasks)


def raw_statistics(paths):
    """Rows, and durations and CPU requests of finished runs, straight from the raw rows."""
    rows, submitted, run_start, cpu, durations, cpus = 0, set(), {}, {}, [], []
    for path in paths:
        with gzip.open(path, "rt", newline="") as text:
            for row in csv.reader(text):
                rows += 1
                key, kind, t = (row[2], row[3]), int(row[5]), int(row[0])
                cpu[key] = float(row[9]) if row[9] else cpu.get(key)
                if kind == SUBMIT:
                    submitted.add(key)
                elif kind == SCHEDULE:
                    run_start[key] = t
                elif kind in (EVICT, FAIL, KILL, LOST):
                    run_start.pop(key, None)
                elif kind == FINISH and key in submitted and key in run_start:
                    durations.append((t - run_start.pop(key)) / S)
                    cpus.append(cpu[key])
    return rows, durations, cpus


def test_the_real_shards_read_in_arrival_order_and_agree_with_the_raw_rows():
    paths = sorted(
        shared_data(Path("google_cluster_2011") / "task_events", "the real Google 2011 shards").glob(
            "part-0000[0-3]-of-00500.csv.gz"
        )
    )
    assert len(paths) == 4
    started = time.perf_counter()
    tasks, summary = read(*paths)
    seconds = time.perf_counter() - started
    print(f"read the 4 shards in {seconds:.1f} s: {summary.describe()}")
    arrivals = [t.arrival_s for t in tasks]
    assert arrivals == sorted(arrivals) and summary.tasks == len(tasks)
    rows, durations, cpus = raw_statistics(paths)
    assert summary.rows == rows == 803_964
    finished = [t for t in tasks if t.outcome == "finish"]
    assert len(finished) == len(durations) == 99_697
    assert statistics.fmean(t.duration_s for t in finished) == pytest.approx(statistics.fmean(durations))
    quantiles = statistics.quantiles(cpus, n=10)
    assert statistics.quantiles([t.cpu for t in finished], n=10) == pytest.approx(quantiles)
    assert min(arrivals) == 0.0 and max(arrivals) < 6 * 3600
