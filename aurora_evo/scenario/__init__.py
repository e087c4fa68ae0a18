"""Scenarios: the frozen model, its JSON format and JSON Schema, and the generators."""

from aurora_evo.scenario.generate import benchmark_scenario, generate_scenario
from aurora_evo.scenario.io import (
    ScenarioError,
    load_scenario,
    save_scenario,
    scenario_from_dict,
    scenario_schema,
    scenario_to_dict,
)
from aurora_evo.scenario.model import DEFAULT_WEIGHTS, OBJECTIVES, Domain, Nodes, Scenario, Tasks
from aurora_evo.scenario.params import GeneratorParams, domain_params
from aurora_evo.scenario.traces import load_trace_stats

__all__ = [
    "DEFAULT_WEIGHTS",
    "OBJECTIVES",
    "Domain",
    "GeneratorParams",
    "Nodes",
    "Scenario",
    "ScenarioError",
    "Tasks",
    "benchmark_scenario",
    "domain_params",
    "generate_scenario",
    "load_scenario",
    "load_trace_stats",
    "save_scenario",
    "scenario_from_dict",
    "scenario_schema",
    "scenario_to_dict",
]
