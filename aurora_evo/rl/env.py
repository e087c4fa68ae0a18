"""A gymnasium environment over the simulator: one step is one placement decision.

An episode replays one scenario, drawn at reset from those given (seeded by ``reset(seed=...)``), through
the simulator's own event kernels (:func:`aurora_evo.sim.engine.advance` and
:func:`~aurora_evo.sim.engine.place`, numba-compiled: the transitions every program is scored by). At
each decision the observation is the task and the nodes (:mod:`aurora_evo.rl.observation`, padded to
``max_nodes``); the action is a node; :meth:`AllocationEnv.action_masks` says which nodes the task fits
on (sb3-contrib's maskable algorithms ask for it; it is also in the observation). A node the task does
not fit on (or past the scenario's nodes) is never chosen: the task goes to the first node it fits on
instead, and the decision's reward loses :data:`MASKED_PENALTY` (``info["masked"]``); a masked policy
never asks for one, and then the return is the fitness exactly. The reward is the change
in the fitness each decision causes (:mod:`aurora_evo.rl.reward`): the return of an episode, undiscounted,
is the scenario's :func:`~aurora_evo.sim.fitness.relative_fitness`, 0 for best fit. An episode ends when
the simulator has no decision left (``terminated``); nothing truncates it. A scenario in which no task
can ever be placed has no decision and is skipped at reset.

``info`` at the end holds the episode's ``metrics`` and ``fitness``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import gymnasium as gym
import numpy as np

from aurora_evo import features as F
from aurora_evo.errors import InputError
from aurora_evo.rl.observation import HIGH, LOW, encode, observation_size
from aurora_evo.rl.reward import StepReward
from aurora_evo.scenario.model import Scenario
from aurora_evo.sim import engine
from aurora_evo.sim.fitness import best_fit_metrics, relative_fitness
from aurora_evo.sim.metrics import Metrics, compute_metrics
from aurora_evo.sim.simulate import placement_of, sim_arrays

#: Reward lost by an action the mask forbids (the task is placed on the first node it fits on instead).
MASKED_PENALTY = 0.01


class AllocationEnv(gym.Env):
    """Placement decisions on ``scenarios`` as a gymnasium environment (see the module docstring).

    Args:
        scenarios: the scenarios episodes are drawn from (at least one).
        max_nodes: the node count observations are padded to and actions range over; default the
            largest scenario's. A scenario with more nodes is refused.
        references: best fit's metrics per scenario (same order), the fitness's reference; computed
            here (one simulation each) when not given.
        cycle: draw scenarios in order, one per episode, instead of at random (a seed given to
            :meth:`reset` restarts the order).
    """

    metadata: ClassVar[dict] = {"render_modes": []}

    def __init__(
        self,
        scenarios: Sequence[Scenario],
        max_nodes: int | None = None,
        references: Sequence[Metrics] | None = None,
        cycle: bool = False,
    ):
        if not scenarios:
            raise InputError("an environment needs at least one scenario")
        largest = max(len(s.nodes) for s in scenarios)
        self.max_nodes = largest if max_nodes is None else max_nodes
        if largest > self.max_nodes:
            raise InputError(f"a scenario has {largest} nodes, more than max_nodes={self.max_nodes}")
        self.scenarios = list(scenarios)
        self.references = (
            list(references) if references is not None else [best_fit_metrics(s) for s in scenarios]
        )
        if len(self.references) != len(self.scenarios):
            raise InputError("one reference per scenario")
        self.cycle = cycle
        shape = (observation_size(self.max_nodes),)
        self.observation_space = gym.spaces.Box(LOW, HIGH, shape, np.float32)
        self.action_space = gym.spaces.Discrete(self.max_nodes)
        self._next = 0
        self._episode: _Episode | None = None

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:  # a seed restarts the cycle too: the same seed, the same episode
            self._next = 0
        for _ in range(len(self.scenarios)):
            index = self._draw()
            episode = _Episode(self.scenarios[index], self.references[index])
            if episode.task >= 0:
                self._episode = episode
                return self._observe(), {"scenario": episode.scenario.name}
        raise InputError("no scenario has a task that fits on any node: nothing to decide")

    def _draw(self) -> int:
        if self.cycle:
            index, self._next = self._next, (self._next + 1) % len(self.scenarios)
            return index
        return int(self.np_random.integers(len(self.scenarios)))

    def step(self, action):
        episode = self._episode
        if episode is None or episode.task < 0:
            raise RuntimeError("step() before reset(), or after the episode ended")
        fits = episode.arrays.node_feat[:, F.N_FITS] > 0.5
        node = int(action)
        masked = not (0 <= node < fits.size and fits[node])
        if masked:
            node = int(np.flatnonzero(fits)[0])
        reward = episode.place(node) - (MASKED_PENALTY if masked else 0.0)
        info = {"masked": masked}
        if episode.task >= 0:
            return self._observe(), reward, False, False, info
        metrics = episode.metrics()
        fitness = relative_fitness(episode.scenario, metrics, episode.reference)
        reward += episode.reward.remainder(fitness)
        terminal = np.zeros(self.observation_space.shape, dtype=np.float32)
        return terminal, reward, True, False, info | {"metrics": metrics, "fitness": fitness}

    def action_masks(self) -> np.ndarray:
        """``(max_nodes,)`` bool: the nodes the current task fits on."""
        mask = np.zeros(self.max_nodes, dtype=bool)
        if self._episode is not None and self._episode.task >= 0:
            fits = self._episode.arrays.node_feat[:, F.N_FITS] > 0.5
            mask[: fits.size] = fits
        return mask

    def _observe(self) -> np.ndarray:
        arrays = self._episode.arrays
        return encode(arrays.task_row, arrays.node_feat, self.max_nodes)


class _Episode:
    """One scenario being replayed: the simulator's arrays, the task awaiting a decision (-1: none)."""

    def __init__(self, scenario: Scenario, reference: Metrics):
        self.scenario, self.reference = scenario, reference
        self.arrays, self.order = sim_arrays(scenario)
        self.reward = StepReward(scenario, reference)
        self.task = int(engine.advance(self.arrays))

    def place(self, node: int) -> float:
        """Place the current task on ``node``, run to the next decision; the decision's reward."""
        reward = self.reward.placed(self.arrays.task_row, self.arrays.node_feat, node)
        engine.place(self.arrays, self.task, node)
        self.task = int(engine.advance(self.arrays))
        return reward

    def metrics(self) -> Metrics:
        return compute_metrics(self.scenario, placement_of(self.arrays, self.order))
