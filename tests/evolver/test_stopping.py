"""The stop rules, as a pure function of the run's progress."""

import pytest

from aurora_evo.config import StopConfig
from aurora_evo.evolver.stopping import Progress, stop_reason

NONE = StopConfig(max_iterations=None, max_seconds=None, patience=None, window=None)


@pytest.mark.parametrize(
    ("settings", "progress", "reason"),
    [
        ({"max_iterations": 5}, Progress(5, 0.0), "reached 5 iterations"),
        ({"max_iterations": 5}, Progress(4, 0.0), None),
        ({"max_seconds": 10.0}, Progress(1, 10.0), "used the 10 s budget"),
        ({"max_cost_usd": 1.5}, Progress(1, 0.0, cost_usd=1.5), "spent the $1.5 budget"),
        ({"max_calls": 3}, Progress(1, 0.0, calls=3), "made the 3 LLM calls allowed"),
        (
            {},
            Progress(1, 0.0, budget_refusal="the key's daily quota is used"),
            "the key's daily quota is used",
        ),
        ({}, Progress(1, 0.0, exhausted=("no more calls", None)), None),
        ({}, Progress(1, 0.0, exhausted=("no more calls", "spent")), "no more calls"),
        (
            {"curriculum_level": "medium"},
            Progress(1, 0.0, mastered="hard"),
            "the defender mastered the medium curriculum level",
        ),
        ({"curriculum_level": "hard"}, Progress(1, 0.0, mastered="medium"), None),
        ({"target_score": 0.8}, Progress(1, 0.0, best=0.81), "reached the target score 0.8"),
        ({"patience": 2}, Progress(3, 0.0, history=(0.5, 0.6, 0.6, 0.6)), "no improvement in 2 iterations"),
        ({"patience": 2}, Progress(3, 0.0, history=(0.5, 0.6, 0.6, 0.7)), None),
        ({"patience": 2}, Progress(2, 0.0, history=(None, None, None)), "no improvement in 2 iterations"),
        (
            {"window": 2, "min_improvement": 0.1},
            Progress(3, 0.0, history=(1.0, 1.0, 1.05)),
            "less than 10% improvement in 2 iterations",
        ),
        ({"window": 2, "min_improvement": 0.1}, Progress(3, 0.0, history=(1.0, 1.0, 1.2)), None),
        # A window that starts before any program ran is no evidence of stagnation.
        ({"window": 2, "min_improvement": 0.1}, Progress(3, 0.0, history=(None, 1.0, 1.0)), None),
    ],
)
def test_each_rule_stops_the_run_when_it_holds(settings, progress, reason):
    assert stop_reason(StopConfig(**(NONE.__dict__ | settings)), progress) == reason


def test_the_budgets_come_before_the_goals():
    both = StopConfig(**(NONE.__dict__ | {"max_iterations": 1, "target_score": 0.5}))
    assert stop_reason(both, Progress(1, 0.0, best=0.9)) == "reached 1 iterations"
