"""Build the realism references of the real traces from their raw files:
``python -m aurora_evo.scenario.quality.build_trace_references ../shared/data`` rewrites
``aurora_evo/scenario/data/trace_realism_references.json``.

For each trace format, the raw files (:data:`SOURCE_FILES`, under the ``shared/data`` folder) are read
with the readers of :mod:`aurora_evo.traces`, cut into back-to-back windows of :data:`WINDOW_S` s from
each file's first arrival (:func:`aurora_evo.traces.windows.cut_windows`), and each window is measured
as a replayed scenario would be (:func:`window_arrays`, then
:func:`~aurora_evo.scenario.quality.trace_window.window_samples`). Per distribution, the values of every
window are pooled into a table of :data:`N_QUANTILES` quantiles (``numpy.quantile`` at ``(i + 0.5) /
q``, method ``inverted_cdf``, so a trace's favourite sizes stay exact), and each window with at least
:data:`CALIBRATION_MIN_VALUES` values is compared with the table: the 99th percentile of those KS
distances, and of the factors between each window's median and the table's (every window with a
value), say how far the format's own windows stray. Per window, the tasks per request shape and the
task inter-arrival CV are summarised too (p01, p50, p99). Deterministic: no random draw.

Only statistics are written: the Alibaba traces are for research or study only and the Parallel
Workloads Archive states no licence (``shared/data/README.md``), so their rows may not ship in the
package. The provenance of each format (files with their SHA-256, the reader's summary line, the units)
and of the build (date, command) is written beside the tables.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from aurora_evo.scenario.quality.report import DEFAULT_CONFIG
from aurora_evo.scenario.quality.trace_references import (
    DIGITS,
    FORMAT,
    REFERENCE_FILE,
    VERSION,
    significant,
)
from aurora_evo.scenario.quality.trace_window import SAMPLE_NAMES, TRACE_FORMATS, window_samples
from aurora_evo.traces.alibaba2018 import read_alibaba2018_batch
from aurora_evo.traces.alibaba_gpu2025 import read_alibaba_gpu2025
from aurora_evo.traces.azure_llm2023 import read_azure_llm2023
from aurora_evo.traces.azure_vm2017 import read_azure_vm2017
from aurora_evo.traces.google2011 import read_google2011
from aurora_evo.traces.records import ReadSummary, TraceTask
from aurora_evo.traces.swf import read_swf
from aurora_evo.traces.units import UNITS
from aurora_evo.traces.windows import Windows, cut_windows

#: Length of the windows the tables pool, s: the 30-minute windows replays are cut into.
WINDOW_S = 1800.0
#: Quantiles per table.
N_QUANTILES = 512
#: A window enters the calibration of a distribution with at least this many values: realism's KS
#: threshold (:attr:`~aurora_evo.scenario.quality.report.QualityConfig.realism_min_samples`).
CALIBRATION_MIN_VALUES = DEFAULT_CONFIG.realism_min_samples

_VM = "azure/vm_2017_derived/resources/traces"
#: Per format, the raw files read, relative to ``shared/data``: one group per task stream (each stream
#: starts its own windows), in the order the reader takes them.
SOURCE_FILES: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "google2011": (tuple(f"google_cluster_2011/task_events/part-{k:05d}-of-00500.csv.gz" for k in range(4)),),
    "alibaba2018": (("alibaba/v2018/batch_task_sample.csv",),),
    "alibaba-gpu2025": (("alibaba/gpu_v2025/disaggregated_DLRM_trace.csv",),),
    "azure-llm2023": (
        ("azure/llm_inference_2023/AzureLLMInferenceTrace_code.csv",),
        ("azure/llm_inference_2023/AzureLLMInferenceTrace_conv.csv",),
    ),
    "azure-vm2017": (
        (f"{_VM}/v1.dev.txt", f"{_VM}/v1.dev.c2100000.txt"),
        (f"{_VM}/v1.test.txt", f"{_VM}/v1.test.c2591400.txt"),
    ),
    "swf": (("parallel_workloads_archive/NASA-iPSC-1993-3.1-cln.swf.gz",),),
}  # fmt: skip

_UNITS = {
    "cpu": "cores",
    "memory": "GiB",
    "cpu_memory_ratio": "cores/GiB",
    "duration": "s",
    "interarrival": "",
}


def read_source(fmt: str, data_dir: str | Path, summary: ReadSummary) -> Iterator[Iterator[TraceTask]]:
    """One task stream per file group of :data:`SOURCE_FILES` ``[fmt]``, each in arrival order in the
    trace's units, read by the format's reader with its defaults; ``summary`` counts over all of them."""
    data_dir = Path(data_dir)
    for group in SOURCE_FILES[fmt]:
        paths = [data_dir / name for name in group]
        if fmt == "google2011":
            yield read_google2011(paths, summary)
        elif fmt == "alibaba2018":
            yield read_alibaba2018_batch(paths[0], summary)
        elif fmt == "alibaba-gpu2025":
            yield read_alibaba_gpu2025(paths[0], summary)
        elif fmt == "azure-llm2023":
            yield read_azure_llm2023(paths[0], summary)
        elif fmt == "azure-vm2017":
            yield read_azure_vm2017(paths[0], paths[1], summary)
        else:
            yield read_swf(paths[0], summary)


def window_arrays(
    fmt: str, tasks: Sequence[TraceTask], start_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(arrival, duration, demand, priority) of a window's tasks as a replay holds them: arrivals in s
    from ``start_s``, durations in s, ``(n, 4)`` demand in cores, GiB, GPUs and Gbit/s (0) by
    :data:`aurora_evo.traces.units.UNITS` ``[fmt]``, priorities as the trace writes them."""
    arrival = np.array([t.arrival_s for t in tasks], dtype=np.float64) - start_s
    duration = np.array([t.duration_s for t in tasks], dtype=np.float64)
    priority = np.array([t.priority for t in tasks], dtype=np.float64)
    return arrival, duration, UNITS[fmt].demand(list(tasks)), priority


