"""The in-process kernel of the linear policy against the simulator running the policy's program file."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aurora_evo.baselines.linear_policy import TERM_NAMES, TERMS, linear_program_source
from aurora_evo.baselines.linear_sim import simulate_linear
from aurora_evo.contracts import Contract
from aurora_evo.program_loading import compile_program
from aurora_evo.seeds import seed_scenarios
from aurora_evo.sim import simulate


@pytest.fixture(scope="module")
def scenarios():
    """A medium scenario of each domain, and a hard cloud one (250 tasks, 25 nodes)."""
    return [seed_scenarios("medium", domain)[0] for domain in ("cloud", "edge", "network")] + [
        seed_scenarios("hard", "cloud")[0]
    ]


def one_hot(name: str, value: float = 1.0) -> np.ndarray:
    weights = np.zeros(len(TERMS))
    weights[TERM_NAMES.index(name)] = value
    return weights


@settings(max_examples=15, deadline=None)
@given(
    weights=st.lists(st.floats(-1.0, 1.0), min_size=len(TERMS), max_size=len(TERMS)), case=st.integers(0, 3)
)
def test_the_kernel_decides_as_the_program_file_does(weights, case, scenarios):
    scenario = scenarios[case]
    program = compile_program(linear_program_source(weights), Contract.ALLOCATION, jit=False)
    ran = simulate(scenario, program, use_jit=False)
    assert ran.ok, ran.message
    assert simulate_linear(scenario, np.array(weights)) == ran.metrics


def test_the_kernel_matches_the_numba_compiled_program_too(scenarios):
    weights = np.random.default_rng(4).uniform(-1.0, 1.0, len(TERMS))
    program = compile_program(linear_program_source(weights), Contract.ALLOCATION)
    ran = simulate(scenarios[3], program)
    assert ran.compiled and ran.ok
    assert simulate_linear(scenarios[3], weights) == ran.metrics


def test_known_weights_are_known_heuristics(scenarios, seed_programs):
    """All weights 0 is first fit (ties go to the lowest index); -1 on the spare cpu and memory shares is
    the best-fit seed, +1 on them the worst-fit seed: the same sums of the same floats."""
    best_fit = one_hot("cpu_spare", -1.0) + one_hot("mem_spare", -1.0)
    for scenario in scenarios:
        for weights, seed in (
            (np.zeros(len(TERMS)), "first_fit"),
            (best_fit, "best_fit"),
            (-best_fit, "worst_fit"),
        ):
            expected = simulate(scenario, seed_programs[seed], use_jit=False).metrics
            assert simulate_linear(scenario, weights) == expected, (scenario.name, seed)


def test_different_weights_make_different_decisions(scenarios):
    scenario = scenarios[3]
    cheap, dear = (
        simulate_linear(scenario, one_hot("price", -1.0)),
        simulate_linear(scenario, one_hot("price")),
    )
    assert cheap.cost_usd < dear.cost_usd


def test_the_kernel_wants_every_term_s_weight(scenarios):
    with pytest.raises(ValueError, match=f"needs {len(TERMS)} weights"):
        simulate_linear(scenarios[0], np.zeros(3))
