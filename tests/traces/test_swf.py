"""The SWF reader: each mapping rule and each error on hand-written files, garbled files never raising
anything but TraceError, and the NASA iPSC/860 log of the Parallel Workloads Archive read in full."""

from __future__ import annotations

import gzip
import statistics
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from trace_samples import garbled_copies, shared_data, unless_trace_error, write_garbled, write_lines

from aurora_evo.traces.records import ReadSummary, TraceError, TraceTask
from aurora_evo.traces.swf import SwfHeader, read_swf, read_swf_header

HEADER = """\
; Version: 2.2
; Computer: Test Machine
; Installation: Somewhere
; Note: first note
;       continued here
; Note: second note
;
; UnixStartTime: 749458803
; TimeZoneString: US/Pacific
; MaxNodes: 64
; MaxProcs: 128
; Information: http://example.org/
;              http://example.org/more
"""


def job(
    number=1,
    submit=0,
    run=10,
    allocated=4,
    used_memory=-1,
    requested=-1,
    requested_memory=-1,
    status=1,
    preceding=-1,
) -> str:
    """One SWF job line; the fields not named are -1."""
    fields = [number, submit, -1, run, allocated, -1, used_memory, requested, -1, requested_memory, status]
    return " ".join(str(value) for value in [*fields, 1, 1, -1, -1, -1, preceding, -1])


def write(tmp_path: Path, *lines: str, header: str = HEADER, name: str = "log.swf") -> Path:
    return write_lines(tmp_path / name, header, lines)


def read(path: Path) -> tuple[list[TraceTask], ReadSummary]:
    summary = ReadSummary()
    return list(read_swf(path, summary)), summary


def test_a_complete_job_is_one_task_in_the_trace_units(tmp_path):
    path = write(
        tmp_path, job(number=7, submit=30, run=120, allocated=8, requested=16, requested_memory=1024)
    )
    [task], summary = read(path)
    assert task == TraceTask(
        arrival_s=30, duration_s=120, cpu=16, memory=16 * 1024, job="7", user="1", outcome="finish"
    )
    assert (summary.rows, summary.tasks, summary.dropped, summary.repaired) == (1, 1, {}, {})


def test_processors_come_from_the_allocation_when_the_request_is_unknown(tmp_path):
    [task], summary = read(write(tmp_path, job(allocated=32, requested=-1, requested_memory=100)))
    assert (task.cpu, task.memory) == (32, 3200)
    assert summary.repaired == {"processors from allocated": 1}


def test_memory_falls_back_to_the_used_memory_then_to_zero(tmp_path):
    path = write(
        tmp_path,
        job(number=1, requested=2, requested_memory=-1, used_memory=500),
        job(number=2, requested=2, requested_memory=-1, used_memory=-1),
    )
    tasks, summary = read(path)
    assert [task.memory for task in tasks] == [1000, 0]
    assert summary.repaired == {"memory from used": 1, "memory unknown, 0": 1}


def test_status_gives_the_outcome_and_there_is_no_priority(tmp_path):
    statuses = [1, 0, 5, -1, 2, 3, 4]
    path = write(tmp_path, *(job(number=n, submit=n, status=s) for n, s in enumerate(statuses)))
    tasks, _ = read(path)
    assert [task.outcome for task in tasks] == ["finish", "fail", "kill"] + ["unknown"] * 4
    assert {(task.priority, task.scheduling_class, task.disk, task.index) for task in tasks} == {(0, 0, 0, 0)}


def test_a_preceding_job_is_ignored_and_counted(tmp_path):
    tasks, summary = read(write(tmp_path, job(number=1), job(number=2, submit=5, preceding=1)))
    assert [task.job for task in tasks] == ["1", "2"]
    assert summary.repaired["preceding job ignored"] == 1


def test_jobs_without_run_time_submit_time_or_processors_are_dropped(tmp_path):
    path = write(
        tmp_path,
        job(number=1, submit=-1),
        job(number=2, run=0),
        job(number=3, run=-1),
        job(number=4, allocated=-1, requested=-1),
        job(number=5, allocated=0, requested=0),
        job(number=6, submit=3),
    )
    tasks, summary = read(path)
    assert [task.job for task in tasks] == ["6"]
    assert (summary.rows, summary.tasks) == (6, 1)
    assert summary.dropped == {"no submit time": 1, "no run time": 2, "processors unknown": 2}
    assert "6 rows read, 1 tasks; dropped 2 no run time" in summary.describe()


def test_blank_lines_and_comments_between_jobs_are_skipped(tmp_path):
    tasks, summary = read(write(tmp_path, job(number=1), "", "; a late comment", "   ", job(number=2)))
    assert [task.job for task in tasks] == ["1", "2"]
    assert summary.rows == 2


def test_a_gzip_file_reads_as_the_plain_one_whatever_its_name(tmp_path):
    lines = [job(number=n, submit=10 * n, run=n + 1) for n in range(1, 20)]
    plain = read(write(tmp_path, *lines))
    assert read(write(tmp_path, *lines, name="log.swf.gz")) == plain
    renamed = tmp_path / "log.gz.swf"
    renamed.write_bytes((tmp_path / "log.swf.gz").read_bytes())
    assert read(renamed) == plain


def test_the_header_names_the_machine_and_keeps_the_rest(tmp_path):
    header = read_swf_header(write(tmp_path, job(), "; Comment: after the first job, not header"))
    assert header == SwfHeader(
        max_procs=128,
        max_nodes=64,
        unix_start_time=749458803,
        time_zone_string="US/Pacific",
        version="2.2",
        computer="Test Machine",
        installation="Somewhere",
        other={
            "Note": "first note continued here\nsecond note",
            "Information": "http://example.org/ http://example.org/more",
        },
    )


