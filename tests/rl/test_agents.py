"""DQN and maskable PPO baselines: seeded training, masking, the learning curve, save and load, and the
trained network run as a scheduler through the simulator."""

from __future__ import annotations

import tempfile

import numpy as np
import pytest

pytest.importorskip("sb3_contrib", reason="the rl extra is not installed (pip install -e '.[dev,rl]')")

from aurora_evo.errors import InputError
from aurora_evo.rl.agents import DQNBaseline, LearnedBaseline, PPOBaseline, RLConfig
from aurora_evo.rl.observation import action_mask, observation_size
from aurora_evo.seeds import seed_scenarios
from aurora_evo.sim.fitness import best_fit_metrics, relative_fitness

TINY = {
    "dqn": RLConfig(
        timesteps=600, hidden=(32,), learning_starts=100, buffer_size=2_000, target_update_interval=100
    ),
    "ppo": RLConfig(timesteps=600, hidden=(32,), n_steps=128, batch_size=32, n_epochs=2),
}
CLASSES = {"dqn": DQNBaseline, "ppo": PPOBaseline}


@pytest.fixture(scope="module")
def scenarios():
    return seed_scenarios("medium")[:2]


@pytest.fixture(scope="module", params=["dqn", "ppo"])
def trained(request, scenarios):
    return CLASSES[request.param](TINY[request.param]).fit(scenarios)


def test_training_records_a_learning_curve(trained):
    steps = [entry["timesteps"] for entry in trained.history_]
    budget = trained.config.timesteps + trained.config.n_steps  # PPO learns in whole rollouts
    assert len(steps) >= 10 and steps == sorted(steps) and steps[-1] <= budget
    assert all(-1 <= entry["fitness"] <= 1 for entry in trained.history_)
    assert trained.train_seconds_ > 0


def test_checkpoints_measure_the_greedy_network_before_during_and_after_training(trained, scenarios):
    steps = [c["timesteps"] for c in trained.checkpoints_]
    every = trained.config.timesteps // trained.config.checkpoints
    assert steps[0] == 0 and steps[1] == every and steps == sorted(set(steps))
    assert len(steps) >= trained.config.checkpoints + 1 and steps[-1] >= trained.config.timesteps
    last = trained.checkpoints_[-1]
    assert len(last["per_scenario"]) == len(scenarios)  # fewer than monitor_scenarios: all of them
    references = [best_fit_metrics(s) for s in scenarios]
    final = [
        relative_fitness(s, trained.scheduler().run(s).metrics, r)
        for s, r in zip(scenarios, references, strict=True)
    ]
    assert last["per_scenario"] == pytest.approx(final) and last["fitness"] == pytest.approx(np.mean(final))


@pytest.mark.parametrize("algorithm", ["dqn", "ppo"])
def test_training_leaves_nothing_in_the_temporary_folder(algorithm, scenarios, tmp_path, monkeypatch):
    """stable-baselines3 makes a folder ``SB3-<date>`` in the temporary folder for every ``learn()``
    unless it is handed a logger: thousands of empty folders over a study."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    CLASSES[algorithm](TINY[algorithm], timesteps=200).fit(scenarios[:1])
    assert list(tmp_path.iterdir()) == []


def test_the_same_seed_trains_the_same_network(trained, scenarios):
    again = type(trained)(trained.config).fit(scenarios)
    assert again.history_ == trained.history_
    other = type(trained)(trained.config, seed=1).fit(scenarios)
    assert other.history_ != trained.history_


def test_the_network_runs_as_a_scheduler_through_the_simulator(trained, scenarios):
    scheduler = trained.scheduler()
    for scenario in scenarios:
        result = scheduler.run(scenario)
        assert result.ok and result.metrics.n_placed == len(scenario.tasks)
        assert result.decisions == len(scenario.tasks) and result.seconds > 0  # the inference time


def test_exploring_or_greedy_the_network_never_picks_a_forbidden_node(trained):
    """Random observations with random masks: every action the model takes, greedy or exploring (DQN at
    an exploration rate of 1 and of 0, PPO sampling), is a node the mask allows."""
    rng = np.random.default_rng(0)
    max_nodes = trained.max_nodes_
    observations = rng.uniform(0, 1, (64, observation_size(max_nodes))).astype(np.float32)
    masks = action_mask(observations, max_nodes)
    model = trained.model_
    rates = (1.0, 0.0) if trained.algorithm == "dqn" else (None,)
    for rate in rates:
        if rate is not None:
            model.exploration_rate = rate
        for deterministic in (False, True):
            kwargs = {"action_masks": masks} if trained.algorithm == "ppo" else {}
            actions, _ = model.predict(observations, deterministic=deterministic, **kwargs)
            assert masks[np.arange(len(actions)), actions].all()


def test_save_and_load_give_the_same_scheduler(trained, scenarios, tmp_path):
    path = trained.save(tmp_path / "baseline")
    loaded = LearnedBaseline.load(path)
    assert loaded.history_ == trained.history_ and loaded.max_nodes_ == trained.max_nodes_
    assert loaded.checkpoints_ == trained.checkpoints_
    for scenario in scenarios:
        expected = trained.scheduler().run(scenario).placement.node
        assert np.array_equal(loaded.scheduler().run(scenario).placement.node, expected)


def test_bad_configurations_and_files_are_one_line_errors(tmp_path):
    with pytest.raises(InputError, match="timesteps must be at least 1"):
        RLConfig(timesteps=0)
    with pytest.raises(InputError, match="gamma"):
        RLConfig(gamma=1.5)
    with pytest.raises(InputError, match="not a saved baseline"):
        DQNBaseline.load(tmp_path / "missing")
    (tmp_path / "other.json").write_text('{"format": "something else"}')
    with pytest.raises(InputError, match="not a saved DQN or PPO baseline"):
        PPOBaseline.load(tmp_path / "other.json")
    with pytest.raises(InputError, match="has not been trained"):
        DQNBaseline().scheduler().run(seed_scenarios("easy")[0])
