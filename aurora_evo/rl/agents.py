"""DQN and maskable PPO as baselines: trained on a list of scenarios (a suite's train split) in
:class:`~aurora_evo.rl.env.AllocationEnv`, saved and loaded, and run as plain schedulers.

One estimator-like class per algorithm (stable-baselines3's own style): :class:`DQNBaseline`
(:class:`~aurora_evo.rl.masked_dqn.MaskedDQN`) and :class:`PPOBaseline` (sb3-contrib's ``MaskablePPO``),
configured by a frozen :class:`RLConfig`, ``fit(scenarios)`` for ``config.timesteps`` decisions, then
``history_`` (each training episode's fitness against the timesteps so far: the learning curve, with
exploration and each episode's scenario in it), ``checkpoints_`` (the greedy network's mean fitness on a
fixed few training scenarios, every tenth of the budget: the curve to judge convergence by),
``save(path)`` / ``load(path)`` and ``scheduler()``. A :class:`LearnedScheduler` answers as an evolved
program does (``scores(task, nodes)``, ``place``, ``run(scenario)``), so the evaluation runs both through
the same simulator; the networks are our own, trained here, and run in this process.

Seeding: stable-baselines3 seeds its global ``numpy.random``, ``random`` and torch from ``config.seed``
(its ``set_random_seed``); the environments draw their scenarios from their own seeded generators. The
same seed, scenarios and budget give the same network on one machine and thread count (torch's CPU
kernels are deterministic for these small MLPs; ``torch.set_num_threads`` is left as it is).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch as th
from sb3_contrib import MaskablePPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.vec_env import DummyVecEnv

from aurora_evo import features as F
from aurora_evo.contracts import Contract
from aurora_evo.errors import InputError
from aurora_evo.program_loading import CompiledProgram
from aurora_evo.rl.env import AllocationEnv
from aurora_evo.rl.masked_dqn import MaskedDQN, MaskedDQNPolicy
from aurora_evo.rl.observation import action_mask, encode
from aurora_evo.scenario.model import Scenario
from aurora_evo.sim import SimResult, simulate
from aurora_evo.sim.fitness import best_fit_metrics, relative_fitness
from aurora_evo.sim.metrics import Metrics

#: Version of the metadata file :meth:`LearnedBaseline.save` writes beside the model.
FORMAT = "aurora-evo/rl-baseline"
VERSION = 1


@dataclass(frozen=True)
class RLConfig:
    """How to train a DQN or PPO baseline.

    Attributes:
        timesteps: placement decisions to train for (the budget; PPO rounds it up to whole rollouts of
            ``n_steps * n_envs``).
        seed: seeds stable-baselines3, the exploration and the environments.
        learning_rate: Adam's step size.
        hidden: the widths of the hidden layers of each network (ReLU).
        gamma: the discount; episodes end, and 1 would make the return the fitness exactly, but a
            slightly smaller one steadies the value estimates over episodes of hundreds of decisions.
        n_envs: environments stepped side by side (a ``DummyVecEnv``: one process).
        max_nodes: the node count observations are padded to; ``None``: the largest training scenario's
            (a scenario with more nodes cannot be scheduled by the trained network).
        buffer_size, learning_starts, exploration_fraction, target_update_interval, train_freq: DQN's.
        n_steps, batch_size, n_epochs: PPO's (``n_steps`` per environment per update).
        checkpoints: how many times during training (and once before) the greedy network is measured on
            ``monitor_scenarios`` training scenarios, evenly spread over them; 0: never.
    """

    timesteps: int = 50_000
    seed: int = 0
    learning_rate: float = 3e-4
    hidden: tuple[int, ...] = (256, 256)
    gamma: float = 0.99
    n_envs: int = 1
    max_nodes: int | None = None
    buffer_size: int = 100_000
    learning_starts: int = 2_000
    exploration_fraction: float = 0.3
    target_update_interval: int = 2_000
    train_freq: int = 4
    n_steps: int = 1024
    batch_size: int = 64
    n_epochs: int = 10
    checkpoints: int = 10
    monitor_scenarios: int = 8

    def __post_init__(self):
        positive = ("timesteps", "n_envs", "buffer_size", "target_update_interval", "train_freq")
        for name in (*positive, "n_steps", "batch_size", "n_epochs"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.checkpoints < 0 or self.monitor_scenarios < 1:
            raise InputError("checkpoints must be at least 0 and monitor_scenarios at least 1")
        if not (0 < self.gamma <= 1) or not (0 <= self.exploration_fraction <= 1):
            raise InputError("gamma must be in (0, 1] and exploration_fraction in [0, 1]")
        if not self.learning_rate > 0 or not self.hidden or min(self.hidden) < 1:
            raise InputError("learning_rate must be positive and every hidden layer at least 1 wide")


class _EpisodeLog(BaseCallback):
    """Each finished training episode's fitness, with the timesteps so far; ``progress`` hears the
    timesteps after every step."""

    def __init__(self, history: list[dict], progress: Callable[[int], None] | None):
        super().__init__()
        self.history, self.progress = history, progress

    def _on_step(self) -> bool:
        for done, info in zip(self.locals["dones"], self.locals["infos"], strict=True):
            if done and "fitness" in info:
                self.history.append({"timesteps": int(self.num_timesteps), "fitness": float(info["fitness"])})
        if self.progress is not None:
            self.progress(int(self.num_timesteps))
        return True


class _Checkpoints(BaseCallback):
    """The greedy network's fitness on the ``monitor`` scenarios before training and every ``every``
    decisions after, and at the end: a learning curve free of exploration and of which scenario an
    episode happened to draw."""

    def __init__(self, baseline: LearnedBaseline, monitor: Sequence[tuple[Scenario, Metrics]], every: int):
        super().__init__()
        self.baseline, self.monitor, self.every = baseline, monitor, every

    def _on_training_start(self) -> None:
        self._measure()

    def _on_step(self) -> bool:
        if self.num_timesteps >= self.due:
            self._measure()
        return True

    def _on_training_end(self) -> None:
        # A step's checkpoint comes before the gradient steps that follow it (DQN): measure the final
        # network again, in place of one taken at the same count.
        if self.baseline.checkpoints_[-1]["timesteps"] == self.num_timesteps:
            self.baseline.checkpoints_.pop()
        self._measure()

    def _measure(self) -> None:
        scheduler = self.baseline.scheduler()
        fitness = [relative_fitness(s, scheduler.run(s).metrics, r) for s, r in self.monitor]
        self.baseline.checkpoints_.append(
            {
                "timesteps": int(self.num_timesteps),
                "fitness": float(np.mean(fitness)),
                "per_scenario": fitness,
            }
        )
        self.due = (self.num_timesteps // self.every + 1) * self.every


class LearnedBaseline:
    """What DQN and PPO share: configuration, training, the learning curve, saving and loading."""

    algorithm = ""

    def __init__(self, config: RLConfig | None = None, **settings):
        self.config = dataclasses.replace(config or RLConfig(), **settings)
        self.model_ = None
        self.max_nodes_: int | None = None
        self.history_: list[dict] = []
        self.checkpoints_: list[dict] = []
        self.train_seconds_ = 0.0

    def _make_model(self, env):
        raise NotImplementedError

    def _shared_settings(self) -> dict:
        """The settings both algorithms take alike."""
        c = self.config
        return {
            "learning_rate": c.learning_rate,
            "gamma": c.gamma,
            "policy_kwargs": {"net_arch": list(c.hidden)},
            "seed": c.seed,
            "device": "cpu",
        }

    def fit(
        self,
        scenarios: Sequence[Scenario],
        references: Sequence[Metrics] | None = None,
        progress: Callable[[int], None] | None = None,
    ):
        """Train on ``scenarios`` (best fit's metrics on each, ``references``, computed when not given)
        for ``config.timesteps`` decisions; returns ``self``."""
        config = self.config
        references = list(references) if references is not None else [best_fit_metrics(s) for s in scenarios]
        self.max_nodes_ = config.max_nodes or max(len(s.nodes) for s in scenarios)
        env = make_vec_env(
            AllocationEnv,
            n_envs=config.n_envs,
            seed=config.seed,
            vec_env_cls=DummyVecEnv,
            env_kwargs={"scenarios": list(scenarios), "max_nodes": self.max_nodes_, "references": references},
        )
        self.model_ = self._make_model(env)
        # A logger of our own, writing nowhere: without one, every learn() makes a folder in /tmp.
        self.model_.set_logger(Logger(folder=None, output_formats=[]))
        self.history_, self.checkpoints_ = [], []
        callbacks = [_EpisodeLog(self.history_, progress)]
        if config.checkpoints:
            every = max(config.timesteps // config.checkpoints, 1)
            callbacks.append(
                _Checkpoints(self, _spread(scenarios, references, config.monitor_scenarios), every)
            )
        began = time.perf_counter()
        self.model_.learn(config.timesteps, callback=callbacks)
        self.train_seconds_ = time.perf_counter() - began
        return self

    def _fitted(self):
        if self.model_ is None:
            raise InputError(f"the {self.algorithm} baseline has not been trained or loaded")
        return self.model_

    def scheduler(self, name: str | None = None) -> LearnedScheduler:
        """The trained network as a scheduler (:class:`LearnedScheduler`)."""
        self._fitted()
        return LearnedScheduler(self, name or self.algorithm)

    def preferences(self, observations: np.ndarray) -> np.ndarray:
        """``(batch, max_nodes)`` the network's preference for each node (forbidden ones lowest)."""
        raise NotImplementedError

    def save(self, path: str | Path) -> Path:
        """Write ``PATH.zip`` (stable-baselines3's model) and ``PATH.json`` (the configuration, the node
        count, the learning curve); returns the ``.json`` path."""
        model, path = self._fitted(), Path(path)
        model.save(path.with_suffix(".zip"))
        meta = {
            "format": FORMAT,
            "version": VERSION,
            "algorithm": self.algorithm,
            "config": dataclasses.asdict(self.config),
            "max_nodes": self.max_nodes_,
            "train_seconds": self.train_seconds_,
            "history": self.history_,
            "checkpoints": self.checkpoints_,
        }
        path.with_suffix(".json").write_text(json.dumps(meta, indent=1))
        return path.with_suffix(".json")

    @classmethod
    def load(cls, path: str | Path):
        """A baseline saved by :meth:`save` (either file's path, or the stem)."""
        path = Path(path)
        try:
            meta = json.loads(path.with_suffix(".json").read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{path.with_suffix('.json')}: not a saved baseline ({exc})") from None
        if meta.get("format") != FORMAT or meta.get("algorithm") not in _CLASSES:
            raise InputError(f"{path.with_suffix('.json')}: not a saved DQN or PPO baseline")
        config = meta["config"] | {"hidden": tuple(meta["config"]["hidden"])}
        baseline = _CLASSES[meta["algorithm"]](RLConfig(**config))
        model_class = MaskedDQN if meta["algorithm"] == "dqn" else MaskablePPO
        baseline.model_ = model_class.load(path.with_suffix(".zip"), device="cpu")
        baseline.max_nodes_, baseline.history_ = meta["max_nodes"], meta["history"]
        baseline.train_seconds_ = meta.get("train_seconds", 0.0)
        baseline.checkpoints_ = meta.get("checkpoints", [])
        return baseline


class DQNBaseline(LearnedBaseline):
    """DQN (stable-baselines3) with masked Q-values and exploration (:mod:`aurora_evo.rl.masked_dqn`)."""

    algorithm = "dqn"

    def _make_model(self, env):
        c = self.config
        return MaskedDQN(
            MaskedDQNPolicy,
            env,
            buffer_size=c.buffer_size,
            learning_starts=c.learning_starts,
            train_freq=c.train_freq,
            target_update_interval=c.target_update_interval,
            exploration_fraction=c.exploration_fraction,
            **self._shared_settings(),
        )

    def preferences(self, observations: np.ndarray) -> np.ndarray:
        policy = self._fitted().policy
        with th.no_grad():
            return policy.q_net(th.as_tensor(observations, dtype=th.float32)).numpy().astype(np.float64)


class PPOBaseline(LearnedBaseline):
    """Maskable PPO (sb3-contrib): the policy's distribution over the feasible nodes only."""

    algorithm = "ppo"

    def _make_model(self, env):
        c = self.config
        return MaskablePPO(
            "MlpPolicy",
            env,
            n_steps=c.n_steps,
            batch_size=c.batch_size,
            n_epochs=c.n_epochs,
            **self._shared_settings(),
        )

    def preferences(self, observations: np.ndarray) -> np.ndarray:
        policy = self._fitted().policy
        masks = action_mask(observations, self.max_nodes_)
        with th.no_grad():
            distribution = policy.get_distribution(th.as_tensor(observations, dtype=th.float32), masks)
            return distribution.distribution.logits.numpy().astype(np.float64)


_CLASSES = {"dqn": DQNBaseline, "ppo": PPOBaseline}


def _spread(scenarios: Sequence[Scenario], references: Sequence[Metrics], count: int) -> list[tuple]:
    """Up to ``count`` (scenario, reference) pairs evenly spread over the given ones, in order."""
    picks = np.unique(np.linspace(0, len(scenarios) - 1, min(count, len(scenarios))).round().astype(int))
    return [(scenarios[i], references[i]) for i in picks]


@dataclass
class LearnedScheduler:
    """A trained DQN or PPO network as a scheduler, called as an evolved program is.

    ``scores(task, nodes)`` are the network's preferences for the scenario's nodes (Q-values for DQN,
    log-probabilities up to a constant for PPO; forbidden nodes lowest), so the simulator's rule (the
    highest-scoring node the task fits on) is the network's greedy choice. Runs in this process.
    """

    baseline: LearnedBaseline
    name: str

    def scores(self, task: np.ndarray, nodes: np.ndarray) -> np.ndarray:
        """``(m,)`` float64 for the ``(m, NODE_FEATURES)`` ``nodes`` and the ``task`` vector."""
        max_nodes = self.baseline.max_nodes_
        if nodes.shape[0] > max_nodes:
            raise InputError(f"{self.name} was trained for at most {max_nodes} nodes, not {nodes.shape[0]}")
        observation = encode(np.asarray(task), np.asarray(nodes), max_nodes)[None]
        return self.baseline.preferences(observation)[0, : nodes.shape[0]]

    def place(self, task: np.ndarray, nodes: np.ndarray) -> int:
        """The node the task goes to (the best-scored it fits on); -1 when it fits on none."""
        fitting = np.flatnonzero(np.asarray(nodes)[:, F.N_FITS] > 0.5)
        if fitting.size == 0:
            return -1
        return int(fitting[np.argmax(self.scores(task, nodes)[fitting])])

    def run(self, scenario: Scenario) -> SimResult:
        """Simulate ``scenario`` (:func:`aurora_evo.sim.simulate`, the numpy path); ``SimResult.seconds``
        over ``decisions`` is the inference time per decision, simulation included."""
        program = CompiledProgram(
            source=f"# {self.name}: a trained network, not a program",
            contract=Contract.ALLOCATION,
            python=self.scores,
            jitted=None,
            jit_error="a trained network runs in Python",
        )
        return simulate(scenario, program)
