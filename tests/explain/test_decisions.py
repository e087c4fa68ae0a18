"""The decisions a program made, rebuilt from its placement: explaining each one finds the node (or bin)
the simulator (or the packer) gave it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aurora_evo.contracts import Contract
from aurora_evo.domains.binpacking.datasets import builtin_datasets
from aurora_evo.domains.binpacking.evaluate import pack
from aurora_evo.errors import InputError
from aurora_evo.explain import TermProgram, explain, packing_decisions, scenario_decisions
from aurora_evo.program_loading import compile_program
from aurora_evo.seeds import seed_scenarios
from aurora_evo.sim import simulate

PROGRAMS = Path(__file__).resolve().parents[2] / "programs"


def test_each_placement_decision_explained_is_the_simulators():
    source = (PROGRAMS / "cloud.py").read_text()
    program = TermProgram(source, Contract.ALLOCATION)
    (scenario,) = seed_scenarios("hard", "cloud")[:1]
    placed = simulate(scenario, compile_program(source, Contract.ALLOCATION)).placement.node
    decisions = scenario_decisions(source, scenario)
    assert len(decisions) == int(np.count_nonzero(placed >= 0))
    for decision in decisions:
        task = int(decision.label.split()[1])
        assert explain(program, decision)[0].chosen == placed[task]
    # One task's decision, found without rebuilding the others: the same as among all of them.
    by_task = {decision.label: decision for decision in decisions}
    for decision in scenario_decisions(source, scenario, [int(d.label.split()[1]) for d in decisions[::7]]):
        assert np.array_equal(decision.second, by_task[decision.label].second)
    assert len(scenario_decisions(source, scenario, limit=10)) == 10


def test_each_packing_decision_explained_is_the_packers():
    source = (PROGRAMS / "binpack_or.py").read_text()
    program = TermProgram(source, Contract.BINPACKING)
    instance = builtin_datasets()["OR3"].instances[0]
    assignment = pack(compile_program(source, Contract.BINPACKING), instance).assignment
    steps = [0, 1, 17, 250, len(instance.items) - 1]
    for step, decision in zip(steps, packing_decisions(source, instance, steps), strict=True):
        assert explain(program, decision)[0].chosen == assignment[step]


def test_a_task_never_placed_and_an_item_out_of_range_are_one_line_errors():
    source = (PROGRAMS / "cloud.py").read_text()
    scenario = seed_scenarios("easy")[0]
    with pytest.raises(InputError, match=r"task 10000 of scenario .* was never placed"):
        scenario_decisions(source, scenario, [10_000])
    instance = builtin_datasets()["OR3"].instances[0]
    with pytest.raises(InputError, match="has items 0 to 499"):
        packing_decisions((PROGRAMS / "binpack_or.py").read_text(), instance, [500])