def _figure(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p01": None, "p50": None, "p99": None}
    levels = np.quantile(np.asarray(values), [0.01, 0.5, 0.99])
    return {key: float(significant(v)) for key, v in zip(("p01", "p50", "p99"), levels, strict=True)}


def _table(name: str, windows: list[np.ndarray]) -> dict:
    """The quantile table of one distribution pooled over ``windows`` and its calibration."""
    from scipy import stats  # here, not at the top: scipy takes ~0.5 s to import

    pooled = np.concatenate(windows) if windows else np.empty(0)
    if pooled.size == 0:
        return {}
    levels = (np.arange(N_QUANTILES) + 0.5) / N_QUANTILES
    table = significant(np.quantile(pooled, levels, method="inverted_cdf"))
    distances = [
        float(stats.ks_2samp(significant(x), table).statistic)
        for x in windows
        if x.size >= CALIBRATION_MIN_VALUES
    ]
    calibration: dict[str, object] = {
        "windows": len(distances),
        "min_values": CALIBRATION_MIN_VALUES,
        "ks_p99": _p99(distances),
    }
    if name != "interarrival":  # gaps over their mean have no location to check
        shifts = [abs(math.log(float(np.median(x)) / float(np.median(table)))) for x in windows if x.size]
        calibration["median_factor_p99"] = _p99(np.exp(shifts))
    return {
        "unit": _UNITS[name],
        "n": int(pooled.size),
        "calibration": calibration,
        "quantiles": [*map(float, table)],
    }


def _p99(values: Sequence[float] | np.ndarray) -> float | None:
    return float(significant(np.quantile(values, 0.99))) if len(values) else None


def _file_record(data_dir: Path, name: str) -> dict:
    path = data_dir / name
    return {
        "file": f"shared/data/{name}",
        "bytes": path.stat().st_size,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }


def measure_source(fmt: str, data_dir: str | Path, window_s: float = WINDOW_S) -> dict:
    """The references of one trace format, JSON-ready: ``source`` (files, reader summary, units,
    windows and tasks measured), ``distributions`` (name -> unit, n, calibration, quantiles; a
    distribution without any value is left out) and ``figures``."""
    data_dir = Path(data_dir)
    summary = ReadSummary()
    per_window: dict[str, list[np.ndarray]] = {name: [] for name in SAMPLE_NAMES}
    tasks_per_shape: list[float] = []
    interarrival_cv: list[float] = []
    n_windows = n_tasks = 0
    for stream in read_source(fmt, data_dir, summary):
        for start, members in cut_windows(stream, Windows(window_s, count=10**9)):
            arrival, duration, demand, priority = window_arrays(fmt, members, start)
            for name, values in window_samples(arrival, duration, demand, priority).items():
                per_window[name].append(values)
            n_windows, n_tasks = n_windows + 1, n_tasks + arrival.size
            tasks_per_shape.append(arrival.size / len(np.unique(demand[:, :2], axis=0)))
            gaps = np.diff(np.sort(arrival))
            if arrival.size >= CALIBRATION_MIN_VALUES and gaps.mean() > 0:
                interarrival_cv.append(float(gaps.std() / gaps.mean()))
    tables = {name: _table(name, windows) for name, windows in per_window.items()}
    return {
        "source": {
            "files": [_file_record(data_dir, name) for group in SOURCE_FILES[fmt] for name in group],
            "reader": summary.describe(),
            "units": UNITS[fmt].note,
            "windows": n_windows,
            "tasks": n_tasks,
        },
        "distributions": {name: table for name, table in tables.items() if table},
        "figures": {
            "tasks_per_shape": _figure(tasks_per_shape),
            "task_interarrival_cv": _figure(interarrival_cv),
        },
    }


def build_references(data_dir: str | Path, formats: Sequence[str] = TRACE_FORMATS) -> dict:
    """The whole reference file's content, without its ``built`` record (date and command)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "window_s": WINDOW_S,
        "quantiles": N_QUANTILES,
        "significant_digits": DIGITS,
        "sources": {fmt: measure_source(fmt, data_dir) for fmt in formats},
    }


def references_text(content: dict) -> str:
    """The canonical text of the reference file: indented JSON with each quantile table on one line."""
    tables: list[list[float]] = []

    def marked(value: object) -> object:
        if not isinstance(value, dict):
            return value
        out = {k: marked(v) for k, v in value.items() if k != "quantiles"}
        if "quantiles" in value:
            tables.append(value["quantiles"])
            out["quantiles"] = f"@quantiles {len(tables) - 1}@"
        return out

    text = json.dumps(marked(content), indent=1)
    for k, table in enumerate(tables):
        text = text.replace(f'"@quantiles {k}@"', json.dumps(table))
    return text + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rebuild the realism references of the real traces.")
    parser.add_argument("data_dir", type=Path, help="the shared/data folder")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parents[1] / "data" / REFERENCE_FILE, help="output file"
    )
    args = parser.parse_args(argv)
    content = build_references(args.data_dir)
    content["built"] = {
        "date": datetime.datetime.now(datetime.UTC).date().isoformat(),
        "command": f"python -m aurora_evo.scenario.quality.build_trace_references {args.data_dir}",
    }
    args.out.write_text(references_text(content), encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
