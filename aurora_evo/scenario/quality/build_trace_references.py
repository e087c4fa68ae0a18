"""Build the realism references of the real traces from their raw files:
``python -m aurora_evo.scenario.quality.build_trace_references ../shared/data`` rewrites
``aurora_evo/scenario/data/trace_realism_references.json``.

For each trace format, the raw files (:data:`SOURCE_FILES`, under the ``shared/data`` folder) are read
as ``aurora-evo scenarios from-trace`` reads them (:mod:`aurora_evo.traces.sources`), held as arrays
(:func:`stream_arrays`) and cut into back-to-back windows of each length of :data:`WINDOW_LENGTHS_S`
from each file's first arrival, and for the lengths of :data:`SHIFTED_LENGTHS_S` again on grids shifted
by each of :data:`CALIBRATION_PHASES` of the length. Each window is measured as a replayed scenario is
(:func:`window_arrays`, then :func:`~aurora_evo.scenario.quality.trace_window.window_samples`). Per
length and distribution, the values of every window of the first grid are pooled into a table of
:data:`N_QUANTILES` quantiles (``numpy.quantile`` at ``(i + 0.5) / q``, method ``inverted_cdf``, so a
trace's favourite sizes stay exact), and each window of every grid is compared with the table: the
largest of the KS distances of the windows with at least :data:`CALIBRATION_MIN_VALUES` values, and of
the factors between each window's median and the table's, say how far the format's own windows stray. A
replay's window starts anywhere, and long windows are few (nine of 30 minutes in Google 2011's four
files), so one grid's windows understate that: on Google 2011, the 30-minute windows of the first grid
stray up to KS 0.21 in duration, one a quarter later 0.45 (a burst of long tasks still running at the
trace's end: the first grid's window holding it is mostly such tasks, and left out). Short windows are
many (shifting them too would multiply the build's time). A window most of whose tasks are censored
(:func:`~aurora_evo.traces.replay.mostly_censored`) is left out, as a replay leaves it out. Per window
of the first grid, the tasks per request shape and the task inter-arrival CV are summarised too (p01,
p50, p99).
Deterministic: no random draw.

The window's length matters: a short window holds a few jobs, whose durations are its durations (on
Google 2011 the KS distance between a window's durations and the pooled ones reaches 0.86 over 3-minute
windows, 0.48 over 30-minute ones), so a window is compared with the windows of the nearest length.

Only statistics are written: the Alibaba traces are for research or study only and the Parallel
Workloads Archive states no licence (``shared/data/README.md``), so their rows may not ship in the
package. The provenance of each format (files with their SHA-256, the reader's summary line, the units)
and of the build (date, command) is written beside the tables.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path

import numpy as np

from aurora_evo.rows import unique_rows
from aurora_evo.scenario.quality.report import DEFAULT_CONFIG
from aurora_evo.scenario.quality.trace_references import (
    DIGITS,
    FORMAT,
    REFERENCE_FILE,
    VERSION,
    significant,
)
from aurora_evo.scenario.quality.trace_window import SAMPLE_NAMES, TRACE_FORMATS, window_samples
from aurora_evo.traces.records import ReadSummary, TraceTask
from aurora_evo.traces.replay import file_digest, too_censored
from aurora_evo.traces.sources import SOURCES, TraceInputs
from aurora_evo.traces.units import UNITS

#: Lengths of the windows the tables pool, s: those of the shipped suites (3 minutes for Google 2011, 5
#: for Alibaba 2018, 30 for Azure VM 2017; :mod:`aurora_evo.suites.specs`), ``from-trace``'s default (30
#: minutes) and 2 hours. A window is compared with the nearest length (in ratio).
WINDOW_LENGTHS_S = (180.0, 300.0, 1800.0, 7200.0)
#: Offsets, as shares of the length, of the further grids of windows that calibrate each table of the
#: lengths of :data:`SHIFTED_LENGTHS_S` (and do not enter it).
CALIBRATION_PHASES = (0.25, 0.5, 0.75)
#: Window lengths, s, calibrated on the shifted grids too: those with few windows per trace.
SHIFTED_LENGTHS_S = (1800.0, 7200.0)
#: Tasks :func:`stream_arrays` takes at a time.
_CHUNK = 65_536
#: Quantiles per table.
N_QUANTILES = 256
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


def source_groups(fmt: str, data_dir: str | Path) -> list[tuple[list[Path], TraceInputs]]:
    """``(paths, inputs)`` of each file group of :data:`SOURCE_FILES` ``[fmt]`` under ``data_dir``, as
    :data:`aurora_evo.traces.sources.SOURCES` ``[fmt]`` takes them (an Azure VM 2017 group's second file
    is its lifetimes)."""
    groups = []
    for group in SOURCE_FILES[fmt]:
        paths = [Path(data_dir) / name for name in group]
        if fmt == "azure-vm2017":
            groups.append((paths[:1], TraceInputs(durations=paths[1])))
        else:
            groups.append((paths, TraceInputs()))
    return groups


def read_source(fmt: str, data_dir: str | Path, summary: ReadSummary) -> Iterator[Iterator[TraceTask]]:
    """One task stream per file group (:func:`source_groups`), each in arrival order in the trace's
    units, read as ``aurora-evo scenarios from-trace`` reads it; ``summary`` counts over all of them."""
    for paths, inputs in source_groups(fmt, data_dir):
        yield SOURCES[fmt].read(paths, inputs, summary)


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


def _largest(values: Sequence[float] | np.ndarray) -> float | None:
    """The largest value, to significant digits; ``None`` for none."""
    return float(significant(np.max(values))) if len(values) else None


def _table(name: str, windows: list[np.ndarray], shifted: list[np.ndarray]) -> dict:
    """The quantile table of one distribution pooled over ``windows``, and its calibration over them and
    the ``shifted`` grids' windows; ``{}`` when no window has a value."""
    from scipy import stats  # here, not at the top: scipy takes ~0.5 s to import

    pooled = np.concatenate(windows) if windows else np.empty(0)
    if pooled.size == 0:
        return {}
    levels = (np.arange(N_QUANTILES) + 0.5) / N_QUANTILES
    table = significant(np.quantile(pooled, levels, method="inverted_cdf"))
    distances = [
        float(stats.ks_2samp(significant(x), table).statistic)
        for x in [*windows, *shifted]
        if x.size >= CALIBRATION_MIN_VALUES
    ]
    calibration: dict[str, object] = {
        "windows": len(distances),
        "min_values": CALIBRATION_MIN_VALUES,
        "ks_max": _largest(distances),
    }
    if name != "interarrival":  # gaps over their mean have no location to check
        shifts = [
            abs(math.log(float(np.median(x)) / float(np.median(table))))
            for x in [*windows, *shifted]
            if x.size
        ]
        calibration["median_factor_max"] = _largest(np.exp(shifts))
    return {
        "unit": _UNITS[name],
        "n": int(pooled.size),
        "calibration": calibration,
        "quantiles": [*map(float, table)],
    }


