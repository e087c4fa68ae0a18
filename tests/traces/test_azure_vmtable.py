"""The Azure vmtable reader: each rule and each error on hand-made files in the official layout (plain and
gzip), garbled files never raising anything but TraceError, and a vmtable replayed by the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trace_samples import garbled_copies, unless_trace_error, write_garbled, write_lines

from aurora_evo.cli import main
from aurora_evo.cli.exit_status import EXIT_OK
from aurora_evo.features import NO_DEADLINE
from aurora_evo.scenario import load_scenario
from aurora_evo.traces.azure_vmtable import VMTABLE_COLUMNS, is_azure_vmtable, read_azure_vmtable
from aurora_evo.traces.records import ReadSummary, TraceError, TraceTask

HEADER = ",".join(VMTABLE_COLUMNS) + "\n"


def vm_row(
    vmid="x/XsOfHO4ocs+V99i4Nl==",
    sub="VDU4C8cqdr+ORcq==",
    dep="Pc2VLB8aDxK2/DCC==",
    created=0,
    deleted=600,
    cpu=(99.369869, 3.424094, 10.194309),
    category="Delay-insensitive",
    cores="2",
    memory="4",
) -> str:
    """One vmtable row; pass "" for an empty field."""
    return ",".join(str(v) for v in (vmid, sub, dep, created, deleted, *cpu, category, cores, memory))


def write(tmp_path: Path, *rows: str, header: str = "", name: str = "vmtable.csv") -> Path:
    return write_lines(tmp_path / name, header, rows)


def read(path: Path, trace_end_s: float | None = None) -> tuple[list[TraceTask], ReadSummary]:
    summary = ReadSummary()
    return list(read_azure_vmtable(path, summary, trace_end_s)), summary


def test_a_row_is_a_vm_in_seconds_cores_and_gb_of_its_deployment_and_subscription(tmp_path):
    path = write(
        tmp_path,
        vm_row(sub="s1", dep="d1", created=558300, deleted=1673700, category="Interactive", cores="8", memory="32"),
        vm_row(sub="s2", dep="d2", created=600000, deleted=600900, category="Unknown", cores="1", memory="1.75"),
        vm_row(sub="s1", dep="d1", created=700000, deleted=700300, category="Delay-insensitive"),
    )  # fmt: skip
    tasks, summary = read(path)
    assert tasks == [
        TraceTask(
            arrival_s=558300, duration_s=1115400, cpu=8, memory=32, scheduling_class=1, job="d1", user="s1"
        ),
        TraceTask(arrival_s=600000, duration_s=900, cpu=1, memory=1.75, job="d2", user="s2"),
        TraceTask(arrival_s=700000, duration_s=300, cpu=2, memory=4, job="d1", user="s1", index=1),
    ]
    assert (summary.rows, summary.tasks, summary.dropped, summary.repaired) == (3, 3, {}, {})


def test_the_open_buckets_are_read_as_the_notebooks_30_cores_and_70_gb_and_counted(tmp_path):
    path = write(tmp_path, vm_row(cores=">24", memory=">64"), vm_row(cores="24", memory=">64"))
    tasks, summary = read(path)
    assert [(task.cpu, task.memory) for task in tasks] == [(30, 70), (24, 70)]
    assert summary.repaired == {"cores '>24' read as 30": 1, "memory '>64' GB read as 70": 2}


def test_vms_come_sorted_by_creation_ties_in_file_order_and_index_counts_in_arrival_order(tmp_path):
    path = write(
        tmp_path,
        vm_row(vmid="a", dep="d1", created=2188800, deleted=2591700),
        vm_row(vmid="b", dep="d1", created=0, deleted=2591700),
        vm_row(vmid="c", dep="d2", created=424500, deleted=425400),
        vm_row(vmid="d", dep="d1", created=0, deleted=300),
    )
    tasks, _ = read(path)
    assert [(task.arrival_s, task.duration_s, task.job, task.index) for task in tasks] == [
        (0, 2591700, "d1", 0),
        (0, 300, "d1", 1),
        (424500, 900, "d2", 0),
        (2188800, 402900, "d1", 2),
    ]


def test_a_zero_lifetime_is_the_notebooks_300_s_and_a_negative_one_is_dropped(tmp_path):
    path = write(tmp_path, vm_row(created=900, deleted=900), vm_row(created=900, deleted=600), vm_row())
    tasks, summary = read(path)
    assert [task.duration_s for task in tasks] == [600, 300]
    assert (summary.rows, summary.tasks) == (3, 2)
    assert summary.dropped == {"deleted before created": 1}
    assert summary.repaired == {"zero lifetime read as 300 s": 1}


def test_a_vm_alive_at_the_end_is_dropped_without_a_trace_end(tmp_path):
    path = write(tmp_path, vm_row(created=300, deleted=""), vm_row(created=0, deleted=2591700))
    tasks, summary = read(path)
    assert [(task.arrival_s, task.duration_s, task.outcome) for task in tasks] == [(0, 2591700, "finish")]
    assert summary.dropped == {"alive at the end": 1}


def test_a_vm_alive_at_the_trace_end_is_cut_there_as_unknown(tmp_path):
    path = write(
        tmp_path,
        vm_row(created=300, deleted=""),
        vm_row(created=600, deleted=5000),
        vm_row(created=900, deleted=1200),
        vm_row(created=3000, deleted=""),
        vm_row(created=3600, deleted=4000),
    )
    tasks, summary = read(path, trace_end_s=3000)
    assert [(task.arrival_s, task.duration_s, task.outcome) for task in tasks] == [
        (300, 2700, "censored"),
        (600, 2400, "censored"),
        (900, 300, "finish"),
    ]
    assert summary.repaired == {"alive at the end, cut there": 2}
    assert summary.dropped == {"created at or after the trace's end": 2}


def test_the_header_of_third_party_samples_is_skipped(tmp_path):
    with_header = write(tmp_path, vm_row(), header=HEADER, name="with.csv")
    without = write(tmp_path, vm_row(), name="without.csv")
    assert read(with_header) == read(without)
    assert read(with_header)[1].rows == 1


def test_a_gzip_file_reads_as_the_plain_one_whatever_its_name(tmp_path):
    rows = [vm_row(vmid=f"v{n}", created=300 * (n % 7), deleted=300 * (n % 7) + 600) for n in range(50)]
    plain = write(tmp_path, *rows, name="plain.csv")
    packed = write(tmp_path, *rows, name="vmtable.csv.gz")
    renamed = tmp_path / "renamed.csv"
    renamed.write_bytes(packed.read_bytes())
    assert read(plain) == read(packed) == read(renamed)
    assert len(read(plain)[0]) == 50


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        (vm_row() + ",9", "12 columns, expected 11"),
        ("a,b,c,0,600", "5 columns, expected 11"),
        (vm_row(created=""), "vmcreated is empty"),
        (vm_row(created="soon"), "vmcreated 'soon' is not a finite number"),
        (vm_row(deleted="nan"), "vmdeleted 'nan' is not a finite number"),
        (vm_row(cpu=("99.1", "high", "3")), "avgcpu 'high' is not a finite number"),
        (vm_row(cpu=("inf", "1", "3")), "maxcpu 'inf' is not a finite number"),
        (
            vm_row(category="Batch"),
            "vmcategory 'Batch' is not one of Delay-insensitive, Interactive, Unknown",
        ),
        (vm_row(category=""), "vmcategory '' is not one of Delay-insensitive, Interactive, Unknown"),
        (vm_row(cores=">32"), "vmcorecountbucket '>32' is not a known bucket (a number >= 0 or '>24')"),
        (vm_row(cores="-2"), "vmcorecountbucket '-2' is not a known bucket (a number >= 0 or '>24')"),
        (vm_row(cores=""), "vmcorecountbucket '' is not a known bucket (a number >= 0 or '>24')"),
        (vm_row(memory="8-32"), "vmmemorybucket '8-32' is not a known bucket (a number >= 0 or '>64')"),
        (vm_row(memory=">24"), "vmmemorybucket '>24' is not a known bucket (a number >= 0 or '>64')"),
        (HEADER.strip(), "vmcreated 'vmcreated' is not a finite number"),
    ],
)
def test_a_malformed_row_is_an_error_naming_file_line_and_rule(tmp_path, row, rule):
    path = write(tmp_path, vm_row(), row, header=HEADER)
    with pytest.raises(TraceError) as error:
        read(path)
    assert str(error.value) == f"{path}: line 3: {rule}"


def test_errors_come_while_iterating_not_when_called(tmp_path):
    path = write(tmp_path, vm_row(category="Batch"))
    stream = read_azure_vmtable(path)
    with pytest.raises(TraceError):
        next(stream)


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(TraceError, match=r"absent\.csv: cannot be read: FileNotFoundError"):
        read(tmp_path / "absent.csv")
    with pytest.raises(TraceError, match=r"absent\.csv: cannot be read: FileNotFoundError"):
        is_azure_vmtable(tmp_path / "absent.csv")


def test_a_truncated_gzip_is_an_error(tmp_path):
    rows = (
        vm_row(vmid=f"vm{n}", dep=f"d{n % 97}", created=300 * n, deleted=300 * n + 900) for n in range(3000)
    )
    whole = write(tmp_path, *rows, name="t.csv.gz")
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(TraceError, match=r"cut\.csv\.gz: after line \d+: EOFError: Compressed file ended"):
        read(cut)


def test_an_unterminated_quote_is_an_error(tmp_path):
    path = write(tmp_path, vm_row(), '"v2,s,d,0,300,1,1,1,Unknown,2,4')
    with pytest.raises(TraceError) as error:
        read(path)
    assert "\n" not in str(error.value) and str(path) in str(error.value)


def test_a_vmtable_is_told_from_a_derived_flavour_file_by_its_first_row(tmp_path):
    assert is_azure_vmtable(write(tmp_path, vm_row(), name="a.csv"))
    assert is_azure_vmtable(write(tmp_path, vm_row(), name="a.csv.gz"))
    assert is_azure_vmtable(write(tmp_path, vm_row(), header=HEADER, name="h.csv"))
    assert is_azure_vmtable(write(tmp_path, "", vm_row(cores="oops"), name="blank_first.csv"))
    assert not is_azure_vmtable(write(tmp_path, "300 g,|,g,|,b,m,|", name="v1.dev.txt"))
    assert not is_azure_vmtable(write(tmp_path, "300 g,|,g,|,b,m,|,a,b,c,d", name="eleven.txt"))
    assert not is_azure_vmtable(write(tmp_path, "a,b,c", name="three.csv"))
    assert not is_azure_vmtable(write(tmp_path, name="empty.csv"))


VALID = HEADER + "".join(
    vm_row(
        vmid=f"vm{n}",
        sub=f"s{n % 3}",
        dep=f"d{n % 5}",
        created=300 * ((7 * n) % 20),
        deleted="" if n % 9 == 0 else 300 * ((7 * n) % 20 + n % 4),
        category=("Interactive", "Unknown", "Delay-insensitive")[n % 3],
        cores=("2", "4", ">24", "12")[n % 4],
        memory=("4", "32", ">64", "1.75")[n % 4],
    )
    + "\n"
    for n in range(1, 40)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**garbled_copies(VALID.encode()), trace_end_s=st.sampled_from([None, 3000.0]))
def test_a_garbled_or_truncated_file_raises_only_trace_errors(tmp_path, edits, keep, compressed, trace_end_s):
    path = write_garbled(tmp_path / "garbled.csv", VALID.encode(), edits, keep, compressed)
    tasks = unless_trace_error(lambda: list(read_azure_vmtable(path, None, trace_end_s)))
    for task in tasks or []:
        assert task.duration_s > 0 and task.cpu >= 0 and task.memory >= 0
    unless_trace_error(lambda: is_azure_vmtable(path))


def vmtable_of_a_few_hundred_vms(tmp_path: Path) -> Path:
    """400 VMs created over 2 hours, in no time order, of every category and bucket; gzip."""
    rng = np.random.default_rng(7)
    rows = []
    for n in range(400):
        created = 300 * int(rng.integers(0, 24))
        lifetime = 300 * int(rng.integers(0, 30))
        rows.append(
            vm_row(
                vmid=f"vm{n}",
                sub=f"s{n % 11}",
                dep=f"d{n % 37}",
                created=created,
                deleted="" if n % 50 == 0 else created + lifetime,
                category=("Interactive", "Delay-insensitive", "Unknown")[n % 3],
                cores=("2", "4", "8", "12", "24", ">24")[int(rng.integers(0, 6))],
                memory=("2", "4", "8", "32", "64", ">64")[int(rng.integers(0, 6))],
            )
        )
    return write(tmp_path, *rows, name="vmtable.csv.gz")


def test_the_command_line_replays_a_vmtable_with_deadlines_for_interactive_vms(capsys, tmp_path):
    path = vmtable_of_a_few_hundred_vms(tmp_path)
    out_dir = tmp_path / "out"
    argv = ["scenarios", "from-trace", "azure-vm2017", str(path), "--window", "30m", "--count", "2"]
    code = main([*argv, "--out", str(out_dir)])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    files = sorted(out_dir.glob("*.json"))
    assert len(files) == 2 and out.count(".json:") == 2
    assert "400 rows read" in out and "dropped 8 alive at the end" in out
    for file in files:
        scenario = load_scenario(file)
        assert scenario.provenance["trace"]["format"] == "azure-vm2017"
        assert len(scenario.tasks) > 0
        assert set(scenario.tasks.demand[:, 0].tolist()) <= {2, 4, 8, 12, 24, 30}
        assert set(scenario.tasks.demand[:, 1].tolist()) <= {2, 4, 8, 32, 64, 70}
        with_deadline = scenario.tasks.deadline != NO_DEADLINE
        assert 0 < with_deadline.sum() < len(scenario.tasks)
