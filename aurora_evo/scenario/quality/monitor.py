"""Quality control over a run: :class:`QualityMonitor` tracks validation rates, refusals per layer and
the drift of the accepted scenarios."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from aurora_evo.scenario.quality.diversity import FEATURE_NAMES, feature_distance
from aurora_evo.scenario.quality.report import Layer, QualityReport


class QualityMonitor:
    """Validation rate, refusals by layer and drift of the accepted scenarios over a run.

    :meth:`record` each checked scenario with its features and the iteration it was checked in;
    :meth:`summary` returns plain, JSON-ready data for the archive's events. Iterations are grouped
    into windows of ``window`` iterations; drift is the :func:`feature_distance` of each window's mean
    accepted feature vector from the first window's with accepted scenarios.

    Each check is kept as a plain record (:func:`check_record`), which the controller also stores in
    the archive, so that a resumed run's monitor :meth:`add` s them back and goes on as if never
    stopped.
    """

    def __init__(self, window: int = 10) -> None:
        if window < 1:
            raise ValueError(f"QualityMonitor: window must be >= 1 (got {window})")
        self.window = window
        self._records: list[tuple[int, bool, tuple[str, ...], np.ndarray | None]] = []
        self._reasons: Counter[str] = Counter()

    def record(
        self, report: QualityReport, features: np.ndarray | Sequence[float] | None, iteration: int
    ) -> dict:
        """Note one checked scenario (``features`` may be ``None`` when they could not be computed);
        returns its :func:`check_record`."""
        record = check_record(report, features, iteration)
        self.add(record)
        return record

    def add(self, record: Mapping) -> None:
        """Note one check given as a :func:`check_record` (e.g. read back from the archive)."""
        features = record["features"]
        vector = None if features is None else np.array([np.nan if v is None else v for v in features], float)
        layers = tuple(record["refused_layers"])
        self._records.append((int(record["iteration"]), bool(record["passed"]), layers, vector))
        self._reasons.update(record["reasons"])

    def __len__(self) -> int:
        return len(self._records)

    def summary(self, top_reasons: int = 10) -> dict:
        """``checked``, ``accepted``, ``validation_rate``, ``refused_first_by`` and ``refused_by_layer``
        (counts per layer: the first refusing layer, and every refusing layer), ``top_reasons``,
        ``feature_names``, and per window ``{"window", "first_iteration", "checked", "accepted",
        "validation_rate", "mean_features", "drift"}``."""
        checked = len(self._records)
        accepted = sum(1 for _, ok, _, _ in self._records if ok)
        first_by = Counter(layers[0] for _, _, layers, _ in self._records if layers)
        any_by = Counter(layer for _, _, layers, _ in self._records for layer in layers)
        windows: dict[int, list] = {}
        for iteration, ok, _, vector in self._records:
            windows.setdefault(iteration // self.window, []).append((ok, vector))
        rows, baseline = [], None
        for index in sorted(windows):
            entries = windows[index]
            good = [v for ok, v in entries if ok and v is not None]
            mean = np.mean(good, axis=0) if good else None
            if mean is not None and baseline is None:
                baseline = mean
            n_ok = sum(1 for ok, _ in entries if ok)
            rows.append(
                {
                    "window": index,
                    "first_iteration": index * self.window,
                    "checked": len(entries),
                    "accepted": n_ok,
                    "validation_rate": n_ok / len(entries),
                    "mean_features": None if mean is None else [float(v) for v in mean],
                    "drift": None if mean is None else feature_distance(mean, baseline),
                }
            )
        return {
            "checked": checked,
            "accepted": accepted,
            "validation_rate": accepted / checked if checked else None,
            "refused_first_by": {layer.value: first_by.get(layer.value, 0) for layer in Layer},
            "refused_by_layer": {layer.value: any_by.get(layer.value, 0) for layer in Layer},
            "top_reasons": [[reason, count] for reason, count in self._reasons.most_common(top_reasons)],
            "feature_names": list(FEATURE_NAMES),
            "window_iterations": self.window,
            "windows": rows,
        }


def check_record(
    report: QualityReport, features: np.ndarray | Sequence[float] | None, iteration: int
) -> dict:
    """One quality check as plain, JSON-ready data: ``iteration``, ``scenario`` (its name),
    ``passed``, ``refused_layers`` (in layer order), ``reasons`` (each refusing layer's reason, cut to
    200 characters) and ``features`` (a list of floats, or ``None``)."""
    return {
        "iteration": int(iteration),
        "scenario": report.scenario,
        "passed": bool(report.passed),
        "refused_layers": [layer.value for layer in report.refused_layers],
        "reasons": [v.reason[:200] for v in report.verdicts if not v.passed],
        # JSON has no NaN: a feature that could not be measured is None.
        "features": None
        if features is None
        else [float(v) if np.isfinite(v) else None for v in np.asarray(features, dtype=float)],
    }