class _Windows:
    """The measures of every window of one length, as they come: those of the first grid, and the
    distributions of the shifted grids' (calibration only)."""

    def __init__(self) -> None:
        self.samples: dict[str, list[np.ndarray]] = {name: [] for name in SAMPLE_NAMES}
        self.shifted: dict[str, list[np.ndarray]] = {name: [] for name in SAMPLE_NAMES}
        self.tasks_per_shape: list[float] = []
        self.interarrival_cv: list[float] = []

    def add(
        self,
        arrival: np.ndarray,
        duration: np.ndarray,
        demand: np.ndarray,
        priority: np.ndarray,
        *,
        shifted: bool = False,
    ) -> None:
        """A window's measures; a ``shifted`` grid's window gives its distributions to the calibration
        only."""
        for name, values in window_samples(arrival, duration, demand, priority).items():
            (self.shifted if shifted else self.samples)[name].append(values)
        if shifted:
            return
        self.tasks_per_shape.append(arrival.size / len(unique_rows(demand[:, :2])[0]))
        gaps = np.diff(np.sort(arrival))
        if arrival.size >= CALIBRATION_MIN_VALUES and gaps.mean() > 0:
            self.interarrival_cv.append(float(gaps.std() / gaps.mean()))

    def result(self) -> dict:
        tables = {name: _table(name, windows, self.shifted[name]) for name, windows in self.samples.items()}
        return {
            "windows": len(self.tasks_per_shape),
            "distributions": {name: table for name, table in tables.items() if table},
            "figures": {
                "tasks_per_shape": _figure(self.tasks_per_shape),
                "task_interarrival_cv": _figure(self.interarrival_cv),
            },
        }


