"""Layer 2, feasibility: the SLAs can be met. Lower bounds (every task fits on some node, deadlines
reachable when started on arrival, deadline work within the cluster's capacity over the deadline
window), then a clairvoyant packing of the deadline tasks that must meet
:attr:`~aurora_evo.scenario.quality.report.QualityConfig.sla_share` of the deadlines."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from aurora_evo.scenario.model import Scenario
from aurora_evo.scenario.quality.report import (
    _EPS,
    _RESOURCE_NAMES,
    DEFAULT_CONFIG,
    Layer,
    QualityConfig,
    Verdict,
    _g,
    _join,
    _num,
    _quiet,
)

#: Orders in which the clairvoyant packing inserts tasks: by last useful start time, or by due time
#: (arrival + deadline). Any packing is a valid schedule, so the better of the two counts.
PACKING_ORDERS = ("latest_start", "due")


def _fits(demand: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """``(n_tasks, n_nodes)`` mask: the task's demand fits the node's capacity in every resource."""
    room = capacity[None, :, :] * (1.0 + _EPS) + _EPS
    return np.all(demand[:, None, :] <= room, axis=2)


def _earliest_start(
    a: float,
    last: float,
    length: float,
    d: np.ndarray,
    due: float,
    s_p: np.ndarray,
    e_p: np.ndarray,
    d_p: np.ndarray,
    n_p: np.ndarray,
    room: np.ndarray,
    cap: np.ndarray,
    scale: np.ndarray,
    lat: np.ndarray,
) -> tuple[float, int]:
    """(start, node) of the earliest feasible start in ``[a, last]`` of a task of ``length`` s and
    demand ``d`` on one of ``k`` nodes (``room``, ``cap``, ``scale``, ``lat`` are ``(k, ...)``), given
    the intervals placed on them (``s_p``, ``e_p``, ``d_p``, node ``n_p`` in 0..k-1) that overlap the
    window; ties go to the best fit. ``(nan, -1)`` when there is none.

    A start is the arrival or the end of an interval on that node, and the usage over [t, t + length)
    peaks at t or where an interval starts; so per node only those points are checked. All nodes at
    once, in flat arrays sorted by (node, time): O(intervals + nodes) per task.
    """
    k, q = room.shape[0], s_p.size
    is_cand = (e_p > a) & (e_p <= last)
    is_peak = (s_p > a) & (s_p < a + (last - a) + length)
    pt_node = np.concatenate([np.arange(k), n_p[is_cand], n_p[is_peak]])
    pt_time = np.concatenate([np.full(k, a), e_p[is_cand], s_p[is_peak]])
    pt_cand = np.concatenate(
        [np.ones(k + int(is_cand.sum()), dtype=bool), np.zeros(int(is_peak.sum()), dtype=bool)]
    )
    # usage events (+d at the start, clipped to a; -d at the end) merged with the points; at equal
    # times events come first, so a point sees the intervals active on [t, t + dt)
    node_all = np.concatenate([n_p, n_p, pt_node])
    time_all = np.concatenate([np.maximum(s_p, a), e_p, pt_time])
    kind = np.concatenate([np.zeros(2 * q, dtype=np.int8), np.ones(pt_time.size, dtype=np.int8)])
    order = np.lexsort((kind, time_all, node_all))
    delta = np.concatenate([d_p, -d_p, np.zeros((pt_time.size, 4))])[order]
    total = np.cumsum(delta, axis=0)
    node_sorted = node_all[order]
    first = np.concatenate([[True], node_sorted[1:] != node_sorted[:-1]])
    group = np.cumsum(first) - 1
    base = np.concatenate([np.zeros((1, 4)), total])[np.flatnonzero(first)]
    usage = total - base[group]
    point = kind[order] == 1
    usage, p_node, p_time = usage[point], node_sorted[point], time_all[order][point]
    p_cand = np.concatenate([np.zeros(2 * q, dtype=bool), pt_cand])[order][point]

    ok = np.ones(p_time.size, dtype=bool)
    for r in np.flatnonzero(d > 0):  # a resource the task does not use cannot overflow
        ok &= usage[:, r] + d[r] <= room[p_node, r]
    bad = np.flatnonzero(~ok)
    free_until = np.full(p_time.size, np.inf)
    if bad.size:
        nxt = np.searchsorted(bad, np.arange(p_time.size))
        has = nxt < bad.size
        nb = bad[np.minimum(nxt, bad.size - 1)]
        same = has & (p_node[nb] == p_node)
        free_until[same] = p_time[nb[same]]
    feasible = (
        p_cand
        & (free_until >= p_time + length * (1.0 - _EPS))
        & (p_time + length + lat[p_node] <= due * (1.0 + _EPS) + _EPS)
        & (p_time <= last + _EPS)
    )
    hits = np.flatnonzero(feasible)
    if hits.size == 0:
        return math.nan, -1
    leftover = ((cap[p_node[hits]] - usage[hits] - d) / scale[p_node[hits]]).sum(axis=1)
    # rounded, so that float noise in the sums does not decide ties between identical nodes
    pick = hits[np.lexsort((p_node[hits], np.round(leftover, 9), p_time[hits]))[0]]
    return float(p_time[pick]), int(p_node[pick])


def _insert_all(s: Scenario, chosen: np.ndarray, order_by: str) -> tuple[np.ndarray, np.ndarray]:
    """(start, node) of each task of ``chosen`` (NaN, -1 when missed), inserted one by one in
    ``order_by`` order at its earliest feasible start (see :func:`clairvoyant_deadline_packing`)."""
    tasks, nodes = s.tasks, s.nodes
    m = int(chosen.size)
    cap = nodes.capacity
    room = cap * (1.0 + _EPS) + _EPS
    scale = np.where(cap > 0, cap, 1.0)
    lat = nodes.latency_ms / 1000.0
    arrival = tasks.arrival[chosen]
    dur = tasks.duration[chosen]
    dem = tasks.demand[chosen]
    due = arrival + tasks.deadline[chosen]
    timeout = math.inf if s.queue_timeout_s is None else float(s.queue_timeout_s)
    fits = _fits(dem, cap)
    best_lat = np.where(fits, lat[None, :], np.inf).min(axis=1)
    latest = np.minimum(due - dur - best_lat, arrival + timeout)  # last useful start
    key = latest if order_by == "latest_start" else due

    # the placed intervals: start, end, demand, node
    starts, ends = np.empty(m), np.empty(m)
    demands, where_placed = np.empty((m, 4)), np.empty(m, dtype=np.int64)
    placed = 0
    start_of, node_of = np.full(m, np.nan), np.full(m, -1, dtype=np.int64)
    local = np.full(len(nodes), -1, dtype=np.int64)
    for k in np.lexsort((arrival, key)):
        a, last, d, length = arrival[k], latest[k], dem[k], dur[k]
        options = np.flatnonzero(fits[k])
        if last < a - _EPS or options.size == 0:
            continue
        local[options] = np.arange(options.size)
        horizon = last + length
        sel = np.flatnonzero(
            (starts[:placed] < horizon) & (ends[:placed] > a) & (local[where_placed[:placed]] >= 0)
        )
        local_of_sel = local[where_placed[sel]]
        local[options] = -1
        start, node = _earliest_start(
            a, last, length, d, due[k], starts[sel], ends[sel], demands[sel], local_of_sel,
            room[options], cap[options], scale[options], lat[options],
        )  # fmt: skip
        if node < 0:
            continue
        best = int(options[node])
        starts[placed], ends[placed], demands[placed], where_placed[placed] = start, start + length, d, best
        start_of[k], node_of[k] = start, best
        placed += 1
    return start_of, node_of


@dataclass(frozen=True)
class Packing:
    """The clairvoyant packing of the deadline tasks (:func:`clairvoyant_deadline_packing`).

    Attributes:
        tasks: scenario indices of the tasks with a deadline, ``(m,)``.
        start: start time (s) of each, NaN when it misses its deadline, ``(m,)``.
        node: node of each, -1 when it misses, ``(m,)``.
        order: the insertion order that produced it (one of :data:`PACKING_ORDERS`; "" when m = 0).
    """

    tasks: np.ndarray
    start: np.ndarray
    node: np.ndarray
    order: str

    @property
    def met(self) -> int:
        return int((self.node >= 0).sum())

    @property
    def share(self) -> float:
        """Share of the deadlines met (1 when there are none)."""
        return self.met / self.tasks.size if self.tasks.size else 1.0


@_quiet
def clairvoyant_deadline_packing(s: Scenario) -> Packing:
    """An offline packing of the tasks with a deadline, by a scheduler that knows every task.

    Only tasks with a deadline are packed: the others carry no SLA, and a clairvoyant scheduler would
    run them in the gaps (or let them time out). Tasks are taken one by one (by last useful start,
    then, unless every deadline is met, again by due time: :data:`PACKING_ORDERS`) and inserted on the
    node timelines at the earliest start >= arrival where the task fits for its whole duration, would
    finish in time (network latency included) and has not waited past the queue timeout; ties go to
    the best-fitting node (smallest leftover, summed over resources as shares of the node's). A task
    with no such start is missed. Any packing is a valid schedule, so the better one is a witness of
    what a scheduler can attain. Numpy over the intervals overlapping each task's window; ~0.2-0.5 s
    per order for the 1,000-task, 100-node seeds.
    """
    chosen = np.flatnonzero(s.tasks.has_deadline)
    best = Packing(chosen, np.full(chosen.size, np.nan), np.full(chosen.size, -1, dtype=np.int64), "")
    for order_by in PACKING_ORDERS:
        if chosen.size == 0 or best.met == chosen.size:
            break
        start, node = _insert_all(s, chosen, order_by)
        packing = Packing(chosen, start, node, order_by)
        if packing.met > best.met or not best.order:
            best = packing
    return best


@_quiet
def check_feasibility(s: Scenario, *, config: QualityConfig = DEFAULT_CONFIG) -> Verdict:
    """Layer 2: the scenario can meet its SLAs.

    Lower bounds first: every task fits on some node; at least ``sla_share`` of the deadline tasks can
    meet their deadline on some node they fit on when started at arrival (duration + the node's
    latency <= deadline: the generator allows the median node's latency, so a task that fits only on a
    far node may miss it whatever the scheduler does); per resource, the ``sla_share`` of the deadline
    tasks with the least work (demand x duration) fits the cluster's capacity over the deadline window
    (first arrival to last due time). Then the best clairvoyant packing
    (:func:`clairvoyant_deadline_packing`) must meet at least ``sla_share`` of the deadlines.
    """
    tasks, nodes = s.tasks, s.nodes
    cap = nodes.capacity
    lat = nodes.latency_ms / 1000.0
    problems: list[str] = []
    fits = _fits(tasks.demand, cap)
    homeless = np.flatnonzero(~fits.any(axis=1))
    if homeless.size:
        i = int(homeless[0])
        others = f" (and {homeless.size - 1} more)" if homeless.size > 1 else ""
        units = ("cpu", "GiB", "gpu", "Gbit/s")
        shown = ", ".join(f"{_g(v)} {u}" for v, u in zip(tasks.demand[i], units, strict=True) if v > 0)
        problems.append(f"task {i} ({shown}) fits on no single node{others}")

    has = tasks.has_deadline
    m = int(has.sum())
    details: dict[str, object] = {"deadline_tasks": m, "required_share": config.sla_share}
    if m:
        best_lat = np.where(fits, lat[None, :], np.inf).min(axis=1)
        late = np.flatnonzero(has & (tasks.duration + best_lat > tasks.deadline * (1.0 + _EPS) + _EPS))
        details["impossible_deadlines"] = int(late.size)
        if (m - late.size) / m < config.sla_share - 1e-12:
            i = int(late[0])
            where = (
                f"{_g(tasks.duration[i])} s duration + {_g(best_lat[i] * 1000.0)} ms latency"
                if math.isfinite(best_lat[i])
                else "it fits on no node"
            )
            problems.append(
                f"{late.size} of {m} deadlines cannot be met even if started on arrival, e.g. task {i}'s "
                f"{_g(tasks.deadline[i])} s ({where})"
            )

        arrival = tasks.arrival[has]
        window = float((arrival + tasks.deadline[has]).max() - arrival.min())
        work = tasks.demand[has] * tasks.duration[has][:, None]
        need = math.ceil(config.sla_share * m - 1e-9)
        smallest = np.sort(work, axis=0)[:need].sum(axis=0)
        total = cap.sum(axis=0)
        ratio = np.divide(smallest, total * window, out=np.zeros(4), where=total * window > 0)
        details["deadline_window_s"] = window
        details["deadline_work_over_capacity"] = {
            r: _num(v) for r, v in zip(_RESOURCE_NAMES, ratio, strict=True)
        }
        over = int(np.argmax(ratio))
        if ratio[over] > 1.0 + 1e-9:
            problems.append(
                f"the {need} least demanding deadline tasks need {_g(ratio[over])}x the cluster's "
                f"{_RESOURCE_NAMES[over]} capacity over the {_g(window)} s deadline window"
            )
        started = time.perf_counter()
        packing = clairvoyant_deadline_packing(s)
        met, share, strategy = packing.met, packing.share, packing.order
        details |= {
            "clairvoyant_met": met,
            "clairvoyant_share": share,
            "clairvoyant_order": strategy,
            "packing_s": round(time.perf_counter() - started, 4),
        }
        if share < config.sla_share - 1e-12:
            problems.append(
                f"a clairvoyant packing meets only {share:.0%} of the {m} deadlines ({met}), below the "
                f"required {config.sla_share:.0%}"
            )
    details["problems"] = problems
    if problems:
        return Verdict(Layer.FEASIBILITY, False, _join(Layer.FEASIBILITY, problems), details)
    if m == 0:
        return Verdict(
            Layer.FEASIBILITY, True, "feasibility: every task fits on some node; no deadlines", details
        )
    return Verdict(
        Layer.FEASIBILITY,
        True,
        f"feasibility: a clairvoyant packing meets {details['clairvoyant_share']:.0%} of the {m} deadlines",
        details,
    )
