"""The genetic-algorithm baseline: reproducible fits that learn, files that round-trip, and an exported
program that scores in the sandbox exactly as the weights score in this process."""

from __future__ import annotations

import dataclasses
import json
import random

import numpy as np
import pytest

from aurora_evo.baselines import GAConfig, GeneticAlgorithm, simulate_linear
from aurora_evo.baselines.linear_policy import TERM_NAMES, TERMS, full_weights
from aurora_evo.domains import get_problem
from aurora_evo.errors import InputError
from aurora_evo.problem import mean_score
from aurora_evo.sandbox import Sandbox, SandboxConfig
from aurora_evo.scheduler import load_scheduler
from aurora_evo.seeds import seed_scenarios

#: A budget that fits in a second: 8 x (1 + 4) candidates on three 20-task scenarios.
TINY = GAConfig(population=8, generations=4, seed=7)


@pytest.fixture(scope="module")
def train():
    return seed_scenarios("medium", "cloud")[:3]


@pytest.fixture(scope="module")
def fitted(train):
    return GeneticAlgorithm(TINY).fit(train)


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(SandboxConfig(full_warm_up=False)) as box:
        yield box


def mean_reward(weights: np.ndarray, scenarios) -> float:
    return mean_score([simulate_linear(s, weights).reward for s in scenarios])


# --- fitting -------------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_run_and_leaves_python_s_random_alone(train, fitted):
    random.seed(11)
    expected_draw = random.random()
    random.seed(11)
    again = GeneticAlgorithm(TINY).fit(train)
    assert random.random() == expected_draw  # the global generator neither moved nor was reseeded
    assert np.array_equal(again.weights_, fitted.weights_)
    assert again.history_ == fitted.history_


def test_another_seed_gives_another_run(train, fitted):
    other = GeneticAlgorithm(TINY, seed=8).fit(train)
    assert not np.array_equal(other.weights_, fitted.weights_)


def test_the_fitted_weights_beat_random_weights_on_the_training_scenarios(train, fitted):
    rng = np.random.default_rng(2024)
    random_scores = [mean_reward(full_weights(w), train) for w in rng.uniform(-1.0, 1.0, (20, len(TERMS)))]
    assert fitted.score_ == mean_reward(full_weights(fitted.weights_), train)
    assert fitted.score_ > np.mean(random_scores)
    assert fitted.weights_.shape == (len(TERMS),) and np.all(np.abs(fitted.weights_) <= 1.0)


def test_the_history_is_a_learning_curve(fitted):
    history = fitted.history_
    assert [entry["generation"] for entry in history] == list(range(TINY.generations + 1))
    assert history[0]["evaluations"] == TINY.population
    assert all(0 <= entry["evaluations"] <= TINY.population for entry in history[1:])
    totals = np.cumsum([entry["evaluations"] for entry in history])
    assert [entry["total_evaluations"] for entry in history] == totals.tolist()
    best_so_far = [entry["best_so_far"] for entry in history]
    assert best_so_far == sorted(best_so_far) and best_so_far[-1] == fitted.score_
    assert all(entry["mean"] <= entry["best"] <= entry["best_so_far"] for entry in history)
    assert history[-1]["best_so_far"] > history[0]["mean"]


def test_the_fitness_is_the_mean_of_the_score_given_and_progress_hears_each_generation(train):
    heard = []

    def cheapness(scenario, metrics):
        return -metrics.cost_usd

    ga = GeneticAlgorithm(TINY, generations=2).fit(train, score=cheapness, progress=heard.append)
    assert heard == ga.history_ and len(heard) == 3
    costs = [simulate_linear(s, full_weights(ga.weights_)).cost_usd for s in train]
    assert ga.score_ == mean_score([-c for c in costs])


def test_a_subset_of_terms_has_a_weight_each(train):
    ga = GeneticAlgorithm(TINY, generations=1, terms=("price", "cpu_spare")).fit(train)
    assert ga.weights_.shape == (2,)
    source = ga.program_source()
    assert "* price" in source and "* cpu_spare" in source and "* latency" not in source


def test_evaluations_in_several_processes_give_the_same_run(train, fitted):
    parallel = GeneticAlgorithm(TINY, n_jobs=2).fit(train)
    assert np.array_equal(parallel.weights_, fitted.weights_)
    assert parallel.history_ == fitted.history_


