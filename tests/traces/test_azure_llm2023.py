"""The Azure LLM inference 2023 reader: each rule and each error on hand-written files, garbled files never
raising anything but TraceError, and both published files read whole and checked against a plain parse."""

from __future__ import annotations

import csv
import re
import statistics
import time
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from trace_samples import garbled_copies, shared_data, unless_trace_error, write_garbled

from aurora_evo.traces.azure_llm2023 import DEFAULT_SERVICE, ServiceModel, read_azure_llm2023
from aurora_evo.traces.records import ReadSummary, TraceError, TraceTask

HEADER = "TIMESTAMP,ContextTokens,GeneratedTokens\n"


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "trace.csv"
    path.write_text(header + "\n".join(rows))
    return path


def read(path: Path, service: ServiceModel = DEFAULT_SERVICE) -> tuple[list[TraceTask], ReadSummary]:
    summary = ReadSummary()
    return list(read_azure_llm2023(path, summary, service)), summary


def test_a_request_is_one_gpu_task_served_for_the_model_time(tmp_path):
    service = ServiceModel(
        prefill_s_per_1k_context=0.5, decode_s_per_token=0.25, cpu_cores=3, memory_gib=7, gpus=1
    )
    path = write(tmp_path, "2023-11-16 18:17:03.9799600,2000,4", "2023-11-16 18:17:05.0000000,0,8")
    tasks, summary = read(path, service)
    assert tasks == [
        TraceTask(arrival_s=0.0, duration_s=0.5 * 2 + 0.25 * 4, cpu=3, memory=7, gpu=1, job="1"),
        TraceTask(arrival_s=1.02004, duration_s=0.25 * 8, cpu=3, memory=7, gpu=1, job="2"),
    ]
    assert (summary.rows, summary.tasks, summary.dropped, summary.repaired) == (2, 2, {}, {})


def test_the_default_model_is_the_cited_70b_figures_on_two_h100s():
    assert DEFAULT_SERVICE == ServiceModel(0.081354, 0.01858, 24.0, 475.0, 2.0)
    # NVIDIA's figures for 5,000 input tokens: 406.77 ms to the first token, 18.58 ms a token after.
    assert DEFAULT_SERVICE.service_s(5000, 500) == pytest.approx(0.40677 + 500 * 0.01858)


def test_arrivals_keep_all_seven_fractional_digits_across_midnight(tmp_path):
    path = write(
        tmp_path,
        "2023-12-31 23:59:59.9999999,1,1",
        "2023-12-31 23:59:59.9999999,1,1",
        "2024-01-01 00:00:00.0000001,1,1",
    )
    tasks, _ = read(path)
    assert [task.arrival_s for task in tasks] == [0.0, 0.0, 2e-7]


def test_a_request_without_tokens_is_dropped(tmp_path):
    path = write(tmp_path, "2023-11-16 18:00:00.0000000,0,0", "2023-11-16 18:00:01.0000000,5,0")
    tasks, summary = read(path)
    # The dropped request is still the time origin: the file's first timestamp.
    assert [(task.arrival_s, task.job) for task in tasks] == [(1.0, "2")]
    assert (summary.rows, summary.tasks, summary.dropped) == (2, 1, {"no tokens": 1})


def test_blank_lines_are_skipped(tmp_path):
    path = write(tmp_path, "", "2023-11-16 18:00:00.0000000,1,1", "", "")
    tasks, summary = read(path)
    assert len(tasks) == summary.rows == 1


def test_a_header_only_file_has_no_tasks(tmp_path):
    assert read(write(tmp_path)) == ([], ReadSummary())


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        ("2023-11-16 18:00:00.0000000,1", "row 1: 2 fields"),
        ("2023-11-16 18:00:00.0000000,1,2,3", "row 1: 4 fields"),
        ("2023-11-16 18:00:00.000000,1,2", "is not YYYY-MM-DD HH:MM:SS.fffffff"),
        ("2023-11-16T18:00:00.0000000,1,2", "is not YYYY-MM-DD HH:MM:SS.fffffff"),
        ("2023-02-30 18:00:00.0000000,1,2", "is not a date"),
        ("2023-11-16 24:00:00.0000000,1,2", "is not a time of day"),
        ("2023-11-16 18:00:00.0000000,-1,2", "ContextTokens '-1' is not a non-negative integer"),
        ("2023-11-16 18:00:00.0000000,1,2.5", "GeneratedTokens '2.5' is not a non-negative integer"),
        ("2023-11-16 18:00:00.0000000,1,", "GeneratedTokens '' is not a non-negative integer"),
        ("2023-11-16 18:00:00.0000000,\u0663,2", "ContextTokens '\u0663' is not a non-negative integer"),
    ],
)
def test_a_malformed_row_is_an_error_naming_file_row_and_rule(tmp_path, row, rule):
    path = write(tmp_path, row)
    with pytest.raises(TraceError, match=re.escape(rule)) as raised:
        read(path)
    assert str(raised.value).startswith(f"{path}: row 1: ")


