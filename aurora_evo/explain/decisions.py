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


def scenario_decisions(source: str, scenario, tasks: Sequence[int] | None = None) -> list[Decision]:
    """The program's placement decisions on ``scenario`` (every one, or those of the task indices
    ``tasks``, in decision order).

    Raises:
        InputError: the program fails on the scenario, or a task asked for was never placed.
    """
    from aurora_evo.sim.simulate import decision_states, simulate  # heavy: numba

    result = simulate(scenario, compile_program(source, Contract.ALLOCATION))
    if not result.ok:
        raise InputError(f"the program fails on scenario {scenario.name}: {result.message}")
    steps = np.arange(result.decisions)
    states = decision_states(scenario, result.placement.node, steps)
    if states is None:  # the simulator's own placement always replays
        raise InputError(f"scenario {scenario.name}: the placement could not be replayed")
    wanted = range(len(steps)) if tasks is None else _steps_of(states.task, tasks, scenario.name)
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
        for step in wanted
    ]


def _steps_of(placed: np.ndarray, tasks: Sequence[int], name: str) -> list[int]:
    steps = []
    for task in tasks:
        found = np.flatnonzero(placed == task)
        if found.size == 0:
            raise InputError(f"task {task} of scenario {name} was never placed (rejected, or no such task)")
        steps.append(int(found[0]))
    return steps


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
