"""The warm-up of numba before jails are forked: the simulator's and the packer's kernels, and numba's
versions of common numpy functions, compiled once in the process that forks the jails (the supervisor,
and the witness zygote when a program first needs numba), so that no jail has to compile them: a jail
cannot write numba's cache, and a first use costs up to seconds.

Importing this module does not import numba (the sandbox's supervisor imports it before installing
:mod:`~aurora_evo.sandbox.numba_guard`); the warm-up functions do.
"""

from __future__ import annotations

import numpy as np

# Programs compiled once here so that every jail, forked from this process, finds numba's
# implementations of these numpy functions already compiled (a first use costs up to seconds).
_WARM_UP_ALLOCATION = """
import numpy as np
import math
def priority(task, nodes):
    free = nodes[:, 1]
    cap = np.maximum(nodes[:, 5], 1e-9)
    spare = (free - task[1]) / cap
    x = np.where(nodes[:, 16] > 0.5, -spare, 0.0) + np.minimum(spare, 1.0) * np.abs(spare)
    x = x + np.exp(-spare) + np.log1p(np.abs(spare)) + np.sqrt(np.abs(spare)) + np.tanh(spare)
    x = x + np.clip(spare, -1.0, 1.0) + np.floor(spare) + np.ceil(spare) + np.power(spare, 2)
    x = x + np.mean(spare) + np.max(spare) + np.min(spare) + np.sum(spare) + np.std(spare)
    x = x + np.argsort(spare) + np.sort(spare) + math.sqrt(abs(task[2])) + np.cumsum(spare) * 0.0
    return x + np.zeros(nodes.shape[0]) + np.ones(nodes.shape[0]) * np.argmax(spare)
"""
_WARM_UP_BINPACKING = """
import numpy as np
def priority(item, bins):
    x = -(bins - item) + np.where(bins - item < 1.0, 1.0, 0.0) + np.exp(-np.abs(bins - item))
    return x + np.log1p(bins) + np.sqrt(bins) + np.maximum(bins, item) + np.minimum(bins, item) ** 2
"""


def warm_up_kernels() -> None:
    """Import and compile the simulator's and the packer's kernels before any jail is forked: a jail
    cannot write numba's cache, so it must not have to compile them."""
    _run_warm_up_programs(
        [("def priority(task, nodes):\n    return nodes[:, 1] * 1.0\n", False)],
        [("def priority(item, bins):\n    return -(bins - item)\n", False)],
    )


def warm_up_numpy_functions() -> None:
    """Compile numba's implementations of common numpy functions, with and without index checks: seconds
    once, saved in every jail forked afterwards that compiles a program (the supervisor does it before
    forking the first such jail)."""
    _run_warm_up_programs(
        [(_WARM_UP_ALLOCATION, False), (_WARM_UP_ALLOCATION, True)],
        [(_WARM_UP_BINPACKING, False), (_WARM_UP_BINPACKING, True)],
    )


def _run_warm_up_programs(programs: list[tuple[str, bool]], packers: list[tuple[str, bool]]) -> None:
    """Compile each ``(source, boundscheck)`` and run it on a tiny scenario (allocation ``programs``,
    compiled and on the numpy path) or dataset (bin-packing ``packers``)."""
    # order: the simulator imports numba, which the supervisor imports only once numba_guard is installed
    from aurora_evo.contracts import Contract
    from aurora_evo.domains.binpacking import Dataset, Instance, evaluate
    from aurora_evo.evaluation import compile_outcome
    from aurora_evo.scenario.model import Domain, Nodes, Scenario, Tasks
    from aurora_evo.sim import simulate

    nodes = Nodes(
        ("a", "b"), [[4, 8, 0, 0], [2, 4, 0, 0]], [1, 1], [10, 10], [20, 20], [0, 0], [0, 0], ("z",)
    )
    tasks = Tasks([0.0, 1.0], [5.0, 5.0], [[1, 1, 0, 0], [4, 4, 0, 0]], [0, 0], [1e9, 1e9], [0, 0], ("o",))
    scenario = Scenario("warm-up", Domain.CLOUD, nodes, tasks)
    dataset = Dataset("warm-up", (Instance("a", 10.0, np.array([6.0, 5.0, 3.0])),), "warm-up")
    for source, boundscheck in programs:
        program = compile_outcome(source, Contract.ALLOCATION, boundscheck=boundscheck)
        simulate(scenario, program)
        simulate(scenario, program, use_jit=False)
    for source, boundscheck in packers:
        evaluate(compile_outcome(source, Contract.BINPACKING, boundscheck=boundscheck), dataset)
