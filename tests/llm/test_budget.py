"""The run's call and cost budget, calls in flight included."""

from __future__ import annotations

import pytest

from aurora_evo.llm.budget import BudgetExhausted, CallBudget


def test_call_budget_counts_calls():
    budget = CallBudget(max_calls=2)
    for _ in range(2):
        budget.start(0.0)
        budget.finish(0.0, 0.0)
    assert budget.exhausted
    with pytest.raises(BudgetExhausted, match="2 LLM calls"):
        budget.start(0.0)


def test_cost_budget_holds_the_worst_case_of_calls_in_flight():
    budget = CallBudget(max_cost_usd=1.0)
    budget.start(0.4)
    budget.start(0.4)
    with pytest.raises(BudgetExhausted):
        budget.start(0.4)  # 1.2 might be spent if all three cost their most
    budget.finish(0.4, 0.05)
    budget.start(0.4)  # the first cost 0.05 only: 0.85 at most now
    budget.release(0.4)
    assert budget.calls == 1 and budget.cost_usd == pytest.approx(0.05)
