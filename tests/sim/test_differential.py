"""The numba simulator (both paths) against the plain-Python reference, on generated scenarios."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aurora_evo.contracts import Contract
from aurora_evo.program_loading import compile_program
from aurora_evo.sim import simulate
from aurora_evo.sim.reference import reference_simulate

# Programs that read many features (wait, clock, running, latency, price...), beyond the seeds.
EXTRA_PROGRAMS = {
    "mixed": """
import numpy as np
def priority(task, nodes):
    spare = nodes[:, N_CPU_FREE] - task[T_CPU] + 0.5 * (nodes[:, N_MEM_FREE] - task[T_MEM])
    return -spare + 0.1 * nodes[:, N_RUNNING] - 0.01 * nodes[:, N_PRICE] * task[T_WAIT]
""",
    "latency_aware": """
import numpy as np
def priority(task, nodes):
    return -nodes[:, N_LATENCY] + 0.001 * task[T_NOW] * nodes[:, N_ZONE] - nodes[:, N_PEAK_W] / 1000.0
""",
    "busy_aware": """
import numpy as np
def priority(task, nodes):
    # the seconds a node's powered-on time grows by: reads when its last running task ends
    extends = np.maximum(task[T_DURATION] - np.maximum(nodes[:, N_BUSY_UNTIL] - task[T_NOW], 0.0), 0.0)
    return -extends - 0.01 * nodes[:, N_CPU_FREE]
""",
    "numpy_only": """
import numpy as np
def priority(task, nodes):
    # numba cannot compile ndarray.tolist(), so this one runs on the numpy path
    rows = nodes.tolist()
    return np.array([2.0 * row[N_GPU_FREE] - row[N_PLACED] for row in rows])
""",
}


@pytest.fixture(scope="module")
def programs(seed_programs):
    extra = {name: compile_program(src, Contract.ALLOCATION) for name, src in EXTRA_PROGRAMS.items()}
    assert not extra["numpy_only"].compiled and extra["mixed"].compiled
    return [p for _, p in sorted((seed_programs | extra).items())]


@st.composite
def scenarios(draw, make_scenario):
    n_nodes = draw(st.integers(1, 6))
    n_tasks = draw(st.integers(1, 25))
    # Small value sets make simultaneous events, exact fits, zero capacities and tasks that never fit common.
    capacity = draw(st.lists(st.lists(st.sampled_from([0.0, 1.0, 2.0, 4.0, 8.0]), min_size=4, max_size=4),
                             min_size=n_nodes, max_size=n_nodes))  # fmt: skip
    demand = draw(st.lists(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 9.0]), min_size=4, max_size=4),
                           min_size=n_tasks, max_size=n_tasks))  # fmt: skip
    arrival = draw(
        st.lists(st.sampled_from([0.0, 1.0, 2.0, 2.5, 3.0, 7.0]), min_size=n_tasks, max_size=n_tasks)
    )
    duration = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0, 4.5]), min_size=n_tasks, max_size=n_tasks))
    deadline = draw(st.lists(st.sampled_from([1.0, 3.0, 1e9]), min_size=n_tasks, max_size=n_tasks))
    owner = draw(st.lists(st.integers(0, 2), min_size=n_tasks, max_size=n_tasks))
    floats = st.floats(0.0, 10.0, allow_nan=False)
    return make_scenario(
        capacity,
        demand,
        arrival,
        duration,
        deadline=deadline,
        owner=owner,
        timeout=draw(st.sampled_from([None, 0.5, 1.0, 3.0])),
        sleep=draw(st.booleans()),
        price=draw(st.lists(floats, min_size=n_nodes, max_size=n_nodes)),
        idle=draw(st.lists(st.floats(0.0, 100.0), min_size=n_nodes, max_size=n_nodes)),
        peak=draw(st.lists(st.floats(100.0, 300.0), min_size=n_nodes, max_size=n_nodes)),
        latency=draw(st.lists(floats, min_size=n_nodes, max_size=n_nodes)),
    )


def _assert_same(fast, ref):
    assert fast.ok, fast.message
    assert fast.placement.node.tolist() == ref.node
    np.testing.assert_array_equal(fast.placement.start, np.array(ref.start))
    np.testing.assert_array_equal(fast.placement.reject_time, np.array(ref.reject_time))
    got = fast.metrics.as_dict()
    for key, want in ref.metrics.items():
        if key == "scores":
            for term, value in want.items():
                assert math.isclose(got[key][term], value, rel_tol=1e-9, abs_tol=1e-12), (
                    term,
                    got[key][term],
                    value,
                )
        else:
            assert math.isclose(got[key], want, rel_tol=1e-9, abs_tol=1e-12), (key, got[key], want)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_numba_and_numpy_paths_match_the_reference(data, programs, make_scenario):
    scenario = data.draw(scenarios(make_scenario))
    program = data.draw(st.sampled_from(programs))
    ref = reference_simulate(scenario, program.python)
    _assert_same(simulate(scenario, program), ref)
    _assert_same(simulate(scenario, program, use_jit=False), ref)


def test_differential_sees_the_hard_cases(programs, make_scenario):
    """A fixed case with every hazard at once: simultaneous arrivals and departures, a task larger than
    every node, a zero-capacity resource, a queue timeout and an exact fit."""
    scenario = make_scenario(
        capacity=[[2, 4, 0, 0], [1, 1, 0, 0]],
        demand=[[2, 4, 0, 0], [1, 1, 0, 0], [9, 1, 0, 0], [2, 1, 0, 0], [1, 1, 1, 0], [1, 1, 0, 0]],
        arrival=[0, 0, 0, 1, 1, 1],
        duration=[1, 1, 1, 1, 1, 5],
        timeout=0.5,
    )
    for program in programs:
        ref = reference_simulate(scenario, program.python)
        _assert_same(simulate(scenario, program), ref)
        # Task 2 (9 cores) and 4 (a gpu nobody has) never fit; they are rejected on arrival.
        assert ref.node[2] == -1 and ref.reject_time[2] == 0.0
        assert ref.node[4] == -1 and ref.reject_time[4] == 1.0
