"""The trace formats: one registry, the command line's list of them, and a one-line error otherwise."""

from __future__ import annotations

import pytest

from aurora_evo.errors import InputError
from aurora_evo.traces import FORMATS
from aurora_evo.traces.sources import SOURCES, trace_source


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
