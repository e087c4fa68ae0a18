"""The trace formats: one registry, the command line's list of them, and a one-line error otherwise;
azure-vm2017 reading a vmtable or the derived sequences by the file's content."""

from __future__ import annotations

import dataclasses
import gzip
from pathlib import Path

import pytest

from aurora_evo.errors import InputError
from aurora_evo.traces import FORMATS
from aurora_evo.traces.records import ReadSummary, TraceTask
from aurora_evo.traces.sources import INPUT_FLAGS, SOURCES, TraceInputs, check_inputs, trace_source


def test_the_command_line_lists_every_format_of_the_registry_in_order():
    assert tuple(SOURCES) == FORMATS


def test_only_cc_by_traces_may_ship_inside_the_package():
    assert {name for name, source in SOURCES.items() if source.shippable} == {
        "google2011",
        "azure-llm2023",
        "azure-vm2017",
    }
    assert all(source.licence == "CC-BY 4.0" for source in SOURCES.values() if source.shippable)


def test_an_unknown_format_is_one_line_naming_the_known_ones():
    with pytest.raises(InputError, match="unknown trace format 'nope'; known: google2011, alibaba2018"):
        trace_source("nope")


VMTABLE = (
    "vm2,s1,d1,900,1500,99.5,3.4,10.2,Interactive,4,8\n"
    "vm1,s1,d1,300,600,99.5,3.4,10.2,Delay-insensitive,2,4\n"
    "vm3,s2,d2,600,,99.5,3.4,10.2,Unknown,>24,>64\n"
)


def test_azure_vm2017_reads_a_vmtable_by_its_content_whatever_its_name(tmp_path):
    path = tmp_path / "anything.txt.gz"
    path.write_bytes(gzip.compress(VMTABLE.encode()))
    source, summary = trace_source("azure-vm2017"), ReadSummary()
    tasks = list(source.read([path], TraceInputs(trace_end_s=1200.0), summary))
    assert [(t.arrival_s, t.duration_s, t.cpu, t.memory, t.outcome) for t in tasks] == [
        (300, 300, 2, 4, "finish"),
        (600, 600, 30, 70, "censored"),
        (900, 300, 4, 8, "censored"),
    ]
    assert [source.latency_sensitive(t) for t in tasks] == [False, False, True]
    assert (summary.rows, summary.tasks) == (3, 3)


def test_azure_vm2017_refuses_durations_with_a_vmtable(tmp_path):
    path = tmp_path / "vmtable.csv"
    path.write_text(VMTABLE)
    with pytest.raises(InputError, match="is a vmtable, which holds the VMs' lifetimes: --durations is for"):
        trace_source("azure-vm2017").read([path], TraceInputs(durations=path), ReadSummary())


def test_azure_vm2017_reads_another_file_as_the_derived_flavour_file_which_needs_durations(tmp_path):
    (tmp_path / "maps").mkdir()
    (tmp_path / "traces").mkdir()
    (tmp_path / "maps" / "flav_map.txt").write_text("2,3.5 g\n")
    (tmp_path / "maps" / "v1.interval_map.txt").write_text("0 0\n")
    flavours, durations = tmp_path / "traces" / "v1.dev.txt", tmp_path / "traces" / "v1.dev.c300.txt"
    flavours.write_text("300 g,|,g,|,g,|,g,|,g,|,g\n")
    durations.write_text("300 U0,|,U0,|,U0,|,U0,|,U0,|,U0\n")
    source = trace_source("azure-vm2017")
    with pytest.raises(InputError, match=r"v1\.dev\.txt is not a vmtable .* needs --durations FILE"):
        source.read([flavours], TraceInputs(), ReadSummary())
    tasks = list(source.read([flavours], TraceInputs(durations=durations), ReadSummary()))
    assert len(tasks) == 6 and not any(source.latency_sensitive(t) for t in tasks)


def test_only_interactive_vms_are_latency_sensitive():
    sensitive = trace_source("azure-vm2017").latency_sensitive
    assert sensitive(TraceTask(0, 1, 1, 1, scheduling_class=1))
    assert not sensitive(TraceTask(0, 1, 1, 1))


def test_every_extra_input_has_its_flag_and_a_format_reads_only_those_it_names():
    fields = {field.name for field in dataclasses.fields(TraceInputs)}
    assert set(INPUT_FLAGS) == fields
    assert all(source.inputs <= fields for source in SOURCES.values())
    assert trace_source("alibaba2018").inputs == {"machines", "containers"}


@pytest.mark.parametrize(
    ("fmt", "inputs", "message"),
    [
        (
            "google2011",
            {"containers": Path("c.csv")},
            "google2011 takes no --containers: it is for alibaba2018",
        ),
        ("swf", {"machines": Path("m.csv")}, "swf takes no --machines: it is for alibaba2018"),
        (
            "alibaba2018",
            {"trace_end_s": 10.0},
            "alibaba2018 takes no --trace-end: it is for alibaba-gpu2025, azure-vm2017",
        ),
    ],
)
def test_an_input_the_format_does_not_read_is_one_line(fmt, inputs, message):
    with pytest.raises(InputError) as error:
        check_inputs(trace_source(fmt), TraceInputs(**inputs))
    assert str(error.value) == message


def test_the_inputs_a_format_reads_pass():
    check_inputs(trace_source("alibaba2018"), TraceInputs(machines=Path("m"), containers=Path("c")))
    check_inputs(trace_source("azure-vm2017"), TraceInputs(durations=Path("d"), trace_end_s=1.0))
    check_inputs(trace_source("google2011"), TraceInputs())
