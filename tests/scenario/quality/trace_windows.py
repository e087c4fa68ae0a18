"""Real trace windows as scenarios, for the quality tests: windows of the raw files in ``../shared/data``
replayed by :func:`aurora_evo.traces.replay.replay_window` as ``aurora-evo scenarios from-trace`` does
(each format's reader and platform, the replay's default options: nodes sized for an offered load of
0.8 within the window, latency-sensitive tasks with a deadline of their duration plus 60 s).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain, islice
from pathlib import Path

import pytest

from aurora_evo.scenario.model import Scenario
from aurora_evo.scenario.quality.build_trace_references import source_groups
from aurora_evo.traces.records import ReadSummary
from aurora_evo.traces.replay import MAX_TASKS, ReplayOptions, replay_window
from aurora_evo.traces.sources import SOURCES
from aurora_evo.traces.windows import Windows, cut_windows

REPO = Path(__file__).resolve().parents[3]
WINDOW_S = 1800.0


def shared_data() -> Path:
    """``../shared/data`` beside the repository; the test skips, saying so, when it is absent."""
    path = REPO.parent / "shared" / "data"
    if not path.is_dir():
        pytest.skip(f"the real traces are not in ../shared/data beside this checkout ({REPO})")
    return path


def trace_windows(
    fmt: str,
    data_dir: Path,
    window_s: float = WINDOW_S,
    offset_s: float | None = None,
    count: int | None = None,
    options: ReplayOptions | None = None,
) -> Iterator[Scenario]:
    """Replayed back-to-back windows of ``fmt``'s files (each file group's first starting ``offset_s``
    after its first arrival: a third of a window by default, so none of the windows the references pool
    or calibrate on, which start at quarters of it), the
    first ``count`` of each group (all when ``None``). Windows over the replay's
    :data:`~aurora_evo.traces.replay.MAX_TASKS` are left out (the replay refuses them)."""
    source = SOURCES[fmt]
    offset_s = window_s / 3 if offset_s is None else offset_s
    options = options or ReplayOptions()
    for paths, inputs in source_groups(fmt, data_dir):
        platform = source.platform(paths, inputs)
        stream = source.read(paths, inputs, ReadSummary())
        first = next(stream, None)
        if first is None:
            continue
        windows = Windows(window_s, count=10**9, first_s=first.arrival_s + offset_s)
        cut = cut_windows(chain([first], stream), windows)
        for index, (start, members) in enumerate(islice(cut, count)):
            if len(members) > MAX_TASKS:
                continue
            name = f"{fmt}-{start:.0f}s"
            scenario = replay_window(
                members, start, window_s, source, platform.at(start), options, name, None, index
            )
            if scenario is not None:
                yield scenario
