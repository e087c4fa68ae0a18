"""Scenario JSON: the shipped schema, round trips, and one-line errors for every kind of bad input."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from jsonschema.validators import Draft202012Validator

from aurora_evo.features import NO_DEADLINE
from aurora_evo.scenario import (
    Domain,
    ScenarioError,
    load_scenario,
    save_scenario,
    scenario_from_dict,
    scenario_schema,
)

VALID = {
    "format": "aurora-evo/scenario",
    "version": 1,
    "name": "tiny",
    "domain": "edge",
    "queue_timeout_s": 60,
    "objective": {"latency": 1.0},
    "nodes": [
        {"name": "a", "cpu": 8, "memory_gib": 32, "gpu": 1, "price_per_hour": 0.4, "idle_watts": 60,
         "peak_watts": 200, "zone": "west", "latency_ms": 5},
        {"cpu": 4, "memory_gib": 8},
    ],
    "tasks": [
        {"arrival_s": 0, "duration_s": 10, "cpu": 2, "memory_gib": 4, "deadline_s": 30, "owner": "ann",
         "priority": 3},
        {"arrival_s": 1.5, "duration_s": 2, "cpu": 0.5, "memory_gib": 1, "gpu": 1, "network_gbps": 0.5},
    ],
}  # fmt: skip


def write(tmp_path, data, name="s.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_schema_is_valid_draft_2020_12():
    Draft202012Validator.check_schema(scenario_schema())


def test_load_fills_defaults_and_units(tmp_path):
    scenario = load_scenario(write(tmp_path, VALID))
    assert scenario.domain is Domain.EDGE
    assert scenario.nodes.capacity.tolist() == [[8, 32, 1, 0], [4, 8, 0, 0]]
    assert scenario.nodes.names == ("a", "node-1") and scenario.nodes.zones == ("west", "default")
    assert scenario.tasks.deadline.tolist() == [30.0, NO_DEADLINE]
    assert scenario.tasks.owners == ("ann", "default")
    assert scenario.objective["latency"] == 1.0 and scenario.objective["sla"] > 0  # edge default kept
    assert scenario.queue_timeout_s == 60 and scenario.idle_nodes_sleep is True


def test_scenario_arrays_are_read_only(tmp_path):
    scenario = load_scenario(write(tmp_path, VALID))
    with pytest.raises(ValueError):
        scenario.tasks.demand[0, 0] = 99.0


def test_round_trip_keeps_every_float_exactly(tmp_path):
    data = copy.deepcopy(VALID)
    data["tasks"][0]["cpu"] = 1.0000000005
    data["tasks"][1]["duration_s"] = 0.0012345678912345
    scenario = scenario_from_dict(data)
    again = load_scenario(save_scenario(scenario, tmp_path / "exact.json"))
    np.testing.assert_array_equal(again.tasks.demand, scenario.tasks.demand)
    np.testing.assert_array_equal(again.tasks.duration, scenario.tasks.duration)


def test_the_model_refuses_values_the_simulator_cannot_handle():
    from aurora_evo.scenario import Nodes, Scenario, Tasks

    nodes = Nodes(("a",), [[1, 1, 0, 0]], [0], [0], [0], [0], [0], ("z",))
    good = dict(
        arrival=[0.0],
        duration=[1.0],
        demand=[[1, 1, 0, 0]],
        priority=[0],
        deadline=[1e9],
        owner=[0],
        owners=("o",),
    )
    for field, value, message in [
        ("arrival", [float("nan")], "tasks.arrival holds NaN"),
        ("duration", [0.0], "tasks.duration must be positive"),
        ("duration", [-1.0], "tasks.duration holds negative values"),
        ("demand", [[1, float("inf"), 0, 0]], "tasks.demand holds NaN or infinite"),
        ("owner", [3], "tasks.owner indexes past owners"),
    ]:
        with pytest.raises(ValueError, match=message):
            Tasks(**(good | {field: value}))
    tasks = Tasks(**good)
    with pytest.raises(ValueError, match="at least one weight must be positive"):
        Scenario(
            "s",
            Domain.CLOUD,
            nodes,
            tasks,
            objective=dict.fromkeys(scenario_schema()["properties"]["objective"]["properties"], 0.0),
        )
    with pytest.raises(ValueError, match="weights must be finite and >= 0"):
        Scenario("s", Domain.CLOUD, nodes, tasks, objective={"failure": -0.9})
    with pytest.raises(ValueError, match=r"nodes\.peak_watts is below idle_watts"):
        Nodes(("a",), [[1, 1, 0, 0]], [0], [10], [5], [0], [0], ("z",))


def test_round_trip(tmp_path):
    scenario = load_scenario(write(tmp_path, VALID))
    again = load_scenario(save_scenario(scenario, tmp_path / "out.json"))
    for name in ("arrival", "duration", "demand", "priority", "deadline", "owner"):
        np.testing.assert_array_equal(getattr(again.tasks, name), getattr(scenario.tasks, name))
    for name in ("capacity", "price_per_hour", "idle_watts", "peak_watts", "latency_ms", "zone"):
        np.testing.assert_array_equal(getattr(again.nodes, name), getattr(scenario.nodes, name))
    assert dict(again.objective) == dict(scenario.objective)
    assert again.tasks.owners == scenario.tasks.owners and again.nodes.zones == scenario.nodes.zones


def mutate(path_and_value):
    data = copy.deepcopy(VALID)
    *keys, last = path_and_value[0]
    target = data
    for key in keys:
        target = target[key]
    if path_and_value[1] is KeyError:
        del target[last]
    else:
        target[last] = path_and_value[1]
    return data


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ((["tasks", 1, "cpu"], 2000), "tasks[1].cpu: 2000 is outside 0-1024 cores"),
        ((["tasks", 0, "cpu"], -0.01), "tasks[0].cpu: -0.01 is outside 0-1024 cores"),
        ((["tasks", 0, "duration_s"], -5), "tasks[0].duration_s: -5 is outside 0.001-3.1536e+07 s"),
        ((["tasks", 0, "duration_s"], 1e-310), "tasks[0].duration_s: 1e-310 is outside 0.001-3.1536e+07 s"),
        ((["tasks", 0, "arrival_s"], 10**400), "tasks[0].arrival_s: 100000...(401 digits) is outside 0-3.1536e+07 s"),
        ((["tasks", 0, "tpu"], 1), "tasks[0]: unknown resource or field 'tpu'"),
        ((["nodes", 0, "fpga"], 2), "nodes[0]: unknown resource or field 'fpga'"),
        ((["domain"], "mars"), 'domain: "mars" is not one of cloud, edge, network, binpacking'),
        ((["tasks", 0, "cpu"], "2"), 'tasks[0].cpu: must be a number, got "2"'),
        ((["nodes"], {}), "nodes: must be an array"),
        ((["tasks", 0, "memory_gib"], KeyError), "tasks[0]: missing required field 'memory_gib'"),
        ((["tasks", 0, "deadline_s"], -1), "tasks[0].deadline_s: -1 is outside 0.001-3.1536e+07 s"),
        ((["tasks", 0, "priority"], 1.5), "tasks[0].priority: must be an integer, got 1.5"),
        ((["nodes", 0, "peak_watts"], 10), "nodes[0].peak_watts: 10 is below idle_watts 60"),
        ((["objective"], {"latency": 0, "utilization": 0, "cost": 0, "energy": 0, "sla": 0, "failure": 0,
                          "makespan": 0, "fairness": 0}), "objective: at least one weight must be positive"),
        ((["objective", "speed"], 1), "objective: unknown field 'speed'"),
        ((["tasks"], []), "tasks: 0 items, allowed min 1"),
        ((["format"], "other"), 'format: must be "aurora-evo/scenario"'),
        ((["version"], KeyError), "(top level): missing required field 'version'"),
    ],
)  # fmt: skip
def test_bad_fields_give_one_line_naming_file_field_and_rule(tmp_path, change, expected):
    path = write(tmp_path, mutate(change))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert expected in message, message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"format": "aurora-evo/scenario",, }', "invalid JSON at line 1 column 34"),
        ("[1, 2]", "must be a JSON object, got list"),
        ('{"a": NaN}', "invalid JSON: NaN is not allowed"),
        ("", "invalid JSON at line 1 column 1"),
        ('{"a": 1e400}', "invalid JSON: 1e400 is too large for a number"),
        ('{"a": 1, "a": 2}', "invalid JSON: key 'a' appears twice in one object"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_malformed_json_is_one_line(tmp_path, text, expected):
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, text))
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.json")
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)


def test_dict_source_name_is_used():
    with pytest.raises(ScenarioError, match=r"^inline: domain"):
        scenario_from_dict(mutate((["domain"], "x")), source="inline")


def test_every_schema_field_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "scenario-format.md").read_text()
    schema = scenario_schema()
    fields = set(schema["properties"])
    fields |= set(schema["properties"]["nodes"]["items"]["properties"])
    fields |= set(schema["properties"]["tasks"]["items"]["properties"])
    fields |= set(schema["properties"]["objective"]["properties"])
    assert not {f for f in fields if f"`{f}`" not in doc}
