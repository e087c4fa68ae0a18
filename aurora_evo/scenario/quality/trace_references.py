"""The shipped realism references of the real traces: per trace format and window length, quantile
tables of the distributions :func:`~aurora_evo.scenario.quality.trace_window.window_samples` measures,
pooled over the format's windows of that length, with how far the format's own windows lie from them.

The tables live in ``aurora_evo/scenario/data/trace_realism_references.json``, written by
:mod:`aurora_evo.scenario.quality.build_trace_references` from the raw trace files (see
``aurora_evo/scenario/data/PROVENANCE.md``); they are statistics, not rows of the traces.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

import numpy as np

#: The shipped file, in ``aurora_evo/scenario/data``.
REFERENCE_FILE = "trace_realism_references.json"
FORMAT = "aurora-evo/trace-realism-references"
VERSION = 1
#: Significant digits of every stored value; realism rounds a window's values alike before comparing,
#: so that a trace's favourite sizes (exactly 2 cores...) tie on both sides.
DIGITS = 6


def significant(values: np.ndarray, digits: int = DIGITS) -> np.ndarray:
    """``values`` (float64, any shape) rounded to ``digits`` significant digits; 0 stays 0."""
    x = np.asarray(values, dtype=np.float64)
    magnitude = np.floor(np.log10(np.abs(np.where(x == 0, 1.0, x))))
    scale = 10.0 ** (digits - 1 - magnitude)
    return np.round(x * scale) / scale


@dataclass(frozen=True)
class Distribution:
    """One reference distribution of a trace format.

    Attributes:
        name: one of :data:`~aurora_evo.scenario.quality.trace_window.SAMPLE_NAMES`.
        unit: its unit (``"cores"``, ``"GiB"``, ``"cores/GiB"``, ``"s"``, ``""``).
        quantiles: ``(q,)`` float64 values at the probabilities ``(i + 0.5) / q``, sorted.
        n: values pooled over the windows.
        ks_max: the largest KS distance between one of the format's windows with enough values and
            ``quantiles``; ``None`` when no window had enough.
        median_factor_max: the largest factor (>= 1) between one of the windows' medians and the
            table's, over the windows with a value; ``None`` for the inter-arrival gaps (no
            location).
    """

    name: str
    unit: str
    quantiles: np.ndarray
    n: int
    ks_max: float | None
    median_factor_max: float | None = None

    @property
    def median(self) -> float:
        return float(np.median(self.quantiles))


@dataclass(frozen=True)
class TraceReference:
    """The references of one trace format.

    Attributes:
        format: the trace format.
        window_s: the length of the windows the tables pool, s.
        windows: how many windows of the trace they pool.
        distributions: name -> :class:`Distribution`; a distribution the trace does not record (SWF's
            memory) is absent.
        figures: the format's own per-window figures for the rules realism does not apply to real
            windows (``tasks_per_shape``, ``task_interarrival_cv``: ``{"p01", "p50", "p99"}`` each).
        source: what the tables were computed from (files, reader summary).
    """

    format: str
    window_s: float
    windows: int
    distributions: Mapping[str, Distribution]
    figures: Mapping[str, Mapping[str, float]]
    source: Mapping[str, object]

    def describe(self) -> str:
        """``"google2011 trace's 30-minute windows"``, for messages."""
        length = (
            f"{self.window_s / 3600:g}-hour" if self.window_s >= 3600 else f"{self.window_s / 60:g}-minute"
        )
        return f"{self.format} trace's {length} windows"


def _distribution(name: str, entry: Mapping) -> Distribution:
    quantiles = np.asarray(entry["quantiles"], dtype=np.float64)
    quantiles.flags.writeable = False
    calibration = entry["calibration"]
    return Distribution(
        name,
        entry["unit"],
        quantiles,
        int(entry["n"]),
        calibration["ks_max"],
        calibration.get("median_factor_max"),
    )


def parse_references(data: Mapping) -> dict[tuple[str, float], TraceReference]:
    """The references of every format and window length in ``data`` (the JSON layout the builder
    writes), by ``(format, length in s)``."""
    out = {}
    for fmt, entry in data["sources"].items():
        source = MappingProxyType(dict(entry["source"]))
        for length, measured in entry["windows"].items():
            distributions = {name: _distribution(name, d) for name, d in measured["distributions"].items()}
            figures = {key: MappingProxyType(dict(value)) for key, value in measured["figures"].items()}
            out[fmt, float(length)] = TraceReference(
                format=fmt,
                window_s=float(length),
                windows=int(measured["windows"]),
                distributions=MappingProxyType(distributions),
                figures=MappingProxyType(figures),
                source=source,
            )
    return out


@functools.cache
def _shipped() -> dict[tuple[str, float], TraceReference]:
    text = resources.files("aurora_evo.scenario").joinpath("data", REFERENCE_FILE).read_text("utf-8")
    return parse_references(json.loads(text))


def load_trace_reference(fmt: str, window_s: float) -> TraceReference:
    """The shipped references of trace format ``fmt`` (one of :data:`aurora_evo.traces.FORMATS`) for
    windows of ``window_s`` s: those of the shipped length nearest in ratio (ties: the shorter).

    Raises:
        KeyError: no reference for ``fmt`` (the callers check the format first).
    """
    lengths = sorted(length for name, length in _shipped() if name == fmt)
    if not lengths:
        raise KeyError(fmt)
    nearest = min(lengths, key=lambda length: abs(math.log(length / window_s)))
    return _shipped()[fmt, nearest]
