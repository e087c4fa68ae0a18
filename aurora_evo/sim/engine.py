"""numba kernels of the discrete-event simulator: pure functions over plain arrays.

The event loop is written as a resumable state machine so that one implementation serves both paths:

* compiled path: :func:`compiled_runner` loops entirely in numba and calls the program through a numba
  first-class function pointer (the kernel compiles once and is cached; each program compiles alone);
* numpy path: :func:`aurora_evo.sim.simulate` calls :func:`advance` to reach the next placement decision,
  calls the plain Python program, then :func:`place` — the same state transitions, so the same results.

Semantics (the reference simulator in :mod:`aurora_evo.sim.reference` states them independently):
tasks are handled in order of (arrival, index). At each event time ``now``, in this order:
1. every running task finishing at ``now`` leaves, in order of (finish time, task order); a node left
   empty gets exactly its capacity back;
2. every queued task whose queueing timeout ran out strictly before ``now`` is rejected, at
   ``arrival + timeout``;
3. every task arriving at ``now`` joins the back of the queue, or is rejected at once if no node could
   ever hold it;
4. the queue is scanned front to back (backfilling): each task that fits on some node is placed on the
   feasible node with the highest score (lowest index on ties).
A task fits on a node when every demand is at most the node's free capacity plus :data:`EPS`.

Why the scan is cheap: free capacity only grows on a node a task just left (a *dirty* node). A queued
task that fitted nowhere when last examined can therefore fit now only on a dirty node, so the scan
checks old tasks against the dirty nodes alone, and tasks that arrived at this event against all nodes.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
from numba import njit

from aurora_evo.contracts import Contract
from aurora_evo.features import (
    FIT_SLACK,
    N_BUSY_UNTIL,
    N_FITS,
    N_FREE0,
    N_PLACED,
    N_RESOURCES,
    N_RUNNING,
    T_NOW,
    T_WAIT,
)
from aurora_evo.program_loading import function_type

#: Tolerance of the fit test, so that float drift in free capacity never refuses an exact fit (one
#: number with the one :func:`aurora_evo.features.node_matrix` uses).
EPS = FIT_SLACK

# Integer registers (``SimArrays.ireg``).
R_NEXT_ARRIVAL = 0  # next task (in arrival order) not yet arrived
R_HEAP_SIZE = 1  # departures pending
R_HEAD = 2  # first queued task, -1 when the queue is empty
R_TAIL = 3  # last queued task
R_CURSOR = 4  # next queued task the dispatch scan looks at, -1 when no scan is running
R_N_DIRTY = 5  # nodes that gained capacity at this event (their indices head ``dirty``)
N_IREG = 6
# Float registers (``SimArrays.freg``): the clock, the queue timeout, then upper bounds on free capacity
# per resource over all nodes and over the dirty nodes.
F_NOW = 0
F_TIMEOUT = 1
F_BOUND0 = 2
F_DIRTY_BOUND0 = 2 + N_RESOURCES
N_FREG = 2 + 2 * N_RESOURCES

# Outcome of each task (``SimArrays.state``).
PENDING, QUEUED, RUNNING, FINISHED, REJECTED = 0, 1, 2, 3, 4

# Status codes, equal to aurora_evo.contracts.OutputStatus (numba cannot use the enum).
OK, WRONG_SHAPE, NOT_FINITE = 0, 1, 2


class SimArrays(NamedTuple):
    """Every array of one simulation; tasks are indexed in arrival order, ``n`` tasks and ``m`` nodes.

    Inputs: ``arr``, ``dur`` (n,) s; ``dem`` (n, 4) demand; ``fits_somewhere`` (n,) bool; ``task_base``
    (n, TASK_FEATURES) features without the clock; ``cap`` (m, 4) capacity; ``all_nodes`` (m,) = 0..m-1.
    State: ``free`` (m, 4); ``node_feat`` (m, NODE_FEATURES) what programs see; ``task_row``
    (TASK_FEATURES,) the task being placed; ``running`` (m,); ``busy_since``/``busy_time`` (m,) s;
    per task ``node_of``, ``state``, ``start``, ``finish``, ``reject_time``; a binary heap of departures
    ``heap_t``/``heap_k``; the queue as a doubly linked list ``nxt``/``prv``; ``fresh`` (n,) not yet
    examined; ``dirty``/``is_dirty`` the nodes freed at this event; registers ``ireg``/``freg``.
    """

    arr: np.ndarray
    dur: np.ndarray
    dem: np.ndarray
    fits_somewhere: np.ndarray
    task_base: np.ndarray
    cap: np.ndarray
    all_nodes: np.ndarray
    free: np.ndarray
    node_feat: np.ndarray
    task_row: np.ndarray
    running: np.ndarray
    busy_since: np.ndarray
    busy_time: np.ndarray
    node_of: np.ndarray
    state: np.ndarray
    start: np.ndarray
    finish: np.ndarray
    reject_time: np.ndarray
    heap_t: np.ndarray
    heap_k: np.ndarray
    nxt: np.ndarray
    prv: np.ndarray
    fresh: np.ndarray
    dirty: np.ndarray
    is_dirty: np.ndarray
    ireg: np.ndarray
    freg: np.ndarray


@njit(cache=True)
def fits_anywhere(dem, cap):
    """(n_tasks,) bool: task k fits on at least one empty node (demand <= capacity + EPS)."""
    out = np.zeros(dem.shape[0], dtype=np.bool_)
    for k in range(dem.shape[0]):
        for n in range(cap.shape[0]):
            if _fits_on(dem, k, cap, n):
                out[k] = True
                break
    return out


@njit(cache=True)
def _fits_on(dem, k, free, n):
    for r in range(N_RESOURCES):
        if dem[k, r] > free[n, r] + EPS:
            return False
    return True


@njit(cache=True)
def _exceeds(dem, k, freg, offset):
    for r in range(N_RESOURCES):
        if dem[k, r] > freg[offset + r] + EPS:
            return True
    return False


@njit(cache=True)
def _heap_less(heap_t, heap_k, a, b):
    return heap_t[a] < heap_t[b] or (heap_t[a] == heap_t[b] and heap_k[a] < heap_k[b])


@njit(cache=True)
def _heap_swap(heap_t, heap_k, a, b):
    heap_t[a], heap_t[b] = heap_t[b], heap_t[a]
    heap_k[a], heap_k[b] = heap_k[b], heap_k[a]


@njit(cache=True)
def _heap_push(s, t, k):
    heap_t, heap_k = s.heap_t, s.heap_k
    i = s.ireg[R_HEAP_SIZE]
    s.ireg[R_HEAP_SIZE] = i + 1
    heap_t[i] = t
    heap_k[i] = k
    while i > 0:
        parent = (i - 1) // 2
        if not _heap_less(heap_t, heap_k, i, parent):
            break
        _heap_swap(heap_t, heap_k, i, parent)
        i = parent


@njit(cache=True)
def _heap_pop(s):
    """Remove the smallest (time, task) entry and return its task."""
    heap_t, heap_k = s.heap_t, s.heap_k
    k = heap_k[0]
    size = s.ireg[R_HEAP_SIZE] - 1
    s.ireg[R_HEAP_SIZE] = size
    heap_t[0] = heap_t[size]
    heap_k[0] = heap_k[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and _heap_less(heap_t, heap_k, left + 1, left):
            child = left + 1
        if not _heap_less(heap_t, heap_k, child, i):
            break
        _heap_swap(heap_t, heap_k, i, child)
        i = child
    return k


@njit(cache=True)
def _unlink(s, k):
    before, after = s.prv[k], s.nxt[k]
    if before >= 0:
        s.nxt[before] = after
    else:
        s.ireg[R_HEAD] = after
    if after >= 0:
        s.prv[after] = before
    else:
        s.ireg[R_TAIL] = before
    s.nxt[k] = -1
    s.prv[k] = -1


@njit(cache=True)
def _reject(s, k, when):
    _unlink(s, k)
    s.state[k] = REJECTED
    s.reject_time[k] = when


@njit(cache=True)
def _depart(s, k, now):
    n = s.node_of[k]
    if not s.is_dirty[n]:
        s.is_dirty[n] = True
        s.dirty[s.ireg[R_N_DIRTY]] = n
        s.ireg[R_N_DIRTY] += 1
    s.running[n] -= 1
    for r in range(N_RESOURCES):
        # An empty node gets its capacity back exactly, so float drift cannot build up over time.
        s.free[n, r] = s.cap[n, r] if s.running[n] == 0 else s.free[n, r] + s.dem[k, r]
        s.node_feat[n, N_FREE0 + r] = s.free[n, r]
    s.node_feat[n, N_RUNNING] = s.running[n]
    if s.running[n] == 0:
        s.busy_time[n] += now - s.busy_since[n]
    s.state[k] = FINISHED


@njit(cache=True)
def _enqueue(s, k):
    s.state[k] = QUEUED
    s.fresh[k] = True
    tail = s.ireg[R_TAIL]
    s.prv[k] = tail
    s.nxt[k] = -1
    if tail >= 0:
        s.nxt[tail] = k
    else:
        s.ireg[R_HEAD] = k
    s.ireg[R_TAIL] = k


@njit(cache=True)
def _bound(s, nodes, count, offset):
    """Store in ``freg[offset:offset + 4]`` the largest free capacity per resource over ``nodes[:count]``."""
    for r in range(N_RESOURCES):
        s.freg[offset + r] = -np.inf
    for i in range(count):
        n = nodes[i]
        for r in range(N_RESOURCES):
            if s.free[n, r] > s.freg[offset + r]:
                s.freg[offset + r] = s.free[n, r]


@njit(cache=True)
def _start_event(s):
    """Move the clock to the next event and apply steps 1-3; return False when nothing is left."""
    for i in range(s.ireg[R_N_DIRTY]):
        s.is_dirty[s.dirty[i]] = False
    s.ireg[R_N_DIRTY] = 0
    n_tasks = s.arr.shape[0]
    i_next = s.ireg[R_NEXT_ARRIVAL]
    has_arrival = i_next < n_tasks
    has_departure = s.ireg[R_HEAP_SIZE] > 0
    if not has_arrival and not has_departure:
        # Unreachable while every queued task fits an empty cluster; kept so the loop always ends.
        while s.ireg[R_HEAD] >= 0:
            _reject(s, s.ireg[R_HEAD], s.freg[F_NOW])
        return False
    now = np.inf
    if has_arrival:
        now = s.arr[i_next]
    if has_departure and s.heap_t[0] < now:
        now = s.heap_t[0]
    s.freg[F_NOW] = now

    while s.ireg[R_HEAP_SIZE] > 0 and s.heap_t[0] <= now:
        _depart(s, _heap_pop(s), now)
    freed = s.ireg[R_N_DIRTY] > 0

    # The queue is in arrival order and the timeout is the same for all, so expiries form a prefix.
    timeout = s.freg[F_TIMEOUT]
    while s.ireg[R_HEAD] >= 0 and s.arr[s.ireg[R_HEAD]] + timeout < now:
        k = s.ireg[R_HEAD]
        _reject(s, k, s.arr[k] + timeout)

    first_new = -1
    while i_next < n_tasks and s.arr[i_next] == now:
        if s.fits_somewhere[i_next]:
            _enqueue(s, i_next)
            if first_new < 0:
                first_new = i_next
        else:
            s.state[i_next] = REJECTED
            s.reject_time[i_next] = now
        i_next += 1
    s.ireg[R_NEXT_ARRIVAL] = i_next

    # Without a departure, free capacity only shrank since the last scan, so the tasks queued before
    # this event still do not fit: scan only the newcomers.
    s.ireg[R_CURSOR] = s.ireg[R_HEAD] if freed else first_new
    if first_new >= 0:
        _bound(s, s.all_nodes, s.all_nodes.shape[0], F_BOUND0)
    if freed:
        _bound(s, s.dirty, s.ireg[R_N_DIRTY], F_DIRTY_BOUND0)
    return True


@njit(cache=True)
def advance(s):
    """Run events until a task needs a placement decision.

    Returns the task (position in arrival order) to place, with column ``N_FITS`` of ``node_feat``
    marking the nodes it fits on and ``task_row`` holding its features, or -1 when the simulation is over.
    """
    # The scan is the hot loop (up to queue length x events): it works on local arrays, with no
    # function call per task, because each call passes every array as seven machine words.
    dem, free, node_feat, fresh, dirty = s.dem, s.free, s.node_feat, s.fresh, s.dirty
    nxt, ireg, freg = s.nxt, s.ireg, s.freg
    n_nodes = free.shape[0]
    while True:
        n_dirty = ireg[R_N_DIRTY]
        k = ireg[R_CURSOR]
        while k >= 0:
            after = nxt[k]
            n_fit = 0
            if fresh[k]:
                fresh[k] = False
                if not _exceeds(dem, k, freg, F_BOUND0):
                    for n in range(n_nodes):
                        fits = _fits_on(dem, k, free, n)
                        node_feat[n, N_FITS] = 1.0 if fits else 0.0
                        n_fit += fits
            elif not _exceeds(dem, k, freg, F_DIRTY_BOUND0):
                # Examined before and fitted nowhere then: only the nodes freed since can hold it now.
                for i in range(n_dirty):
                    n_fit += _fits_on(dem, k, free, dirty[i])
                if n_fit > 0:
                    for n in range(n_nodes):
                        node_feat[n, N_FITS] = 0.0
                    for i in range(n_dirty):
                        node_feat[dirty[i], N_FITS] = 1.0 if _fits_on(dem, k, free, dirty[i]) else 0.0
            if n_fit > 0:
                ireg[R_CURSOR] = after
                now = freg[F_NOW]
                s.task_row[:] = s.task_base[k]
                s.task_row[T_WAIT] = now - s.arr[k]
                s.task_row[T_NOW] = now
                return k
            k = after
        ireg[R_CURSOR] = -1
        if not _start_event(s):
            return -1


@njit(cache=True)
def place(s, k, n):
    """Start task ``k`` on node ``n`` at the current time."""
    now = s.freg[F_NOW]
    _unlink(s, k)
    for r in range(N_RESOURCES):
        s.free[n, r] -= s.dem[k, r]
        s.node_feat[n, N_FREE0 + r] = s.free[n, r]
    if s.running[n] == 0:
        s.busy_since[n] = now
    s.running[n] += 1
    s.node_feat[n, N_RUNNING] = s.running[n]
    s.node_feat[n, N_PLACED] += 1.0
    s.node_of[k] = n
    s.start[k] = now
    s.finish[k] = now + s.dur[k]
    s.node_feat[n, N_BUSY_UNTIL] = max(s.node_feat[n, N_BUSY_UNTIL], s.finish[k])
    s.state[k] = RUNNING
    _heap_push(s, s.finish[k], k)


def _run_compiled(fn, s, task_view, node_view):
    """Run the whole simulation with a numba-compiled program ``fn``.

    ``task_view``/``node_view`` are read-only views of ``s.task_row``/``s.node_feat``: the program reads
    the features through them and cannot write. Returns ``(status, task)``: ``OK`` and -1, or the first
    refused output's status and the task being placed when it happened.
    """
    n_nodes = s.free.shape[0]
    while True:
        k = advance(s)
        if k < 0:
            return OK, -1
        scores = fn(task_view, node_view)
        if scores.shape[0] != n_nodes:
            return WRONG_SHAPE, k
        best = -1
        best_score = 0.0
        for n in range(n_nodes):
            score = scores[n]
            if not np.isfinite(score):
                return NOT_FINITE, k
            if s.node_feat[n, N_FITS] > 0.5 and (best < 0 or score > best_score):
                best = n
                best_score = score
        place(s, k, best)


@njit(cache=True)
def replay(s, choice, steps, seen_task, seen_row, seen_nodes):
    """Run the simulation placing each task on ``choice[k]`` (arrival order), with no program.

    Checks a placement made elsewhere (e.g. in the sandbox's jail): returns -1 when every decision the
    simulator asked for was a node the task fitted on, else the first task whose choice was not.

    At the decisions numbered ``steps`` (sorted, 0 for the first placement), it also copies what a
    program was shown: the task (arrival order) into ``seen_task[j]``, ``task_row`` into
    ``seen_row[j]`` and ``node_feat`` into ``seen_nodes[j]`` (empty arrays: nothing is copied).
    """
    n_nodes = s.free.shape[0]
    decision = 0
    j = 0
    while True:
        k = advance(s)
        if k < 0:
            return -1
        n = choice[k]
        if n < 0 or n >= n_nodes or s.node_feat[n, N_FITS] < 0.5:
            return k
        if j < steps.shape[0] and steps[j] == decision:
            seen_task[j] = k
            seen_row[j, :] = s.task_row
            seen_nodes[j, :, :] = s.node_feat
            j += 1
        place(s, k, n)
        decision += 1


@functools.cache
def compiled_runner(arrays_type):
    """:func:`_run_compiled`, compiled once for every program (and cached on disk by numba).

    ``arrays_type`` is ``numba.typeof`` of a :class:`SimArrays`. The program's type is the first-class
    function type of the allocation contract, not the program's own dispatcher type, so a new program
    does not recompile the kernel: it only compiles itself.
    """
    from numba import types

    task_view = types.Array(types.float64, 1, "C", readonly=True)
    node_view = types.Array(types.float64, 2, "C", readonly=True)
    signature = types.UniTuple(types.int64, 2)(
        function_type(Contract.ALLOCATION), arrays_type, task_view, node_view
    )
    return njit(signature, cache=True)(_run_compiled)
