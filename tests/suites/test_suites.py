"""Named suites: built from the trace files split by time, written with a manifest, read back checked."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest

from aurora_evo.errors import InputError
from aurora_evo.suites import SPLITS, SUITE_NAMES, load_suite
from aurora_evo.suites.build import build_synthetic_suite, build_trace_suite
from aurora_evo.suites.specs import SUITES, SplitSpec, SyntheticSuiteSpec, TraceSuiteSpec
from aurora_evo.suites.store import SUFFIX, read_suite, shipped_folder, write_suite

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "traces"))
from trace_samples import shared_data

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def small(spec: TraceSuiteSpec, counts=(3, 2, 2)) -> TraceSuiteSpec:
    """``spec`` with a few windows per split and small scenarios."""
    splits = {
        split: SplitSpec(s.files, s.inputs, s.span, k)
        for (split, s), k in zip(spec.splits.items(), counts, strict=True)
    }
    return TraceSuiteSpec(**{**spec.__dict__, "splits": splits, "max_tasks": 50})


@pytest.mark.parametrize("name", ["google-2011", "azure", "alibaba-2018"])
def test_a_trace_suite_is_split_by_time_without_overlap(name):
    shared_data(".", "the shared data")
    spec = small(SUITES[name])
    manifest, scenarios = build_trace_suite(spec, DATA)
    windows = {split: manifest["splits"][split]["windows"] for split in SPLITS}
    assert [len(scenarios[split]) for split in SPLITS] == [3, 2, 2]
    ends = {split: max(start + length for start, length in windows[split]) for split in SPLITS}
    starts = {split: min(start for start, _ in windows[split]) for split in SPLITS}
    assert ends["train"] <= starts["validation"] and ends["validation"] <= starts["test"]
    assert manifest["source"]["format"] == spec.format
    assert all(len(f["sha256"]) == 64 for f in manifest["source"]["files"])
    for split in SPLITS:
        for scenario in scenarios[split]:
            assert len(scenario.tasks) <= 50
            assert scenario.provenance["trace"]["format"] == spec.format


def test_a_suite_file_reads_back_and_its_hash_is_checked(tmp_path):
    spec = SyntheticSuiteSpec(
        "tiny", level="easy", domain="cloud", counts={"train": 2, "validation": 1, "test": 1}
    )
    manifest, scenarios = build_synthetic_suite(spec)
    path = write_suite(manifest, scenarios, tmp_path / f"tiny{SUFFIX}")
    suite = load_suite(str(path))
    assert [len(suite.split(split)) for split in SPLITS] == [2, 1, 1]
    assert [s.name for s in suite.train] == manifest["splits"]["train"]["scenarios"]
    assert path.read_bytes() == write_suite(manifest, scenarios, tmp_path / f"again{SUFFIX}").read_bytes()
    data = json.loads(gzip.decompress(path.read_bytes()))
    data["scenarios"]["test"][0]["tasks"][0]["duration_s"] += 1
    path.write_bytes(gzip.compress(json.dumps(data).encode()))
    with pytest.raises(InputError, match="do not match the manifest's content hash"):
        read_suite(path)
    with pytest.raises(InputError, match="unknown split 'dev'"):
        suite.split("dev")


def test_unknown_and_unbuilt_suites_are_one_line_naming_the_way_out(tmp_path, monkeypatch):
    monkeypatch.setenv("AURORA_EVO_SUITES", str(tmp_path))
    with pytest.raises(InputError, match="unknown suite 'nope'; known: google-2011"):
        load_suite("nope")
    with pytest.raises(
        InputError, match=r"run `aurora-evo suites build alibaba-2018 --data \.\./shared/data`"
    ):
        load_suite("alibaba-2018")
    with pytest.raises(InputError, match="no such suite file"):
        load_suite(str(tmp_path / f"missing{SUFFIX}"))
    (tmp_path / f"bad{SUFFIX}").write_bytes(b"not gzip")
    with pytest.raises(InputError, match="not a suite file"):
        load_suite(str(tmp_path / f"bad{SUFFIX}"))


def test_a_missing_trace_file_names_it_and_the_data_option(tmp_path):
    with pytest.raises(
        InputError, match=r"needs .*part-00000-of-00500\.csv\.gz, which is missing; .* --data DIR"
    ):
        build_trace_suite(SUITES["google-2011"], tmp_path)


def test_every_suite_has_the_three_splits():
    assert SUITE_NAMES == ("google-2011", "alibaba-2018", "azure", "synthetic")
    for spec in SUITES.values():
        counts = (
            spec.counts if isinstance(spec, SyntheticSuiteSpec) else {s: spec.splits[s].count for s in SPLITS}
        )
        assert [counts[split] for split in SPLITS] == [60, 20, 20]


def test_shipped_suites_are_cc_by_or_generated_and_load_with_their_hash():
    shipped = sorted(p.name.removesuffix(SUFFIX) for p in shipped_folder().glob(f"*{SUFFIX}"))
    assert shipped == ["azure", "google-2011", "synthetic"]
    for name in shipped:
        suite = load_suite(name)
        # load_suite skips the schema for shipped suites: they must pass it.
        assert read_suite(shipped_folder() / f"{name}{SUFFIX}").manifest == suite.manifest
        # google-2011: one validation window and both its stand-ins are mostly tasks cut at the input's end.
        assert [len(suite.split(split)) for split in SPLITS] == [60, 19 if name == "google-2011" else 20, 20]
        source = suite.manifest["source"]
        assert source.get("licence") == "CC-BY 4.0" or "generator" in source
        # A replayed window at another offset than the realism references' can pass their widest by a little.
        assert suite.manifest["quality"]["passed"] >= sum(len(suite.split(split)) for split in SPLITS) - 2
