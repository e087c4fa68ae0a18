"""Scenarios and bin-packing datasets as JSON documents, to hand them to the supervisor once each."""

from __future__ import annotations

import hashlib
import json

import numpy as np


def case_to_dict(case) -> tuple[str, dict]:
    """``(kind, document)`` of a :class:`~aurora_evo.scenario.Scenario` or a bin-packing ``Dataset``."""
    from aurora_evo.domains.binpacking import VectorInstance
    from aurora_evo.scenario import Scenario, scenario_to_dict

    if isinstance(case, Scenario):
        return "scenario", scenario_to_dict(case)
    instances = []
    for instance in case.instances:
        if isinstance(instance, VectorInstance):
            shape = {"capacities": instance.capacities.tolist()}
        else:
            shape = {"capacity": float(instance.capacity)}
        instances.append({"name": instance.name, **shape, "items": instance.items.tolist()})
    return "dataset", {"name": case.name, "source": case.source, "instances": instances}


def case_from_dict(kind: str, data: dict):
    """The inverse of :func:`case_to_dict`."""
    from aurora_evo.domains.binpacking import Dataset, Instance, VectorInstance
    from aurora_evo.scenario import scenario_from_dict

    if kind == "scenario":
        return scenario_from_dict(data, source="<sandbox>")
    instances = tuple(
        VectorInstance(i["name"], np.array(i["capacities"]), np.array(i["items"]))
        if "capacities" in i
        else Instance(i["name"], float(i["capacity"]), np.array(i["items"], dtype=np.float64))
        for i in data["instances"]
    )
    return Dataset(data["name"], instances, data["source"])


def case_key(kind: str, document: dict) -> str:
    """A content hash naming a case, so that each is sent to the supervisor once."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return f"{kind}:{hashlib.sha256(text.encode()).hexdigest()[:24]}"


def case_size(case) -> int:
    """How many decisions the jail reports for a case: tasks of a scenario, items of a dataset."""
    from aurora_evo.scenario import Scenario

    if isinstance(case, Scenario):
        return len(case.tasks)
    return sum(len(instance.items) for instance in case.instances)
