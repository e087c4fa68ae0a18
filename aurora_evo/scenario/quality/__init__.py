"""Quality control of scenarios: five layers a scenario passes before it trains or tests a program.

1. **bounds**: every number lies in a realistic range (the module constants below, each with its
   source), every demand fits within the largest node's capacity of its resource, every deadline is at
   least its task's duration;
2. **feasibility**: the SLAs can be met: every task fits on some node, every deadline can be met on
   some node when the task starts on arrival, the deadline work fits the cluster's capacity over the
   deadline window (a lower bound), and a clairvoyant packing meets at least
   :attr:`QualityConfig.sla_share` of the deadlines;
3. **realism**: the scenario's distributions (request shapes, durations, job inter-arrival gaps) look
   like the public traces, by two-sample Kolmogorov-Smirnov tests against the shipped reference samples
   (:func:`aurora_evo.scenario.traces.load_reference_samples`), plus a location check on each;
4. **diversity**: the scenario's :func:`features` lie far enough from every recently accepted
   scenario's;
5. **complexity**: task count, node count, offered load and deadline share lie in the ranges of the
   scenario's difficulty level (:mod:`aurora_evo.scenario.levels`).

A replayed window of a real trace (``provenance["trace"]``, :func:`trace_window`) passes the same five
layers, measured as a window: realism against its own trace's windows
(:mod:`~aurora_evo.scenario.quality.trace_realism`, references built by
:mod:`~aurora_evo.scenario.quality.build_trace_references`), the load offered within the window, and
its own level (:func:`trace_level`); bounds do not ask it for a smallest request, and diversity
measures it without judging (a window is another stretch of its trace by construction).

:func:`check_scenario` runs all five (all of them, so the feedback names every problem) and returns a
:class:`QualityReport`; :class:`QualityMonitor` tracks validation rates, refusals per layer and the
drift of accepted scenarios over a run.

Units as in :mod:`aurora_evo.scenario.model`: cpu in cores, memory in GiB, gpu in devices, network in
Gbit/s, times in s, latency in ms, price in $/hour, power in W.

One module per job: :mod:`~aurora_evo.scenario.quality.report` (layers, verdicts, reports, thresholds,
shared helpers), :mod:`~aurora_evo.scenario.quality.arrivals` (job arrivals, arrival window, offered
load), one module per layer (:mod:`~aurora_evo.scenario.quality.bounds`,
:mod:`~aurora_evo.scenario.quality.feasibility`, :mod:`~aurora_evo.scenario.quality.realism`,
:mod:`~aurora_evo.scenario.quality.diversity`, :mod:`~aurora_evo.scenario.quality.complexity`),
:mod:`~aurora_evo.scenario.quality.pipeline` and :mod:`~aurora_evo.scenario.quality.monitor`. Import
from this package; the names below are its public API.
"""

from aurora_evo.scenario.quality.arrivals import scenario_load
from aurora_evo.scenario.quality.bounds import (
    ARRIVAL_HORIZON_S,
    DEADLINE_MAX_S,
    DURATION_RANGE_S,
    LATENCY_MAX_MS,
    NODE_CPU_RANGE,
    NODE_GPU_RANGE,
    NODE_MEMORY_RANGE_GIB,
    NODE_NETWORK_RANGE_GBPS,
    PRICE_MAX_PER_HOUR,
    PRIORITY_RANGE,
    QUEUE_TIMEOUT_MAX_S,
    TASK_MIN_CPU_CORES,
    TASK_MIN_MEMORY_GIB,
    WATTS_MAX,
    check_bounds,
)
from aurora_evo.scenario.quality.complexity import check_complexity, trace_level
from aurora_evo.scenario.quality.diversity import (
    FEATURE_NAMES,
    FEATURE_SCALES,
    check_diversity,
    feature_distance,
    features,
)
from aurora_evo.scenario.quality.feasibility import (
    PACKING_ORDERS,
    Packing,
    check_feasibility,
    clairvoyant_deadline_packing,
)
from aurora_evo.scenario.quality.monitor import QualityMonitor, check_record
from aurora_evo.scenario.quality.pipeline import check_scenario
from aurora_evo.scenario.quality.realism import check_realism
from aurora_evo.scenario.quality.report import (
    DEFAULT_CONFIG,
    TRACE_TASKS_PER_JOB,
    Layer,
    QualityConfig,
    QualityReport,
    Verdict,
)
from aurora_evo.scenario.quality.trace_window import TraceWindow, trace_window

__all__ = [
    "ARRIVAL_HORIZON_S",
    "DEADLINE_MAX_S",
    "DEFAULT_CONFIG",
    "DURATION_RANGE_S",
    "FEATURE_NAMES",
    "FEATURE_SCALES",
    "LATENCY_MAX_MS",
    "NODE_CPU_RANGE",
    "NODE_GPU_RANGE",
    "NODE_MEMORY_RANGE_GIB",
    "NODE_NETWORK_RANGE_GBPS",
    "PACKING_ORDERS",
    "PRICE_MAX_PER_HOUR",
    "PRIORITY_RANGE",
    "QUEUE_TIMEOUT_MAX_S",
    "TASK_MIN_CPU_CORES",
    "TASK_MIN_MEMORY_GIB",
    "TRACE_TASKS_PER_JOB",
    "WATTS_MAX",
    "Layer",
    "Packing",
    "QualityConfig",
    "QualityMonitor",
    "QualityReport",
    "TraceWindow",
    "Verdict",
    "check_bounds",
    "check_complexity",
    "check_diversity",
    "check_feasibility",
    "check_realism",
    "check_record",
    "check_scenario",
    "clairvoyant_deadline_packing",
    "feature_distance",
    "features",
    "scenario_load",
    "trace_level",
    "trace_window",
]
