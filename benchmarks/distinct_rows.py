"""Distinct rows of a window's tasks: :func:`aurora_evo.rows.unique_rows` against ``numpy.unique(a,
axis=0, return_inverse=True)``, and the replay's check that every task fits some node by distinct
request and node shape against every task against every node.

    python benchmarks/distinct_rows.py [--repeats 5] [--seed 0] [--json]

Windows like Alibaba 2018's (generated from ``--seed``): tasks arriving over the window in whole seconds,
a few request shapes, three priorities, durations of whole seconds; the rows quality control takes
apart (:func:`~aurora_evo.scenario.quality.trace_window.window_samples`: arrival, the four demands,
priority, duration) for windows of 1,200 (3 minutes), 12,000 (30) and 48,000 tasks (2 hours). The
baseline of each ratio (numpy's sort of structured rows; the broadcast over every task and node) is
measured in the same run, and both sides must give the same answer.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from timing import median_time

from aurora_evo.rows import unique_rows
from aurora_evo.traces.sizing import fits_some_node


def window_rows(tasks: int, rng: np.random.Generator) -> np.ndarray:
    """``(tasks, 7)``: arrival (s), cores, GiB, GPUs, Gbit/s, priority, duration (s)."""
    shapes = np.array([[1.0, 0.5], [1.0, 1.0], [2.0, 1.0], [4.0, 2.0], [8.0, 4.0], [0.5, 0.25]])
    demand = np.zeros((tasks, 4))
    demand[:, :2] = shapes[rng.integers(0, len(shapes), tasks)]
    arrival = np.sort(np.round(rng.uniform(0.0, tasks * 0.15, tasks)))
    priority = rng.integers(0, 3, tasks).astype(float)
    duration = np.round(np.exp(rng.uniform(0.0, np.log(3600.0), tasks)))
    return np.column_stack([arrival, demand, priority, duration])


def each_against_each(demand: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """The replay's check as it was: every task against every node."""
    return (demand[:, None, :] <= capacity[None, :, :] + 1e-9).all(axis=2).any(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    rows = []
    for tasks in (1_200, 12_000, 48_000):
        a = window_rows(tasks, rng)
        numpy_s, (expected, expected_inverse) = median_time(
            lambda a=a: np.unique(a, axis=0, return_inverse=True), args.repeats
        )
        ours_s, (got, inverse) = median_time(lambda a=a: unique_rows(a), args.repeats)
        assert np.array_equal(got, expected) and np.array_equal(inverse, np.ravel(expected_inverse))
        rows.append({
            "what": f"distinct rows of {tasks:,} tasks x 7",
            "baseline_ms": round(numpy_s * 1e3, 2),
            "new_ms": round(ours_s * 1e3, 2),
            "speed-up": round(numpy_s / ours_s, 1),
        })  # fmt: skip
    demand = window_rows(12_000, rng)[:, 1:5]
    capacity = np.tile([96.0, 512.0, 0.0, 0.0], (1_000, 1))
    broadcast_s, expected = median_time(lambda: each_against_each(demand, capacity), args.repeats)
    ours_s, got = median_time(lambda: fits_some_node(demand, capacity), args.repeats)
    assert np.array_equal(got, expected)
    rows.append({
        "what": "every task fits some node, 12,000 tasks x 1,000 nodes",
        "baseline_ms": round(broadcast_s * 1e3, 2),
        "new_ms": round(ours_s * 1e3, 2),
        "speed-up": round(broadcast_s / ours_s, 1),
    })  # fmt: skip
    if args.json:
        print(json.dumps({"seed": args.seed, "repeats": args.repeats, "rows": rows}))
    else:
        for row in rows:
            print(
                f"{row['what']:>56}: {row['baseline_ms']:>9} ms -> {row['new_ms']:>8} ms ({row['speed-up']}x)"
            )


if __name__ == "__main__":
    main()
