"""API keys: read from the environment, rotated, each within its own per-minute and per-day limits.

Gemini's free and paid tiers limit requests per key per minute and per day; with several keys the pool
hands out the one with the most room, waits when every key is at its per-minute limit, and reports when
every key has used its daily allowance. The limits count requests in sliding windows (the last 60 s,
the last 24 h), which never exceeds a calendar-day quota.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from aurora_evo.errors import InputError

MINUTE_S = 60.0
DAY_S = 86_400.0

#: Environment variables for each backend, in order of precedence: the first one set is used (as the
#: Gemini SDK itself does, so a stale GOOGLE_API_KEY left from another API is not rotated in); ``*_KEYS``
#: hold comma-separated lists.
KEY_VARIABLES = {
    "gemini": ("GEMINI_API_KEYS", "GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "openai": ("OPENAI_API_KEYS", "OPENAI_API_KEY"),
}


class MissingKeyError(InputError):
    """No API key for a backend that needs one; the message names the variables to set."""


class QuotaExhausted(Exception):
    """No key can be used for a long while: every one has used its daily allowance, was refused by the
    server (a bad key), or must rest longer than the caller will wait; ``retry_in_s`` is when the first
    one may be used again (infinite for refused keys)."""

    def __init__(self, message: str, retry_in_s: float):
        super().__init__(message)
        self.retry_in_s = retry_in_s


def keys_from_env(
    backend: str, environ: Mapping[str, str] | None = None, *, required: bool = True
) -> list[str]:
    """The API keys for ``backend``: those of the first variable of :data:`KEY_VARIABLES` that is set,
    duplicates dropped.

    Raises:
        MissingKeyError: when none is set and ``required``.
    """
    environ = os.environ if environ is None else environ
    keys: list[str] = []
    for name in KEY_VARIABLES[backend]:
        for key in environ.get(name, "").split(","):
            if key.strip() and key.strip() not in keys:
                keys.append(key.strip())
        if keys:
            break
    if not keys and required:
        names = " or ".join(KEY_VARIABLES[backend][1:])
        raise MissingKeyError(
            f"no API key for --mutator {backend}: set {names} (or {KEY_VARIABLES[backend][0]}=key1,key2 "
            "to rotate several)"
        )
    return keys


@dataclass(frozen=True)
class KeyLimits:
    """Requests allowed per key; ``None`` means unlimited."""

    per_minute: int | None = None
    per_day: int | None = None


class KeyPool:
    """Hands out API keys within their limits; safe to use from several threads.

    Args:
        keys: the keys, in order (a key is reported by its index, never by its text).
        limits: the per-key request limits.
        history: ``(key index, unix time)`` of requests already made, e.g. read back from a resumed
            run's archive, so a resumed run keeps within the day's limit.
        clock, sleep: the time source and the wait (tests pass fakes).
    """

    def __init__(
        self,
        keys: Sequence[str],
        limits: KeyLimits = KeyLimits(),
        history: Iterable[tuple[int, float]] = (),
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not keys:
            raise ValueError("a key pool needs at least one key")
        self.keys = list(keys)
        self.limits = limits
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._used: list[deque[float]] = [deque() for _ in self.keys]
        self._cooling = [0.0] * len(self.keys)
        self._refused = [False] * len(self.keys)
        self._next = 0
        for index, when in sorted(history, key=lambda item: item[1]):
            if 0 <= index < len(self.keys):
                self._used[index].append(when)

    def acquire(self, max_wait_s: float = float("inf")) -> tuple[int, str]:
        """A key with room for one more request, as ``(index, key)``; counts the request.

        Waits while every key is at its per-minute limit (or resting after a 429), up to ``max_wait_s``.

        Raises:
            QuotaExhausted: when every key has used its daily allowance or was refused, or the wait
                would be longer than ``max_wait_s``.
        """
        while True:
            with self._lock:
                now = self._clock()
                usable = [i for i in range(len(self.keys)) if not self._refused[i]]
                if not usable:
                    raise QuotaExhausted("the server refused every API key (check them)", float("inf"))
                waits = {i: self._wait(i, now) for i in usable}
                # Round robin from the key after the last one handed out, among those free now.
                order = [(self._next + k) % len(self.keys) for k in range(len(self.keys))]
                free = [i for i in order if waits.get(i) == 0.0]
                if free:
                    index = free[0]
                    self._used[index].append(now)
                    self._next = index + 1
                    return index, self.keys[index]
                wait = min(waits.values())
                if self.limits.per_day is not None and all(
                    len(self._used[i]) >= self.limits.per_day for i in usable
                ):
                    raise QuotaExhausted(
                        f"every API key has used its daily request limit; the first frees in {wait:.0f} s",
                        wait,
                    )
                if wait > max_wait_s:
                    raise QuotaExhausted(f"every API key is rate limited for at least {wait:.0f} s", wait)
            self._sleep(wait)

    def refuse(self, index: int) -> None:
        """Take key ``index`` out of rotation (the server refused it: a bad or revoked key)."""
        with self._lock:
            self._refused[index] = True

    def penalise(self, index: int, seconds: float) -> None:
        """Rest key ``index`` for ``seconds`` (the server said it is rate limited)."""
        with self._lock:
            self._cooling[index] = max(self._cooling[index], self._clock() + seconds)

    def _wait(self, index: int, now: float) -> float:
        """Seconds until key ``index`` may be used (0.0: now)."""
        used = self._used[index]
        while used and used[0] <= now - DAY_S:
            used.popleft()
        wait = max(0.0, self._cooling[index] - now)
        if self.limits.per_day is not None and len(used) >= self.limits.per_day:
            wait = max(wait, used[len(used) - self.limits.per_day] + DAY_S - now)
        if self.limits.per_minute is not None:
            recent = [t for t in used if t > now - MINUTE_S]
            if len(recent) >= self.limits.per_minute:
                wait = max(wait, recent[len(recent) - self.limits.per_minute] + MINUTE_S - now)
        return wait
