"""Realism of a replayed trace window: its distributions against its own trace's, not against the
Google 2011 and Alibaba 2017 references a synthetic scenario is held to.

A replay neither invents nor rescales what it copies, so a window is compared with the windows of the
trace it came from, of the nearest length (:func:`~aurora_evo.scenario.quality.trace_references
.load_trace_reference` by ``provenance["trace"]`` ``format`` and ``window_s``), as they are: in
cores, GiB and seconds, not median-centred as a synthetic scenario's shapes are. What it can get wrong
is the replay: units, time scales, the window. So the checks are

* every task arrives within the window, ``[0, window_s)``;
* per distribution (:func:`~aurora_evo.scenario.quality.trace_window.window_samples`), the median
  within ``size_location_factor`` (sizes) or ``duration_location_factor`` (durations) of the trace's,
  or within the largest factor of the trace's own windows when that is wider (an Alibaba GPU 2025
  window of a few short-lived instances lies 9,000x below the trace's median);
* with ``realism_min_samples`` values or more, a two-sample KS test against the trace's quantile
  table (both sides rounded alike), refused when it rejects at ``realism_alpha`` and its distance
  exceeds both ``realism_max_distance`` and the largest distance of the trace's own windows. A trace's
  windows differ from each other: a short window holds a few jobs, and the Alibaba GPU 2025 durations
  shorten as the month goes, since instances alive at its end are left out. A real window as it is
  should pass; what the checks catch is a replay gone wrong, which puts a window beyond every one of
  its trace's (a window at another offset than the reference's ones can, rarely, pass their largest by
  a little: 2 of the 99 three-minute windows of the shipped google-2011 suite; the tables of 30 minutes
  and more are calibrated on windows at four offsets).

The rules that stop a synthetic scenario from dodging the KS tests with many tasks (tasks per request
shape, few shapes among many tasks, a regular clock, distinct values, jobs arriving at once) are not
applied: a real window dodges nothing, and real traces break them (Google 2011 jobs run thousands of
identical tasks, the Azure VM 2017 arrivals are binned to 300 s, the LLM requests share one shape).
The window's tasks per shape and task inter-arrival CV are reported beside the trace's own figures.
"""

from __future__ import annotations

import math

import numpy as np

from aurora_evo.rows import unique_rows
from aurora_evo.scenario.model import Scenario
from aurora_evo.scenario.quality.report import Layer, QualityConfig, Verdict, _g, _join
from aurora_evo.scenario.quality.trace_references import (
    Distribution,
    TraceReference,
    load_trace_reference,
    significant,
)
from aurora_evo.scenario.quality.trace_window import SAMPLE_NAMES, TraceWindow, window_samples

#: The rules of synthetic realism a real window is exempt from, reported with the trace's figures.
_REPORTED = ("tasks_per_shape", "task_interarrival_cv")


def check_trace_realism(s: Scenario, window: TraceWindow, config: QualityConfig) -> Verdict:
    """Layer 3 for a replayed trace window (see the module docstring)."""
    try:
        ref = load_trace_reference(window.format, window.window_s)
    except KeyError:
        return Verdict(
            Layer.REALISM,
            False,
            f"realism: no reference for the {window.format} trace in this version of aurora-evo (rebuild "
            "them: python -m aurora_evo.scenario.quality.build_trace_references DATA_DIR)",
            {"reference": None},
        )
    tasks = s.tasks
    problems: list[str] = []
    tests: dict[str, dict] = {}
    weak: list[str] = []
    outside = int(np.count_nonzero((tasks.arrival < 0) | (tasks.arrival >= window.window_s)))
    if outside:
        problems.append(
            f"{outside} of {len(tasks)} tasks arrive outside the {_g(window.window_s)} s window "
            f"(arrivals {_g(tasks.arrival.min())}-{_g(tasks.arrival.max())} s)"
        )
    samples = window_samples(tasks.arrival, tasks.duration, tasks.demand, tasks.priority)
    not_recorded = [name for name in SAMPLE_NAMES if name not in ref.distributions]
    for name in SAMPLE_NAMES:
        values = samples.get(name)
        if name in ref.distributions and values is not None and values.size:
            tests[name] = _compare(name, values, ref.distributions[name], ref, config, problems, weak)
    tests |= _reported(s, ref)
    details: dict[str, object] = {
        "reference": ref.describe(),
        "tests": tests,
        "weak": weak,
        "not_recorded": not_recorded,
        "problems": problems,
    }
    if problems:
        return Verdict(Layer.REALISM, False, _join(Layer.REALISM, problems, limit=5), details)
    checked = [name for name in tests if name not in weak and name not in _REPORTED]
    text = (
        f"realism: {', '.join(checked)} match the {ref.describe()}"
        if checked
        else f"realism: locations plausible for the {ref.describe()}"
    )
    if weak:
        text += f" (weak check for {', '.join(weak)}: too few values)"
    return Verdict(Layer.REALISM, True, text, details)


