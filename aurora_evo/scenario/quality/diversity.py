"""Layer 4, diversity: the scenario's :func:`features` lie far enough (:func:`feature_distance`) from
every recently accepted scenario's."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from aurora_evo.rows import unique_rows
from aurora_evo.scenario.model import Scenario
from aurora_evo.scenario.quality.arrivals import _job_arrivals, scenario_load
from aurora_evo.scenario.quality.report import DEFAULT_CONFIG, Layer, QualityConfig, Verdict, _g, _quiet
from aurora_evo.scenario.quality.trace_window import trace_window

#: The features of :func:`features`, in order.
FEATURE_NAMES = (
    "log10_tasks",
    "log10_nodes",
    "offered_load",
    "deadline_share",
    "cpu_p50",
    "cpu_p90",
    "memory_p50",
    "memory_p90",
    "log1p_job_interarrival_cv",
    "node_heterogeneity",
    "log10_duration_p50",
    "log10_tasks_per_shape",
)
#: Scale of each feature in the standardised distance: its standard deviation over the 50 shipped seed
#: scenarios, rounded up to one significant digit, with a floor of 0.05 so that no single feature
#: dominates (see :func:`feature_distance`).
FEATURE_SCALES = (0.9, 0.6, 0.3, 0.2, 0.08, 0.3, 0.05, 0.2, 0.3, 0.3, 0.7, 0.3)
_TRACE_NOTE = "a trace window: its distance to the recent scenarios is reported, not judged"


@_quiet
def features(s: Scenario, config: QualityConfig = DEFAULT_CONFIG) -> np.ndarray:
    """The scenario's descriptor for diversity, in the order of :data:`FEATURE_NAMES` (float64, finite).

    log10 task and node counts; offered load (:func:`scenario_load`, capped at 10; 10 when undefined);
    share of tasks with a deadline; median and p90 of the cpu and memory requests as shares of the
    largest node's capacity; log(1 + CV) of the job inter-arrival gaps (jobs as in
    :func:`check_realism`); node heterogeneity (mean of the coefficients of variation of cpu and
    memory capacity); log10 of the median duration in s; log10 of the mean tasks per request shape.
    """
    tasks, nodes = s.tasks, s.nodes
    cap = nodes.capacity
    largest = cap.max(axis=0)
    share = tasks.demand / np.where(largest > 0, largest, 1.0)
    load = scenario_load(s, config)
    load = 10.0 if not math.isfinite(load) else min(load, 10.0)
    gaps = np.diff(_job_arrivals(s))
    cv = float(gaps.std() / gaps.mean()) if gaps.size and gaps.mean() > 0 else 0.0
    mean_cap = cap[:, :2].mean(axis=0)
    hetero = np.divide(cap[:, :2].std(axis=0), mean_cap, out=np.zeros(2), where=mean_cap > 0)
    shapes = len(unique_rows(tasks.demand)[0])
    values = np.array(
        [
            math.log10(len(tasks)),
            math.log10(len(nodes)),
            load,
            float(tasks.has_deadline.mean()),
            float(np.median(share[:, 0])),
            float(np.quantile(share[:, 0], 0.9)),
            float(np.median(share[:, 1])),
            float(np.quantile(share[:, 1], 0.9)),
            math.log1p(cv),
            float(hetero.mean()),
            math.log10(float(np.median(tasks.duration))),
            math.log10(len(tasks) / shapes),
        ],
        dtype=np.float64,
    )
    return np.nan_to_num(values, nan=0.0, posinf=10.0, neginf=-10.0)


@_quiet
def feature_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Standardised Euclidean distance between two feature vectors, as a root mean square over the
    features: ``sqrt(mean(((a - b) / FEATURE_SCALES) ** 2))`` (1 = one typical spread per feature)."""
    diff = (np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) / np.asarray(FEATURE_SCALES)
    return float(np.sqrt(np.mean(diff**2)))


def _check_features(
    x: np.ndarray, recent: Sequence[np.ndarray], config: QualityConfig, trace: bool = False
) -> Verdict:
    window = list(recent)[-config.diversity_recent :] if config.diversity_recent else []
    details: dict[str, object] = {"features": [float(v) for v in x], "compared": len(window)}
    if not window:
        details["note"] = "no recent scenarios to compare with"
        return Verdict(Layer.DIVERSITY, True, "diversity: no recent scenarios to compare with", details)
    distances = [feature_distance(x, other) for other in window]
    nearest = int(np.argmin(distances))
    distance = distances[nearest]
    # index counted back from the most recent (1 = the last one)
    details |= {
        "nearest_distance": distance,
        "nearest_back": len(window) - nearest,
        "min_distance": config.diversity_min_distance,
    }
    if trace:
        details["note"] = _TRACE_NOTE
        return Verdict(
            Layer.DIVERSITY,
            True,
            f"diversity: a trace window, not judged; nearest of {len(window)} recent scenarios at distance "
            f"{distance:.3f}",
            details,
        )
    if distance < config.diversity_min_distance:
        other = np.asarray(window[nearest], dtype=np.float64)
        diff = np.abs(x - other) / np.asarray(FEATURE_SCALES)
        i = int(np.argmax(diff))
        unlike = (
            f"the largest difference is in {FEATURE_NAMES[i]} ({_g(x[i])} against {_g(other[i])})"
            if diff[i] > 0
            else "every feature is the same"
        )
        return Verdict(
            Layer.DIVERSITY,
            False,
            f"diversity: a near-copy of a recent scenario ({len(window) - nearest} back): standardised "
            f"distance {distance:.3f} < {config.diversity_min_distance:g}; {unlike}",
            details,
        )
    return Verdict(
        Layer.DIVERSITY,
        True,
        f"diversity: nearest of {len(window)} recent scenarios at distance {distance:.3f}",
        details,
    )


@_quiet
def check_diversity(
    s: Scenario, recent: Sequence[np.ndarray], *, config: QualityConfig = DEFAULT_CONFIG
) -> Verdict:
    """Layer 4: the scenario's :func:`features` lie at least ``diversity_min_distance`` (see
    :func:`feature_distance`) from those of each of the last ``diversity_recent`` entries of
    ``recent`` (feature vectors of recently accepted scenarios, oldest first). With none, it passes.
    ``details["features"]`` holds the scenario's features, for the caller to keep.

    A replayed trace window (``provenance["trace"]``) is measured and passes: a window is another stretch
    of its trace by construction, and the windows of one trace resemble each other as the trace does
    (40 of the 100 30-minute windows of the ``azure`` suite lay within 0.1 of an earlier one of their
    split).

    Raises:
        InputError: one line, for a malformed ``provenance["trace"]``.
    """
    return _check_features(features(s, config), recent, config, trace=trace_window(s) is not None)
