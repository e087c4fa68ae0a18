"""The quality-control vocabulary shared by every layer: :class:`Layer`, :class:`Verdict`,
:class:`QualityReport`, the thresholds in :class:`QualityConfig`, and small text and numpy helpers."""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

#: Resource names, in the column order of demands and capacities.
_RESOURCE_NAMES = ("cpu", "memory", "gpu", "network")

#: Relative tolerance of capacity comparisons (demands are rounded to 0.01 of a unit).
_EPS = 1e-9

#: Mean tasks per job in the Alibaba 2017 trace (trace_stats.json: alibaba_2017.arrivals.tasks_per_job).
TRACE_TASKS_PER_JOB = 6.22


class Layer(enum.StrEnum):
    """The quality-control layers, in the order :func:`check_scenario` runs them."""

    BOUNDS = "bounds"
    FEASIBILITY = "feasibility"
    REALISM = "realism"
    DIVERSITY = "diversity"
    COMPLEXITY = "complexity"


@dataclass(frozen=True)
class Verdict:
    """One layer's judgement of one scenario.

    Attributes:
        layer: which layer.
        passed: whether the scenario passed it.
        reason: one line starting with the layer's name, e.g. ``"bounds: task 17 asks for 512 cpu
            cores, more than any node has (64)"``; for a pass, what was checked.
        details: plain, JSON-ready data (numbers, strings, lists, dicts): the statistics behind it.
    """

    layer: Layer
    passed: bool
    reason: str
    details: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "layer", Layer(self.layer))
        object.__setattr__(self, "reason", " ".join(str(self.reason).split()))
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    @property
    def message(self) -> str:
        """The reason without its leading ``"<layer>: "``."""
        return self.reason.removeprefix(f"{self.layer.value}: ")

    def as_dict(self) -> dict:
        """JSON-ready copy."""
        return {
            "layer": self.layer.value,
            "passed": self.passed,
            "reason": self.reason,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class QualityReport:
    """The verdicts of every layer on one scenario, in layer order."""

    scenario: str
    verdicts: tuple[Verdict, ...]

    @property
    def passed(self) -> bool:
        """True when every layer passed."""
        return all(v.passed for v in self.verdicts)

    @property
    def refused_by(self) -> Layer | None:
        """The first layer that refused the scenario, or ``None``."""
        return next((v.layer for v in self.verdicts if not v.passed), None)

    @property
    def refused_layers(self) -> tuple[Layer, ...]:
        """Every layer that refused the scenario, in layer order."""
        return tuple(v.layer for v in self.verdicts if not v.passed)

    def verdict(self, layer: Layer | str) -> Verdict:
        """The verdict of ``layer``."""
        return next(v for v in self.verdicts if v.layer == Layer(layer))

    @property
    def features(self) -> tuple[float, ...] | None:
        """The scenario's :func:`features`, as the diversity layer computed them (``None`` if absent)."""
        for v in self.verdicts:
            if v.layer is Layer.DIVERSITY and "features" in v.details:
                return tuple(v.details["features"])  # type: ignore[arg-type]
        return None

    def feedback(self) -> str:
        """The reasons of the refusing layers, one per line (empty when it passed): what an attacker
        is told about why its scenario was refused."""
        return "\n".join(v.reason for v in self.verdicts if not v.passed)

    def as_dict(self) -> dict:
        """JSON-ready copy."""
        refused = self.refused_by
        return {
            "scenario": self.scenario,
            "passed": self.passed,
            "refused_by": refused.value if refused else None,
            "verdicts": [v.as_dict() for v in self.verdicts],
        }


@dataclass(frozen=True)
class QualityConfig:
    """Thresholds of the quality-control layers.

    Attributes:
        sla_share: feasibility: the best clairvoyant packing (which may hold back the tasks without a
            deadline, an upper bound) must meet at least this share of the deadlines (0-1). The shipped
            seeds reach 0.93-1.0 (the online seed programs 0.53-0.99: the biggest requests fit only the
            largest few nodes, and bursts of them queue).
        eager_sla_share: feasibility: the clairvoyant packing in which every task without a deadline
            that can start on arrival does (as a scheduler that cannot see ahead would) must meet at
            least this share of the deadlines (0-1). The shipped seeds reach 0.60-1.0 (the lowest ones
            at load ~1, where long tasks without a deadline take the only nodes big enough for a later
            deadline task; the online seed programs do no better there); long tasks filling every node
            just before tight deadlines arrive score 0.
        realism_alpha: realism: significance level of each two-sample KS test. A distribution is refused
            only when its test rejects at this level *and* its KS distance exceeds
            ``realism_max_distance``: with a thousand tasks a KS test detects differences far too small to
            matter (the generator's log-normal fits differ from the lumpy traces by D ~ 0.1 at
            p ~ 1e-7), so significance alone would refuse every realistic scenario.
        realism_max_distance: realism: largest tolerated KS distance D (0-1) between the scenario's
            median-centred log values and the smoothed reference's. The seeds reach 0.29 (on 20 values
            or more), random attacker genomes (:mod:`aurora_evo.attacker.genome`) a median of 0.2-0.27
            per level and a 90th percentile of 0.27-0.42 (their burstiest arrivals reach 0.55 and are
            refused: ~25% of expert and beyond genomes at 0.35, ~15% at 0.4); one repeated value
            scores 0.5, three repeated durations 0.3 (the distinct-value rule refuses those).
        realism_min_distinct_share: realism: the request sizes (cpu, memory, cpu:memory ratio, over the
            distinct shapes) and the durations must have at least this share of min(n,
            ``realism_min_samples``) distinct values among their n: the traces spread continuously, and
            a KS test lets three repeated durations through at D ~ 0.3. The seeds have all-distinct
            durations and at least 41 distinct cpu sizes among 51+ shapes.
        min_task_interarrival_cv: realism: with ``realism_min_samples`` tasks or more, smallest
            coefficient of variation of the task inter-arrival gaps (Poisson arrivals: 1; the seeds'
            batched arrivals: 1.3-7.5; a regular clock: 0).
        realism_min_samples: realism: fewer values than this (request shapes, tasks or job gaps) get the
            weak check only: the location test, no KS test.
        realism_smoothing: realism: standard deviation (natural log units) of the Gaussian kernel that
            smooths the reference sizes. The Google 2011 requests sit on a few favourite sizes (40% of the
            sample asks for exactly 1/16 of a machine), which a continuous draw can never match.
        size_location_factor: realism: the median cpu and memory request, as a share of the largest
            node's capacity, and the median cpu:memory ratio, must lie within this factor of the trace's
            (the generator's size_scale knob and the genome's log-means move them by up to ~13x).
        duration_location_factor: realism: the median duration must lie within this factor of the
            Alibaba 2017 median (31 s): edge scenarios run 20-80x shorter tasks.
        max_tasks_per_shape: realism: largest mean number of tasks per distinct request shape (tasks of
            a job share one shape): 5x the Alibaba 2017 mean of 6.22 tasks per job.
        diversity_min_distance: diversity: smallest standardised distance (:func:`feature_distance`) to
            the nearest recently accepted scenario. The closest two of the 50 seed scenarios are 0.16
            apart; a seed's generator parameters redrawn with another random seed land 0.3-1.2 away; a
            near-copy (a seed with every time stretched by 1%) lies under 0.01.
        diversity_recent: diversity: compare against at most this many of the most recent scenarios.
        trusted_window_factor: complexity and features: the arrival window a scenario's provenance
            records is used for its offered load only when it lies within this factor (either way) of
            the window the task arrivals show (span x n / (n - 1)); else the window comes from the
            arrivals, so a stale or forged provenance cannot move the load. The seeds' recorded windows
            lie within 1.1x of the estimate except for a few of the smallest (3-11 jobs: up to 1.7x),
            whose load is then measured on their arrivals and stays within their level.
    """

    sla_share: float = 0.9
    eager_sla_share: float = 0.5
    realism_alpha: float = 0.001
    realism_max_distance: float = 0.35
    realism_min_samples: int = 20
    realism_min_distinct_share: float = 0.5
    min_task_interarrival_cv: float = 0.5
    realism_smoothing: float = 0.3
    size_location_factor: float = 30.0
    duration_location_factor: float = 200.0
    max_tasks_per_shape: float = 5 * TRACE_TASKS_PER_JOB
    diversity_min_distance: float = 0.1
    diversity_recent: int = 50
    trusted_window_factor: float = 1.1

    def __post_init__(self) -> None:
        checks = (
            (0.0 <= self.sla_share <= 1.0, "sla_share must be in [0, 1]"),
            (0.0 <= self.eager_sla_share <= 1.0, "eager_sla_share must be in [0, 1]"),
            (0.0 < self.realism_alpha < 1.0, "realism_alpha must be in (0, 1)"),
            (0.0 < self.realism_max_distance <= 1.0, "realism_max_distance must be in (0, 1]"),
            (self.realism_min_samples >= 2, "realism_min_samples must be >= 2"),
            (0.0 <= self.realism_min_distinct_share <= 1.0, "realism_min_distinct_share must be in [0, 1]"),
            (self.min_task_interarrival_cv >= 0.0, "min_task_interarrival_cv must be >= 0"),
            (self.realism_smoothing >= 0.0, "realism_smoothing must be >= 0"),
            (self.size_location_factor >= 1.0, "size_location_factor must be >= 1"),
            (self.duration_location_factor >= 1.0, "duration_location_factor must be >= 1"),
            (self.max_tasks_per_shape >= 1.0, "max_tasks_per_shape must be >= 1"),
            (self.diversity_min_distance >= 0.0, "diversity_min_distance must be >= 0"),
            (self.diversity_recent >= 0, "diversity_recent must be >= 0"),
            (self.trusted_window_factor >= 1.0, "trusted_window_factor must be >= 1"),
        )
        problems = [text for ok, text in checks if not ok]
        if problems:
            raise ValueError("QualityConfig: " + "; ".join(problems))


DEFAULT_CONFIG = QualityConfig()


# --- helpers --------------------------------------------------------------------------------------


def _quiet(check):
    """Run ``check`` with numpy's floating-point warnings off: extreme but valid values (a 1e-300
    request, a zero capacity) overflow ratios to inf, which the checks handle."""

    @functools.wraps(check)
    def wrapper(*args, **kwargs):
        with np.errstate(divide="ignore", over="ignore", invalid="ignore", under="ignore"):
            return check(*args, **kwargs)

    return wrapper


def _g(value: float) -> str:
    """A number in short text form (4 significant digits)."""
    return f"{float(value):.4g}"


def _num(value: float) -> float | None:
    """A JSON-safe float (``None`` for NaN or infinity)."""
    value = float(value)
    return value if math.isfinite(value) else None


def _join(layer: Layer, problems: list[str], limit: int = 3) -> str:
    more = len(problems) - limit
    text = "; ".join(problems[:limit]) + (f"; and {more} more" if more > 0 else "")
    return f"{layer.value}: {text}"