def _compare(
    name: str,
    values: np.ndarray,
    dist: Distribution,
    ref: TraceReference,
    config: QualityConfig,
    problems: list[str],
    weak: list[str],
) -> dict[str, object]:
    """One distribution against the trace's table: location, then (with enough values) the KS test.
    Appends to ``problems`` and ``weak``; returns the test's details."""
    from scipy import stats  # here, not at the top: scipy takes ~0.5 s to import

    label = "job inter-arrival gap" if name == "interarrival" else name.replace("_", " ")
    entry: dict[str, object] = {"n": int(values.size), "reference": ref.describe(), "unit": dist.unit}
    factor = {"interarrival": None, "duration": config.duration_location_factor}.get(
        name, config.size_location_factor
    )
    if factor is not None:
        factor = max(factor, dist.median_factor_max or 1.0)
        median, ref_median = float(np.median(values)), dist.median
        shift = math.log(median / ref_median)
        entry |= {"median": median, "reference_median": ref_median, "median_factor": math.exp(abs(shift))}
        if abs(shift) > math.log(factor):
            unit = f" {dist.unit}" if dist.unit else ""
            problems.append(
                f"median {label} {_g(median)}{unit} is {_g(math.exp(abs(shift)))}x "
                f"{'above' if shift > 0 else 'below'} the {ref.format} trace's {_g(ref_median)}{unit} "
                f"(tolerance {_g(factor)}x)"
            )
    if values.size < config.realism_min_samples:
        weak.append(name)
        return entry
    result = stats.ks_2samp(significant(values), dist.quantiles)
    d, p = float(result.statistic), float(result.pvalue)
    threshold = max(config.realism_max_distance, dist.ks_max or 0.0)
    entry |= {"ks_distance": d, "p_value": p, "max_distance": threshold, "trace_windows_ks_max": dist.ks_max}
    if p < config.realism_alpha and d > threshold:
        problems.append(
            f"{label} distribution differs from the {ref.describe()} (KS D={d:.2f} > {threshold:.2f}, "
            f"p={p:.1e}, {values.size} values)"
        )
    return entry


def _reported(s: Scenario, ref: TraceReference) -> dict[str, dict]:
    """The synthetic volume rules' measures, beside the trace's own per-window figures; not judged."""
    tasks = s.tasks
    per_shape = len(tasks) / max(len(unique_rows(tasks.demand[:, :2])[0]), 1)
    out: dict[str, dict] = {
        "tasks_per_shape": {"value": per_shape, "trace_windows": dict(ref.figures["tasks_per_shape"])}
    }
    gaps = np.diff(np.sort(tasks.arrival))
    if gaps.size and gaps.mean() > 0:
        out["task_interarrival_cv"] = {
            "value": float(gaps.std() / gaps.mean()),
            "trace_windows": dict(ref.figures["task_interarrival_cv"]),
        }
    for entry in out.values():
        entry["judged"] = False
    return out
