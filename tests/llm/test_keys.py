"""API keys: read from the environment, rotated, each within its per-minute and per-day limits."""

from __future__ import annotations

import threading

import pytest

from aurora_evo.errors import InputError
from aurora_evo.llm.keys import (
    DAY_S,
    KeyLimits,
    KeyPool,
    MissingKeyError,
    QuotaExhausted,
    keys_from_env,
)


class FakeClock:
    """A clock whose time moves only when it is slept on (or set)."""

    def __init__(self, now: float = 1_000_000.0):
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


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
