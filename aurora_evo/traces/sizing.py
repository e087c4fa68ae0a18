"""How many nodes a replayed window gets: the offered load within the window, the demand running at
once, and a best fit on arrival for the latency-sensitive tasks (:func:`sized_nodes`); the measures
quality control shares (:func:`load_within_window`, :func:`peak_demand`).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

import numpy as np
from numba import njit

from aurora_evo.rows import unique_rows
from aurora_evo.traces.platforms import MachineClass, Platform

#: Sized nodes hold at least the demand running at once over this share of their capacity.
PEAK_LIMIT = 1.0
#: Sized nodes grow by at most this many for every task to find a machine of a class it fits, and for a
#: best fit on arrival to place every latency-sensitive task (:func:`places_on_arrival`), each.
EXTRA_NODES = 64


def load_within_window(
    demand: np.ndarray, arrival: np.ndarray, duration: np.ndarray, capacity: np.ndarray, window_s: float
) -> np.ndarray:
    """Offered load of each resource within ``[0, window_s)``: the demand x the part of each task's run
    inside the window (as if it started on arrival), over the capacity x the window.

    Args:
        demand: ``(n, 4)`` cpu, memory, gpu, network.
        arrival, duration: ``(n,)`` seconds, arrivals from the window's start.
        capacity: ``(4,)`` the cluster's total capacity.
        window_s: the window's length, s.

    Returns:
        ``(4,)`` load per resource; 0 where the cluster has none of the resource and no task asks for it,
        ``inf`` where tasks ask for a resource the cluster lacks.
    """
    inside = np.clip(np.minimum(arrival + duration, window_s) - arrival, 0.0, None)
    work = (demand * inside[:, None]).sum(axis=0)
    room = np.asarray(capacity, dtype=np.float64) * window_s
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(room > 0, work / np.where(room > 0, room, 1.0), np.where(work > 0, np.inf, 0.0))


def nodes_for(demand, arrival, duration, platform: Platform, window_s: float, target: float) -> int:
    """Nodes of the platform's mix that give the window an offered load of ``target`` on its bottleneck,
    and at least enough that the demand running at once (every task started on arrival) stays within
    :data:`PEAK_LIMIT` of the capacity: where tasks outlast the window, the load within it understates
    what runs at its end."""
    mean = np.array([m.capacity for m in platform.machines], dtype=np.float64)
    weights = np.array([m.count for m in platform.machines], dtype=np.float64)
    per_node = (mean * weights[:, None]).sum(axis=0) / weights.sum()
    load_on_one = load_within_window(demand, arrival, duration, per_node, window_s)
    with np.errstate(divide="ignore", invalid="ignore"):
        peak_on_one = np.where(per_node > 0, peak_demand(demand, arrival, duration) / per_node, np.inf)
    finite = np.concatenate([load_on_one / target, peak_on_one / PEAK_LIMIT])
    finite = finite[np.isfinite(finite)]
    return max(1, math.ceil(float(finite.max(initial=0.0)) - 1e-9))


def peak_demand(demand: np.ndarray, arrival: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """``(4,)`` the largest demand of each resource running at once, every task running from its arrival
    for its duration (a task ending when another starts does not overlap it)."""
    if len(arrival) == 0:
        return np.zeros(demand.shape[1])
    times = np.concatenate([arrival, arrival + duration])
    ends_first = np.concatenate([np.ones(arrival.size), np.zeros(arrival.size)])
    order = np.lexsort((ends_first, times))
    return np.cumsum(np.concatenate([demand, -demand])[order], axis=0).max(axis=0)


def sized_nodes(
    demand: np.ndarray,
    arrival: np.ndarray,
    duration: np.ndarray,
    sensitive: np.ndarray,
    platform: Platform,
    count: int,
) -> list[MachineClass]:
    """``count`` nodes of the platform's mix, or more (:func:`_fewest`): first the fewest that hold every
    task some class of the platform holds (one node of a mix of CPU and GPU machines is a CPU machine,
    and a GPU task would fit none), then the fewest on which a best fit on arrival places every
    ``sensitive`` task when it arrives (:func:`places_on_arrival`; a window whose peak demand fills its
    nodes can leave a deadline unmet for the want of a node of the right shape)."""
    fits = fits_some_node(demand, _capacity(list(platform.machines)))
    demand, arrival, duration, sensitive = demand[fits], arrival[fits], duration[fits], sensitive[fits]

    def every_class_there(n: int) -> bool:
        return bool(fits_some_node(demand, _capacity(platform.nodes(n))).all())

    def placed(n: int) -> bool:
        return places_on_arrival(demand, arrival, duration, _capacity(platform.nodes(n)), must=sensitive)

    return platform.nodes(_fewest(_fewest(count, every_class_there), placed))


def _fewest(count: int, enough: Callable[[int], bool]) -> int:
    """The fewest nodes from ``count`` to ``count +`` :data:`EXTRA_NODES` that are ``enough``: the
    nodes added double until enough, then the interval halves; ``count +`` :data:`EXTRA_NODES` when
    none is."""
    if enough(count):
        return count
    low, high = count, count + 1  # low is not enough
    while not enough(high):
        if high >= count + EXTRA_NODES:
            return high
        low, high = high, min(count + 2 * (high - count), count + EXTRA_NODES)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if enough(middle) else (middle, high)
    return high


def _capacity(machines: list[MachineClass]) -> np.ndarray:
    return np.array([m.capacity for m in machines], dtype=np.float64)


def places_on_arrival(
    demand: np.ndarray,
    arrival: np.ndarray,
    duration: np.ndarray,
    capacity: np.ndarray,
    must: np.ndarray | None = None,
) -> bool:
    """Whether a best fit, placing tasks in arrival order on a node the moment they arrive, places every
    task of ``must`` (default: every task); each runs for its duration from then (a task ending when
    another starts makes room for it), and a task outside ``must`` that finds no node is left out. The
    best node is the one left with the least free capacity, summed over resources as shares of the
    node's (the first such node on a tie).

    Args:
        demand: ``(n, 4)``; arrival, duration: ``(n,)`` seconds; must: ``(n,)`` bool.
        capacity: ``(m, 4)`` the nodes'.
    """
    demand = np.ascontiguousarray(demand, dtype=np.float64)
    arrival = np.ascontiguousarray(arrival, dtype=np.float64)
    must = (
        np.ones(arrival.size, dtype=np.bool_) if must is None else np.ascontiguousarray(must, dtype=np.bool_)
    )
    return bool(
        _best_fit_on_arrival(
            demand,
            arrival,
            np.ascontiguousarray(duration, dtype=np.float64),
            np.array(capacity, dtype=np.float64),
            must,
            np.argsort(arrival, kind="stable"),
        )
    )


# Compiled: the sizing runs it a few times per window over every task of the window against every node
# (25,000 tasks on 1,000 nodes for a Google 2011 half hour); in numpy it was two thirds of a replay's time.
@njit(cache=True)
def _best_fit_on_arrival(demand, arrival, duration, free, must, order):  # pragma: no cover - compiled
    nodes, resources = free.shape
    scale = np.where(free > 0, free, 1.0)
    running = [(0.0, 0, 0)]  # (end, task, node); seeded for its type, emptied at once
    running.pop()
    for i in order:
        while len(running) > 0 and running[0][0] <= arrival[i]:
            _, k, node = heapq.heappop(running)
            for r in range(resources):
                free[node, r] += demand[k, r]
        best, best_score = -1, np.inf
        for node in range(nodes):
            score = 0.0
            for r in range(resources):
                room = free[node, r] - demand[i, r]
                if not room >= -1e-9:  # as the numpy loop's test reads a NaN: no fit
                    break
                score += room / scale[node, r]
            else:
                if score < best_score:
                    best, best_score = node, score
        if best < 0:
            if must[i]:
                return False
            continue
        for r in range(resources):
            free[best, r] -= demand[i, r]
        heapq.heappush(running, (arrival[i] + duration[i], i, best))
    return True


def places_on_arrival_reference(
    demand: np.ndarray,
    arrival: np.ndarray,
    duration: np.ndarray,
    capacity: np.ndarray,
    must: np.ndarray | None = None,
) -> bool:
    """:func:`places_on_arrival` as a numpy loop, as it was written before it was compiled: the reference
    its tests and ``benchmarks/replay_sizing.py`` compare it with (same arguments, same answer)."""
    free = np.array(capacity, dtype=np.float64)
    scale = np.where(free > 0, free, 1.0)
    running: list[tuple[float, int, int]] = []  # (end, task, node)
    for i in np.argsort(arrival, kind="stable"):
        while running and running[0][0] <= arrival[i]:
            _, k, node = heapq.heappop(running)
            free[node] += demand[k]
        room = free - demand[i]
        fits = (room >= -1e-9).all(axis=1)
        if not fits.any():
            if must is None or must[i]:
                return False
            continue
        node = int(np.argmin(np.where(fits, (room / scale).sum(axis=1), np.inf)))
        free[node] = room[node]
        heapq.heappush(running, (float(arrival[i] + duration[i]), int(i), node))
    return True


def fits_some_node(demand: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """``(n,)`` whether each task fits at least one node when empty: compared by distinct request and
    distinct node shape (a window's tasks and nodes repeat a few)."""
    requests, request_of_task = unique_rows(demand)
    shapes, _ = unique_rows(capacity)
    fits = (requests[:, None, :] <= shapes[None, :, :] + 1e-9).all(axis=2).any(axis=1)
    return fits[request_of_task]
