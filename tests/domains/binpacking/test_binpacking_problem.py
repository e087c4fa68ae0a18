"""Bin packing as a problem: a run's cases (training instances one per case, or dealt into
``train_cases`` cases), their scores, and when ``jit="auto"`` compiles."""

import numpy as np
import pytest

from aurora_evo.config import ConfigError, RunConfig, TaskConfig, override
from aurora_evo.domains import get_problem
from aurora_evo.domains.allocation.problem import JIT_MIN_DECISIONS
from aurora_evo.domains.binpacking import BEST_FIT_SOURCE, Dataset, or_dataset, weibull_dataset
from aurora_evo.domains.binpacking.problem import JIT_MIN_ITEMS, BinPackingProblem, case_excess

OR = {"domain": "binpacking", "dataset": "or", "train_items": 120, "validation_instances": 2}
BINPACKING = BinPackingProblem()


def test_the_registry_names_the_bin_packing_problem():
    assert isinstance(get_problem("binpacking"), BinPackingProblem)
    assert BINPACKING.jit_min_decisions == JIT_MIN_ITEMS


def test_one_case_per_training_instance_by_default():
    cases = BINPACKING.cases(TaskConfig(**OR, train_instances=5, validation_items=250), seed=0)
    assert [len(case.instances) for case in cases.train] == [1] * 5
    assert cases.train[0].name == "train-or/u120_00"


def test_training_instances_are_dealt_into_train_cases_in_order():
    ungrouped = BINPACKING.cases(TaskConfig(**OR, train_instances=10, validation_items=250), seed=0)
    cases = BINPACKING.cases(
        TaskConfig(**OR, train_instances=10, train_cases=3, validation_items=250), seed=0
    )
    assert [len(case.instances) for case in cases.train] == [4, 3, 3]
    # The same instances as without grouping, in the same order, and the names say which they are.
    flat = [i for case in cases.train for i in case.instances]
    assert [i.items.tolist() for i in flat] == [c.instances[0].items.tolist() for c in ungrouped.train]
    assert cases.train[1].name == f"train-or/{flat[4].name}..{flat[6].name}"
    assert cases.validation == ungrouped.validation


def test_train_score_items_scores_training_at_that_length_and_leaves_validation_measured():
    config = TaskConfig(**OR, train_instances=6, train_cases=2, validation_items=250, train_score_items=500)
    cases = BINPACKING.cases(config, seed=0)
    assert [case.score_items for case in cases.train] == [500, 500]
    assert cases.validation[0].score_items is None
    assert "(training scored at 500 items)" in cases.description
    trained = BINPACKING.evaluate(BEST_FIT_SOURCE, cases.train)
    for name, case in trained.per_case.items():
        assert case["score_items"] == 500
        assert case["scored_excess_percent"] != case["excess_percent"]
        assert case_excess(case) == case["scored_excess_percent"]
        assert BINPACKING.training_score(trained.per_case)[name] == -case["scored_excess_percent"]
    assert trained.score == pytest.approx(
        -sum(c["scored_excess_percent"] for c in trained.per_case.values()) / 2
    )
    validated = BINPACKING.evaluate(BEST_FIT_SOURCE, cases.validation)
    assert "scored_excess_percent" not in validated.per_case["validation-or"]
    assert validated.score == -validated.per_case["validation-or"]["excess_percent"]
    assert case_excess(validated.per_case["validation-or"]) == -validated.score


def test_two_cases_of_one_name_are_each_extrapolated_from_their_own_packings():
    cases = BINPACKING.cases(TaskConfig(**OR, train_instances=6, train_cases=2, validation_items=250), seed=0)
    first, second = (Dataset("same", case.instances, "test", 500) for case in cases.train)
    both = BINPACKING.evaluate(BEST_FIT_SOURCE, [first, second]).per_case
    alone = [BINPACKING.evaluate(BEST_FIT_SOURCE, [d]).per_case["same"] for d in (first, second)]
    assert [c["scored_excess_percent"] for c in both.values()] == [c["scored_excess_percent"] for c in alone]


def _all_items(cases) -> list[list[float]]:
    return [i.items.tolist() for case in (*cases.train, *cases.validation) for i in case.instances]


def test_the_cases_come_from_the_seed_alone():
    config = TaskConfig(**OR, train_instances=2, validation_items=250)
    first = _all_items(BINPACKING.cases(config, seed=0))
    assert first == _all_items(BINPACKING.cases(config, seed=0))
    assert first != _all_items(BINPACKING.cases(config, seed=1))


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


# --- jit="auto": numba compiles only when an evaluation makes enough decisions to repay it -----------


def test_bin_packing_compiles_only_from_jit_min_items_items():
    rng = np.random.default_rng(0)
    # 60 x 120 OR items: above the allocation threshold, but numba's compile would cost twice the run.
    small = [or_dataset(rng, 60, 120, name="small")]
    large = [weibull_dataset(rng, JIT_MIN_ITEMS // 1000, 1000, name="large")]
    assert JIT_MIN_DECISIONS < 60 * 120 < JIT_MIN_ITEMS
    assert sum(BINPACKING.case_size(case) for case in small) == 60 * 120
    assert not BINPACKING.use_jit("auto", small)
    assert BINPACKING.use_jit("auto", large)
    assert BINPACKING.use_jit("always", small) and not BINPACKING.use_jit("never", large)


def test_the_evaluation_says_which_path_ran():
    source = "import numpy as np\n\ndef priority(item, bins):\n    return -(bins - item)\n"
    small = [or_dataset(np.random.default_rng(1), 10, 120, name="small")]
    assert not BINPACKING.evaluate(source, small).compiled
    assert BINPACKING.evaluate(source, small, jit="always").compiled


def test_the_test_case_is_funsearch_s_released_set_of_the_run_s_distribution():
    problem = BinPackingProblem()
    assert [d.name for d in problem.test_cases(TaskConfig(domain="binpacking", dataset="or"))] == ["OR3"]
    assert [d.name for d in problem.test_cases(TaskConfig(domain="binpacking", dataset="weibull"))] == [
        "Weibull 5k"
    ]
