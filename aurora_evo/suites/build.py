"""Building a suite from its spec: replaying a trace's windows split by time, or drawing from the
generators, then checking every scenario with the quality-control layers and writing the manifest.

The manifest records the source (format, title, licence, every file with its sha256), the spec, each
split's windows and scenarios, the seed, the quality-control verdicts and the command that rebuilds it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np

from aurora_evo.errors import InputError
from aurora_evo.scenario import Scenario
from aurora_evo.suites.specs import SPLITS, SplitSpec, SyntheticSuiteSpec, TraceSuiteSpec
from aurora_evo.traces.records import ReadSummary
from aurora_evo.traces.replay import (
    ReplayOptions,
    arrival_span,
    candidate_windows,
    file_digest,
    fill_empty_windows,
    replay_trace,
)
from aurora_evo.traces.sources import TraceInputs, TraceSource, trace_source
from aurora_evo.traces.windows import Windows

Progress = Callable[[str], None]


def build_trace_suite(
    spec: TraceSuiteSpec, data: Path, progress: Progress = lambda line: None
) -> tuple[dict, dict[str, list[Scenario]]]:
    """``(manifest, scenarios by split)`` of a trace suite, its files read under ``data``.

    Raises:
        InputError: a file of the suite is missing under ``data``, or cannot be read.
    """
    source = trace_source(spec.format)
    options = ReplayOptions(
        load=spec.load, deadline_wait_s=spec.deadline_wait_s, seed=spec.seed, max_tasks=spec.max_tasks
    )
    scenarios: dict[str, list[Scenario]] = {split: [] for split in SPLITS}
    splits: dict[str, dict] = {}
    files: dict[str, str] = {}
    for group in _groups(spec, data):
        paths, inputs, members = group
        first, last = arrival_span(source.read(paths, inputs, ReadSummary()))
        candidates = {
            split: list(_split_windows(spec, spec.splits[split], first, last).starts(first))
            for split in members
        }
        split_of = {start: split for split in members for start in candidates[split]}
        summary = ReadSummary()
        windows = Windows(spec.window_s, count=len(split_of), starts_s=tuple(sorted(split_of)))
        replayed: dict[float, Scenario] = {}
        for scenario in replay_trace(source, paths, inputs, windows, options, summary):
            replayed[scenario.provenance["trace"]["window_start_s"]] = scenario
        for split in members:
            present = [(i, replayed[start]) for i, start in enumerate(candidates[split]) if start in replayed]
            scenarios[split] = list(fill_empty_windows(present, spec.splits[split].count))
        for path in [*paths, *(p for p in dataclasses.astuple(inputs) if isinstance(p, Path))]:
            files.setdefault(str(path.relative_to(data)), file_digest(path))
        for split in members:
            splits[split] = {
                "windows": [
                    [s.provenance["trace"]["window_start_s"], spec.window_s] for s in scenarios[split]
                ],
                "scenarios": [s.name for s in scenarios[split]],
                "reader": summary.describe(),
            }
            progress(f"{spec.name} {split}: {len(scenarios[split])} scenarios from {len(paths)} file(s)")
    manifest = {
        "name": spec.name,
        "description": spec.description,
        "source": _source_record(source, files),
        "spec": _plain(spec),
        "splits": splits,
        "seed": spec.seed,
        "command": f"aurora-evo suites build {spec.name} --data DATA_DIR",
    }
    return manifest, scenarios


def build_synthetic_suite(
    spec: SyntheticSuiteSpec, progress: Progress = lambda line: None
) -> tuple[dict, dict[str, list[Scenario]]]:
    """``(manifest, scenarios by split)`` of a suite drawn from the generators, in draw order."""
    # heavy: the attacker's generator imports the scenario generators and quality control
    from aurora_evo.attacker.generate import generate_scenarios

    total = sum(spec.counts[split] for split in SPLITS)
    rng = np.random.default_rng(spec.seed)
    drawn = [scenario for scenario, _ in generate_scenarios(spec.level, total, rng, domain=spec.domain)]
    scenarios: dict[str, list[Scenario]] = {}
    start = 0
    for split in SPLITS:
        scenarios[split] = drawn[start : start + spec.counts[split]]
        start += spec.counts[split]
        progress(f"{spec.name} {split}: {len(scenarios[split])} scenarios")
    manifest = {
        "name": spec.name,
        "description": spec.description,
        "source": {"generator": "aurora_evo.attacker.generate.generate_scenarios", "domain": spec.domain},
        "spec": _plain(spec),
        "splits": {split: {"scenarios": [s.name for s in scenarios[split]]} for split in SPLITS},
        "seed": spec.seed,
        "command": f"aurora-evo suites build {spec.name}",
    }
    return manifest, scenarios


def quality_record(scenarios: Mapping[str, list[Scenario]]) -> dict:
    """The quality-control verdicts of every scenario: how many passed, and the refusals by layer and
    scenario (diversity compares each scenario with those before it in its split)."""
    # heavy: quality control imports scipy and the simulator
    from aurora_evo.scenario.quality import check_scenario

    refused: dict[str, list[str]] = {}
    layers: Counter = Counter()
    passed = 0
    for split in SPLITS:
        recent: list = []
        for scenario in scenarios[split]:
            report = check_scenario(scenario, recent=recent)
            if report.passed:
                passed += 1
                recent.append(report.features)
                continue
            refused[scenario.name] = [layer.value for layer in report.refused_layers]
            layers.update(refused[scenario.name])
    return {"passed": passed, "refused_by_layer": dict(layers), "refused": refused}


def _groups(spec: TraceSuiteSpec, data: Path) -> list[tuple[list[Path], TraceInputs, list[str]]]:
    """The splits grouped by the files they read (one pass over the files per group), in split order:
    ``(paths, inputs, splits)``."""
    groups: dict[tuple, tuple[list[Path], TraceInputs, list[str]]] = {}
    for split in SPLITS:
        paths, inputs = _files(spec, spec.splits[split], data)
        groups.setdefault((tuple(paths), inputs), (paths, inputs, []))[2].append(split)
    return list(groups.values())


def _files(spec: TraceSuiteSpec, split: SplitSpec, data: Path) -> tuple[list[Path], TraceInputs]:
    """The split's files under ``data``, checked to exist."""
    paths = [data / name for name in split.files]
    inputs = {field: data / name for field, name in split.inputs.items()}
    for path in [*paths, *inputs.values()]:
        if not path.is_file():
            raise InputError(
                f"suite {spec.name} needs {path}, which is missing; give the folder holding the data with "
                "--data DIR"
            )
    return paths, TraceInputs(**inputs)


def _split_windows(spec: TraceSuiteSpec, split: SplitSpec, first_s: float, last_s: float) -> Windows:
    """The split's candidate windows (:func:`~aurora_evo.traces.replay.candidate_windows`), twice as many
    less one as the split has, spread over its share of the span; none reaches past the share's end."""
    first, last = max(first_s, spec.first_s), last_s - spec.end_margin_s
    low = first + split.span[0] * (last - first)
    high = first + split.span[1] * (last - first)
    if high - low < spec.window_s:
        raise InputError(
            f"suite {spec.name}: the trace spans {last - first:g} s; its share {split.span} is shorter "
            f"than a {spec.window_s:g} s window"
        )
    return candidate_windows(Windows(spec.window_s, count=split.count, first_s=low), low, high - 2e-6)


def _source_record(source: TraceSource, files: dict[str, str]) -> dict:
    return {
        "format": source.name,
        "title": source.title,
        "licence": source.licence,
        "files": [{"path": path, "sha256": digest} for path, digest in sorted(files.items())],
    }


def _plain(value):
    """``value`` with dataclasses and mappings as dicts and tuples as lists, for JSON."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping | MappingProxyType):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value
