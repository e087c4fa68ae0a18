"""Reading and writing scenario JSON files, validated against the shipped JSON Schema.

Every problem with a file becomes one :class:`ScenarioError` line naming the file, the field and the
rule broken; see ``docs/scenario-format.md`` for the format.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from aurora_evo import textfiles
from aurora_evo.errors import InputError
from aurora_evo.features import NO_DEADLINE
from aurora_evo.scenario.model import Domain, Nodes, Scenario, Tasks

FORMAT = "aurora-evo/scenario"
VERSION = 1

# JSON field of each resource column, in the order of features.RESOURCES.
_RESOURCE_FIELDS = ("cpu", "memory_gib", "gpu", "network_gbps")


class ScenarioError(InputError):
    """A scenario file or dict that cannot be loaded; the message is one line."""


@cache
def scenario_schema() -> dict:
    """The JSON Schema (draft 2020-12) of the scenario format, as shipped in the package."""
    text = resources.files("aurora_evo.scenario").joinpath("scenario.schema.json").read_text("utf-8")
    return json.loads(text)


@cache
def _validator():
    from jsonschema.validators import validator_for

    schema = scenario_schema()
    return validator_for(schema)(schema)


def _field_path(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _format_number(value: float) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**16:
        return f"{str(value)[:6]}...({len(str(value))} digits)"  # too large for a float
    return f"{value:g}"


def _range_text(schema: Mapping) -> str:
    unit = schema.get("x-unit", "")
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum")
    return f"{_format_number(low)}-{_format_number(high)}" + (f" {unit}" if unit else "")


def _describe(error) -> str:
    """Turn one jsonschema error into 'field: rule' text."""
    where = _field_path(error.absolute_path)
    kind, value, schema = error.validator, error.instance, error.schema
    if kind == "anyOf":  # "null or a number in range": report the number's own rule
        numeric = [e for e in error.context if e.validator != "type"]
        if numeric and isinstance(value, int | float) and not isinstance(value, bool):
            return _describe(numeric[0])
        return f"{where}: must be null or a number, got {json.dumps(value)[:40]}"
    if kind in ("minimum", "maximum"):
        return f"{where}: {_format_number(value)} is outside {_range_text(schema)}"
    if kind == "exclusiveMinimum":
        unit = schema.get("x-unit", "")
        return (
            f"{where}: {_format_number(value)} must be greater than {_format_number(error.validator_value)}"
            + (f" {unit}" if unit else "")
        )
    if kind == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        article = "an" if expected[0] in "aeiou" else "a"
        return f"{where}: must be {article} {expected}, got {json.dumps(value)[:40]}"
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{where}: missing required field '{missing}'"
    if kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed)) if isinstance(value, dict) else []
        name = extra[0] if extra else "?"
        noun = "resource or field" if where.split("[")[0] in ("nodes", "tasks") else "field"
        return f"{where}: unknown {noun} '{name}' (allowed: {', '.join(allowed)})"
    if kind == "enum":
        options = ", ".join(str(v) for v in error.validator_value if v is not None)
        return f"{where}: {json.dumps(value)[:40]} is not one of {options}"
    if kind == "const":
        return f"{where}: must be {json.dumps(error.validator_value)}"
    if kind in ("minItems", "maxItems"):
        return f"{where}: {len(value)} items, allowed {kind.removesuffix('Items')} {error.validator_value}"
    return f"{where}: {error.message[:160]}"


def read_json(path: Path) -> object:
    """Read a JSON file; any failure becomes a one-line :class:`ScenarioError`."""
    return textfiles.read_json(path, ScenarioError)


def scenario_from_dict(data: object, source: str = "<scenario>", schema_checked: bool = False) -> Scenario:
    """Validate a decoded JSON document and build the :class:`Scenario`.

    ``schema_checked``: the document is known to pass the JSON Schema (the package's shipped suites,
    which a test checks against it), so only the model's own checks run; the schema's check of tens of
    thousands of tasks takes seconds.

    Raises:
        ScenarioError: one line, ``"{source}: {field}: {rule}"``.
    """
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: (top level): must be a JSON object, got {type(data).__name__}")
    if not schema_checked:
        _check_schema(data, source)
    for i, node in enumerate(data["nodes"]):
        idle, peak = node.get("idle_watts", 0.0), node.get("peak_watts", node.get("idle_watts", 0.0))
        if peak < idle:
            peak_text, idle_text = _format_number(peak), _format_number(idle)
            raise ScenarioError(
                f"{source}: nodes[{i}].peak_watts: {peak_text} is below idle_watts {idle_text}"
            )
    try:
        return _build(data)
    except ValueError as exc:  # a rule the schema cannot state, checked by the model
        raise ScenarioError(f"{source}: {exc}") from None


def _check_schema(data: dict, source: str) -> None:
    """The document against the scenario format's JSON Schema; a one-line :class:`ScenarioError`."""
    # heavy: jsonschema takes ~0.2 s to import
    from jsonschema.exceptions import best_match

    try:
        error = best_match(_validator().iter_errors(data))
    except RecursionError:
        raise ScenarioError(f"{source}: nested too deeply") from None
    if error is not None:
        raise ScenarioError(f"{source}: {_describe(error)}")