def test_a_file_without_header_has_an_empty_one(tmp_path):
    assert read_swf_header(write(tmp_path, job(), header="")) == SwfHeader()


def test_a_header_number_that_is_not_an_integer_is_an_error(tmp_path):
    with pytest.raises(TraceError, match=r"log\.swf: line 2: MaxProcs 'many' is not an integer"):
        read_swf_header(write(tmp_path, job(), header="; Version: 2\n; MaxProcs: many\n"))


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("1 2 3", "3 fields, an SWF job line has 18"),
        (job() + " 9", "19 fields, an SWF job line has 18"),
        (job().replace("10", "ten", 1), "field 4 'ten' is not a finite number"),
        (job().replace("10", "nan", 1), "field 4 'nan' is not a finite number"),
        (job().replace("10", "1e999", 1), "field 4 '1e999' is not a finite number"),
    ],
)
def test_a_malformed_job_line_is_an_error_naming_file_line_and_rule(tmp_path, line, rule):
    path = write(tmp_path, job(number=1), line, header="; Version: 2.2\n")
    with pytest.raises(TraceError) as error:
        read(path)
    assert str(error.value) == f"{path}: line 3: {rule}"


def test_an_unsorted_job_is_an_error(tmp_path):
    path = write(tmp_path, job(number=1, submit=50), job(number=2, submit=40), header="")
    with pytest.raises(TraceError, match=r"line 2: submit time 40 is before the line above \(50\); SWF jobs"):
        read(path)


def test_a_missing_file_is_an_error(tmp_path):
    for reader in (read_swf, read_swf_header):
        with pytest.raises(TraceError, match=r"absent\.swf: cannot be read: FileNotFoundError"):
            list(reader(tmp_path / "absent.swf"))


def test_a_truncated_gzip_is_an_error(tmp_path):
    whole = write(tmp_path, *(job(number=n, submit=n) for n in range(2000)), name="log.swf.gz")
    cut = tmp_path / "cut.swf.gz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(TraceError, match=r"cut\.swf\.gz: after line \d+: EOFError: Compressed file ended"):
        read(cut)


def test_errors_are_one_line(tmp_path):
    path = write(tmp_path, "1\t2\n", header="")
    with pytest.raises(TraceError) as error:
        read(path)
    assert "\n" not in str(error.value)


VALID = HEADER + "".join(
    f"{job(number=n, submit=3 * n, run=n % 7, requested=n % 5 - 1, used_memory=n % 3 * 100, status=n % 6)}\n"
    for n in range(1, 40)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**garbled_copies(VALID.encode()))
def test_a_garbled_or_truncated_file_raises_only_trace_errors(tmp_path, edits, keep, compressed):
    path = write_garbled(tmp_path / "garbled.swf", VALID.encode(), edits, keep, compressed)
    unless_trace_error(lambda: list(read_swf(path)))
    unless_trace_error(lambda: read_swf_header(path))


def plain_parse(path: Path) -> list[list[float]]:
    """The job lines of an SWF file as numbers, parsed without the reader."""
    with gzip.open(path, "rt") as stream:
        return [[float(x) for x in line.split()] for line in stream if line.strip() and line[0] != ";"]


@pytest.fixture(scope="module")
def nasa() -> Path:
    return shared_data(
        Path("parallel_workloads_archive") / "NASA-iPSC-1993-3.1-cln.swf.gz", "the NASA iPSC/860 log"
    )


def test_the_nasa_log_reads_whole_in_order(nasa):
    rows = plain_parse(nasa)
    kept = [row for row in rows if row[3] > 0]
    started = time.perf_counter()
    tasks, summary = read(nasa)
    elapsed = time.perf_counter() - started
    assert (summary.rows, len(rows)) == (18_239, 18_239)
    assert summary.tasks == len(tasks) == len(kept) == 18_239 - summary.dropped["no run time"]
    assert summary.dropped == {"no run time": 173}
    # The cleaned log records neither requested processors nor memory: every job is repaired.
    assert summary.repaired == {"processors from allocated": len(kept), "memory unknown, 0": len(kept)}
    arrivals = [task.arrival_s for task in tasks]
    assert arrivals == sorted(arrivals) == [row[1] for row in kept]
    assert [task.job for task in tasks] == [str(int(row[0])) for row in kept]
    assert statistics.fmean(task.duration_s for task in tasks) == pytest.approx(
        sum(row[3] for row in kept) / len(kept)
    )
    processors = [task.cpu for task in tasks]
    assert statistics.quantiles(processors, n=4) == statistics.quantiles([row[4] for row in kept], n=4)
    assert max(processors) == 128 and min(processors) == 1
    assert {task.outcome for task in tasks} == {"unknown"}  # the log has no status
    assert elapsed < 5, f"reading 18,239 jobs took {elapsed:.2f} s"


def test_the_nasa_header_names_the_machine(nasa):
    header = read_swf_header(nasa)
    assert (header.max_procs, header.max_nodes, header.unix_start_time) == (128, 128, 749458803)
    assert (header.time_zone_string, header.version) == ("US/Pacific", "2.2")
    assert (header.computer, header.installation) == ("Intel iPSC/860", "NASA Ames Research Center")
    assert header.other["MaxJobs"] == "42264"
    assert header.other["Queue"] == "0  interactive\n1  batch"
