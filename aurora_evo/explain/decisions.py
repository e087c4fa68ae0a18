"""The decisions a program makes on a scenario (allocation) or a bin-packing instance, as it saw them.

The program runs once, through the simulator or the packer (in this process: vetted programs only);
the arguments of the decisions wanted are then rebuilt from its placement by the same replay the
sandbox's witness uses, so every float is the one the program was shown.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aurora_evo import features
from aurora_evo.contracts import Contract
from aurora_evo.errors import InputError
from aurora_evo.explain.decision import Decision
from aurora_evo.program_loading import compile_program


def spread(count: int, limit: int) -> list[int]:
    """Up to ``limit`` of the positions ``0 .. count - 1``, evenly spread, the first and last included."""
    return sorted({int(i) for i in np.linspace(0, count - 1, min(limit, count))}) if count > 0 else []


def scenario_decisions(
    source: str, scenario, tasks: Sequence[int] | None = None, *, limit: int | None = None
) -> list[Decision]:
    """The program's placement decisions on ``scenario``, in decision order: those of the task indices
    ``tasks``, or ``limit`` of them evenly spread (:func:`spread`), or every one. Only those asked for
    are rebuilt (each holds a copy of every node's row).

    Raises:
        InputError: the program fails on the scenario, or a task asked for was never placed.
    """
    from aurora_evo.sim.simulate import decision_states, simulate  # heavy: numba

    result = simulate(scenario, compile_program(source, Contract.ALLOCATION))
    if not result.ok:
        raise InputError(f"the program fails on scenario {scenario.name}: {result.message}")
    if tasks is not None:
        steps = _steps_of(scenario, result.placement, tasks)
    else:
        steps = spread(result.decisions, result.decisions if limit is None else limit)
    states = decision_states(scenario, result.placement.node, np.array(steps, dtype=np.int64))
    # The simulator's own placement always replays, and the replay shows each task asked for.
    asked = None if tasks is None else sorted(set(tasks))
    assert states is not None and (asked is None or sorted(states.task) == asked), "replay mismatch"
    nodes = np.arange(len(scenario.nodes))
    return [
        Decision(
            f"task {int(states.task[step])}",
            states.task_row[step],
            states.node_feat[step],
            nodes,
            states.node_feat[step][:, features.N_FITS] > 0.5,
            "node",
        )
        for step in range(len(steps))
    ]


def _steps_of(scenario, placement, tasks: Sequence[int]) -> list[int]:
    """The decision numbers of ``tasks``, sorted, each once. Decisions come in order of start time,
    and at one time in the queue's order, which is the order of arrival
    (:func:`~aurora_evo.sim.simulate.sim_arrays`)."""
    from aurora_evo.sim.simulate import sim_arrays  # heavy: numba

    node = placement.node
    for task in tasks:
        if not 0 <= task < len(node) or node[task] < 0:
            raise InputError(
                f"task {task} of scenario {scenario.name} was never placed (rejected, or no such task)"
            )
    _, order = sim_arrays(scenario)
    arrival = np.empty(len(order), dtype=np.int64)
    arrival[order] = np.arange(len(order))
    placed = np.flatnonzero(node >= 0)
    by_decision = placed[np.lexsort((arrival[placed], placement.start[placed]))]
    step_of = {int(task): step for step, task in enumerate(by_decision)}
    return sorted({step_of[task] for task in tasks})


def packing_decisions(source: str, instance, items: Sequence[int] | None = None) -> list[Decision]:
    """The program's decisions packing ``instance`` (a one-dimensional bin-packing instance): every
    item's, or those of the item positions ``items``.

    Raises:
        InputError: the program fails on the instance, or an item position is out of range.
    """
    from aurora_evo.domains.binpacking.evaluate import decision_states, pack  # heavy: numba

    count = len(instance.items)
    steps = list(range(count)) if items is None else sorted(set(items))
    if any(not 0 <= step < count for step in steps):
        raise InputError(f"instance {instance.name} has items 0 to {count - 1}")
    packed = pack(compile_program(source, Contract.BINPACKING), instance)
    if packed.assignment is None:
        raise InputError(f"the program fails on instance {instance.name}: {packed.message}")
    return [
        Decision(
            f"item {state.step} (size {float(state.item):g})",
            state.item,
            state.bins,
            state.valid,
            np.ones(len(state.valid), dtype=bool),
            "bin",
        )
        for state in decision_states(instance, packed.assignment, steps)
    ]