def _indexed(names: list[str]) -> tuple[tuple[str, ...], np.ndarray]:
    uniques = tuple(dict.fromkeys(names))
    lookup = {name: i for i, name in enumerate(uniques)}
    return uniques, np.array([lookup[name] for name in names], dtype=np.int64)


def _build(data: dict) -> Scenario:
    raw_nodes, raw_tasks = data["nodes"], data["tasks"]
    zones, zone = _indexed([n.get("zone", "default") for n in raw_nodes])
    nodes = Nodes(
        names=tuple(n.get("name", f"node-{i}") for i, n in enumerate(raw_nodes)),
        capacity=[[n.get(f, 0.0) for f in _RESOURCE_FIELDS] for n in raw_nodes],
        price_per_hour=[n.get("price_per_hour", 0.0) for n in raw_nodes],
        idle_watts=[n.get("idle_watts", 0.0) for n in raw_nodes],
        peak_watts=[n.get("peak_watts", n.get("idle_watts", 0.0)) for n in raw_nodes],
        latency_ms=[n.get("latency_ms", 0.0) for n in raw_nodes],
        zone=zone,
        zones=zones,
    )
    owners, owner = _indexed([t.get("owner", "default") for t in raw_tasks])
    deadline = [t.get("deadline_s") for t in raw_tasks]
    tasks = Tasks(
        arrival=[t["arrival_s"] for t in raw_tasks],
        duration=[t["duration_s"] for t in raw_tasks],
        demand=[[t.get(f, 0.0) for f in _RESOURCE_FIELDS] for t in raw_tasks],
        priority=[t.get("priority", 0) for t in raw_tasks],
        deadline=[NO_DEADLINE if d is None else d for d in deadline],
        owner=owner,
        owners=owners,
    )
    return Scenario(
        name=data["name"],
        domain=Domain(data["domain"]),
        nodes=nodes,
        tasks=tasks,
        objective=data.get("objective", {}),
        queue_timeout_s=data.get("queue_timeout_s"),
        idle_nodes_sleep=data.get("idle_nodes_sleep", True),
        level=data.get("level"),
        description=data.get("description", ""),
        provenance=data.get("provenance", {}),
    )


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario JSON file.

    Raises:
        ScenarioError: missing file, malformed JSON, or a field breaking the schema; one line.
    """
    path = Path(path)
    return scenario_from_dict(read_json(path), source=str(path))


def _clean(value: float) -> float | int:
    value = float(value)  # JSON writes a float by its repr, which reads back exactly
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def scenario_to_dict(scenario: Scenario) -> dict:
    """The JSON document of a scenario (the inverse of :func:`scenario_from_dict`)."""
    nodes, tasks = scenario.nodes, scenario.tasks
    node_rows = []
    for i in range(len(nodes)):
        row = {"name": nodes.names[i]}
        row |= {f: _clean(nodes.capacity[i, r]) for r, f in enumerate(_RESOURCE_FIELDS)}
        row |= {
            "price_per_hour": _clean(nodes.price_per_hour[i]),
            "idle_watts": _clean(nodes.idle_watts[i]),
            "peak_watts": _clean(nodes.peak_watts[i]),
            "zone": nodes.zones[nodes.zone[i]],
            "latency_ms": _clean(nodes.latency_ms[i]),
        }
        node_rows.append(row)
    task_rows = []
    for i in range(len(tasks)):
        row = {"arrival_s": _clean(tasks.arrival[i]), "duration_s": _clean(tasks.duration[i])}
        row |= {
            f: _clean(tasks.demand[i, r])
            for r, f in enumerate(_RESOURCE_FIELDS)
            if r < 2 or tasks.demand[i, r]
        }
        row["priority"] = int(tasks.priority[i])
        deadline = tasks.deadline[i]
        row["deadline_s"] = None if deadline >= NO_DEADLINE or math.isinf(deadline) else _clean(deadline)
        row["owner"] = tasks.owners[tasks.owner[i]]
        task_rows.append(row)
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": scenario.name,
        "domain": scenario.domain.value,
        "level": scenario.level,
        "description": scenario.description,
        "objective": dict(scenario.objective),
        "queue_timeout_s": scenario.queue_timeout_s,
        "idle_nodes_sleep": scenario.idle_nodes_sleep,
        "provenance": dict(scenario.provenance),
        "nodes": node_rows,
        "tasks": task_rows,
    }


def save_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write a scenario as JSON (one task or node per line, so diffs stay readable)."""
    data = scenario_to_dict(scenario)
    path = Path(path)
    head = {k: v for k, v in data.items() if k not in ("nodes", "tasks")}
    lines = [json.dumps(head, indent=1)[:-2] + ","]
    for key in ("nodes", "tasks"):
        rows = ",\n".join("  " + json.dumps(row, separators=(", ", ": ")) for row in data[key])
        lines.append(f' "{key}": [\n{rows}\n ]' + ("," if key == "nodes" else ""))
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
