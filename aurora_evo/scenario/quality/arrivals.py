"""Measures of a scenario's arrival stream shared by the realism, diversity and complexity layers:
its jobs' arrival times, the arrival window and the offered load over it."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from aurora_evo.scenario.generate import offered_load
from aurora_evo.scenario.model import Scenario
from aurora_evo.scenario.quality.report import DEFAULT_CONFIG, QualityConfig, _quiet
from aurora_evo.scenario.quality.trace_window import job_arrivals, trace_window, window_load


def _job_arrivals(s: Scenario) -> np.ndarray:
    """Sorted arrival times of the scenario's jobs: tasks sharing demand, priority and owner form a
    job (the generator's jobs share all three), arriving with their first task."""
    tasks = s.tasks
    return job_arrivals(tasks.arrival, np.column_stack([tasks.demand, tasks.priority, tasks.owner]))


def _window(s: Scenario, config: QualityConfig) -> tuple[float, str]:
    """(arrival window in s, where it came from) for the offered load.

    The window is always estimated from the arrivals: span x J / (J - 1) over the J job arrivals
    (:func:`_job_arrivals`; the generator draws jobs, the first at 0 and the window ending where the
    next would arrive), or over the task arrivals when fewer than two jobs arrive at distinct times;
    NaN when undefined (all tasks arrive at once). The window the provenance records (the
    generator's, which knows the rate the arrivals were drawn at) is used instead only when it lies
    within ``trusted_window_factor`` of that estimate, either way: so a stale or forged provenance
    (arrivals squeezed or stretched after generation) cannot hide the load the arrivals offer.

    A replayed trace window's window is the one its ``provenance["trace"]`` records: the replay cut
    it, so it is no estimate (its arrivals may well end early, the window being quiet at its end).
    """
    window = trace_window(s)
    if window is not None:
        return window.window_s, "trace window"
    arrival = s.tasks.arrival
    n = arrival.size
    span = float(arrival.max() - arrival.min()) if n else 0.0
    estimate = span * n / (n - 1) if n > 1 and span > 0 else float("nan")
    jobs = _job_arrivals(s) if n else arrival
    job_span = float(jobs[-1] - jobs[0]) if jobs.size else 0.0
    if jobs.size > 1 and job_span > 0:
        estimate = job_span * jobs.size / (jobs.size - 1)
    derived = s.provenance.get("derived")
    recorded = derived.get("arrival_window_s") if isinstance(derived, Mapping) else None
    if isinstance(recorded, int | float) and math.isfinite(recorded) and recorded > 0:
        recorded = float(recorded)
        factor = config.trusted_window_factor * (1.0 + 1e-9)
        if math.isfinite(estimate) and estimate / factor <= recorded <= estimate * factor:
            return recorded, "provenance"
        return estimate, "arrivals (the recorded window does not match them)"
    return estimate, "arrivals"


@_quiet
def scenario_load(s: Scenario, config: QualityConfig = DEFAULT_CONFIG) -> float:
    """Offered load of the bottleneck resource (:func:`~aurora_evo.scenario.generate.offered_load`)
    over the arrival window of :func:`_window`; NaN when the window is undefined. For a replayed trace
    window, the load offered within the window (:func:`~aurora_evo.scenario.quality.trace_window
    .window_load`): its tasks run on long after it, and counted whole they read as overload."""
    window, _ = _window(s, config)
    if not (math.isfinite(window) and window > 0):
        return float("nan")
    if trace_window(s) is not None:
        return window_load(s, window)
    return offered_load(s, window)
