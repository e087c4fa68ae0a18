"""The LLM mutator's support pieces: retries, key rotation and limits, budgets, prices, instructions."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aurora_evo.errors import InputError
from aurora_evo.mutators.llm.backends import BackendError, ErrorKind
from aurora_evo.mutators.llm.budget import BudgetExhausted, CallBudget
from aurora_evo.mutators.llm.keys import (
    DAY_S,
    KeyLimits,
    KeyPool,
    MissingKeyError,
    QuotaExhausted,
    keys_from_env,
)
from aurora_evo.mutators.llm.meta import InstructionPool, meta_prompt, parse_instruction
from aurora_evo.mutators.llm.pricing import PriceTable, parse_prices
from aurora_evo.mutators.llm.retry import RetryPolicy, call_with_retries


class FakeClock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


# --- retries ------------------------------------------------------------------------------------------


def failing(*errors: BackendError, result: str = "done"):
    """A call that raises ``errors`` in turn, then returns ``result``; records the attempts."""
    attempts = []

    def call(attempt: int) -> str:
        attempts.append(attempt)
        if attempt <= len(errors):
            raise errors[attempt - 1]
        return result

    return call, attempts


def test_retries_until_success_and_reports_every_attempt():
    call, attempts = failing(BackendError(ErrorKind.SERVER, "500"), BackendError(ErrorKind.TIMEOUT, "slow"))
    seen, waits = [], []
    result = call_with_retries(
        call,
        RetryPolicy(attempts=4, base_delay_s=1.0),
        np.random.default_rng(0),
        on_attempt=lambda n, r, e, s: seen.append((n, r, e.kind if e else None)),
        sleep=waits.append,
    )
    assert result == "done" and attempts == [1, 2, 3]
    assert seen == [(1, None, ErrorKind.SERVER), (2, None, ErrorKind.TIMEOUT), (3, "done", None)]
    # Full jitter: each wait is within the doubling backoff.
    assert 0 <= waits[0] <= 1.0 and 0 <= waits[1] <= 2.0


def test_retry_after_is_honoured_as_the_least_wait():
    call, _ = failing(BackendError(ErrorKind.RATE_LIMITED, "429", retry_after=7.0))
    waits = []
    call_with_retries(call, RetryPolicy(base_delay_s=0.01), np.random.default_rng(0), sleep=waits.append)
    assert waits == [7.0]


def test_gives_up_after_the_attempts_and_raises_the_last_error():
    errors = [BackendError(ErrorKind.SERVER, f"500 #{i}") for i in range(5)]
    call, attempts = failing(*errors)
    with pytest.raises(BackendError, match="#2"):
        call_with_retries(call, RetryPolicy(attempts=3), np.random.default_rng(0), sleep=lambda s: None)
    assert attempts == [1, 2, 3]


@pytest.mark.parametrize("kind", [ErrorKind.AUTH, ErrorKind.BAD_REQUEST])
def test_errors_that_cannot_heal_are_not_retried(kind):
    call, attempts = failing(BackendError(kind, "no"))
    with pytest.raises(BackendError):
        call_with_retries(call, RetryPolicy(attempts=5), np.random.default_rng(0), sleep=lambda s: None)
    assert attempts == [1]


def test_a_retry_after_beyond_the_limit_is_not_waited_for():
    call, attempts = failing(BackendError(ErrorKind.RATE_LIMITED, "daily quota", retry_after=3600.0))
    with pytest.raises(BackendError):
        call_with_retries(
            call, RetryPolicy(max_retry_after_s=120), np.random.default_rng(0), sleep=lambda s: None
        )
    assert attempts == [1]


@given(st.integers(1, 30), st.floats(0.01, 5), st.floats(0.1, 60), st.integers(0, 2**32 - 1))
def test_backoff_stays_within_its_cap(failures, base, cap, seed):
    policy = RetryPolicy(attempts=100, base_delay_s=base, max_delay_s=cap)
    wait = policy.delay(failures, BackendError(ErrorKind.SERVER, "x"), np.random.default_rng(seed))
    assert 0 <= wait <= min(cap, base * 2 ** (failures - 1)) + 1e-9


# --- keys ---------------------------------------------------------------------------------------------


def test_keys_come_from_the_first_variable_set_without_duplicates():
    env = {"GEMINI_API_KEYS": "a, b,,a", "GEMINI_API_KEY": "c", "GOOGLE_API_KEY": "d"}
    assert keys_from_env("gemini", env) == ["a", "b"]
    # A GOOGLE_API_KEY left over from another Google API is not rotated in beside GEMINI_API_KEY.
    assert keys_from_env("gemini", {"GEMINI_API_KEY": "c", "GOOGLE_API_KEY": "d"}) == ["c"]
    assert keys_from_env("gemini", {"GOOGLE_API_KEY": "d"}) == ["d"]
    assert keys_from_env("openai", {"OPENAI_API_KEY": "k"}) == ["k"]


def test_a_missing_key_is_one_line_naming_the_variables():
    with pytest.raises(MissingKeyError) as caught:
        keys_from_env("gemini", {})
    message = str(caught.value)
    assert "GEMINI_API_KEY" in message and "GOOGLE_API_KEY" in message and "\n" not in message
    assert isinstance(caught.value, InputError)
    assert keys_from_env("openai", {}, required=False) == []


def test_keys_rotate_round_robin():
    clock = FakeClock()
    pool = KeyPool(["k0", "k1", "k2"], clock=clock, sleep=clock.sleep)
    assert [pool.acquire()[1] for _ in range(6)] == ["k0", "k1", "k2", "k0", "k1", "k2"]


def test_per_minute_limit_waits_for_the_window_to_free():
    clock = FakeClock()
    pool = KeyPool(["k0", "k1"], KeyLimits(per_minute=2), clock=clock, sleep=clock.sleep)
    for _ in range(4):
        pool.acquire()
    assert clock.slept == []
    pool.acquire()  # all four slots of the minute are used: wait for the oldest to age out
    assert clock.slept == [pytest.approx(60.0)]


def test_per_day_limit_raises_when_every_key_is_used_up():
    clock = FakeClock()
    pool = KeyPool(["k0", "k1"], KeyLimits(per_day=3), clock=clock, sleep=clock.sleep)
    for _ in range(6):
        pool.acquire()
        clock.now += 61  # stay clear of any per-minute limit
    with pytest.raises(QuotaExhausted) as caught:
        pool.acquire()
    assert 0 < caught.value.retry_in_s <= DAY_S


def test_history_from_a_resumed_run_counts_against_the_day():
    clock = FakeClock()
    history = [(0, clock.now - 3600.0)] * 2 + [(1, clock.now - 2 * DAY_S)]  # the last is too old to count
    pool = KeyPool(["k0", "k1"], KeyLimits(per_day=2), history, clock=clock, sleep=clock.sleep)
    assert [pool.acquire()[0] for _ in range(2)] == [1, 1]
    with pytest.raises(QuotaExhausted):
        pool.acquire()


def test_a_rate_limited_key_rests_while_the_others_serve():
    clock = FakeClock()
    pool = KeyPool(["k0", "k1"], clock=clock, sleep=clock.sleep)
    pool.penalise(0, 30.0)
    assert [pool.acquire()[0] for _ in range(3)] == [1, 1, 1]
    clock.now += 31
    assert pool.acquire()[0] == 0


def test_the_pool_is_safe_across_threads():
    pool = KeyPool(["k0", "k1", "k2"], KeyLimits(per_day=100))
    taken = []
    threads = [
        threading.Thread(target=lambda: taken.extend(pool.acquire()[0] for _ in range(50))) for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken.count(i) for i in range(3)) == [100, 100, 100]
    with pytest.raises(QuotaExhausted):
        pool.acquire()


# --- budget and prices -----------------------------------------------------------------------------------


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


def test_prices_match_the_longest_prefix_and_local_models_are_free():
    table = PriceTable(parse_prices(["my-model=1/2"]))
    assert table.rates("gemini-2.5-flash-lite-preview") == (0.10, 0.40)
    assert table.rates("gemini-2.5-flash-001") == (0.30, 2.50)
    assert table.cost("my-model", 1_000_000, 500_000) == pytest.approx(2.0)
    assert table.cost("qwen2.5-coder:7b", 10**6, 10**6) == 0.0


@pytest.mark.parametrize("entry", ["nonsense", "m=1", "m=a/b", "=1/2", "m=-1/2"])
def test_bad_price_entries_are_refused_in_one_line(entry):
    with pytest.raises(InputError, match=r"llm\.prices"):
        parse_prices([entry])


# --- instructions -----------------------------------------------------------------------------------------

SEEDS = ("Make one small change. Keep the rest.", "Try a different idea entirely.", "Tune the constants.")


def test_thompson_sampling_prefers_the_instruction_whose_children_improve():
    pool = InstructionPool(SEEDS, size=3)
    good, bad, _ = list(pool.items)
    for _ in range(20):
        pool.record(good, True)
        pool.record(bad, False)
    rng = np.random.default_rng(0)
    picks = [pool.sample(rng).id for _ in range(200)]
    assert picks.count(good) > 150 and picks.count(bad) < 5


def test_a_step_retires_the_worst_and_adds_the_model_s_instruction():
    pool = InstructionPool(SEEDS, size=3, interval=4, min_trials=2)
    ids = list(pool.items)
    for index, instruction in enumerate(ids):
        for trial in range(4):
            pool.record(instruction, improved=trial < index)  # the first seed never improves
    assert pool.due
    asked = []
    new = pool.step(
        np.random.default_rng(0),
        7,
        lambda text: asked.append(text) or "<instruction>Merge the best two ideas.</instruction>",
    )
    assert (
        new is not None and new.text == "Merge the best two ideas." and new.origin == "llm" and new.born == 7
    )
    assert pool.items[ids[0]].retired and len(pool.active) == 3 and not pool.due
    assert "2/4 improved" in asked[0] and "0/4 improved" in asked[0]
    assert asked[0].index("2/4") < asked[0].index("0/4")  # best first


def test_without_a_model_answer_two_instructions_are_recombined():
    pool = InstructionPool(SEEDS, size=4, interval=1, min_trials=1)
    new = pool.step(np.random.default_rng(1), 1, lambda text: None)
    assert new is not None and new.origin == "recombined" and len(new.parent_ids) == 2
    sentences = [s for seed in SEEDS for s in seed.split(". ")]
    assert any(part.rstrip(".") in new.text for part in sentences)


def test_the_pool_survives_a_save_and_restore():
    pool = InstructionPool(SEEDS, size=3)
    pool.record(next(iter(pool.items)), True)
    again = InstructionPool(("other",), size=3)
    again.restore(pool.state())
    assert again.state() == pool.state()


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            "<instruction>Use the remaining capacity more cleverly.</instruction>",
            "Use the remaining capacity more cleverly.",
        ),
        (
            "Sure! <instruction>\n  Prefer   tight fits.  \n</instruction> Hope this helps",
            "Prefer tight fits.",
        ),
        ("<instruction>x</instruction>", None),  # too short to be an instruction
        ("", None),
    ],
)
def test_parse_instruction(reply, expected):
    assert parse_instruction(reply) == expected


def test_meta_prompt_lists_untried_instructions():
    pool = InstructionPool(SEEDS, size=3)
    assert meta_prompt(pool.active).count("not tried yet") == 3