# --- the exported program ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["chosen", "jail", "numba"])
def test_the_exported_program_scores_in_the_sandbox_as_in_this_process(fitted, sandbox, path):
    """A differential test: the program file through the sandbox (the sandbox's own choice of where to
    run it, an evaluation jail, a jail compiling it with numba) against the weights in this process."""
    scenarios = [seed_scenarios("medium", "cloud")[0], seed_scenarios("hard", "cloud")[0]]
    config = sandbox.config
    if path != "chosen":
        sandbox.config = dataclasses.replace(
            config, simulate_here_max_tasks=0, jit="always" if path == "numba" else "never"
        )
    try:
        result = sandbox.evaluate(get_problem("allocation"), fitted.program_source(), scenarios)
    finally:
        sandbox.config = config
    assert result.outcome.ok, result.message
    assert result.compiled is (path == "numba")
    for scenario in scenarios:
        assert result.per_case[scenario.name] == simulate_linear(scenario, fitted.weights_).as_dict()


def test_the_exported_program_loads_as_a_scheduler(fitted, tmp_path):
    path = tmp_path / "ga.py"
    path.write_text(fitted.program_source())
    scenario = seed_scenarios("hard", "cloud")[0]
    ran = load_scheduler(path).run(scenario)
    assert ran.ok and ran.metrics == simulate_linear(scenario, fitted.weights_)
    assert "# trained on: 3 scenario(s): medium-cloud-01" in path.read_text()


# --- files ------------------------------------------------------------------------------------------


def test_save_and_load_give_the_same_model(fitted, tmp_path):
    path = tmp_path / "ga.json"
    fitted.save(path)
    loaded = GeneticAlgorithm.load(path)
    assert loaded.program_source() == fitted.program_source()
    assert loaded.config == fitted.config
    assert np.array_equal(loaded.weights_, fitted.weights_) and loaded.score_ == fitted.score_
    assert loaded.history_ == fitted.history_ and loaded.scenario_names_ == fitted.scenario_names_
    document = json.loads(path.read_text())
    assert document["terms"] == list(TERM_NAMES) and document["version"] == 1


def _rewrite(path, **changes):
    document = json.loads(path.read_text())
    document.update(changes)
    path.write_text(json.dumps(document))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format": "something else"}, "not a genetic algorithm file"),
        ({"version": 99}, "version 99"),
        ({"weights": [0.5]}, r"1 linear weight\(s\) for 13 term\(s\)"),
        ({"weights": [2.0] * len(TERMS)}, r"outside \[-1, 1\]"),
        ({"terms": ["price"]}, "differ from the settings"),
        ({"config": {"population": 1}}, "population must be an integer of at least 2"),
        ({"config": {"populations": 4}}, "unexpected keyword argument 'populations'"),
    ],
)
def test_a_bad_file_is_a_one_line_input_error(fitted, tmp_path, changes, message):
    path = tmp_path / "ga.json"
    fitted.save(path)
    _rewrite(path, **changes)
    with pytest.raises(InputError, match=message) as caught:
        GeneticAlgorithm.load(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_a_file_that_is_not_json_is_an_input_error(tmp_path):
    path = tmp_path / "ga.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match="cannot read a genetic algorithm"):
        GeneticAlgorithm.load(path)


# --- bad settings and use ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"population": 1}, "population must be an integer of at least 2, got 1"),
        ({"population": 2.5}, "population must be an integer"),
        ({"generations": -1}, "generations must be an integer of at least 0"),
        ({"crossover": 1.5}, r"crossover is a probability, in \[0, 1\]; got 1.5"),
        ({"mutation": -0.1}, r"mutation is a probability, in \[0, 1\]"),
        ({"gene_mutation": float("nan")}, "gene_mutation is a probability"),
        ({"crossover": 0.7, "mutation": 0.7}, "crossover \\+ mutation must be at most 1"),
        ({"sigma": 0.0}, "sigma must be a positive number"),
        ({"tournament": 0}, "tournament must be an integer of at least 1"),
        ({"n_jobs": 0}, "n_jobs must be a nonzero integer"),
        ({"terms": ("price", "nope")}, "unknown linear term 'nope'"),
        ({"popsize": 4}, "unexpected keyword argument 'popsize'"),
    ],
)
def test_bad_settings_are_one_line_input_errors(settings, message):
    with pytest.raises(InputError, match=message) as caught:
        GeneticAlgorithm(**settings)
    assert "\n" not in str(caught.value)


def test_fitting_needs_scenarios_and_results_need_a_fit(train):
    with pytest.raises(InputError, match="no training scenarios"):
        GeneticAlgorithm(TINY).fit([])
    with pytest.raises(InputError, match="trains on scenarios, got a str"):
        GeneticAlgorithm(TINY).fit(["medium-cloud-01.json"])
    with pytest.raises(InputError, match="not fitted"):
        GeneticAlgorithm(TINY).program_source()
    with pytest.raises(InputError, match="score of medium-cloud-01 is nan"):
        GeneticAlgorithm(TINY).fit(train, score=lambda scenario, metrics: float("nan"))
