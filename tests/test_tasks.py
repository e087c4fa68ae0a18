"""A run's cases: bin-packing training instances one per case, or dealt into ``train_cases`` cases."""

import pytest

from aurora_evo.config import ConfigError, RunConfig, TaskConfig, override
from aurora_evo.tasks import build_task

OR = {"domain": "binpacking", "dataset": "or", "train_items": 120, "validation_instances": 2}


def test_one_case_per_training_instance_by_default():
    task = build_task(TaskConfig(**OR, train_instances=5, validation_items=250), seed=0)
    assert [len(case.instances) for case in task.train] == [1] * 5
    assert task.train[0].name == "train-or/u120_00"


def test_training_instances_are_dealt_into_train_cases_in_order():
    ungrouped = build_task(TaskConfig(**OR, train_instances=10, validation_items=250), seed=0)
    task = build_task(TaskConfig(**OR, train_instances=10, train_cases=3, validation_items=250), seed=0)
    assert [len(case.instances) for case in task.train] == [4, 3, 3]
    # The same instances as without grouping, in the same order, and the names say which they are.
    flat = [i for case in task.train for i in case.instances]
    assert [i.items.tolist() for i in flat] == [c.instances[0].items.tolist() for c in ungrouped.train]
    assert task.train[1].name == f"train-or/{flat[4].name}..{flat[6].name}"
    assert task.validation == ungrouped.validation


def test_train_score_items_scores_training_at_that_length_and_leaves_validation_measured():
    from aurora_evo.domains.binpacking import BEST_FIT_SOURCE
    from aurora_evo.evaluation import evaluate_binpacking
    from aurora_evo.evolve import case_scores

    config = TaskConfig(**OR, train_instances=6, train_cases=2, validation_items=250, train_score_items=500)
    task = build_task(config, seed=0)
    assert [case.score_items for case in task.train] == [500, 500]
    assert task.validation[0].score_items is None
    assert "(training scored at 500 items)" in task.description
    trained = evaluate_binpacking(BEST_FIT_SOURCE, task.train)
    for name, case in trained.per_case.items():
        assert case["score_items"] == 500
        assert case["scored_excess_percent"] != case["excess_percent"]
        assert case_scores(trained)[name] == -case["scored_excess_percent"]
    assert trained.score == pytest.approx(
        -sum(c["scored_excess_percent"] for c in trained.per_case.values()) / 2
    )
    validated = evaluate_binpacking(BEST_FIT_SOURCE, task.validation)
    assert "scored_excess_percent" not in validated.per_case["validation-or"]
    assert validated.score == -validated.per_case["validation-or"]["excess_percent"]


def test_two_cases_of_one_name_are_each_extrapolated_from_their_own_packings():
    from aurora_evo.domains.binpacking import BEST_FIT_SOURCE, Dataset
    from aurora_evo.evaluation import evaluate_binpacking

    task = build_task(TaskConfig(**OR, train_instances=6, train_cases=2, validation_items=250), seed=0)
    first, second = (Dataset("same", case.instances, "test", 500) for case in task.train)
    both = evaluate_binpacking(BEST_FIT_SOURCE, [first, second]).per_case
    alone = [evaluate_binpacking(BEST_FIT_SOURCE, [d]).per_case["same"] for d in (first, second)]
    assert [c["scored_excess_percent"] for c in both.values()] == [c["scored_excess_percent"] for c in alone]


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("task.train_cases", 11, "task.train_cases must be between 0"),
        ("task.train_cases", -1, "task.train_cases must be between 0"),
        ("task.train_instances", 0, "task.train_instances, train_items"),
        ("task.validation_items", 0, "task.train_instances, train_items"),
        ("task.train_score_items", 0, "task.train_score_items must be >= 1"),
    ],
)
def test_task_sizes_are_checked(setting, value, message):
    with pytest.raises(ConfigError, match=message):
        override(RunConfig(), **{"task.domain": "binpacking", "task.train_instances": 10, setting: value})
