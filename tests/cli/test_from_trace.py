"""``aurora-evo scenarios from-trace``: real windows written as scenario files; bad input is one line."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest
from cli_run import run

from aurora_evo.cli.exit_status import EXIT_BAD_INPUT, EXIT_OK
from aurora_evo.scenario import load_scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "traces"))
from trace_samples import shared_data


def test_google_shards_give_the_windows_asked_for(capsys, tmp_path):
    shards = sorted(
        str(p) for p in shared_data("google_cluster_2011/task_events", "Google shards").glob("*.gz")
    )
    code, out, err = run(
        capsys, "scenarios", "from-trace", "google2011", *shards, "--window", "10m", "--count", "3",
        "--nodes", "20", "--load", "0.8", "--out", str(tmp_path),
    )  # fmt: skip
    assert code == EXIT_OK, err
    files = sorted(tmp_path.glob("*.json"))
    assert len(files) == 3 and out.count(".json:") == 3
    # Tasks at 0 were running when the trace began: the windows start at the first arrival after them.
    assert min(int(p.stem.split("-")[1].removesuffix("s")) for p in files) >= 600
    assert "rows read" in out.splitlines()[-1]
    for path in files:
        scenario = load_scenario(path)
        assert len(scenario.nodes) == 20
        assert scenario.provenance["replay"]["load_within_window"]["replayed"][0] <= 0.8 + 1e-9


def test_explicit_starts_name_the_files(capsys, tmp_path):
    path = shared_data("azure/llm_inference_2023/AzureLLMInferenceTrace_code.csv", "the Azure LLM trace")
    code, _, err = run(
        capsys, "scenarios", "from-trace", "azure-llm2023", str(path), "--window", "5m",
        "--starts", "0,10m", "--out", str(tmp_path),
    )  # fmt: skip
    assert code == EXIT_OK, err
    assert sorted(p.name for p in tmp_path.glob("*.json")) == [
        "azure-llm2023-0s.json",
        "azure-llm2023-600s.json",
    ]


def truncated_shard(tmp_path: Path) -> str:
    rows = "".join(f"{600_000_000 + i},,{i},0,,0,u,0,0,0.1,0.1,0,0\n" for i in range(2000)).encode()
    path = tmp_path / "part-00000-of-00500.csv.gz"
    path.write_bytes(gzip.compress(rows)[:-40])
    return str(path)


def batch_task(tmp_path: Path) -> str:
    path = tmp_path / "batch_task.csv"
    path.write_text("M1,1,j_1,1,Terminated,10,60,100,1\n")
    return str(path)


def bad_containers(tmp_path: Path) -> str:
    path = tmp_path / "container_meta.csv"
    path.write_text("c_1,m_1,0,app_1,started,400,400,1.56\nc_1,m_1,9,app_1,started,400,400\n")
    return str(path)


@pytest.mark.parametrize(
    ("make_args", "expected"),
    [
        (lambda d: ["nosuch", "x"], "invalid choice: 'nosuch'"),
        (lambda d: ["google2011", str(d / "missing.csv.gz")], "missing.csv.gz"),
        (lambda d: ["google2011", truncated_shard(d)], "part-00000-of-00500.csv.gz"),
        (lambda d: ["swf", "a.swf", "b.swf"], "swf reads one file, got 2"),
        (lambda d: ["azure-vm2017", str(d)], "is a directory, not a file"),
        (lambda d: ["azure-vm2017", __file__], "--durations"),
        (lambda d: ["google2011", "x", "--window", "soon"], "'soon' is not a duration"),
        (lambda d: ["google2011", "x", "--starts", "0", "--stride", "5m"], "--starts replaces --stride"),
        (lambda d: ["google2011", "x", "--nodes", "0"], "--nodes must be at least 1"),
        (lambda d: ["google2011", "x", "--load", "-1"], "--load must be in (0, 2]"),
        (lambda d: ["google2011", "x", "--containers", "c.csv"], "google2011 takes no --containers"),
        (lambda d: ["alibaba2018", batch_task(d), "--containers", bad_containers(d)], "line 2: 7 columns"),
    ],
)
def test_bad_input_is_one_line_with_exit_2(capsys, tmp_path, make_args, expected):
    code, _, err = run(capsys, "scenarios", "from-trace", *make_args(tmp_path), "--out", str(tmp_path / "o"))
    assert code == EXIT_BAD_INPUT
    assert expected in err and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists(), "bad input left an output folder behind"


def test_the_scenario_format_takes_what_real_traces_ask(tmp_path):
    """A Google request of 0 cores, a 192-core instance and a month-long run are valid scenario fields."""
    source = json.loads(
        (Path(__file__).parents[2] / "seeds" / "scenarios" / "easy-cloud-01.json").read_text()
    )
    source["nodes"][0]["cpu"] = 256
    source["nodes"][0]["memory_gib"] = 2048
    source["tasks"][0].update(cpu=0, duration_s=31 * 86_400.0)
    source["tasks"][1].update(cpu=192, memory_gib=1000)
    path = tmp_path / "s.json"
    path.write_text(json.dumps(source))
    scenario = load_scenario(path)
    assert scenario.tasks.demand[0, 0] == 0 and scenario.tasks.demand[1, 0] == 192


def test_alibaba_windows_run_on_what_the_containers_leave(capsys, tmp_path):
    data = shared_data("alibaba/v2018/container_meta_sample.csv", "the Alibaba v2018 container sample").parent
    code, out, err = run(
        capsys, "scenarios", "from-trace", "alibaba2018", str(data / "batch_task_sample.csv"),
        "--machines", str(data / "machine_meta.csv"), "--containers", str(data / "container_meta_sample.csv"),
        "--window", "5m", "--starts", "300000", "--nodes", "40", "--out", str(tmp_path),
    )  # fmt: skip
    assert code == EXIT_OK, err
    assert out.startswith(str(tmp_path / "alibaba2018-300000s.json"))
    scenario = load_scenario(tmp_path / "alibaba2018-300000s.json")
    assert "this window's start is 300000 s" in scenario.provenance["platform"]["source"]
    cores = sorted(scenario.nodes.capacity[:, 0].tolist())
    # 1,753 of the 4,034 machines have no container at 300,000 s: 17.4 of 40 nodes, 18 by largest remainder.
    assert cores.count(96.0) == 18 and min(cores) < 96


_VM = "azure/vm_2017_derived/resources/traces"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fmt", "path", "extra"),
    [
        ("swf", "parallel_workloads_archive/NASA-iPSC-1993-3.1-cln.swf.gz", []),  # long gaps
        ("alibaba-gpu2025", "alibaba/gpu_v2025/disaggregated_DLRM_trace.csv", []),  # full machines
        ("azure-vm2017", f"{_VM}/v1.dev.txt", ["--durations", f"{_VM}/v1.dev.c2100000.txt"]),  # censored
        ("azure-llm2023", "azure/llm_inference_2023/AzureLLMInferenceTrace_code.csv", []),
    ],
)
def test_twenty_30_minute_windows_of_a_trace_all_pass_validate(capsys, tmp_path, fmt, path, extra):
    """What the issue asks of every format: 20 windows written, 20 pass. Each of these three once fell
    short: a log with days-long gaps (17 written), a window whose two machines were full at the peak
    (refused by feasibility), a window at the split's end whose lifetimes were cut there (refused by
    realism). Google 2011 and Alibaba 2018 are measured in the issue's closing note (validating their
    10,000-task windows takes minutes)."""
    files = [str(shared_data(arg, f"the {fmt} trace")) if "/" in arg else arg for arg in [path, *extra]]
    out_dir = tmp_path / "out"
    code, out, err = run(
        capsys,
        "scenarios",
        "from-trace",
        fmt,
        *files,
        "--window",
        "30m",
        "--count",
        "20",
        "--out",
        str(out_dir),
    )
    assert code == EXIT_OK, err
    files = sorted(str(p) for p in out_dir.glob("*.json"))
    assert len(files) == 20, out.splitlines()[-1]
    code, out, err = run(capsys, "scenarios", "validate", *files)
    assert code == EXIT_OK, "\n".join(line for line in out.splitlines() if "REFUSED" in line)
    assert "20 of 20 files passed" in out
