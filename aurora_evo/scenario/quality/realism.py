"""Layer 3, realism: the scenario's distributions (request shapes, durations, job inter-arrival gaps)
look like the public traces, by two-sample Kolmogorov-Smirnov tests against the shipped reference
samples (:func:`aurora_evo.scenario.traces.load_reference_samples`), plus a location check on each."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from aurora_evo.rows import unique_rows
from aurora_evo.scenario.model import Scenario
from aurora_evo.scenario.quality.arrivals import _job_arrivals
from aurora_evo.scenario.quality.report import (
    DEFAULT_CONFIG,
    TRACE_TASKS_PER_JOB,
    Layer,
    QualityConfig,
    Verdict,
    _g,
    _join,
    _num,
    _quiet,
)
from aurora_evo.scenario.quality.trace_realism import check_trace_realism
from aurora_evo.scenario.quality.trace_window import trace_window
from aurora_evo.scenario.traces import load_reference_samples


@dataclass(frozen=True)
class _Reference:
    """The reference distributions, ready for comparison (each a 1-D float64 array)."""

    log_cpu: np.ndarray  # log of cpu request, share of the largest machine (Google 2011, smoothed)
    log_memory: np.ndarray  # log of memory request, share of the largest machine (Google 2011, smoothed)
    log_ratio: np.ndarray  # log_cpu - log_memory
    log_duration: np.ndarray  # log of duration in s (Alibaba 2017, terminated tasks, de-rounded)
    gaps: np.ndarray  # job inter-arrival gaps over their mean (Alibaba 2017, de-rounded)
    sources: Mapping[str, str]


def _prepare_reference(samples: Mapping[str, np.ndarray], smoothing: float) -> _Reference:
    """Turn raw samples (the layout of :func:`~aurora_evo.scenario.traces.load_reference_samples`) into
    comparable distributions; the smoothing noise comes from a fixed seed, so this is deterministic.

    The traces record times in whole seconds: durations get U(-0.5, 0.5) s (floored at 0.5 s) and job
    arrivals U(0, 1) s, so that a continuous sample is not refused for missing the rounding.
    """
    rng = np.random.default_rng(20110601)
    pairs = np.asarray(samples["google_cpu_mem"], dtype=np.float64)
    pairs = pairs[(pairs[:, 0] > 0) & (pairs[:, 1] > 0)]
    log_cpu = (
        np.log(pairs[:, 0]) + rng.normal(0.0, smoothing, len(pairs)) if smoothing else np.log(pairs[:, 0])
    )
    log_mem = (
        np.log(pairs[:, 1]) + rng.normal(0.0, smoothing, len(pairs)) if smoothing else np.log(pairs[:, 1])
    )
    duration = np.asarray(samples["alibaba_duration_s"], dtype=np.float64)
    duration = np.maximum(duration + rng.uniform(-0.5, 0.5, duration.size), 0.5)
    arrivals = np.sort(np.asarray(samples["alibaba_job_arrival_s"], dtype=np.float64))
    arrivals = np.sort(arrivals + rng.uniform(0.0, 1.0, arrivals.size))
    gaps = np.diff(arrivals)
    return _Reference(
        log_cpu=log_cpu,
        log_memory=log_mem,
        log_ratio=log_cpu - log_mem,
        log_duration=np.log(duration),
        gaps=gaps / gaps.mean(),
        sources=MappingProxyType(
            {
                "cpu": "Google 2011 cpu requests",
                "memory": "Google 2011 memory requests",
                "cpu_memory_ratio": "Google 2011 cpu:memory ratios",
                "duration": "Alibaba 2017 durations",
                "interarrival": "Alibaba 2017 job inter-arrival gaps",
            }
        ),
    )


@functools.cache
def _shipped_reference(smoothing: float) -> _Reference:
    return _prepare_reference(load_reference_samples(), smoothing)


def _shapes(s: Scenario) -> np.ndarray:
    """Distinct (cpu, memory) request shapes, ``(k, 2)``, as shares of the largest node's capacity."""
    largest = s.nodes.capacity[:, :2].max(axis=0)
    shapes, _ = unique_rows(s.tasks.demand[:, :2])
    return shapes / np.where(largest > 0, largest, 1.0)


