"""The clairvoyant packing of feasibility control, compiled with numba: every task inserted one by one
at its earliest feasible start (what the packing is:
:func:`~aurora_evo.scenario.quality.feasibility.clairvoyant_deadline_packing`). It makes the choices of
the numpy functions it replaced, :func:`~aurora_evo.scenario.quality.feasibility.insert_all_reference`
and its ``earliest_start_reference``, which stay as the reference its tests compare it with: the same
float operations in the same order (a running sum over the same sorted events, leftovers rounded to 9
decimals as ``numpy.round`` does), so that ties between identical nodes fall alike. As numpy calls per
task, the packing was half of what the attacker spends on a scenario.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from aurora_evo.scenario.quality.report import _EPS


@njit(cache=True)
def _stable_order(node: np.ndarray, time: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """``numpy.lexsort((kind, time, node))``: by node, then time, then kind, then position."""
    order = np.argsort(kind, kind="mergesort")
    order = order[np.argsort(time[order], kind="mergesort")]
    return order[np.argsort(node[order], kind="mergesort")]


@njit(cache=True)
def _point(node_all, time_all, kind, cand, at, node, time, is_cand):
    node_all[at] = node
    time_all[at] = time
    kind[at] = 1
    cand[at] = is_cand


@njit(cache=True)
def _events(a, last, length, k, s_p, e_p, d_p, n_p):
    """The reference's merged rows, in its order: each interval's start (clipped to ``a``) and end as
    usage events (``delta`` +-demand), then the points to check (``kind`` 1): every node at ``a``,
    the candidate starts (interval ends in ``(a, last]``, ``cand``), the peaks (interval starts in
    ``(a, last + length)``). Returns (node, time, kind, cand, delta, number of points)."""
    q = s_p.size
    n_cand = 0
    n_peak = 0
    for i in range(q):
        if e_p[i] > a and e_p[i] <= last:
            n_cand += 1
        if s_p[i] > a and s_p[i] < last + length:
            n_peak += 1
    points = k + n_cand + n_peak
    size = 2 * q + points
    node_all = np.empty(size, dtype=np.int64)
    time_all = np.empty(size)
    kind = np.zeros(size, dtype=np.int8)
    cand = np.zeros(size, dtype=np.bool_)
    delta = np.zeros((size, 4))
    for i in range(q):
        node_all[i] = n_p[i]
        node_all[q + i] = n_p[i]
        time_all[i] = max(s_p[i], a)
        time_all[q + i] = e_p[i]
        delta[i] = d_p[i]
        delta[q + i] = -d_p[i]
    at = 2 * q
    for j in range(k):  # every node at the window's start, then the candidates, then the peaks
        _point(node_all, time_all, kind, cand, at, j, a, True)
        at += 1
    for i in range(q):
        if e_p[i] > a and e_p[i] <= last:
            _point(node_all, time_all, kind, cand, at, n_p[i], e_p[i], True)
            at += 1
    for i in range(q):
        if s_p[i] > a and s_p[i] < last + length:
            _point(node_all, time_all, kind, cand, at, n_p[i], s_p[i], False)
            at += 1
    return node_all, time_all, kind, cand, delta, points


@njit(cache=True)
def earliest_start(a, last, length, d, due, s_p, e_p, d_p, n_p, room, cap, scale, lat):
    """(start, node) of the earliest feasible start in ``[a, last]``, as the reference's
    ``earliest_start_reference`` (same arguments); ``(nan, -1)`` when there is none."""
    node_all, time_all, kind, cand, delta, points = _events(
        a, last, length, room.shape[0], s_p, e_p, d_p, n_p
    )
    size = node_all.size
    order = _stable_order(node_all, time_all, kind)

    # usage at each point: a running sum over every sorted event, less its value before the node's
    # first event (the reference's cumsum and base, float for float)
    p_node = np.empty(points, dtype=np.int64)
    p_time = np.empty(points)
    p_cand = np.empty(points, dtype=np.bool_)
    usage = np.empty((points, 4))
    total = np.zeros(4)
    base = np.zeros(4)
    previous = -1
    p = 0
    for i in range(size):
        row = order[i]
        if node_all[row] != previous:
            base[:] = total
            previous = node_all[row]
        for r in range(4):
            total[r] = total[r] + delta[row, r]
        if kind[row] == 1:
            p_node[p], p_time[p], p_cand[p] = node_all[row], time_all[row], cand[row]
            for r in range(4):
                usage[p, r] = total[r] - base[r]
            p += 1

    best_time, best_left, best_node = math.nan, math.inf, -1
    free_until = math.inf
    next_bad = -1
    for i in range(points - 1, -1, -1):  # from the end, so that the next refused point is known
        ok = True
        for r in range(4):
            if d[r] > 0 and not usage[i, r] + d[r] <= room[p_node[i], r]:
                ok = False
        if not ok:
            next_bad = i
        free_until = p_time[next_bad] if next_bad >= 0 and p_node[next_bad] == p_node[i] else math.inf
        j = p_node[i]
        if not (
            p_cand[i]
            and free_until >= p_time[i] + length * (1.0 - _EPS)
            and p_time[i] + length + lat[j] <= due * (1.0 + _EPS) + _EPS
            and p_time[i] <= last + _EPS
        ):
            continue
        left = 0.0
        for r in range(4):
            left += (cap[j, r] - usage[i, r] - d[r]) / scale[j, r]
        left = np.rint(left * 1e9) / 1e9  # numpy.round(left, 9)
        # earliest, then least leftover, then lowest node; an exact tie keeps the earlier point
        if (
            best_node < 0
            or p_time[i] < best_time
            or (p_time[i] == best_time and (left < best_left or (left == best_left and j <= best_node)))
        ):
            best_time, best_left, best_node = p_time[i], left, j
    return best_time, best_node


@njit(cache=True)
def insert_all(sequence, deadline_of, eager, arrival, latest, dur, dem, due, fits, room, cap, scale, lat):
    """(start, node) of every task (NaN, -1 when it misses its deadline or times out), as the
    reference's ``insert_all_reference`` (``sequence``: the tasks in insertion order;
    ``deadline_of``: whether each has a deadline; the rest as it computes them)."""
    n, m = arrival.size, cap.shape[0]
    starts, ends = np.empty(n), np.empty(n)
    demands, where_placed = np.empty((n, 4)), np.empty(n, dtype=np.int64)
    start_of, node_of = np.full(n, np.nan), np.full(n, -1, dtype=np.int64)
    local = np.full(m, -1, dtype=np.int64)
    placed = 0
    queued = np.empty(n, dtype=np.int64)  # the tasks without a deadline that did not start on arrival
    n_queued = 0
    for index in range(sequence.size + n):
        if index < sequence.size:
            k = sequence[index]
            on_arrival = eager and not deadline_of[k]
            if not deadline_of[k] and not eager:
                queued[n_queued] = k
                n_queued += 1
                continue
        elif index - sequence.size < n_queued:  # then the queued ones, as they were queued
            k = queued[index - sequence.size]
            on_arrival = False
        else:
            break
        if _insert(
            k, on_arrival, arrival, latest, dur, dem, due, fits, room, cap, scale, lat,
            starts, ends, demands, where_placed, placed, local,
        ):  # fmt: skip
            start_of[k], node_of[k] = starts[placed], where_placed[placed]
            placed += 1
        elif on_arrival:
            queued[n_queued] = k
            n_queued += 1
    return start_of, node_of


@njit(cache=True)
def _insert(
    k, on_arrival, arrival, latest, dur, dem, due, fits, room, cap, scale, lat,
    starts, ends, demands, where_placed, placed, local,
):  # fmt: skip
    """Place task ``k`` at its earliest feasible start (only at its arrival when ``on_arrival``) as
    interval ``placed``; whether it was placed."""
    a, last, d, length = arrival[k], latest[k], dem[k], dur[k]
    m = cap.shape[0]
    if last < a - _EPS:
        return False
    usage = np.zeros((m, 4))
    if on_arrival:  # quick filter: the nodes with room for it at its arrival
        for i in range(placed):
            if starts[i] <= a and ends[i] > a:
                for r in range(4):
                    usage[where_placed[i], r] += demands[i, r]
    count = 0
    for j in range(m):
        local[j] = -1
        if not fits[k, j]:
            continue
        if on_arrival:
            room_now = True
            for r in range(4):
                if not usage[j, r] + d[r] <= room[j, r]:
                    room_now = False
            if not room_now:
                continue
        local[j] = count
        count += 1
    if count == 0:
        return False
    options = np.empty(count, dtype=np.int64)
    for j in range(m):
        if local[j] >= 0:
            options[local[j]] = j
    room_o, cap_o, scale_o, lat_o = room[options], cap[options], scale[options], lat[options]
    chosen = np.empty(placed, dtype=np.int64)
    # search [a, upto], widening it 4x at a time (see the reference)
    lo = a
    step = 0.0 if on_arrival else max(length, _EPS)
    while True:
        upto = min(last, lo + step)
        q = 0
        for i in range(placed):
            if local[where_placed[i]] >= 0 and starts[i] < upto + length and ends[i] > lo:
                chosen[q] = i
                q += 1
        sel = chosen[:q]
        n_p = np.empty(q, dtype=np.int64)
        for i in range(q):
            n_p[i] = local[where_placed[sel[i]]]
        start, node = earliest_start(
            lo, upto, length, d, due[k], starts[sel], ends[sel], demands[sel], n_p,
            room_o, cap_o, scale_o, lat_o,
        )  # fmt: skip
        if node >= 0 or upto >= last or on_arrival:
            break
        lo, step = upto, 4.0 * step
    if node < 0:
        return False
    starts[placed], ends[placed] = start, start + length
    demands[placed] = d
    where_placed[placed] = options[node]
    return True
