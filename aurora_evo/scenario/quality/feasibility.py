"""Layer 2, feasibility: the SLAs can be met. Lower bounds (every task fits on some node, deadlines
reachable when started on arrival, deadline work within the cluster's capacity over the deadline
window), then clairvoyant packings of every task (the ones without a deadline use capacity too) that
must meet :attr:`~aurora_evo.scenario.quality.report.QualityConfig.sla_share` of the deadlines, and
:attr:`~aurora_evo.scenario.quality.report.QualityConfig.eager_sla_share` when the tasks without a
deadline start on arrival whenever they can."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from aurora_evo.scenario.model import Scenario
from aurora_evo.scenario.quality.packing_kernel import insert_all
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

#: Orders in which the clairvoyant packing inserts the deadline tasks: by last useful start time, by due
#: time (arrival + deadline), or by arrival. Tasks without a deadline are inserted at their arrival in
#: every order (they start as early as they can). Any packing is a valid schedule, so the best counts.
PACKING_ORDERS = ("latest_start", "due", "arrival")


def _fits(demand: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """``(n_tasks, n_nodes)`` mask: the task's demand fits the node's capacity in every resource (one
    resource at a time, so that no ``(n_tasks, n_nodes, 4)`` array is built)."""
    room = capacity * (1.0 + _EPS) + _EPS
    mask = np.ones((demand.shape[0], capacity.shape[0]), dtype=bool)
    for r in range(demand.shape[1]):
        mask &= demand[:, r, None] <= room[None, :, r]
    return mask


def earliest_start_reference(
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
    the intervals placed on them (``s_p``, ``e_p``, ``d_p``, node ``n_p`` in 0..k-1) that overlap
    ``[a, last + length)``; ties go to the best fit. ``(nan, -1)`` when there is none.

    A start is the arrival or the end of an interval on that node, and the usage over [t, t + length)
    peaks at t or where an interval starts; so per node only those points are checked. All nodes at
    once, in flat arrays sorted by (node, time): O(intervals + nodes) per task.
    """
    k, q = room.shape[0], s_p.size
    is_cand = (e_p > a) & (e_p <= last)
    is_peak = (s_p > a) & (s_p < last + length)
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


@dataclass(frozen=True)
class _PackingInputs:
    """What the packing of one scenario reads: per node ``room`` (capacity with the tolerance), ``cap``,
    ``scale`` (capacity, 1 where 0) ``(m, 4)`` and ``lat`` (s) ``(m,)``; per task, in s, ``arrival``,
    ``dur``, ``due`` (arrival + deadline, inf without one) and ``latest`` (last useful start), and
    ``dem`` ``(n, 4)``, ``has`` (a deadline), ``fits`` ``(n, m)``; ``sequence``, the insertion order."""

    room: np.ndarray
    cap: np.ndarray
    scale: np.ndarray
    lat: np.ndarray
    arrival: np.ndarray
    dur: np.ndarray
    due: np.ndarray
    latest: np.ndarray
    dem: np.ndarray
    has: np.ndarray
    fits: np.ndarray
    sequence: np.ndarray


def _packing_inputs(s: Scenario, order_by: str) -> _PackingInputs:
    tasks, nodes = s.tasks, s.nodes
    cap = nodes.capacity
    lat = nodes.latency_ms / 1000.0
    arrival, dur, dem = tasks.arrival, tasks.duration, tasks.demand
    has = tasks.has_deadline
    due = np.where(has, arrival + tasks.deadline, np.inf)
    timeout = math.inf if s.queue_timeout_s is None else float(s.queue_timeout_s)
    fits = _fits(dem, cap)
    best_lat = np.where(fits, lat[None, :], np.inf).min(axis=1)
    latest = np.minimum(np.where(has, due - dur - best_lat, np.inf), arrival + timeout)  # last useful start
    key = {"latest_start": latest, "due": due, "arrival": arrival}[order_by]
    key = np.where(has, key, arrival)
    sequence = np.lexsort((arrival, ~has, key))  # at equal keys the deadline tasks first
    room = cap * (1.0 + _EPS) + _EPS
    scale = np.where(cap > 0, cap, 1.0)
    return _PackingInputs(room, cap, scale, lat, arrival, dur, due, latest, dem, has, fits, sequence)


