"""Retries of failed LLM calls: exponential backoff with full jitter, honouring the server's Retry-After.

Every attempt is reported to ``on_attempt`` (so that each one is recorded in the archive, failures
included); the caller decides what a final failure means, and a failed call never stops a run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from aurora_evo.llm.backend import BackendError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a call.

    Attributes:
        attempts: calls at most, the first included.
        base_delay_s: the backoff before the second attempt; it doubles after each failure.
        max_delay_s: the longest wait between attempts (a longer Retry-After is still honoured, up to
            ``max_retry_after_s``).
        max_retry_after_s: a server asking to wait longer than this is not retried (e.g. a daily quota).
    """

    attempts: int = 4
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0
    max_retry_after_s: float = 120.0

    def delay(self, failures: int, error: BackendError, rng: np.random.Generator) -> float | None:
        """Seconds to wait after ``failures`` failed attempts (``error`` the last), or ``None`` when the
        call should not be tried again."""
        if not error.kind.retryable or failures >= self.attempts:
            return None
        backoff = min(self.max_delay_s, self.base_delay_s * 2.0 ** (failures - 1))
        # Full jitter: clients that failed together do not come back together.
        wait = float(rng.uniform(0.0, backoff))
        if error.retry_after is not None:
            if error.retry_after > self.max_retry_after_s:
                return None
            wait = max(wait, error.retry_after)
        return wait


def call_with_retries(
    call: Callable[[int], T],
    policy: RetryPolicy,
    rng: np.random.Generator,
    *,
    on_attempt: Callable[[int, T | None, BackendError | None, float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call(attempt)`` until it succeeds or ``policy`` gives up; raises the last :class:`BackendError`.

    ``on_attempt(attempt, result, error, seconds)`` is told about every attempt (numbered from 1),
    with the seconds it took.
    """
    attempt = 0
    while True:
        attempt += 1
        began = time.monotonic()
        try:
            result = call(attempt)
        except BackendError as error:
            if on_attempt:
                on_attempt(attempt, None, error, time.monotonic() - began)
            wait = policy.delay(attempt, error, rng)
            if wait is None:
                raise
            sleep(wait)
            continue
        if on_attempt:
            on_attempt(attempt, result, None, time.monotonic() - began)
        return result
