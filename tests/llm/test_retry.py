"""Retries of failed calls: exponential backoff with full jitter, Retry-After, errors that cannot heal."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aurora_evo.llm.backend import BackendError, ErrorKind
from aurora_evo.llm.retry import RetryPolicy, call_with_retries


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