def test_a_timestamp_before_the_row_above_is_an_error(tmp_path):
    path = write(tmp_path, "2023-11-16 18:00:00.0000001,1,1", "2023-11-16 18:00:00.0000000,1,1")
    with pytest.raises(
        TraceError, match=re.escape("row 2: 2023-11-16 18:00:00.0000000 is before the row above")
    ):
        read(path)


def test_a_wrong_or_missing_header_is_an_error(tmp_path):
    with pytest.raises(TraceError, match="row 0: header 'time,ctx,gen'"):
        read(write(tmp_path, "2023-11-16 18:00:00.0000000,1,1", header="time,ctx,gen\n"))
    with pytest.raises(TraceError, match="row 0: no header row"):
        read(write(tmp_path, header=""))


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(TraceError, match="cannot be read: FileNotFoundError"):
        read(tmp_path / "absent.csv")


VALID = (
    HEADER
    + "\n".join(
        f"2023-11-16 18:{n // 60:02d}:{n % 60:02d}.{n * 7919:07d},{n * 13},{n % 9}" for n in range(40)
    )
).encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**garbled_copies(VALID))
def test_a_garbled_or_truncated_file_raises_only_trace_errors(tmp_path, edits, keep, compressed):
    path = write_garbled(tmp_path / "garbled.csv", VALID, edits, keep, compressed)
    tasks = unless_trace_error(lambda: list(read_azure_llm2023(path)))
    assert all(task.duration_s > 0 and task.arrival_s >= 0 for task in tasks or ())


@pytest.fixture(scope="module")
def llm_folder() -> Path:
    return shared_data(Path("azure") / "llm_inference_2023", "the Azure LLM inference trace")


@pytest.mark.parametrize(("name", "requests"), [("code", 8_819), ("conv", 19_366)])
def test_the_published_files_read_whole_in_order(llm_folder, name, requests):
    path = llm_folder / f"AzureLLMInferenceTrace_{name}.csv"
    with open(path, newline="") as stream:
        rows = list(csv.DictReader(stream))
    # datetime keeps 6 fractional digits: the 7th (100 ns) is compared separately below.
    times = [datetime.strptime(row["TIMESTAMP"][:-1], "%Y-%m-%d %H:%M:%S.%f") for row in rows]
    started = time.perf_counter()
    tasks, summary = read(path)
    elapsed = time.perf_counter() - started
    assert summary.rows == summary.tasks == len(tasks) == len(rows) == requests
    assert (summary.dropped, summary.repaired) == ({}, {})
    arrivals = [task.arrival_s for task in tasks]
    assert arrivals == sorted(arrivals) and arrivals[0] == 0.0
    expected = [(moment - times[0]).total_seconds() for moment in times]
    assert arrivals == pytest.approx(expected, abs=1e-6)
    sevenths = [int(row["TIMESTAMP"][-1]) - int(rows[0]["TIMESTAMP"][-1]) for row in rows]
    assert [round((a - e) * 1e7) for a, e in zip(arrivals, expected, strict=True)] == sevenths
    context = [int(row["ContextTokens"]) for row in rows]
    generated = [int(row["GeneratedTokens"]) for row in rows]
    mean_service = 0.081354 * statistics.fmean(context) / 1000 + 0.01858 * statistics.fmean(generated)
    assert statistics.fmean(task.duration_s for task in tasks) == pytest.approx(mean_service)
    assert {(task.gpu, task.cpu, task.memory) for task in tasks} == {(2.0, 24.0, 475.0)}
    assert elapsed < 5, f"reading {requests:,} requests took {elapsed:.2f} s"
