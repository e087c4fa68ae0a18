"""The derived Azure VM 2017 reader: each rule and each error on hand-written files, garbled files never
raising anything but TraceError, and the dev, test and train splits read whole and checked against a
plain parse."""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trace_samples import garble, shared_data, unless_trace_error

from aurora_evo.traces.azure_vm2017 import read_azure_vm2017, read_flavour_map, read_interval_map
from aurora_evo.traces.records import ReadSummary, TraceError, TraceTask

FLAVOURS = "1,0.75 a\n2,3.5 g\n8,14 m\n"
# Bins 0 and 1 are 300 s wide, bin 2 holds 600..1199 s.
INTERVALS = "0 0\n300 1\n600 2\n900 2\n"


def write(tmp_path: Path, flavours: str, durations: str | None = None) -> tuple[Path, Path | None]:
    """A resources folder of the repository's layout: maps/ with the two maps, traces/ with the files."""
    (tmp_path / "maps").mkdir(exist_ok=True)
    (tmp_path / "traces").mkdir(exist_ok=True)
    (tmp_path / "maps" / "flav_map.txt").write_text(FLAVOURS)
    (tmp_path / "maps" / "v1.interval_map.txt").write_text(INTERVALS)
    flavour_path = tmp_path / "traces" / "v1.dev.txt"
    flavour_path.write_text(flavours)
    if durations is None:
        return flavour_path, None
    duration_path = tmp_path / "traces" / "v1.dev.c2100000.txt"
    duration_path.write_text(durations)
    return flavour_path, duration_path


def read(flavour_path: Path, duration_path: Path | None) -> tuple[list[TraceTask], ReadSummary]:
    summary = ReadSummary()
    return list(read_azure_vm2017(flavour_path, duration_path, summary)), summary


def test_each_vm_is_a_task_at_its_bin_time_in_its_subscription_batch(tmp_path):
    paths = write(tmp_path, "300 g,|,a,m,|\n600 m,|\n", "300 U0,|,U1,U2,|\n600 C2,|\n")
    tasks, summary = read(*paths)
    assert tasks == [
        TraceTask(arrival_s=300, duration_s=150, cpu=2, memory=3.5, job="300/0", index=0),
        TraceTask(arrival_s=300, duration_s=450, cpu=1, memory=0.75, job="300/1", index=0),
        TraceTask(arrival_s=300, duration_s=900, cpu=8, memory=14, job="300/1", index=1),
        TraceTask(arrival_s=600, duration_s=900, cpu=8, memory=14, job="600/0", index=0, outcome="censored"),
    ]
    assert (summary.rows, summary.tasks, summary.dropped) == (4, 4, {})
    assert summary.repaired == {"censored at the split's end": 1}


def test_a_last_batch_without_closing_bar_and_an_empty_bin_are_read(tmp_path):
    paths = write(tmp_path, "300 a,g\n600\n900 g,", "300 U0,U1\n600\n900 U0,")
    tasks, _ = read(*paths)
    assert [(task.arrival_s, task.job, task.index) for task in tasks] == [
        (300, "300/0", 0),
        (300, "300/0", 1),
        (900, "900/0", 0),
    ]


def test_without_a_duration_file_every_vm_is_dropped(tmp_path):
    tasks, summary = read(*write(tmp_path, "300 g,|,a,m,|\n"))
    assert tasks == []
    assert (summary.rows, summary.tasks, summary.dropped) == (3, 0, {"no duration file": 3})


def test_the_maps_give_flavours_and_bin_middles(tmp_path):
    write(tmp_path, "")
    assert read_flavour_map(tmp_path / "maps" / "flav_map.txt") == {
        "a": (1, 0.75),
        "g": (2, 3.5),
        "m": (8, 14),
    }
    assert read_interval_map(tmp_path / "maps" / "v1.interval_map.txt") == {0: 150, 1: 450, 2: 900}


@pytest.mark.parametrize(
    ("flavours", "durations", "rule"),
    [
        ("300 z,|\n", "300 U0,|\n", "v1.dev.txt: line 1: flavour 'z' is not in the flavour map"),
        ("x300 g,|\n", "300 U0,|\n", "v1.dev.txt: line 1: time 'x300' is not a whole number of seconds"),
        ("600 g\n300 g\n", "600 U0\n300 U0\n", "v1.dev.txt: line 2: time 300 is not after the line above"),
        ("300 g\n", "300 X0\n", "c2100000.txt: line 1: duration 'X0' is not U<bin> or C<bin>"),
        ("300 g\n", "300 U7\n", "c2100000.txt: line 1: duration 'U7': bin 7 is not in the interval map"),
        ("300 g,|,g\n", "300 U0,U0,|\n", "c2100000.txt: line 1: batches do not match the flavour file's"),
        (
            "300 g,g\n",
            "300 U0\n",
            "line 1: bin 300 with 1 tokens does not match the flavour file's bin 300 with 2",
        ),
        ("300 g\n", "600 U0\n", "line 1: bin 600 with 1 tokens does not match the flavour file's bin 300"),
        ("300 g\n600 g\n", "300 U0\n", "c2100000.txt: ends before the flavour file's bin 600"),
        ("300 g\n", "300 U0\n600 U0\n", "c2100000.txt: has more bins than"),
    ],
)
def test_a_malformed_line_is_an_error_naming_file_line_and_rule(tmp_path, flavours, durations, rule):
    with pytest.raises(TraceError, match=re.escape(rule)):
        read(*write(tmp_path, flavours, durations))


