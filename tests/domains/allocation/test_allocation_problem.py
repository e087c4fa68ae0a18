"""Resource allocation as a problem: a run's cases (two thirds of a domain's seed scenarios train, every
third is held out), their scores, and when ``jit="auto"`` compiles."""

import pytest

from aurora_evo.config import ConfigError, TaskConfig
from aurora_evo.domains import get_problem, problem_of_domain, problem_of_task
from aurora_evo.domains.allocation.problem import (
    JIT_MIN_DECISIONS,
    AllocationFitnessProblem,
    AllocationProblem,
    split_seeds,
)
from aurora_evo.scheduler import load_scheduler
from aurora_evo.seeds import seed_program_paths, seed_scenarios
from aurora_evo.sim.fitness import relative_fitness

ALLOCATION = AllocationProblem()


def test_the_registry_names_the_allocation_problem_for_every_allocation_domain():
    assert isinstance(get_problem("allocation"), AllocationProblem)
    for domain in ("cloud", "edge", "network"):
        assert problem_of_domain(domain) is get_problem("allocation")
    assert ALLOCATION.jit_min_decisions == JIT_MIN_DECISIONS


def test_every_third_seed_in_name_order_is_held_out():
    train, held_out = split_seeds(["f", "a", "e", "b", "d", "c", "g"])
    assert held_out == ["c", "f"]
    assert train == ["a", "b", "d", "e", "g"]


def test_a_run_trains_on_two_thirds_of_the_domain_seeds_at_its_levels():
    cases = ALLOCATION.cases(TaskConfig(domain="cloud", levels=("easy", "medium", "hard")), seed=0)
    names = sorted(s.name for level in ("easy", "medium", "hard") for s in seed_scenarios(level, "cloud"))
    train, held_out = split_seeds(names)
    assert [s.name for s in cases.train] == train
    assert [s.name for s in cases.validation] == held_out
    assert len(cases.train) == 10 and len(cases.validation) == 4
    assert (
        cases.description == "cloud allocation: train on 10 seed scenarios (easy, medium, hard), hold out 4"
    )


def _documents(cases) -> list[dict]:
    return [ALLOCATION.case_to_document(s) for s in (*cases.train, *cases.validation)]


def test_the_seed_does_not_change_the_cases():
    task = TaskConfig(domain="edge", levels=("easy",))
    first, other = ALLOCATION.cases(task, seed=0), ALLOCATION.cases(task, seed=7)
    assert _documents(first) == _documents(other)
    assert first.description == other.description
    assert {s.name.split("-")[1] for s in (*first.train, *first.validation)} == {"edge"}


def test_a_domain_without_seeds_at_the_levels_is_refused():
    with pytest.raises(ConfigError, match="no seed scenarios for domain 'cloud' at levels"):
        ALLOCATION.cases(TaskConfig(domain="cloud", levels=("legendary",)), seed=0)


def test_a_case_scores_its_reward():
    source = seed_program_paths()["best_fit"].read_text(encoding="utf-8")
    result = ALLOCATION.evaluate(source, seed_scenarios("easy", "cloud")[:2])
    scores = ALLOCATION.training_score(result.per_case)
    assert scores == {name: metrics["reward"] for name, metrics in result.per_case.items()}
    assert result.score == pytest.approx(sum(scores.values()) / 2)


def test_task_score_names_how_an_allocation_run_is_scored():
    assert problem_of_task(TaskConfig(domain="edge")) is get_problem("allocation")
    by_fitness = problem_of_task(TaskConfig(domain="cloud", score="fitness"))
    assert isinstance(by_fitness, AllocationFitnessProblem) and by_fitness.name == "allocation"
    assert problem_of_task(TaskConfig(domain="network", score="fitness")) is by_fitness
    assert problem_of_task(TaskConfig(domain="binpacking")) is get_problem("binpacking")


def _seed_source(name: str) -> str:
    return seed_program_paths()[name].read_text(encoding="utf-8")


def test_scored_by_fitness_a_case_scores_its_fitness_against_best_fit_there():
    problem, scenarios = AllocationFitnessProblem(), seed_scenarios("medium", "cloud")[:3]
    best_fit = problem.evaluate(_seed_source("best_fit"), scenarios)
    assert problem.training_score(best_fit.per_case) == {s.name: 0.0 for s in scenarios}
    assert best_fit.score == 0.0

    first_fit = problem.evaluate(_seed_source("first_fit"), scenarios)
    by_reward = ALLOCATION.evaluate(_seed_source("first_fit"), scenarios)
    best, first = (load_scheduler(seed_program_paths()[name]) for name in ("best_fit", "first_fit"))
    expected = {s.name: relative_fitness(s, first.run(s).metrics, best.run(s).metrics) for s in scenarios}
    assert problem.training_score(first_fit.per_case) == pytest.approx(expected)
    assert any(value != 0.0 for value in expected.values())
    assert first_fit.score == pytest.approx(sum(expected.values()) / 3)
    # The metrics are the reward problem's, with the fitness beside them.
    assert {n: {k: v for k, v in m.items() if k != "fitness"} for n, m in first_fit.per_case.items()} == (
        by_reward.per_case
    )
    assert "fitness" not in next(iter(by_reward.per_case.values()))
    assert problem.format_score(first_fit.score).startswith(("+", "-"))


def test_the_baselines_are_the_shipped_seed_programs():
    baselines = ALLOCATION.baselines()
    assert set(baselines) == set(seed_program_paths()) and {"first_fit", "best_fit"} <= set(baselines)


# --- jit="auto": numba compiles only when an evaluation makes enough decisions to repay it -----------


def test_allocation_compiles_from_jit_min_decisions_tasks():
    scenarios = seed_scenarios()
    tasks = sum(len(s.tasks) for s in scenarios)
    few = [s for s in scenarios if len(s.tasks) < JIT_MIN_DECISIONS][:1]
    assert tasks >= JIT_MIN_DECISIONS and few
    assert sum(ALLOCATION.case_size(s) for s in scenarios) == tasks
    assert ALLOCATION.use_jit("auto", scenarios)
    assert not ALLOCATION.use_jit("auto", few)


def test_the_test_cases_are_the_seeds_of_the_levels_a_run_does_not_use():
    problem = AllocationProblem()
    task = TaskConfig(domain="cloud", levels=("easy", "medium", "hard"))
    test = problem.test_cases(task)
    seen = {
        case.name
        for split in (problem.cases(task, 0).train, problem.cases(task, 0).validation)
        for case in split
    }
    assert test and all(case.name.startswith("expert-cloud-") for case in test)
    assert not seen & {case.name for case in test}
