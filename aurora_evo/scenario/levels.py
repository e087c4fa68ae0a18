"""Difficulty levels of scenarios, in one place: what size and pressure each level means.

The curriculum climbs easy -> medium -> hard -> expert -> beyond. A level bounds a scenario's task
count, node count, offered load (demand over capacity while tasks arrive, see
:func:`aurora_evo.scenario.generate.offered_load`) and the share of tasks with a deadline. The ranges
enclose the shipped seed scenarios of each level (easy: 5 tasks on 3 nodes; medium: 20 on 10; hard: 250
on 25; expert: 1,000 on 100) with room to vary; ``beyond`` is the issue's "500+ tasks, 100+ nodes".

A replayed window of a real trace is not drawn to fit a level: the trace decides its tasks and deadlines,
the replay its nodes, and the load follows. Its level is :func:`trace_level_of`: the hardest level whose
minimum task count, node count and load it reaches (:func:`trace_minimums`; easy asks none), whatever
the maxima (a 10,000-task window of Google 2011 is past every level's maximum) and whatever the
deadline share.
"""

from __future__ import annotations

from dataclasses import dataclass

from aurora_evo.errors import InputError


@dataclass(frozen=True)
class Level:
    """What a difficulty level allows (closed ranges).

    Attributes:
        name: ``easy``, ``medium``, ``hard``, ``expert`` or ``beyond``.
        tasks: (min, max) number of tasks.
        nodes: (min, max) number of nodes.
        load: (min, max) offered load.
        deadline_share: (min, max) share of tasks with a deadline.
    """

    name: str
    tasks: tuple[int, int]
    nodes: tuple[int, int]
    load: tuple[float, float]
    deadline_share: tuple[float, float]

    @property
    def rank(self) -> int:
        return LEVEL_NAMES.index(self.name)


LEVELS: dict[str, Level] = {
    level.name: level
    for level in (
        Level("easy", (3, 12), (2, 5), (0.2, 0.7), (0.0, 0.7)),
        Level("medium", (12, 60), (5, 16), (0.5, 0.85), (0.0, 0.6)),
        Level("hard", (60, 400), (16, 50), (0.8, 1.1), (0.2, 0.6)),
        Level("expert", (400, 1500), (50, 150), (0.95, 1.25), (0.3, 0.7)),
        Level("beyond", (500, 5000), (100, 500), (1.0, 1.5), (0.3, 0.8)),
    )
}

#: Level names from easiest to hardest: the curriculum's order.
LEVEL_NAMES: tuple[str, ...] = tuple(LEVELS)


def level(name: str) -> Level:
    """The level called ``name``.

    Raises:
        InputError: one line naming the levels, when there is no such level.
    """
    if name not in LEVELS:
        raise InputError(f"no level {name!r}; levels are {', '.join(LEVEL_NAMES)}")
    return LEVELS[name]


def next_level(name: str) -> str | None:
    """The level after ``name`` in the curriculum, or ``None`` after the last."""
    index = LEVEL_NAMES.index(name)
    return LEVEL_NAMES[index + 1] if index + 1 < len(LEVEL_NAMES) else None


def trace_minimums(name: str) -> dict[str, float]:
    """What a replayed trace window needs to reach level ``name``: its minimum ``tasks``, ``nodes`` and
    ``load`` (offered within the window). Easy asks none (1 task, 1 node, load 0): it is the floor every
    real window stands on. The trace decides the tasks and the replay the nodes, and real windows come
    light and small: the replay holds a Parallel Workloads Archive machine as one node and sizes a light
    window of the Alibaba GPU 2025 or Azure LLM 2023 trace to one node, and more than a quarter of the
    30-minute windows of the NASA iPSC/860 log hold one or two jobs.

    Raises:
        InputError: one line naming the levels, when there is no such level.
    """
    spec = level(name)
    if spec.rank == 0:
        return {"tasks": 1, "nodes": 1, "load": 0.0}
    return {"tasks": spec.tasks[0], "nodes": spec.nodes[0], "load": spec.load[0]}


def trace_level_of(tasks: int, nodes: int, load: float) -> str | None:
    """The level of a replayed trace window with ``tasks`` tasks on ``nodes`` nodes offering ``load``
    within the window: the hardest level whose :func:`trace_minimums` it reaches (they rise with the
    level, so it reaches every easier level's too); ``None`` only with no task, no node or a NaN load."""
    reached = None
    for name in LEVEL_NAMES:
        low = trace_minimums(name)
        if not (tasks >= low["tasks"] and nodes >= low["nodes"] and load >= low["load"] - 1e-9):
            break
        reached = name
    return reached
