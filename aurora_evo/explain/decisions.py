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


class ScenarioRun:
    """``source`` run once on ``scenario`` through the simulator; its decisions rebuilt on demand.

    Raises:
        InputError: the program fails on the scenario.
    """

    def __init__(self, source: str, scenario):
        from aurora_evo.sim.simulate import simulate  # heavy: numba

        result = simulate(scenario, compile_program(source, Contract.ALLOCATION))
        if not result.ok:
            raise InputError(f"the program fails on scenario {scenario.name}: {result.message}")
        self.scenario, self.placement, self.count = scenario, result.placement, result.decisions

    def decisions(self, tasks: Sequence[int] | None = None, *, limit: int | None = None) -> list[Decision]:
        """The placement decisions, in decision order: those of the task indices ``tasks``, or
        ``limit`` of them evenly spread (:func:`spread`), or every one. Only those asked for are
        rebuilt (each holds a copy of every node's row).

        Raises:
            InputError: a task asked for was never placed.
        """
        from aurora_evo.sim.simulate import decision_states  # heavy: numba

        scenario = self.scenario
        if tasks is not None:
            steps = _steps_of(scenario, self.placement, tasks)
        else:
            steps = spread(self.count, self.count if limit is None else limit)
        states = decision_states(scenario, self.placement.node, np.array(steps, dtype=np.int64))
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


def scenario_decisions(
    source: str, scenario, tasks: Sequence[int] | None = None, *, limit: int | None = None
) -> list[Decision]:
    """:meth:`ScenarioRun.decisions` of one run of ``source`` on ``scenario``."""
    return ScenarioRun(source, scenario).decisions(tasks, limit=limit)


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


class PackingRun:
    """``source`` packing a one-dimensional bin-packing ``instance`` once; its decisions rebuilt on
    demand.

    Raises:
        InputError: the program fails on the instance.
    """

    def __init__(self, source: str, instance):
        from aurora_evo.domains.binpacking.evaluate import pack  # heavy: numba

        packed = pack(compile_program(source, Contract.BINPACKING), instance)
        if packed.assignment is None:
            raise InputError(f"the program fails on instance {instance.name}: {packed.message}")
        self.instance, self.assignment = instance, packed.assignment

    def decisions(self, items: Sequence[int] | None = None) -> list[Decision]:
        """Every item's decision, or those of the item positions ``items``, in packing order.

        Raises:
            InputError: an item position is out of range.
        """
        from aurora_evo.domains.binpacking.evaluate import decision_states  # heavy: numba

        instance = self.instance
        count = len(instance.items)
        steps = list(range(count)) if items is None else sorted(set(items))
        if any(not 0 <= step < count for step in steps):
            raise InputError(f"instance {instance.name} has items 0 to {count - 1}")
        return [
            Decision(
                f"item {state.step} (size {float(state.item):g})",
                state.item,
                state.bins,
                state.valid,
                np.ones(len(state.valid), dtype=bool),
                "bin",
            )
            for state in decision_states(instance, self.assignment, steps)
        ]


def packing_decisions(source: str, instance, items: Sequence[int] | None = None) -> list[Decision]:
    """:meth:`PackingRun.decisions` of one packing of ``instance`` by ``source``."""
    return PackingRun(source, instance).decisions(items)
