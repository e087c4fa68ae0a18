"""The witness host: a witness answering the calls of a simulation the client runs is timed on its own
work, not on the client's between its calls."""

from __future__ import annotations

import time

import pytest

from aurora_evo.domains.allocation.problem import AllocationProblem
from aurora_evo.outcome import Outcome
from aurora_evo.sandbox import Sandbox, SandboxConfig
from aurora_evo.seeds import seed_program_paths, seed_scenarios

TIMEOUT_S = 1.0
ENDLESS = "def priority(task, nodes):\n    x = 0\n    while True:\n        x += 1\n"


class SlowSimulation(AllocationProblem):
    """The allocation problem, its simulation (in the client) taking longer than the sandbox's timeout,
    as the first simulation in a fresh process can (importing, compiling) on a loaded machine."""

    def run_program(self, program, cases):
        time.sleep(1.5 * TIMEOUT_S)
        return super().run_program(program, cases)


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(SandboxConfig(timeout_s=TIMEOUT_S, full_warm_up=False)) as started:
        yield started


def test_the_clients_simulation_time_is_not_the_programs(sandbox):
    source = seed_program_paths()["best_fit"].read_text()
    cases = seed_scenarios("easy")[:1]
    assert sum(len(case.tasks) for case in cases) <= sandbox.config.simulate_here_max_tasks
    result = sandbox.evaluate(SlowSimulation(), source, cases)
    assert result.outcome is Outcome.OK, result.message
    assert result.as_dict() == AllocationProblem().evaluate(source, cases).as_dict()


def test_a_program_that_does_not_answer_still_times_out(sandbox):
    result = sandbox.evaluate(SlowSimulation(), ENDLESS, seed_scenarios("easy")[:1])
    assert result.outcome is Outcome.TIMEOUT
    assert result.message == f"no result within {TIMEOUT_S:g} s (killed)"
