"""Workload statistics measured on the public trace samples, and the shipped copy of them.

:func:`measure_trace_stats` reads three files under ``shared/data`` (see the PROVENANCE.md files there):

* Google clusterdata-2011-2, derived task sample ``google_cluster_2011/tasks_at_t0_derived.csv``:
  ``;``-separated, no header; only columns 1, 2, 4, 5, 8, 9 (job, task index, scheduling class,
  priority, cpu, memory) are trusted; requests are fractions of the largest machine;
* Alibaba 2017 ``alibaba/v2017/batch_task.csv``: create/end time (s), job, instances, status, cpu per
  instance (100 = 1 core), memory per instance (fraction of a machine); 9,017 rows have no request;
* Alibaba 2018 ``alibaba/v2018/machine_meta.csv``: machine capacities (96 cores each).

It returns one JSON-ready dict (log-normal fits, quantiles, correlations, the priority mix, durations,
arrival burstiness and the hourly profile). The package ships the result as ``data/trace_stats.json``
with small reference samples beside it, so nothing here needs ``shared/data`` at run time;
``python -m aurora_evo.scenario.traces DATA_DIR`` regenerates them.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

FORMAT = "aurora-evo/trace-stats"
VERSION = 1

GOOGLE_TASKS = "google_cluster_2011/tasks_at_t0_derived.csv"
ALIBABA_BATCH = "alibaba/v2017/batch_task.csv"
ALIBABA_MACHINES = "alibaba/v2018/machine_meta.csv"

#: Upstream snapshots the shared files were copied from (from shared/data/**/PROVENANCE.md).
SOURCES = {
    GOOGLE_TASKS: {
        "repository": "github.com/jeffersontuc/MetCientifica",
        "commit": "0fd3e07aa77455c2a89a2913c297476af99fad73",
        "path": "task_events.csv",
        "license": "trace: CC-BY 4.0 (Google); the derived file's repository states none",
    },
    ALIBABA_BATCH: {
        "repository": "github.com/PriyadarshiniDas/Workload-Prediction-of-Alibaba-Cluster-Dataset",
        "commit": "53aa3e8cdc6017036590947b959e0cc4f6694f8f",
        "path": "batch_task.csv",
        "license": "repository MIT; the data is Alibaba's cluster-trace-v2017 (no license stated upstream)",
    },
    ALIBABA_MACHINES: {
        "repository": "github.com/gohsyi/cluster_optimization",
        "commit": "a2c5547d7ee72a3734a9b174bf3d32918b61b46d",
        "path": "data/machine_meta.csv",
        "license": "data is Alibaba's cluster-trace-v2018 (no license stated upstream or in the copy)",
    },
}

#: Quantile levels reported for every distribution.
QUANTILES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)

#: Reference samples shipped beside the statistics: file name -> (header, row count).
SAMPLE_SIZE = 2000
SAMPLE_SEED = 20110601
SAMPLE_FILES = (
    "google_2011_cpu_mem_sample.csv",
    "alibaba_2017_cpu_mem_sample.csv",
    "alibaba_2017_duration_sample.csv",
    "alibaba_2017_job_arrival_sample.csv",
)

SECONDS_PER_HOUR = 3600.0


# --- readers --------------------------------------------------------------------------------------


def read_google_tasks(path: str | Path) -> dict[str, np.ndarray]:
    """The trusted columns of the Google derived sample; each array has shape ``(n_rows,)``.

    Keys: ``job`` and ``task_index`` (int64), ``scheduling_class`` and ``priority`` (int64), ``cpu`` and
    ``memory`` (float64, fractions of the largest machine).
    """
    table = np.loadtxt(path, delimiter=";", usecols=(1, 2, 4, 5, 8, 9), dtype=np.float64, ndmin=2)
    return {
        "job": table[:, 0].astype(np.int64),
        "task_index": table[:, 1].astype(np.int64),
        "scheduling_class": table[:, 2].astype(np.int64),
        "priority": table[:, 3].astype(np.int64),
        "cpu": table[:, 4],
        "memory": table[:, 5],
    }


def _float_or_nan(text: str) -> float:
    return float(text) if text.strip() else np.nan


_ALIBABA_CPU = "number_of_cpus_requested_per_instance_in_the_task"
_ALIBABA_MEMORY = "normalized_memory_requested_per_instance_in_the_task"


def read_alibaba_batch_tasks(path: str | Path) -> dict[str, np.ndarray]:
    """The Alibaba 2017 batch tasks; each array has shape ``(n_rows,)``.

    Keys: ``create_s``, ``end_s`` (float64, s), ``job``, ``task``, ``instances`` (int64), ``status`` (str),
    ``cpu_cores`` (float64, plan_cpu / 100; NaN when empty), ``memory`` (float64, fraction of a machine;
    NaN when empty).
    """
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, skipinitialspace=True)
        header = [name.strip() for name in next(reader)]
        rows = [row for row in reader if row]
    col = {name: i for i, name in enumerate(header)}

    def column(name: str) -> list[str]:
        return [row[col[name]] for row in rows]

    return {
        "create_s": np.array([float(v) for v in column("task_create_time")]),
        "end_s": np.array([float(v) for v in column("task_end_time")]),
        "job": np.array([int(v) for v in column("job_id")], dtype=np.int64),
        "task": np.array([int(v) for v in column("task_id")], dtype=np.int64),
        "instances": np.array([int(v) for v in column("number_of_instances")], dtype=np.int64),
        "status": np.array(column("status")),
        "cpu_cores": np.array([_float_or_nan(v) for v in column(_ALIBABA_CPU)]) / 100.0,
        "memory": np.array([_float_or_nan(v) for v in column(_ALIBABA_MEMORY)]),
    }


def read_alibaba_machines(path: str | Path) -> dict[str, np.ndarray]:
    """The Alibaba 2018 machine_meta rows (no header); arrays of shape ``(n_rows,)``.

    Keys: ``machine`` (str), ``time_s`` (float64), ``cpu_cores`` (float64), ``memory`` (float64, 0-100
    normalised), ``status`` (str).
    """
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle) if row]
    return {
        "machine": np.array([row[0] for row in rows]),
        "time_s": np.array([float(row[1]) for row in rows]),
        "cpu_cores": np.array([float(row[4]) for row in rows]),
        "memory": np.array([float(row[5]) for row in rows]),
        "status": np.array([row[6] for row in rows]),
    }


# --- summaries ------------------------------------------------------------------------------------


def _num(value: float) -> float:
    """A plain float rounded to 10 significant digits, so the JSON is stable across platforms."""
    return float(f"{float(value):.10g}")


def quantiles(x: np.ndarray) -> dict[str, float]:
    """``{"p01": ..., "p99": ...}`` at :data:`QUANTILES` (numpy's linear interpolation)."""
    values = np.quantile(np.asarray(x, dtype=np.float64), QUANTILES)
    return {f"p{round(q * 100):02d}": _num(v) for q, v in zip(QUANTILES, values, strict=True)}


def lognormal_summary(x: np.ndarray) -> dict[str, float]:
    """Log-normal fit of positive values: the maximum-likelihood ``log_mu``/``log_sigma`` (mean and
    standard deviation of ``log x``), plus the empirical mean, min, max and quantiles."""
    x = np.asarray(x, dtype=np.float64)
    logs = np.log(x)
    return {
        "n": int(x.size),
        "log_mu": _num(logs.mean()),
        "log_sigma": _num(logs.std()),
        "mean": _num(x.mean()),
        "min": _num(x.min()),
        "max": _num(x.max()),
        "quantiles": quantiles(x),
    }


def _pair_summary(cpu: np.ndarray, memory: np.ndarray) -> dict:
    """cpu and memory fits, their log-correlation, Spearman correlation and the cpu/memory ratio."""
    log_cpu, log_mem = np.log(cpu), np.log(memory)
    return {
        "cpu": lognormal_summary(cpu),
        "memory": lognormal_summary(memory),
        "cpu_mem_log_corr": _num(np.corrcoef(log_cpu, log_mem)[0, 1]),
        "cpu_mem_spearman": _num(_spearman(cpu, memory)),
        "cpu_mem_ratio": lognormal_summary(cpu / memory),
    }


def _counts(values: np.ndarray) -> dict[str, int]:
    keys, counts = np.unique(values, return_counts=True)
    return {str(k): int(c) for k, c in zip(keys.tolist(), counts, strict=True)}


def _shares(values: np.ndarray) -> dict[str, float]:
    keys, counts = np.unique(values, return_counts=True)
    return {str(k): _num(c / values.size) for k, c in zip(keys.tolist(), counts, strict=True)}


def _cv(x: np.ndarray) -> float:
    return _num(x.std() / x.mean())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _source(data_dir: Path, relative: str) -> dict:
    return {"file": f"shared/data/{relative}", "sha256": _sha256(data_dir / relative)} | SOURCES[relative]


def google_stats(data_dir: Path) -> dict:
    """Sizes, priorities, classes and job structure of the Google 2011 derived task sample."""
    g = read_google_tasks(data_dir / GOOGLE_TASKS)
    positive = (g["cpu"] > 0) & (g["memory"] > 0)
    _, job_inverse, tasks_per_job = np.unique(g["job"], return_inverse=True, return_counts=True)
    first = np.unique(job_inverse, return_index=True)[1]
    multi = np.flatnonzero(tasks_per_job > 1)
    same_shape = same_priority = 0
    for j in multi:
        rows = job_inverse == j
        same_shape += np.unique(np.stack([g["cpu"][rows], g["memory"][rows]], axis=1), axis=0).shape[0] == 1
        same_priority += np.unique(g["priority"][rows]).size == 1
    job_positive = positive[first]
    return {
        "source": _source(data_dir, GOOGLE_TASKS),
        "units": {"cpu": "fraction of the largest machine", "memory": "fraction of the largest machine"},
        "rows": int(g["cpu"].size),
        "jobs": int(tasks_per_job.size),
        "rows_with_zero_request": int((~positive).sum()),
        "per_task": _pair_summary(g["cpu"][positive], g["memory"][positive]),
        "per_job": _pair_summary(g["cpu"][first][job_positive], g["memory"][first][job_positive]),
        "priority_counts": _counts(g["priority"]),
        "priority_shares": _shares(g["priority"]),
        "priority_shares_per_job": _shares(g["priority"][first]),
        "scheduling_class_shares": _shares(g["scheduling_class"]),
        "tasks_per_job": {"mean": _num(tasks_per_job.mean()), "quantiles": quantiles(tasks_per_job)},
        "multi_task_jobs": int(multi.size),
        "same_shape_within_job_share": _num(same_shape / max(multi.size, 1)),
        "same_priority_within_job_share": _num(same_priority / max(multi.size, 1)),
    }


def _job_first_create(create_s: np.ndarray, job: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first create time per job, last - first create time per job), both ``(n_jobs,)`` in s."""
    _, inverse = np.unique(job, return_inverse=True)
    first = np.full(inverse.max() + 1, np.inf)
    last = np.full(inverse.max() + 1, -np.inf)
    np.minimum.at(first, inverse, create_s)
    np.maximum.at(last, inverse, create_s)
    return first, last - first


def _hourly(times_s: np.ndarray, start_s: float) -> np.ndarray:
    """Counts per whole hour from ``start_s``; the last, partial hour is dropped."""
    hours = np.floor((times_s - start_s) / SECONDS_PER_HOUR).astype(np.int64)
    full = int((times_s.max() - start_s) // SECONDS_PER_HOUR)
    return np.bincount(hours, minlength=full)[:full]


def alibaba_stats(data_dir: Path) -> dict:
    """Sizes, durations and arrival burstiness of the Alibaba 2017 batch tasks."""
    a = read_alibaba_batch_tasks(data_dir / ALIBABA_BATCH)
    has_request = ~np.isnan(a["cpu_cores"]) & ~np.isnan(a["memory"])
    sized = has_request & (a["cpu_cores"] > 0) & (a["memory"] > 0)
    duration = a["end_s"] - a["create_s"]
    terminated = (a["status"] == "Terminated") & (duration > 0)

    create = np.sort(a["create_s"])
    gaps = np.diff(create)
    job_first, job_spread = _job_first_create(a["create_s"], a["job"])
    job_gaps = np.diff(np.sort(job_first))
    start = float(create[0])
    hourly_tasks = _hourly(a["create_s"], start)
    hourly_jobs = _hourly(job_first, start)
    per_minute = np.bincount(np.floor((job_first - start) / 60.0).astype(np.int64))
    _, tasks_per_job = np.unique(a["job"], return_counts=True)
    return {
        "source": _source(data_dir, ALIBABA_BATCH),
        "units": {"cpu": "cores (plan_cpu / 100)", "memory": "fraction of a machine", "time": "s"},
        "rows": int(a["create_s"].size),
        "status_counts": _counts(a["status"]),
        "rows_without_request": int((~has_request).sum()),
        "sizes": _pair_summary(a["cpu_cores"][sized], a["memory"][sized]),
        "cpu_cores_counts": _counts(a["cpu_cores"][sized]),
        "instances": {"mean": _num(a["instances"].mean()), "quantiles": quantiles(a["instances"])},
        "duration": {
            "unit": "s",
            "rows_nonpositive": int((duration <= 0).sum()),
            "terminated": lognormal_summary(duration[terminated]),
            "all_statuses": lognormal_summary(duration[duration > 0]),
        },
        "arrivals": {
            "span_s": _num(create[-1] - create[0]),
            "tasks": int(create.size),
            "jobs": int(job_first.size),
            "tasks_per_job": {"mean": _num(tasks_per_job.mean()), "quantiles": quantiles(tasks_per_job)},
            "job_create_spread_s": quantiles(job_spread),
            "task_interarrival_cv": _cv(gaps),
            "task_zero_gap_share": _num(np.mean(gaps == 0)),
            "job_interarrival_mean_s": _num(job_gaps.mean()),
            "job_interarrival_cv": _cv(job_gaps),
            "job_per_minute_dispersion": _num(per_minute.var() / per_minute.mean()),
            "hourly_task_counts": hourly_tasks.tolist(),
            "hourly_job_counts": hourly_jobs.tolist(),
            "hourly_job_cv": _cv(hourly_jobs),
            "hourly_job_peak_to_mean": _num(hourly_jobs.max() / hourly_jobs.mean()),
            # A sinusoid 1 + A sin(.) has coefficient of variation A / sqrt(2).
            "diurnal_amplitude": _num(min(0.95, np.sqrt(2.0) * hourly_jobs.std() / hourly_jobs.mean())),
        },
    }


def machine_stats(data_dir: Path) -> dict:
    """Machine count and capacities of the Alibaba 2018 machine_meta table."""
    m = read_alibaba_machines(data_dir / ALIBABA_MACHINES)
    return {
        "source": _source(data_dir, ALIBABA_MACHINES),
        "rows": int(m["machine"].size),
        "machines": int(np.unique(m["machine"]).size),
        "cpu_cores_counts": _counts(m["cpu_cores"]),
        "memory_normalised_counts": _counts(m["memory"]),
        "status_counts": _counts(m["status"]),
    }


def measure_trace_stats(data_dir: str | Path) -> dict:
    """Measure every statistic from the trace samples under ``data_dir`` (the ``shared/data`` folder).

    Returns a JSON-ready dict: ``google_2011`` (task sizes, priorities, jobs), ``alibaba_2017`` (sizes,
    durations, arrivals) and ``alibaba_2018_machines``; floats rounded to 10 significant digits.
    """
    data_dir = Path(data_dir)
    missing = [name for name in SOURCES if not (data_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{data_dir}: missing {', '.join(missing)}; pass the shared/data folder")
    return {
        "format": FORMAT,
        "version": VERSION,
        "google_2011": google_stats(data_dir),
        "alibaba_2017": alibaba_stats(data_dir),
        "alibaba_2018_machines": machine_stats(data_dir),
    }


# --- reference samples ----------------------------------------------------------------------------


def reference_samples(data_dir: str | Path) -> dict[str, str]:
    """The CSV text of each reference sample (file name -> text), drawn with :data:`SAMPLE_SEED`.

    Pairs and durations are uniform draws without replacement over the rows used for the fits; the job
    arrivals are :data:`SAMPLE_SIZE` consecutive job first-create times (a contiguous window, so burst
    structure survives), shifted to start at 0.
    """
    data_dir = Path(data_dir)
    rng = np.random.default_rng(SAMPLE_SEED)
    g = read_google_tasks(data_dir / GOOGLE_TASKS)
    a = read_alibaba_batch_tasks(data_dir / ALIBABA_BATCH)

    def pick(n_rows: int) -> np.ndarray:
        return np.sort(rng.choice(n_rows, size=min(SAMPLE_SIZE, n_rows), replace=False))

    def text(header: str, columns: list[np.ndarray]) -> str:
        lines = [header] + [",".join(f"{v:.10g}" for v in row) for row in zip(*columns, strict=True)]
        return "\n".join(lines) + "\n"

    g_ok = (g["cpu"] > 0) & (g["memory"] > 0)
    g_idx = pick(int(g_ok.sum()))
    a_ok = ~np.isnan(a["cpu_cores"]) & (a["cpu_cores"] > 0) & (a["memory"] > 0)
    a_idx = pick(int(a_ok.sum()))
    duration = a["end_s"] - a["create_s"]
    terminated = duration[(a["status"] == "Terminated") & (duration > 0)]
    d_idx = pick(terminated.size)
    job_first = np.sort(_job_first_create(a["create_s"], a["job"])[0])
    begin = int(rng.integers(0, max(job_first.size - SAMPLE_SIZE, 0) + 1))
    window = job_first[begin : begin + SAMPLE_SIZE]
    return {
        SAMPLE_FILES[0]: text("cpu_frac,mem_frac", [g["cpu"][g_ok][g_idx], g["memory"][g_ok][g_idx]]),
        SAMPLE_FILES[1]: text("cpu_cores,mem_frac", [a["cpu_cores"][a_ok][a_idx], a["memory"][a_ok][a_idx]]),
        SAMPLE_FILES[2]: text("duration_s", [terminated[d_idx]]),
        SAMPLE_FILES[3]: text("job_create_s", [window - window[0]]),
    }


# --- shipped copy ---------------------------------------------------------------------------------


def _data_files():
    return resources.files("aurora_evo.scenario").joinpath("data")


@cache
def _stats_text() -> str:
    return _data_files().joinpath("trace_stats.json").read_text("utf-8")


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    from scipy import stats  # here, not at the top: scipy takes ~0.5 s to import

    return float(stats.spearmanr(x, y).statistic)


def load_trace_stats() -> dict:
    """The statistics shipped in ``aurora_evo/scenario/data/trace_stats.json`` (a fresh dict per call)."""
    return json.loads(_stats_text())


def trace_stats_sha256() -> str:
    """SHA-256 of the shipped statistics file, recorded in the provenance of generated scenarios."""
    return hashlib.sha256(_stats_text().encode("utf-8")).hexdigest()


def load_reference_samples() -> dict[str, np.ndarray]:
    """The shipped reference samples: ``google_cpu_mem`` (2000, 2) fractions of the largest machine,
    ``alibaba_cpu_mem`` (2000, 2) cores and machine fraction, ``alibaba_duration_s`` (2000,) s and
    ``alibaba_job_arrival_s`` (2000,) s (consecutive job arrivals, starting at 0)."""
    keys = ("google_cpu_mem", "alibaba_cpu_mem", "alibaba_duration_s", "alibaba_job_arrival_s")
    out = {}
    for key, name in zip(keys, SAMPLE_FILES, strict=True):
        with _data_files().joinpath(name).open("r", encoding="utf-8") as handle:
            out[key] = np.loadtxt(handle, delimiter=",", skiprows=1, dtype=np.float64)
    return out


def stats_json_text(stats_dict: dict) -> str:
    """The canonical text of a statistics dict (sorted keys are not used: sections keep their order)."""
    return json.dumps(stats_dict, indent=1) + "\n"


def write_shipped_data(data_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Measure the statistics and draw the samples from ``data_dir``; write them into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "trace_stats.json"]
    written[0].write_text(stats_json_text(measure_trace_stats(data_dir)), encoding="utf-8")
    for name, text in reference_samples(data_dir).items():
        (out_dir / name).write_text(text, encoding="utf-8")
        written.append(out_dir / name)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Regenerate aurora_evo/scenario/data from shared/data.")
    parser.add_argument("data_dir", type=Path, help="the shared/data folder")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("data"), help="output folder")
    args = parser.parse_args(argv)
    for path in write_shipped_data(args.data_dir, args.out):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