@_quiet
def check_realism(
    s: Scenario, reference: Mapping[str, np.ndarray] | None = None, *, config: QualityConfig = DEFAULT_CONFIG
) -> Verdict:
    """Layer 3: the scenario's distributions look like the traces.

    Compared distributions (scenario side -> reference side):

    * cpu and memory requests of the distinct request shapes (one per job, since a job's tasks share
      theirs), as shares of the largest node's capacity -> Google 2011 requests, shares of the largest
      machine; and their cpu:memory ratio;
    * task durations (s) -> Alibaba 2017 terminated tasks;
    * job inter-arrival gaps over their mean (scale-free: the rate follows from the load) -> Alibaba
      2017 job arrivals.

    The calibration is scale-free: sizes and durations are compared in log space after subtracting
    each side's median, so that a scenario may scale the trace (bigger tasks, shorter edge tasks) and
    keep its shape. The medians get a separate, tolerant location check (``size_location_factor``,
    ``duration_location_factor``). A shape is refused when the KS test rejects at ``realism_alpha``
    and the KS distance exceeds ``realism_max_distance``. With fewer than ``realism_min_samples``
    values a distribution gets only the location check (``details["weak"]`` names them). Also refused:
    sizes or durations with fewer than ``realism_min_distinct_share`` x min(n, ``realism_min_samples``)
    distinct values among n; more than ``max_tasks_per_shape`` tasks per request shape; fewer than
    ``realism_min_samples`` request shapes among ``realism_min_samples`` x 6.22 tasks or more (so many
    tasks on few shapes cannot dodge the KS tests); with ``realism_min_samples`` tasks or more, task
    inter-arrival gaps with a coefficient of variation under ``min_task_interarrival_cv`` (a regular
    clock, whatever the job count); and many jobs all arriving at once.

    ``reference``: raw samples in the layout of
    :func:`~aurora_evo.scenario.traces.load_reference_samples`; ``None`` uses the shipped ones.

    A replayed trace window (``provenance["trace"]``, :func:`~aurora_evo.scenario.quality.trace_window
    .trace_window`) is compared with its own trace instead, and ``reference`` is not used: see
    :mod:`aurora_evo.scenario.quality.trace_realism`.

    Raises:
        InputError: one line, for a malformed ``provenance["trace"]``.
    """
    window = trace_window(s)
    if window is not None:
        return check_trace_realism(s, window, config)
    ref = (
        _shipped_reference(config.realism_smoothing)
        if reference is None
        else _prepare_reference(reference, config.realism_smoothing)
    )
    problems: list[str] = []
    tests: dict[str, dict] = {}
    weak: list[str] = []
    jobs = _job_arrivals(s)
    raw_gaps = np.diff(jobs)
    for name, x, r, factor, unit in _samples(s, ref, raw_gaps, config):
        tests[name] = _compare(name, x, r, factor, unit, ref, config, problems, weak)
    _check_volume(s, jobs, raw_gaps, config, tests, problems)
    return _verdict(tests, weak, problems, config)


def _samples(
    s: Scenario, ref: _Reference, raw_gaps: np.ndarray, config: QualityConfig
) -> list[tuple[str, np.ndarray, np.ndarray, float | None, str]]:
    """The distributions to compare: ``(name, scenario side, reference side, location tolerance factor
    or None, unit)``, the sides in log space for sizes and durations."""
    shapes = _shapes(s)
    ok_shape = (shapes[:, 0] > 0) & (shapes[:, 1] > 0)
    shapes = shapes[ok_shape]
    size_factor, dur_factor = config.size_location_factor, config.duration_location_factor
    samples: list[tuple[str, np.ndarray, np.ndarray, float | None, str]] = []
    if len(shapes):
        samples += [
            ("cpu", np.log(shapes[:, 0]), ref.log_cpu, size_factor, "of the largest node's cpu"),
            ("memory", np.log(shapes[:, 1]), ref.log_memory, size_factor, "of the largest node's memory"),
            ("cpu_memory_ratio", np.log(shapes[:, 0] / shapes[:, 1]), ref.log_ratio, size_factor, ""),
        ]
    samples.append(("duration", np.log(s.tasks.duration), ref.log_duration, dur_factor, "s"))
    if raw_gaps.size and raw_gaps.mean() > 0:
        samples.append(("interarrival", raw_gaps / raw_gaps.mean(), ref.gaps, None, ""))
    return samples


