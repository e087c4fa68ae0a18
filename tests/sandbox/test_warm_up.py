"""What jails and witnesses find loaded before they are confined: the supervisor's full warm-up (numba's
versions of common numpy functions) before the first evaluation that compiles a program, and in the
witness zygote what numpy and Python load on first use."""

from __future__ import annotations

import dataclasses

import pytest

from aurora_evo.domains import get_problem
from aurora_evo.sandbox import Sandbox, SandboxConfig
from aurora_evo.seeds import seed_scenarios

ALLOCATION = get_problem("allocation")

USES_WARMED_FUNCTIONS = """
import numpy as np


def priority(task, nodes):
    spare = (nodes[:, 1] - task[1]) / np.maximum(nodes[:, 5], 1e-9)
    return -np.exp(spare) + np.tanh(spare) - np.sqrt(np.abs(spare))
"""


@pytest.mark.slow
def test_compiled_evaluations_after_numpy_path_ones_decide_as_they_do():
    scenarios = seed_scenarios("medium")[:1]  # 20 tasks: an evaluation jail, not the client, simulates
    with Sandbox(SandboxConfig(jit="never")) as sandbox:  # the full warm-up is the default
        plain = sandbox.evaluate(ALLOCATION, USES_WARMED_FUNCTIONS, scenarios)
        sandbox.config = dataclasses.replace(sandbox.config, jit="always")
        # The first warms the supervisor up before its jail is forked; the second's jail inherits it.
        compiled = [sandbox.evaluate(ALLOCATION, USES_WARMED_FUNCTIONS, scenarios) for _ in range(2)]
    assert plain.outcome.ok, plain.message
    for result in compiled:
        assert result.outcome.ok, result.message
        assert result.per_case == plain.per_case


USES_LAZY_NUMPY = """
import numpy as np


def priority(task, nodes):
    return nodes[:, 1] + 0.0 * np.real(np.fft.fft(nodes[:, 1]))
"""


@pytest.mark.parametrize("tasks", ["small", "large"])
def test_a_numpy_submodule_loaded_on_first_use_works_in_witnesses_as_in_jails(tasks):
    # np.fft is one the screen allows; numpy loads it on first use, and a confined witness cannot.
    # easy: 5 tasks, simulated by the client with a witness answering; medium: 20, an evaluation jail.
    scenarios = seed_scenarios("easy" if tasks == "small" else "medium")[:1]
    with Sandbox(SandboxConfig(full_warm_up=False)) as sandbox:
        result = sandbox.evaluate(ALLOCATION, USES_LAZY_NUMPY, scenarios)
    assert result.outcome.ok, result.message
