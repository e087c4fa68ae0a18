"""The relative fitness: each objective's change against best fit's on the same scenario."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from aurora_evo.evaluate.statistics import paired_test
from aurora_evo.scenario.model import OBJECTIVES
from aurora_evo.scheduler import load_scheduler
from aurora_evo.seeds import seed_program_paths, seed_scenarios
from aurora_evo.sim.fitness import best_fit_metrics, relative_changes, relative_fitness


@pytest.fixture(scope="module")
def expert():
    """Per expert seed scenario: the scenario, best fit's metrics and random placement's."""
    random_choice = load_scheduler(seed_program_paths()["random_choice"])
    return [(s, best_fit_metrics(s), random_choice.run(s).metrics) for s in seed_scenarios("expert")]


def test_best_fit_against_itself_is_zero_on_every_objective(expert):
    scenario, best, _ = expert[0]
    assert relative_changes(scenario, best, best) == {term: 0.0 for term in OBJECTIVES}
    assert relative_fitness(scenario, best, best) == 0.0


def test_each_change_is_positive_when_better_and_clipped(expert):
    scenario, best, _ = expert[0]
    cheaper = dataclasses.replace(best, cost_usd=best.cost_usd * 0.9, energy_kwh=best.energy_kwh * 3)
    changes = relative_changes(scenario, cheaper, best)
    assert changes["cost"] == pytest.approx(0.1)
    assert changes["energy"] == -1.0  # three times the energy: clipped, as bad as twice
    assert relative_fitness(scenario, cheaper, best) < 0  # cloud weighs cost 0.25, energy 0.1: -0.1 net
    slower = dataclasses.replace(
        best, mean_latency_s=best.mean_latency_s * 1.2, p99_latency_s=best.p99_latency_s
    )
    assert relative_changes(scenario, slower, best)["latency"] == pytest.approx(-0.1)


def test_a_violation_where_best_fit_has_none_counts_against_one_violation():
    """Best fit meets every deadline: one violation among ten deadline tasks is -1 (a whole extra
    violation's worth), not minus infinity; a rate of 0 against 0 is 0."""
    (scenario,) = [s for s in seed_scenarios("easy") if s.tasks.has_deadline.any()][:1]
    best = best_fit_metrics(scenario)
    clean = dataclasses.replace(best, sla_violation_rate=0.0)
    deadlines = int(scenario.tasks.has_deadline.sum())
    one = dataclasses.replace(clean, sla_violation_rate=1.0 / deadlines)
    half = dataclasses.replace(clean, sla_violation_rate=0.5 / deadlines)
    assert relative_changes(scenario, one, clean)["sla"] == -1.0
    assert relative_changes(scenario, half, clean)["sla"] == pytest.approx(-0.5)
    assert relative_changes(scenario, clean, clean)["sla"] == 0.0


def test_random_and_best_fit_differ_clearly_on_the_expert_seeds(expert):
    """The reward hardly separates them (random within about 1 % of best fit); the fitness puts random
    below best fit on every expert seed, by several per cent of the weighted objectives, and a paired
    test over the seeds says so."""
    fitness = np.array([relative_fitness(s, rnd, best) for s, best, rnd in expert])
    reward_gap = np.mean([(best.reward - rnd.reward) / best.reward for _, best, rnd in expert])
    assert np.all(fitness <= 0) and fitness.mean() < -0.03
    assert -fitness.mean() > 3 * reward_gap
    test = paired_test(fitness, np.zeros_like(fitness), higher_is_better=True)
    assert not test.better and test.wilcoxon_pvalue < 0.01
