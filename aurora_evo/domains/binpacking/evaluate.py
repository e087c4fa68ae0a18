"""Online bin packing exactly as FunSearch evaluates it, and the L1-excess metric.

For an instance of ``n`` items, ``n`` empty bins are opened (remaining capacity = capacity, float64).
Each item in turn::

    valid = np.nonzero((bins - item) >= 0)[0]       # every bin it fits in, empty ones included
    scores = priority(item, bins[valid])            # one finite score per valid bin
    bins[valid[np.argmax(scores)]] -= item          # ties go to the lowest index

and the bins used are those whose remaining capacity is no longer the capacity. Two paths give the same
bins: a numba kernel for programs numba compiled (:attr:`CompiledProgram.jitted`), and the loop above in
Python for the others. Quality is the excess of the mean bin count over the mean L1 bound
``ceil(sum(items) / capacity)``, in percent (FunSearch's ratio of means).

Where the paths differ, numba's semantics show through: a program raising inside the kernel is reported
as RAISED without the item it failed on, and a *scalar* division by zero raises ``ZeroDivisionError``
under numba (RAISED) where numpy gives inf or nan (NOT_FINITE). Integer indexing out of bounds is not
checked by numba at all: run untrusted programs in the sandbox's worker process.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from aurora_evo.contracts import Contract, OutputStatus, check_scores, exception_status
from aurora_evo.domains.binpacking.datasets import Dataset, Instance, VectorInstance
from aurora_evo.program_loading import CompiledProgram, function_type

__all__ = [
    "DatasetResult",
    "PackResult",
    "PackingState",
    "decision_states",
    "evaluate",
    "excess_percent",
    "extrapolated_excess",
    "l1_bound",
    "pack",
    "pack_vector",
    "settled_bins",
]

Backend = Literal["auto", "numba", "numpy"]

# numba cannot use the enum: the kernel returns these ints.
_OK = int(OutputStatus.OK)
_WRONG_SHAPE = int(OutputStatus.WRONG_SHAPE)
_NOT_FINITE = int(OutputStatus.NOT_FINITE)


@dataclass(frozen=True)
class PackResult:
    """Outcome of packing one instance.

    Attributes:
        bins_used: bins holding at least one item (0 when ``status`` is not OK).
        status: how the program's scores were judged; packing stops at the first bad call.
        message: one line locating the failure (empty when OK).
        assignment: ``(n_items,)`` int64, the bin each item went to (``None`` unless OK); the sandbox
            sends it back so the packing can be checked outside the jail.
    """

    bins_used: int
    status: OutputStatus
    message: str = ""
    assignment: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class DatasetResult:
    """Outcome of packing every instance of a dataset.

    Attributes:
        dataset: dataset name.
        bins: bins used per instance, for the instances packed before the first failure.
        l1: L1 lower bound per instance, for every instance.
        excess_percent: ``100 * (mean(bins) - mean(l1)) / mean(l1)``; ``None`` unless status is OK.
        status: OK, or the status of the first instance that failed (evaluation stops there).
        message: one line (empty when OK).
    """

    dataset: str
    bins: tuple[int, ...]
    l1: tuple[int, ...]
    excess_percent: float | None
    status: OutputStatus
    message: str = ""

    @property
    def mean_bins(self) -> float | None:
        """Mean bins per instance (``None`` unless every instance was packed)."""
        return float(np.mean(self.bins)) if self.status is OutputStatus.OK else None

    @property
    def l1_mean(self) -> float:
        return float(np.mean(self.l1))


def l1_bound(instance: Instance | VectorInstance) -> int:
    """``ceil(sum(items) / capacity)``; for a vector instance the maximum of it over dimensions."""
    if isinstance(instance, VectorInstance):
        return int(np.max(np.ceil(instance.items.sum(axis=0) / instance.capacities)))
    return math.ceil(float(np.sum(instance.items)) / instance.capacity)


def excess_percent(bins_used: np.ndarray, l1: np.ndarray) -> float:
    """FunSearch's metric: ``100 * (mean(bins_used) - mean(l1)) / mean(l1)`` (a ratio of means).

    Args:
        bins_used: bins used per instance, shape ``(n_instances,)``.
        l1: L1 bound per instance, same shape.
    """
    bins_used, l1 = np.asarray(bins_used, dtype=np.float64), np.asarray(l1, dtype=np.float64)
    if bins_used.shape != l1.shape or bins_used.size == 0:
        raise ValueError(f"bins_used {bins_used.shape} and l1 {l1.shape} must be equal non-empty shapes")
    l1_mean = l1.mean()
    if l1_mean <= 0:
        raise ValueError("mean L1 bound must be positive")
    return float(100.0 * (bins_used.mean() - l1_mean) / l1_mean)


def settled_bins(instance: Instance, assignment: np.ndarray) -> tuple[int, float]:
    """The bins of a packing that no later item could enter (room below the instance's smallest item)
    and the load they hold: ``(bins, load / capacity)``.

    Their waste is what the policy loses for good; the other bins are the ones still open when the
    instance ends, and a longer instance would go on filling them.
    """
    loads = np.bincount(assignment, weights=instance.items)
    loads = loads[loads > 0]
    settled = instance.capacity - loads < np.min(instance.items)
    return int(settled.sum()), float(loads[settled].sum() / instance.capacity)


def extrapolated_excess(excess: float, settled: tuple[int, float], items: float, score_items: int) -> float:
    """The excess over L1 (percent) expected on instances of ``score_items`` items, from packings of
    ``items`` items (per instance, mean): ``w + (excess - w) * items / score_items``.

    ``w`` is the waste of the settled bins as a percent excess over their load (``settled``, summed over
    the instances, as :func:`settled_bins` gives them): the policy's rate of loss once packing runs. The
    rest of ``excess`` is the cost of the bins still open at the end, about the same number whatever the
    instance's length, so its share falls as ``1 / length``. With 120 items that end cost is a large part
    of the excess and ranks policies unlike 500-item instances do (BENCHMARKS.md, OR). Without settled
    bins there is no rate to extrapolate from, and the excess is returned as it is.
    """
    bins, load = settled
    if bins == 0 or load <= 0:
        return excess
    rate = 100.0 * (bins - load) / load
    return rate + (excess - rate) * items / score_items


def contract_of(dataset: Dataset) -> Contract:
    """The contract a program needs to pack ``dataset``: vector or FunSearch's one-dimensional one."""
    vector = isinstance(dataset.instances[0], VectorInstance)
    return Contract.VECTOR_BINPACKING if vector else Contract.BINPACKING


def evaluate(program: CompiledProgram, dataset: Dataset, *, backend: Backend = "auto") -> DatasetResult:
    """Pack every instance of ``dataset`` with ``program``, stopping at the first non-OK status."""
    l1 = tuple(l1_bound(instance) for instance in dataset.instances)
    bins: list[int] = []
    for instance in dataset.instances:
        result = pack(program, instance, backend=backend)
        if result.status is not OutputStatus.OK:
            return DatasetResult(dataset.name, tuple(bins), l1, None, result.status, result.message)
        bins.append(result.bins_used)
    return DatasetResult(dataset.name, tuple(bins), l1, excess_percent(bins, l1), OutputStatus.OK)


def pack(
    program: CompiledProgram, instance: Instance | VectorInstance, *, backend: Backend = "auto"
) -> PackResult:
    """Pack ``instance`` online with ``program`` (FunSearch's procedure, see the module docstring).

    Args:
        program: a :attr:`Contract.BINPACKING` program, ``priority(item: float, bins: (k,)) -> (k,)``;
            for a :class:`VectorInstance`, a :attr:`Contract.VECTOR_BINPACKING` one (:func:`pack_vector`).
        instance: what to pack.
        backend: ``"numba"`` runs ``program.jitted`` in the kernel, ``"numpy"`` runs ``program.python``
            in a Python loop, ``"auto"`` takes numba when the program has a jitted version.

    Raises:
        ValueError: the program's contract does not match the instance, ``backend`` is unknown, or
            ``backend="numba"`` for a program numba did not compile.
    """
    if isinstance(instance, VectorInstance):
        return pack_vector(program, instance)
    if program.contract is not Contract.BINPACKING:
        raise ValueError(f"pack() needs a {Contract.BINPACKING.value} program, got {program.contract.value}")
    if backend not in ("auto", "numba", "numpy"):
        raise ValueError(f"backend is {backend!r}; use 'auto', 'numba' or 'numpy'")
    if backend == "numba" and program.jitted is None:
        raise ValueError(f"backend 'numba' needs a jitted program; numba failed: {program.jit_error}")
    if backend == "numpy" or program.jitted is None:
        return _pack_numpy(program, instance)
    return _pack_numba(program, instance)


def pack_vector(program: CompiledProgram, instance: VectorInstance) -> PackResult:
    """Pack a vector instance online: ``priority(item: (d,), bins: (k, d)) -> (k,)``.

    ``bins`` holds the remaining capacities of the bins the item fits in (all dimensions), empty bins
    included, in index order. Vector programs follow :attr:`Contract.VECTOR_BINPACKING` and run on the
    numpy path.
    """
    if program.contract is not Contract.VECTOR_BINPACKING:
        raise ValueError(f"pack_vector() needs a {Contract.VECTOR_BINPACKING.value} program")
    items, capacities = instance.items, instance.capacities
    bins = np.tile(capacities, (items.shape[0], 1))
    assignment = np.empty(items.shape[0], dtype=np.int64)
    with np.errstate(all="ignore"):
        for i, item in enumerate(items):
            valid = np.nonzero(((bins - item) >= 0).all(axis=1))[0]
            status, scores, detail = _call(program, item.copy(), bins[valid])
            if status is not OutputStatus.OK:
                return _failure(instance.name, i, f"{item.tolist()}", status, detail)
            assignment[i] = valid[np.argmax(scores)]
            bins[assignment[i]] -= item
    return PackResult(int((bins != capacities).any(axis=1).sum()), OutputStatus.OK, "", assignment)


@dataclass(frozen=True)
class PackingState:
    """What a program was shown for one item of a packing, as :func:`decision_states` finds it.

    Attributes:
        step: the item's position in the instance.
        item: the ``item`` argument (a float64 scalar, or ``(d,)`` for a vector instance).
        bins: the ``bins`` argument: remaining capacity of every bin the item fits in, ``(k,)`` or
            ``(k, d)``.
        valid: ``(k,)`` the index of each of those bins; the item goes to ``valid[argmax(scores)]``.
    """

    step: int
    item: np.floating | np.ndarray
    bins: np.ndarray
    valid: np.ndarray


def decision_states(instance: Instance | VectorInstance, assignment: np.ndarray, steps) -> list[PackingState]:
    """The arguments a program was called with for the items at positions ``steps`` (sorted, unique),
    rebuilt from ``assignment`` (the bin of every item, checked beforehand) with the same arithmetic
    as the packing itself, so every float is the one the program saw. No program runs."""
    items, steps = instance.items, np.ascontiguousarray(steps, dtype=np.int64)
    if isinstance(instance, VectorInstance):
        bins = np.tile(instance.capacities, (items.shape[0], 1))
        remaining, done = [], 0
        for step in steps:
            # ufunc.at subtracts one item at a time, in order: the same floats as the packing loop.
            np.subtract.at(bins, assignment[done:step], items[done:step])
            remaining.append(bins.copy())
            done = step
    else:
        remaining = np.empty((steps.size, items.shape[0]))
        _remaining_kernel()(
            np.asarray(items, dtype=np.float64), assignment, instance.capacity, steps, remaining
        )
    states = []
    for step, bins in zip(steps, remaining, strict=True):
        item = items[step]
        fits = (bins - item) >= 0
        valid = np.nonzero(fits.all(axis=1) if fits.ndim > 1 else fits)[0]
        states.append(PackingState(int(step), item.copy() if fits.ndim > 1 else item, bins[valid], valid))
    return states


@functools.cache
def _remaining_kernel():
    import numba

    return numba.njit(cache=True, nogil=True)(_remaining_before)


def _remaining_before(items, assignment, capacity, steps, out):
    """Numba kernel: ``out[j]`` = remaining capacity of every bin just before item ``steps[j]`` (sorted)
    is packed, by the packing's own arithmetic (``bins[assignment[i]] -= items[i]`` in order)."""
    bins = np.full(items.shape[0], capacity)
    j = 0
    for i in range(items.shape[0]):
        while j < steps.shape[0] and steps[j] == i:
            out[j, :] = bins
            j += 1
        bins[assignment[i]] -= items[i]


# --- the two paths -------------------------------------------------------------------------------


def _pack_numpy(program: CompiledProgram, instance: Instance) -> PackResult:
    capacity = instance.capacity
    bins = np.full(instance.items.shape[0], capacity)
    assignment = np.empty(instance.items.shape[0], dtype=np.int64)
    with np.errstate(all="ignore"):
        for i, item in enumerate(instance.items):
            # (bins >= item) is FunSearch's (bins - item) >= 0 for finite floats (a difference rounds
            # to zero only when the two are equal) without the array of differences.
            valid = (bins >= item).nonzero()[0]
            status, scores, detail = _call(program, item, bins[valid])
            if status is not OutputStatus.OK:
                return _failure(instance.name, i, f"{item:g}", status, detail)
            chosen = valid[scores.argmax()]
            assignment[i] = chosen
            bins[chosen] -= item
    return PackResult(int((bins != capacity).sum()), OutputStatus.OK, "", assignment)


def _call(program: CompiledProgram, item, bins: np.ndarray) -> tuple[OutputStatus, np.ndarray | None, str]:
    """Run the Python priority once; ``(status, scores, detail)`` with scores validated."""
    try:
        scores = program.python(item, bins)
    except BaseException as exc:
        status, detail = exception_status(exc)
        return status, None, detail
    status, checked = check_scores(scores, len(bins))
    if status is OutputStatus.OK:
        return status, checked, ""
    detail = ""
    if status is OutputStatus.WRONG_TYPE:
        dtype = f" of dtype {scores.dtype}" if isinstance(scores, np.ndarray) else ""
        detail = f"got {type(scores).__name__}{dtype}"
    elif status is OutputStatus.WRONG_SHAPE:
        count = f"{scores.shape[0]} scores" if scores.ndim == 1 else f"shape {scores.shape}"
        detail = f"{count} for {len(bins)} bins"
    elif status is OutputStatus.NOT_FINITE:
        detail = f"score at position {np.flatnonzero(~np.isfinite(scores))[0]}"
    return status, checked, detail


def _pack_numba(program: CompiledProgram, instance: Instance) -> PackResult:
    # A writable contiguous copy: the kernel's signature is fixed, and Instance.items is read-only.
    items = np.array(instance.items, dtype=np.float64)
    assignment = np.empty(items.shape[0], dtype=np.int64)
    try:
        status, used, i, got, k = _kernel()(program.jitted, items, instance.capacity, assignment)
    except BaseException as exc:  # the program raised inside the kernel; numba re-raises it here
        status, detail = exception_status(exc)
        return PackResult(0, status, f"instance {instance.name}: {detail}")
    status = OutputStatus(status)
    if status is not OutputStatus.OK:
        detail = (
            f"{got} scores for {k} bins" if status is OutputStatus.WRONG_SHAPE else f"score at position {got}"
        )
        return _failure(instance.name, i, f"{items[i]:g}", status, detail)
    return PackResult(int(used), OutputStatus.OK, "", assignment)


@functools.cache
def _kernel():
    """The numba kernel, compiled (or loaded from numba's cache) on first use rather than at import.

    The signature is explicit so that every program shares one compiled kernel: without it numba
    would specialise, and recompile, the kernel for each program's dispatcher type.
    """
    import numba
    from numba import types

    signature = types.UniTuple(types.int64, 5)(
        function_type(Contract.BINPACKING), types.float64[::1], types.float64, types.int64[::1]
    )
    return numba.njit(signature, cache=True, nogil=True)(_pack_kernel)


def _pack_kernel(priority, items, capacity, assignment):
    """Numba kernel: ``(status, bins_used, failing item, got, expected)`` for ``items`` (n,) float64;
    fills ``assignment`` (n,) with the bin of each item.

    ``got`` is the score count (WRONG_SHAPE) or the index of the bad score (NOT_FINITE); ``expected``
    the number of valid bins offered.
    """
    n = items.shape[0]
    bins = np.full(n, capacity)
    valid = np.empty(n, np.int64)
    offered = np.empty(n, np.float64)
    # Bins at and after `hi` have never been used, so they hold exactly `capacity` and take any item:
    # they are appended without testing. The offered array is still FunSearch's bins[valid].
    hi = 0
    for i in range(n):
        item = items[i]
        k = 0
        for j in range(hi):
            remaining = bins[j]
            valid[k] = j
            offered[k] = remaining
            k += (remaining - item) >= 0.0  # branch-free compaction
        for j in range(hi, n):
            valid[k] = j
            offered[k] = capacity
            k += 1
        scores = priority(item, offered[:k])
        if scores.shape[0] != k:
            return _WRONG_SHAPE, 0, i, scores.shape[0], k
        best = 0
        best_score = scores[0]
        for j in range(k):
            score = scores[j]
            if not np.isfinite(score):
                return _NOT_FINITE, 0, i, j, k
            if score > best_score:
                best = j
                best_score = score
        chosen = valid[best]
        assignment[i] = chosen
        bins[chosen] -= item
        if chosen >= hi:
            hi = chosen + 1
    used = 0
    for j in range(hi):
        used += bins[j] != capacity
    return _OK, used, 0, 0, 0


def _failure(name: str, index: int, item: str, status: OutputStatus, detail: str) -> PackResult:
    detail = f" ({detail})" if detail else ""
    return PackResult(0, status, f"instance {name}, item {index} (size {item}): {status.describe()}{detail}")
