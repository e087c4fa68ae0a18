"""The gymnasium environment over the simulator: gymnasium's checker, determinism, masking, and an
episode's return against the fitness of the same placements scored by the simulator."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium", reason="the rl extra is not installed (pip install -e '.[dev,rl]')")
from gymnasium.utils.env_checker import check_env

from aurora_evo.errors import InputError
from aurora_evo.rl.env import MASKED_PENALTY, AllocationEnv
from aurora_evo.rl.observation import HIGH, LOW, action_mask
from aurora_evo.scheduler import load_scheduler
from aurora_evo.seeds import seed_program_paths, seed_scenarios
from aurora_evo.sim.fitness import best_fit_metrics, relative_fitness

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # the checker's advice on float32 bounds


@pytest.fixture(scope="module")
def scenarios():
    return seed_scenarios("medium")[:3]


def episode(env: AllocationEnv, choose, seed: int | None = None) -> tuple[list, list, dict]:
    """Run one episode choosing ``choose(observation, mask)``; observations, rewards, the last info."""
    observation, _ = env.reset(seed=seed)
    observations, rewards = [observation], []
    while True:
        observation, reward, terminated, truncated, info = env.step(choose(observation, env.action_masks()))
        rewards.append(reward)
        assert not truncated
        if terminated:
            return observations, rewards, info
        observations.append(observation)


def test_gymnasiums_checker_passes(scenarios):
    check_env(AllocationEnv(scenarios), skip_render_check=True)
    check_env(AllocationEnv(scenarios, cycle=True), skip_render_check=True)


@pytest.mark.parametrize("program", ["first_fit", "best_fit", "round_robin"])
def test_an_episode_scores_what_the_simulator_scores_and_returns_the_fitness(scenarios, program):
    """A seed program's choices through the environment: the metrics at the end are the simulator's
    own for that program, and the rewards sum to its fitness against best fit (0 for best fit)."""
    scheduler = load_scheduler(seed_program_paths()[program])
    env = AllocationEnv(scenarios, cycle=True)
    for index, scenario in enumerate(scenarios):
        env.reset(seed=0 if index == 0 else None)
        arrays = env._episode.arrays  # what the program sees at each decision
        total = 0.0
        while True:
            node = scheduler.place(arrays.task_row.copy(), arrays.node_feat.copy())
            _, reward, terminated, _, info = env.step(node)
            total += reward
            assert not info["masked"]
            if terminated:
                break
        expected = scheduler.run(scenario).metrics
        assert info["metrics"] == expected
        fitness = relative_fitness(scenario, expected, best_fit_metrics(scenario))
        assert info["fitness"] == pytest.approx(fitness) and total == pytest.approx(fitness, abs=1e-9)
        if program == "best_fit":
            assert total == pytest.approx(0.0, abs=1e-9)


def test_the_same_seed_gives_the_same_episode(scenarios):
    env = AllocationEnv(scenarios)

    def random_feasible(rng: np.random.Generator):
        return lambda _, mask: int(rng.choice(np.flatnonzero(mask)))

    first = episode(env, random_feasible(np.random.default_rng(7)), seed=3)
    second = episode(env, random_feasible(np.random.default_rng(7)), seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(first[0], second[0], strict=True))
    assert first[1] == second[1]


def test_the_mask_is_the_nodes_the_task_fits_on_and_rides_in_the_observation(scenarios):
    env = AllocationEnv(scenarios, max_nodes=40)
    observation, _ = env.reset(seed=1)
    terminated = False
    while not terminated:
        mask = env.action_masks()
        fits = env._episode.arrays.node_feat[:, 16] > 0.5
        assert mask.shape == (40,) and np.array_equal(mask[: fits.size], fits) and not mask[fits.size :].any()
        assert np.array_equal(action_mask(observation, 40), mask)
        assert observation.dtype == np.float32 and LOW <= observation.min() and observation.max() <= HIGH
        observation, _, terminated, *_ = env.step(int(np.flatnonzero(mask)[-1]))
    assert not env.action_masks().any()  # the episode is over: no decision left


def test_a_forbidden_node_is_never_chosen_and_costs_the_penalty(scenarios):
    """A padding node (past the scenario's) is forbidden: the task goes to the first node it fits on."""
    padded = len(scenarios[0].nodes) + 1
    env, twin = AllocationEnv(scenarios[:1], max_nodes=padded), AllocationEnv(scenarios[:1], max_nodes=padded)
    env.reset(seed=0)
    twin.reset(seed=0)
    mask = env.action_masks()
    forbidden = padded - 1
    _, reward, _, _, info = env.step(forbidden)
    _, first_fit_reward, _, _, _ = twin.step(int(np.flatnonzero(mask)[0]))
    assert info["masked"] and reward == pytest.approx(first_fit_reward - MASKED_PENALTY)
    assert np.array_equal(env._episode.arrays.node_of, twin._episode.arrays.node_of)


def test_bad_set_ups_are_one_line_errors(scenarios):
    with pytest.raises(InputError, match="at least one scenario"):
        AllocationEnv([])
    with pytest.raises(InputError, match="more than max_nodes=2"):
        AllocationEnv(scenarios, max_nodes=2)
    with pytest.raises(RuntimeError, match="before reset"):
        AllocationEnv(scenarios).step(0)
