"""Pareto helpers over score vectors where larger is better in every objective.

``points`` is always an ``(n_points, n_objectives)`` array of finite scores (e.g. the per-term scores of
:class:`aurora_evo.sim.Metrics`, all in [0, 1]).
"""

from __future__ import annotations

import numpy as np

#: Up to this many objectives the hypervolume is exact; above, the exact algorithm's cost grows too fast
#: (eight objectives and twenty points took 20 s) and a Monte-Carlo estimate is used.
EXACT_MAX_OBJECTIVES = 4


def _points(points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2:
        raise ValueError(f"points must be 2-D (n_points, n_objectives), got shape {pts.shape}")
    if not np.all(np.isfinite(pts)):
        raise ValueError("points must be finite (a NaN would be neither dominated nor dominating)")
    return pts


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """True when ``a`` is at least as good as ``b`` everywhere and better somewhere."""
    return bool(np.all(a >= b) and np.any(a > b))


def non_dominated(points: np.ndarray) -> np.ndarray:
    """Boolean mask ``(n_points,)`` of the points no other point dominates (duplicates all kept)."""
    pts = _points(points)
    keep = np.ones(len(pts), dtype=bool)
    for i in range(len(pts)):
        at_least = np.all(pts >= pts[i], axis=1)
        better = np.any(pts > pts[i], axis=1)
        keep[i] = not np.any(at_least & better)
    return keep


def pareto_front(points: np.ndarray) -> np.ndarray:
    """The non-dominated points, without duplicates, sorted by the first objective (descending)."""
    pts = _points(points)
    front = np.unique(pts[non_dominated(pts)], axis=0)
    return front[np.argsort(-front[:, 0], kind="stable")]


def hypervolume(
    points: np.ndarray,
    reference: np.ndarray | None = None,
    *,
    rng: np.random.Generator | None = None,
    samples: int = 200_000,
) -> float:
    """Volume dominated by ``points`` and bounded below by ``reference`` (maximisation).

    Exact (slicing along the last objective, HSO) for up to :data:`EXACT_MAX_OBJECTIVES` objectives.
    Above that, a Monte-Carlo estimate from ``samples`` uniform points in the bounding box, drawn from
    ``rng`` (seed it for reproducible numbers; its standard error is about
    ``box * sqrt(p (1 - p) / samples)`` where ``p`` is the dominated share). ``reference`` defaults to
    the origin, which suits scores in [0, 1]. Points that do not strictly exceed the reference in every
    objective add nothing.
    """
    pts = _points(points)
    ref = np.zeros(pts.shape[1]) if reference is None else np.asarray(reference, dtype=np.float64)
    if ref.shape != (pts.shape[1],):
        raise ValueError(f"reference has shape {ref.shape}, expected ({pts.shape[1]},)")
    pts = pts[np.all(pts > ref, axis=1)] - ref
    if len(pts) == 0:
        return 0.0
    front = pareto_front(pts)
    if front.shape[1] <= EXACT_MAX_OBJECTIVES:
        return _hso(front)
    return _monte_carlo(front, rng if rng is not None else np.random.default_rng(0), samples)


def _hso(front: np.ndarray) -> float:
    """Hypervolume of a front over the origin (every coordinate positive)."""
    if front.shape[1] == 1:
        return float(front[:, 0].max())
    by_last = front[np.argsort(-front[:, -1], kind="stable")]
    volume = 0.0
    for i in range(len(by_last)):
        height = by_last[i, -1] - (by_last[i + 1, -1] if i + 1 < len(by_last) else 0.0)
        if height > 0:
            volume += height * _hso(pareto_front(by_last[: i + 1, :-1]))
    return float(volume)


def _monte_carlo(front: np.ndarray, rng: np.random.Generator, samples: int) -> float:
    upper = front.max(axis=0)
    dominated = 0
    for start in range(0, samples, 20_000):  # in chunks, to keep memory flat
        draws = rng.uniform(0.0, upper, size=(min(20_000, samples - start), front.shape[1]))
        covered = np.zeros(len(draws), dtype=bool)
        for point in front:
            covered |= np.all(draws <= point, axis=1)
        dominated += int(covered.sum())
    return float(np.prod(upper) * dominated / samples)