def _compare(
    name: str,
    x: np.ndarray,
    r: np.ndarray,
    factor: float | None,
    unit: str,
    ref: _Reference,
    config: QualityConfig,
    problems: list[str],
    weak: list[str],
) -> dict[str, object]:
    """One distribution against the trace's: distinct values, location, then (with enough values) the
    KS test on the centred sides. Appends to ``problems`` and ``weak``; returns the test's details."""
    from scipy import stats  # here, not at the top: scipy takes ~0.5 s to import

    entry: dict[str, object] = {"n": int(x.size), "reference": ref.sources[name]}
    if name != "interarrival":  # equal gaps are judged by their distribution
        distinct = int(np.unique(x).size)
        least = math.ceil(min(x.size, config.realism_min_samples) * config.realism_min_distinct_share)
        entry["distinct"], entry["min_distinct"] = distinct, least
        if distinct < least:
            label = name.replace("_", " ")
            problems.append(
                f"only {distinct} distinct {label} values among {x.size} (at least {least}: the "
                f"{ref.sources[name]} spread continuously)"
            )
    if factor is not None:
        x_med, r_med = float(np.median(x)), float(np.median(r))
        shift = x_med - r_med
        entry["median"] = _num(np.exp(x_med))
        entry["reference_median"] = _num(np.exp(r_med))
        entry["median_factor"] = _num(np.exp(abs(shift)))
        if abs(shift) > math.log(factor):
            word = "above" if shift > 0 else "below"
            label = name.replace("_", " ")
            text = f"median {label} {_g(np.exp(x_med))}" + (f" {unit}" if unit else "")
            problems.append(
                f"{text} is {_g(np.exp(abs(shift)))}x {word} the trace's {_g(np.exp(r_med))} "
                f"({ref.sources[name]}; tolerance {_g(factor)}x)"
            )
        x, r = x - x_med, r - r_med
    if x.size < config.realism_min_samples:
        weak.append(name)
        return entry
    result = stats.ks_2samp(x, r)
    d, p = float(result.statistic), float(result.pvalue)
    entry["ks_distance"], entry["p_value"] = d, p
    if p < config.realism_alpha and d > config.realism_max_distance:
        label = "job inter-arrival gap" if name == "interarrival" else name.replace("_", " ")
        problems.append(
            f"{label} distribution differs from the {ref.sources[name]} (KS D={d:.2f} > "
            f"{config.realism_max_distance:g}, p={p:.1e}, {x.size} values)"
        )
    return entry


def _check_volume(
    s: Scenario,
    jobs: np.ndarray,
    raw_gaps: np.ndarray,
    config: QualityConfig,
    tests: dict[str, dict],
    problems: list[str],
) -> None:
    """The checks that many tasks cannot dodge the KS tests: tasks per request shape, jobs arriving all at
    once, few shapes among many tasks, and a regular clock. Appends to ``tests`` and ``problems``."""
    tasks = s.tasks
    per_shape = len(tasks) / max(len(unique_rows(tasks.demand[:, :2])[0]), 1)
    tests["tasks_per_shape"] = {"value": per_shape, "max": config.max_tasks_per_shape}
    if per_shape > config.max_tasks_per_shape:
        problems.append(
            f"{len(tasks)} tasks share {len(tasks) / per_shape:.0f} request shapes "
            f"({per_shape:.0f} tasks per shape; Alibaba 2017 jobs average {TRACE_TASKS_PER_JOB:g} tasks, "
            f"tolerance {config.max_tasks_per_shape:g})"
        )
    if jobs.size >= config.realism_min_samples and raw_gaps.size and raw_gaps.max() == 0:
        problems.append(f"all {jobs.size} jobs arrive at the same instant")
    n_shapes = len(unique_rows(tasks.demand[:, :2])[0])
    many = config.realism_min_samples * TRACE_TASKS_PER_JOB
    if len(tasks) >= many and n_shapes < config.realism_min_samples:
        problems.append(
            f"{len(tasks)} tasks share only {n_shapes} request shapes (at least {config.realism_min_samples} "
            f"from {math.ceil(many)} tasks on: Alibaba 2017 jobs average {TRACE_TASKS_PER_JOB:g} tasks)"
        )
    task_gaps = np.diff(np.sort(tasks.arrival))
    if len(tasks) >= config.realism_min_samples and task_gaps.mean() > 0:
        cv = float(task_gaps.std() / task_gaps.mean())
        tests["task_interarrival_cv"] = {"value": cv, "min": config.min_task_interarrival_cv}
        if cv < config.min_task_interarrival_cv:
            problems.append(
                f"the {len(tasks)} tasks arrive on a near-regular clock (inter-arrival CV {cv:.2f} < "
                f"{config.min_task_interarrival_cv:g}; Poisson arrivals have 1, the traces' batches more)"
            )


def _verdict(tests: dict[str, dict], weak: list[str], problems: list[str], config: QualityConfig) -> Verdict:
    """Refused with the problems found, else passed, naming the distributions that matched."""
    details: dict[str, object] = {"tests": tests, "weak": weak, "problems": problems}
    if weak:
        details["note"] = (
            f"weak check for {', '.join(weak)}: fewer than {config.realism_min_samples} values, location only"
        )
    if problems:
        return Verdict(Layer.REALISM, False, _join(Layer.REALISM, problems, limit=5), details)
    checked = [
        name for name in tests if name not in weak and name not in ("tasks_per_shape", "task_interarrival_cv")
    ]
    text = f"realism: {', '.join(checked)} match the traces" if checked else "realism: locations plausible"
    if weak:
        text += f" (weak check for {', '.join(weak)}: too few values)"
    return Verdict(Layer.REALISM, True, text, details)