def stream_arrays(
    fmt: str, tasks: Iterable[TraceTask]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(arrival, duration, demand, priority, censored) of every task of a stream, in its order, as
    :func:`window_arrays` gives them (arrivals from 0) and whether each is censored (``(n,)`` bool); read
    :data:`_CHUNK` tasks at a time."""
    parts = [(*window_arrays(fmt, [], 0.0), np.zeros(0, dtype=bool))]
    tasks = iter(tasks)
    while chunk := list(islice(tasks, _CHUNK)):
        censored = np.fromiter((t.outcome == "censored" for t in chunk), dtype=bool, count=len(chunk))
        parts.append((*window_arrays(fmt, chunk, 0.0), censored))
    arrival, duration, demand, priority, censored = (
        np.concatenate(column) for column in zip(*parts, strict=True)
    )
    return arrival, duration, demand, priority, censored


def grid_windows(
    arrival: np.ndarray, lengths: Sequence[float], phases: Mapping[float, Sequence[float]] | None = None
) -> Iterator[tuple[float, float, float, slice | np.ndarray]]:
    """``(length, phase, start, rows)`` of every non-empty back-to-back window of each of ``lengths``
    (s), from the first arrival (phase 0) and from each of ``phases[length]`` (if any) x the length after
    it: ``rows`` of ``arrival`` (``(n,)`` s, in arrival order: a slice; else the positions, a window
    being a run of tasks in the same interval). The tasks before a shifted grid's first window are in
    none of its windows."""
    if arrival.size == 0:
        return
    first = float(arrival[0])
    for length in lengths:
        for phase in (0.0, *(phases or {}).get(length, ())):
            index = np.floor((arrival - first - phase * length) / length)
            inside = np.flatnonzero(index >= 0)
            if inside.size == 0:
                continue
            runs = np.flatnonzero(np.diff(index[inside])) + 1
            offset = int(inside[0]) if int(inside[-1]) - int(inside[0]) + 1 == inside.size else None
            for begin, end in zip([0, *runs.tolist()], [*runs.tolist(), inside.size], strict=True):
                rows = inside[begin:end] if offset is None else slice(offset + begin, offset + end)
                yield length, phase, first + (phase + int(index[inside[begin]])) * length, rows


def _file_record(data_dir: Path, name: str) -> dict:
    path = data_dir / name
    return {"file": f"shared/data/{name}", "bytes": path.stat().st_size, "sha256": file_digest(path)}


def measure_source(fmt: str, data_dir: str | Path, lengths: Sequence[float] = WINDOW_LENGTHS_S) -> dict:
    """The references of one trace format, JSON-ready: ``source`` (files, reader summary, units, tasks
    read) and per window length (``"180"``...) ``windows`` (how many), ``distributions`` (name -> unit,
    n, calibration, quantiles; a distribution without any value is left out) and ``figures``."""
    data_dir = Path(data_dir)
    summary = ReadSummary()
    measured = {length: _Windows() for length in lengths}
    shifts = {length: CALIBRATION_PHASES for length in SHIFTED_LENGTHS_S}
    for stream in read_source(fmt, data_dir, summary):
        # Arrays of the whole stream (Alibaba 2018: 5 million tasks, 300 MB), sliced per window: a
        # window's arrays built from its tasks took ten minutes over the ten grids.
        arrival, duration, demand, priority, censored = stream_arrays(fmt, stream)
        for length, phase, start, rows in grid_windows(arrival, lengths, shifts):
            if too_censored(int(censored[rows].sum()), arrival[rows].size):  # as a replay leaves it out
                continue
            window = (arrival[rows] - start, duration[rows], demand[rows], priority[rows])
            measured[length].add(*window, shifted=bool(phase))
    return {
        "source": {
            "files": [_file_record(data_dir, name) for group in SOURCE_FILES[fmt] for name in group],
            "reader": summary.describe(),
            "units": UNITS[fmt].note,
            "tasks": summary.tasks,
        },
        "windows": {f"{length:g}": measured[length].result() for length in lengths},
    }


def build_references(data_dir: str | Path, formats: Sequence[str] = TRACE_FORMATS) -> dict:
    """The whole reference file's content, without its ``built`` record (date and command)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "window_lengths_s": list(WINDOW_LENGTHS_S),
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