def _insert_all(s: Scenario, order_by: str, eager: bool) -> tuple[np.ndarray, np.ndarray]:
    """(start, node) of every task (NaN, -1 when it misses its deadline or times out), inserted one by
    one at its earliest feasible start: the deadline tasks in ``order_by`` order, then the tasks
    without a deadline in arrival order; but with ``eager``, each task without a deadline that can
    start on arrival is inserted there, at its arrival in that order (see
    :func:`clairvoyant_deadline_packing`). Compiled (:mod:`~aurora_evo.scenario.quality.packing_kernel`);
    :func:`insert_all_reference` is the same in numpy."""
    x = _packing_inputs(s, order_by)
    floats = [np.ascontiguousarray(a, dtype=np.float64) for a in (x.arrival, x.latest, x.dur, x.dem, x.due)]
    nodes = [np.ascontiguousarray(a, dtype=np.float64) for a in (x.room, x.cap, x.scale, x.lat)]
    sequence, fits = x.sequence.astype(np.int64), np.ascontiguousarray(x.fits)
    return insert_all(sequence, np.ascontiguousarray(x.has), bool(eager), *floats, fits, *nodes)


def insert_all_reference(s: Scenario, order_by: str, eager: bool) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_insert_all` as numpy calls per task, as it was written before it was compiled: the
    reference its tests compare it with (same answer)."""
    x = _packing_inputs(s, order_by)
    room, cap, scale, lat = x.room, x.cap, x.scale, x.lat
    arrival, dur, due, latest, dem, has, fits = x.arrival, x.dur, x.due, x.latest, x.dem, x.has, x.fits
    n, nodes = arrival.size, s.nodes

    # the placed intervals: start, end, demand, node
    starts, ends = np.empty(n), np.empty(n)
    demands, where_placed = np.empty((n, 4)), np.empty(n, dtype=np.int64)
    placed = 0
    start_of, node_of = np.full(n, np.nan), np.full(n, -1, dtype=np.int64)

    def insert(k: int, on_arrival: bool) -> bool:
        """Place task ``k`` at its earliest feasible start (only at its arrival when ``on_arrival``)."""
        nonlocal placed
        a, last, d, length = arrival[k], latest[k], dem[k], dur[k]
        options = np.flatnonzero(fits[k])
        if last < a - _EPS or options.size == 0:
            return False
        if on_arrival:  # quick filter: the nodes with room for it at its arrival
            live = np.flatnonzero((starts[:placed] <= a) & (ends[:placed] > a))
            usage = np.zeros((len(nodes), 4))
            np.add.at(usage, where_placed[live], demands[live])
            options = options[np.all(usage[options] + d <= room[options], axis=1)]
            if options.size == 0:
                return False
        on_options = np.isin(where_placed[:placed], options)
        # search [a, upto], widening it 4x at a time: the earliest start in a window is exact, and a
        # task with a loose deadline usually starts soon after arrival
        lo, step = a, 0.0 if on_arrival else max(length, _EPS)
        while True:
            upto = min(last, lo + step)
            sel = np.flatnonzero(on_options & (starts[:placed] < upto + length) & (ends[:placed] > lo))
            start, node = earliest_start_reference(
                lo, upto, length, d, due[k], starts[sel], ends[sel], demands[sel],
                np.searchsorted(options, where_placed[sel]),
                room[options], cap[options], scale[options], lat[options],
            )  # fmt: skip
            if node >= 0 or upto >= last or on_arrival:
                break
            lo, step = upto, 4.0 * step
        if node < 0:
            return False
        best = int(options[node])
        starts[placed], ends[placed], demands[placed], where_placed[placed] = start, start + length, d, best
        start_of[k], node_of[k] = start, best
        placed += 1
        return True

    queued = []
    for k in x.sequence:
        if has[k]:
            insert(int(k), on_arrival=False)
        elif not (eager and insert(int(k), on_arrival=True)):
            queued.append(int(k))
    for k in queued:  # in arrival order
        insert(k, on_arrival=False)
    return start_of, node_of


@dataclass(frozen=True)
class Packing:
    """A clairvoyant packing of every task (:func:`clairvoyant_deadline_packing`).

    Attributes:
        tasks: scenario indices of the tasks, ``(n,)`` (every task, in scenario order).
        start: start time (s) of each, NaN when it misses its deadline or times out, ``(n,)``.
        node: node of each, -1 when it misses or times out, ``(n,)``.
        order: the insertion order that produced it (one of :data:`PACKING_ORDERS`; "" when nothing
            was packed: no deadlines).
        deadline: whether each task has a deadline, ``(n,)``.
        eager: whether the tasks without a deadline started on arrival whenever they could.
    """

    tasks: np.ndarray
    start: np.ndarray
    node: np.ndarray
    order: str
    deadline: np.ndarray
    eager: bool = True

    @property
    def deadlines(self) -> int:
        """Number of tasks with a deadline."""
        return int(self.deadline.sum())

    @property
    def met(self) -> int:
        """Number of deadlines met."""
        return int(((self.node >= 0) & self.deadline).sum())

    @property
    def share(self) -> float:
        """Share of the deadlines met (1 when there are none)."""
        return self.met / self.deadlines if self.deadlines else 1.0


@_quiet
def clairvoyant_deadline_packing(s: Scenario, *, eager: bool = True, enough: float = 1.0) -> Packing:
    """An offline packing of every task, by a scheduler that knows the deadline tasks in advance.

    Tasks are inserted one by one on the node timelines at the earliest start >= arrival where the
    task fits for its whole duration (beside the tasks inserted before it), would finish in time
    (network latency included) and has not waited past the queue timeout; ties go to the
    best-fitting node (smallest leftover, summed over resources as shares of the node's). A deadline
    task with no such start misses; a task without a deadline with none times out (and uses no
    capacity). The deadline tasks are taken by last useful start, then, unless ``enough`` of the
    deadlines are met, by due time, then by arrival (:data:`PACKING_ORDERS`); the best counts (so
    with ``enough`` < 1 the packing returned is the first that meets that share, not the best).

    The tasks without a deadline use capacity too. With ``eager`` (the default), each one that can
    start on arrival (beside the tasks inserted before it) starts then, inserted at its arrival in
    the order: a scheduler that does not know what comes next does not leave a free node idle while
    work waits. So long tasks that fill the cluster just before tight deadlines arrive count against
    them. The others queue, and a scheduler may serve the deadline tasks first: they are inserted
    after every deadline task, in arrival order. Without ``eager``, every task without a deadline is
    held back like that: an upper bound on what any (clairvoyant) scheduler can attain.

    Any packing is a valid schedule, so the best one is a witness of what a scheduler can attain.
    Each task's earliest start is searched in a window after its arrival that widens 4x until a start
    is found, over the intervals overlapping it; compiled, 50-130 ms per order for the 1,000-task,
    100-node seeds (0.5-0.7 s as numpy calls, :func:`insert_all_reference`).
    """
    has = s.tasks.has_deadline
    n = len(s.tasks)
    everything = np.arange(n)
    best = Packing(everything, np.full(n, np.nan), np.full(n, -1, dtype=np.int64), "", has, eager)
    m = int(has.sum())
    for order_by in PACKING_ORDERS:
        if m == 0 or (best.order and best.met >= min(enough, 1.0) * m - 1e-9):
            break
        start, node = _insert_all(s, order_by, eager)
        packing = Packing(everything, start, node, order_by, has, eager)
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
    (first arrival to last due time). Then, unless a lower bound refuses already, clairvoyant
    packings of every task (:func:`clairvoyant_deadline_packing`): the best one, which may hold back
    the tasks without a deadline, must meet at least ``sla_share`` of the deadlines, and the eager
    one, where those tasks start on arrival whenever a node is free (they use the capacity an online
    scheduler would let them use), at least ``eager_sla_share``.
    """
    tasks = s.tasks
    problems: list[str] = []
    fits = _fits(tasks.demand, s.nodes.capacity)
    _check_every_task_fits(s, fits, problems)
    m = int(tasks.has_deadline.sum())
    details: dict[str, object] = {"deadline_tasks": m, "required_share": config.sla_share}
    if m:
        _check_deadline_bounds(s, fits, config, details, problems)
        if problems:  # a lower bound refuses already: the packing would only confirm it
            details["packing"] = "skipped: a lower bound already refuses"
        else:
            _check_packings(s, config, details, problems)
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
        f"feasibility: a clairvoyant packing meets {details['clairvoyant_share']:.0%} of the {m} deadlines "
        f"({details['eager_share']:.0%} with the tasks without a deadline started on arrival)",
        details,
    )


def _check_every_task_fits(s: Scenario, fits: np.ndarray, problems: list[str]) -> None:
    """The first lower bound: every task fits on some node (``fits``: the ``(n_tasks, n_nodes)`` mask)."""
    tasks = s.tasks
    homeless = np.flatnonzero(~fits.any(axis=1))
    if homeless.size:
        i = int(homeless[0])
        others = f" (and {homeless.size - 1} more)" if homeless.size > 1 else ""
        units = ("cpu", "GiB", "gpu", "Gbit/s")
        shown = ", ".join(f"{_g(v)} {u}" for v, u in zip(tasks.demand[i], units, strict=True) if v > 0)
        problems.append(f"task {i} ({shown}) fits on no single node{others}")


def _check_deadline_bounds(
    s: Scenario, fits: np.ndarray, config: QualityConfig, details: dict[str, object], problems: list[str]
) -> None:
    """The lower bounds on the deadlines: enough of them reachable when started on arrival, and the
    least work of enough of them within the cluster's capacity over the deadline window."""
    tasks, nodes = s.tasks, s.nodes
    cap = nodes.capacity
    lat = nodes.latency_ms / 1000.0
    has = tasks.has_deadline
    m = int(has.sum())
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
    details["deadline_work_over_capacity"] = {r: _num(v) for r, v in zip(_RESOURCE_NAMES, ratio, strict=True)}
    over = int(np.argmax(ratio))
    if ratio[over] > 1.0 + 1e-9:
        problems.append(
            f"the {need} least demanding deadline tasks need {_g(ratio[over])}x the cluster's "
            f"{_RESOURCE_NAMES[over]} capacity over the {_g(window)} s deadline window"
        )


def _check_packings(
    s: Scenario, config: QualityConfig, details: dict[str, object], problems: list[str]
) -> None:
    """The clairvoyant packings: the best must meet ``sla_share`` of the deadlines, the eager one
    ``eager_sla_share``."""
    m = int(s.tasks.has_deadline.sum())
    started = time.perf_counter()
    eager = clairvoyant_deadline_packing(s, eager=True, enough=config.eager_sla_share)
    best = eager
    if eager.share < config.sla_share - 1e-12:  # the eager packing is a witness when it suffices
        held = clairvoyant_deadline_packing(s, eager=False, enough=config.sla_share)
        best = held if held.met > eager.met else eager
    details |= {
        "clairvoyant_met": best.met,
        "clairvoyant_share": best.share,
        "clairvoyant_order": best.order,
        "eager_met": eager.met,
        "eager_share": eager.share,
        "eager_order": eager.order,
        "packing_s": round(time.perf_counter() - started, 4),
    }
    if best.share < config.sla_share - 1e-12:
        problems.append(
            f"a clairvoyant packing meets only {best.share:.0%} of the {m} deadlines ({best.met}), "
            f"below the required {config.sla_share:.0%}"
        )
    if eager.share < config.eager_sla_share - 1e-12:
        problems.append(
            f"with the tasks without a deadline started on arrival whenever a node is free (as a "
            f"scheduler that cannot see ahead would), a clairvoyant packing meets only "
            f"{eager.share:.0%} of the {m} deadlines ({eager.met}), below the required "
            f"{config.eager_sla_share:.0%}"
        )
