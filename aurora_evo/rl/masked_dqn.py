"""DQN that never chooses a node the task does not fit on: stable-baselines3's DQN, its Q-network and
its exploration masked by the action mask each observation carries
(:func:`aurora_evo.rl.observation.action_mask`).

stable-baselines3's DQN has no action masks (sb3-contrib masks only policy-gradient methods), so:

* :class:`MaskedQNetwork` sets the Q-value of every forbidden node to :data:`FORBIDDEN_Q`, in the online
  and the target network alike: greedy actions and the bootstrap target's maximum both range over the
  feasible nodes only (the target's ``max`` of the next state is what a masked greedy policy would get);
* :class:`MaskedDQN` explores among the feasible nodes: whether to explore (epsilon-greedy) and its
  warm-up and exploring actions, drawn uniformly from the feasible nodes, come from its own generator,
  seeded from the model's seed.
"""

from __future__ import annotations

import numpy as np
import torch as th
from stable_baselines3 import DQN
from stable_baselines3.dqn.policies import DQNPolicy, QNetwork

from aurora_evo.rl.observation import action_mask

#: Q-value given to a forbidden node: below any a network learns for a reward in [-1, 1] per episode.
FORBIDDEN_Q = -1e9


class MaskedQNetwork(QNetwork):
    """A Q-network whose forbidden nodes are valued :data:`FORBIDDEN_Q`."""

    def forward(self, obs: th.Tensor) -> th.Tensor:
        q_values = super().forward(obs)
        allowed = _mask_tensor(obs, int(self.action_space.n))
        return th.where(allowed, q_values, th.full_like(q_values, FORBIDDEN_Q))


def _mask_tensor(obs: th.Tensor, max_nodes: int) -> th.Tensor:
    """``(batch, max_nodes)`` bool of a batch of observations; a row with no allowed node (the zero
    observation after an episode's end) allows every node, so its values stay finite."""
    allowed = th.as_tensor(action_mask(obs.detach().cpu().numpy(), max_nodes), device=obs.device)
    return allowed | ~allowed.any(dim=-1, keepdim=True)


class MaskedDQNPolicy(DQNPolicy):
    """stable-baselines3's DQN policy with :class:`MaskedQNetwork` for its online and target networks."""

    def make_q_net(self) -> MaskedQNetwork:
        net_args = self._update_features_extractor(self.net_args, features_extractor=None)
        return MaskedQNetwork(**net_args).to(self.device)


class MaskedDQN(DQN):
    """DQN over :class:`MaskedDQNPolicy` that explores among the feasible nodes only."""

    def _setup_model(self) -> None:
        super()._setup_model()
        self._explore_rng = np.random.default_rng(self.seed)

    def _feasible_random(self, observation: np.ndarray) -> np.ndarray:
        """A uniformly drawn feasible node per observation of a batch ``(n, obs)``, or for one ``(obs,)``."""
        masks = action_mask(np.asarray(observation), int(self.action_space.n))
        rows = np.atleast_2d(masks)
        actions = np.array([self._explore_rng.choice(np.flatnonzero(m)) if m.any() else 0 for m in rows])
        return actions if masks.ndim == 2 else actions[0]

    def predict(self, observation, state=None, episode_start=None, deterministic=False):
        if not deterministic and self._explore_rng.random() < self.exploration_rate:
            return self._feasible_random(observation), state
        return self.policy.predict(observation, state, episode_start, deterministic)

    def _sample_action(self, learning_starts, action_noise=None, n_envs=1):
        if self.num_timesteps < learning_starts:
            action = self._feasible_random(self._last_obs)
            return action, action
        return super()._sample_action(learning_starts, action_noise, n_envs)
