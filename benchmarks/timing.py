"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(fn: Callable[[], object], repeats: int = 1, *, warm: bool = False) -> tuple[float, object]:
    """Median wall time in seconds of ``repeats`` calls of ``fn``, and the last result.

    ``warm=True`` makes one untimed call first (first compiles, a sandbox's first jail).
    """
    if warm:
        fn()
    times, result = [], None
    for _ in range(repeats):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result
