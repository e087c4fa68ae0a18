"""Measures of a scenario's arrival stream shared by the realism, diversity and complexity layers:
its jobs' arrival times, the arrival window and the offered load over it."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from aurora_evo.scenario.generate import offered_load
from aurora_evo.scenario.model import Scenario
from aurora_evo.scenario.quality.report import DEFAULT_CONFIG, QualityConfig, _quiet


def _job_arrivals(s: Scenario) -> np.ndarray:
    """Sorted arrival times of the scenario's jobs: tasks sharing demand, priority and owner form a
    job (the generator's jobs share all three), arriving with their first task."""
    tasks = s.tasks
    key = np.column_stack([tasks.demand, tasks.priority, tasks.owner])
    _, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    first = np.full(int(inverse.max()) + 1, np.inf)
    np.minimum.at(first, inverse, tasks.arrival)
    return np.sort(first)


def _window(s: Scenario, config: QualityConfig) -> tuple[float, str]:
    """(arrival window in s, where it came from) for the offered load.

    The window the provenance records (the generator's) is used when it covers every arrival (give or
    take the generator's 1 s batch spread) and, for scenarios with at least ``realism_min_samples``
    jobs, is at most ``trusted_window_factor`` times the window the job arrivals suggest (span x J /
    (J - 1)): so a stale or forged provenance cannot hide a compressed arrival stream. Otherwise the
    window is estimated from the task arrivals as span x n / (n - 1); NaN when that is undefined (one
    task, or all arrive at once).
    """
    arrival = s.tasks.arrival
    n = arrival.size
    span = float(arrival.max() - arrival.min())
    estimate = span * n / (n - 1) if n > 1 and span > 0 else float("nan")
    derived = s.provenance.get("derived")
    recorded = derived.get("arrival_window_s") if isinstance(derived, Mapping) else None
    if isinstance(recorded, int | float) and math.isfinite(recorded) and recorded > 0:
        recorded = float(recorded)
        jobs = _job_arrivals(s)
        n_jobs, job_span = jobs.size, float(jobs[-1] - jobs[0])
        covers = span <= 1.05 * recorded + 1.0
        plausible = (
            n_jobs < config.realism_min_samples
            or recorded <= config.trusted_window_factor * job_span * n_jobs / (n_jobs - 1)
        )
        if covers and plausible:
            return recorded, "provenance"
        return estimate, "arrivals (the recorded window does not match them)"
    return estimate, "arrivals"


@_quiet
def scenario_load(s: Scenario, config: QualityConfig = DEFAULT_CONFIG) -> float:
    """Offered load of the bottleneck resource (:func:`~aurora_evo.scenario.generate.offered_load`)
    over the arrival window of :func:`_window`; NaN when the window is undefined."""
    window, _ = _window(s, config)
    if not (math.isfinite(window) and window > 0):
        return float("nan")
    return offered_load(s, window)
