"""The replay's node sizing: the compiled best fit on arrival against the numpy loop it replaced.

    python benchmarks/replay_sizing.py [--tasks 25000] [--nodes 1000] [--repeats 3] [--seed 0] [--json]

A window like a busy Google 2011 half hour (``--tasks`` tasks arriving over 1,800 s, lasting 1 s to 1 h
log-uniformly, requests of a few shapes; ``--nodes`` nodes of Google 2011's machine mix, generated from
``--seed``) is placed by :func:`aurora_evo.traces.sizing.places_on_arrival` (compiled; its compilation,
or its load from numba's cache, is timed apart) and by
:func:`~aurora_evo.traces.sizing.places_on_arrival_reference` (the numpy loop, the baseline of the
ratio), both in this run; the two must agree. A replay sizes a window with a few such calls (the nodes
grow until every latency-sensitive task is placed).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from timing import median_time

from aurora_evo.traces.platforms import GOOGLE_2011
from aurora_evo.traces.sizing import places_on_arrival, places_on_arrival_reference


def window(tasks: int, nodes: int, rng: np.random.Generator):
    """(demand ``(n, 4)`` cores and GiB, arrival ``(n,)`` s, duration ``(n,)`` s, capacity ``(m, 4)``)."""
    shapes = np.array([[0.25, 0.5], [0.5, 1.0], [1.0, 2.0], [2.0, 4.0], [4.0, 8.0]])
    demand = np.zeros((tasks, 4))
    demand[:, :2] = shapes[rng.integers(0, len(shapes), tasks)]
    arrival = np.sort(rng.uniform(0.0, 1800.0, tasks))
    duration = np.exp(rng.uniform(0.0, np.log(3600.0), tasks))
    capacity = np.array([m.capacity for m in GOOGLE_2011.nodes(nodes)], dtype=np.float64)
    return demand, arrival, duration, capacity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=25_000)
    parser.add_argument("--nodes", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    demand, arrival, duration, capacity = window(args.tasks, args.nodes, np.random.default_rng(args.seed))
    began = time.perf_counter()
    places_on_arrival(demand[:1], arrival[:1], duration[:1], capacity[:1])
    first_call = time.perf_counter() - began
    compiled, placed = median_time(
        lambda: places_on_arrival(demand, arrival, duration, capacity), args.repeats
    )
    numpy_loop, reference = median_time(
        lambda: places_on_arrival_reference(demand, arrival, duration, capacity), args.repeats
    )
    assert placed == reference, "the compiled best fit and the numpy loop disagree"
    result = {
        "tasks": args.tasks,
        "nodes": args.nodes,
        "seed": args.seed,
        "placed_every_task": bool(placed),
        "first_call_s": round(first_call, 3),
        "compiled_s": round(compiled, 4),
        "numpy_loop_s": round(numpy_loop, 3),
        "speed-up": round(numpy_loop / compiled, 1),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>18}: {value}")


if __name__ == "__main__":
    main()