@pytest.mark.parametrize(
    ("name", "text", "rule"),
    [
        ("flav_map.txt", "1,0.75 a\n1 b\n", "flav_map.txt: line 2: '1 b' is not 'cores,memory_gb letter'"),
        ("v1.interval_map.txt", "0 0\n300 x\n", "v1.interval_map.txt: line 2: '300 x' is not 'seconds bin'"),
    ],
)
def test_a_malformed_map_is_an_error(tmp_path, name, text, rule):
    paths = write(tmp_path, "300 g\n", "300 U0\n")
    (tmp_path / "maps" / name).write_text(text)
    with pytest.raises(TraceError, match=re.escape(rule)):
        read(*paths)


def test_a_missing_file_is_an_error(tmp_path):
    flavour_path, _ = write(tmp_path, "300 g\n")
    with pytest.raises(TraceError, match=re.escape("absent.txt: cannot be read: FileNotFoundError")):
        read(flavour_path, tmp_path / "absent.txt")
    with pytest.raises(TraceError, match=re.escape("flav_map.txt: cannot be read: FileNotFoundError")):
        list(read_azure_vm2017(flavour_path, maps_dir=tmp_path / "nowhere"))


FLAVOUR_TEXT = "".join(f"{300 * n} {'g,|,a,m,|,' * (n % 3)}m\n" for n in range(1, 30)).encode()
DURATION_TEXT = "".join(f"{300 * n} {'U0,|,C1,U2,|,' * (n % 3)}U1\n" for n in range(1, 30)).encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(st.tuples(st.integers(0, len(FLAVOUR_TEXT)), st.binary(max_size=4)), max_size=4),
    duration_edits=st.lists(st.tuples(st.integers(0, len(DURATION_TEXT)), st.binary(max_size=4)), max_size=4),
    keep=st.integers(0, len(FLAVOUR_TEXT) + 8),
    duration_keep=st.integers(0, len(DURATION_TEXT) + 8),
)
def test_garbled_or_truncated_files_raise_only_trace_errors(
    tmp_path, edits, duration_edits, keep, duration_keep
):
    flavour_path, duration_path = write(tmp_path, "", "")
    flavour_path.write_bytes(garble(FLAVOUR_TEXT, edits, keep))
    duration_path.write_bytes(garble(DURATION_TEXT, duration_edits, duration_keep))
    tasks = unless_trace_error(lambda: list(read_azure_vm2017(flavour_path, duration_path)))
    assert all(task.duration_s > 0 for task in tasks or ())


@pytest.fixture(scope="module")
def resources() -> Path:
    return shared_data(Path("azure") / "vm_2017_derived" / "resources", "the derived Azure VM 2017 trace")


def plain_vms(flavour_path: Path, duration_path: Path) -> list[tuple[int, str, str]]:
    """``(bin time, flavour, duration token)`` of every VM, parsed without the reader."""
    vms = []
    with open(flavour_path) as flavours, open(duration_path) as durations:
        for flavour_line, duration_line in zip(flavours, durations, strict=True):
            time_text, flavour_tokens = flavour_line.split()
            pairs = zip(flavour_tokens.split(","), duration_line.split()[1].split(","), strict=True)
            vms.extend((int(time_text), f, d) for f, d in pairs if f not in ("|", ""))
    return vms


@pytest.mark.parametrize(
    ("split", "censor", "vms", "bins"),
    [("dev", 2_100_000, 259_159, 1_000), ("test", 2_591_400, 410_276, 1_638)],
)
def test_the_published_splits_read_whole_in_order(resources, split, censor, vms, bins):
    flavour_path = resources / "traces" / f"v1.{split}.txt"
    duration_path = resources / "traces" / f"v1.{split}.c{censor}.txt"
    expected = plain_vms(flavour_path, duration_path)
    cores = {}
    for line in (resources / "maps" / "flav_map.txt").read_text().split("\n"):
        if line:
            size, letter = line.split()
            cores[letter] = float(size.split(",")[0])
    seconds_by_bin: dict[int, list[int]] = {}
    for line in (resources / "maps" / "v1.interval_map.txt").read_text().split("\n"):
        if line:
            seconds, index = map(int, line.split())
            seconds_by_bin.setdefault(index, []).append(seconds)
    middle = {index: statistics.fmean([min(s), max(s) + 300]) for index, s in seconds_by_bin.items()}
    started = time.perf_counter()
    tasks, summary = read(flavour_path, duration_path)
    elapsed = time.perf_counter() - started
    censored = sum(token.startswith("C") for _, _, token in expected)
    assert summary.rows == summary.tasks == len(tasks) == len(expected) == vms
    assert (summary.dropped, summary.repaired) == ({}, {"censored at the split's end": censored})
    assert len({task.arrival_s for task in tasks}) == bins
    assert [task.arrival_s for task in tasks] == [float(t) for t, _, _ in expected]
    assert [task.cpu for task in tasks] == [cores[f] for _, f, _ in expected]
    mean_duration = statistics.fmean(middle[int(token[1:])] for _, _, token in expected)
    assert statistics.fmean(task.duration_s for task in tasks) == pytest.approx(mean_duration)
    assert Counter(task.outcome for task in tasks) == {"finish": vms - censored, "censored": censored}
    assert elapsed < 20, f"reading {vms:,} VMs took {elapsed:.2f} s"


def test_the_train_split_without_durations_counts_its_vms(resources):
    started = time.perf_counter()
    tasks, summary = read(resources / "traces" / "v1.train.txt", None)
    elapsed = time.perf_counter() - started
    assert tasks == [] and summary.rows == 1_200_998 == summary.dropped["no duration file"]
    assert elapsed < 20, f"reading 1,200,998 VMs took {elapsed:.2f} s"
