"""The allocation problem's cases from a suite: its train split trains, its validation split is held out
and chosen by, its test split is the test; without a suite, the seeds as before."""

from __future__ import annotations

from aurora_evo.config import TaskConfig
from aurora_evo.domains.allocation.problem import AllocationProblem
from aurora_evo.seeds import SEED_LEVELS


def test_a_suite_gives_its_splits(tiny_suite):
    problem, task = AllocationProblem(), TaskConfig(suite="tiny")
    cases = problem.cases(task, seed=0)
    assert cases.train == tiny_suite.train and cases.validation == tiny_suite.validation
    assert problem.test_cases(task) == tiny_suite.test
    assert "suite tiny" in cases.description and "2 train scenarios" in cases.description


def test_a_suite_is_chosen_by_its_validation_split_alone():
    problem = AllocationProblem()
    assert problem.pooled_selection(TaskConfig(suite="tiny")) is False
    assert problem.pooled_selection(TaskConfig()) is True  # a few held-out seeds: pooled with training


def test_without_a_suite_the_seeds_split_as_before():
    problem, task = AllocationProblem(), TaskConfig(levels=("easy",))
    cases = problem.cases(task, seed=0)
    assert [s.name for s in cases.validation] == ["easy-cloud-03"]
    unseen = problem.test_cases(task)
    assert {s.name.split("-")[0] for s in unseen} == set(SEED_LEVELS) - {"easy"}
