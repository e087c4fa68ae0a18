"""What each named suite is made of: its trace files, windows, replay options and train / validation /
test split. A suite is a fixed set of scenarios, split by time: every test window starts after every
validation window ends, and every validation window after every train window; windows of different
splits never overlap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

#: The splits of every suite, in time order.
SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class SplitSpec:
    """The windows of one split.

    Attributes:
        files: the trace's files, relative to the data folder (``../shared/data`` or the user's).
        inputs: the format's extra files by :class:`~aurora_evo.traces.sources.TraceInputs` field,
            relative to the data folder.
        span: ``(from, to)``: the share of the files' arrival span the windows are spread over (0-1).
        count: windows.
    """

    files: tuple[str, ...]
    inputs: Mapping[str, str]
    span: tuple[float, float]
    count: int


@dataclass(frozen=True)
class TraceSuiteSpec:
    """A suite of windows replayed from a trace.

    Attributes:
        name: the suite's name.
        format: the trace format (:data:`aurora_evo.traces.FORMATS`).
        window_s: each window's length, s.
        splits: ``split -> SplitSpec``, for each of :data:`SPLITS`.
        load: the offered load within each window the nodes are sized to.
        max_tasks: at most this many tasks per window (a seeded random subset).
        first_s: arrivals before this are left out of the span (Google 2011: the tasks present when the
            trace starts, all at 0, are not arrivals).
        end_margin_s: the span ends this long before the last arrival (Google 2011: the tasks still
            running when the input ends are cut there, so a window near the end holds mostly tasks whose
            durations are only lower bounds).
        seed: the replay's random seed.
        deadline_wait_s: wait allowed to latency-sensitive tasks before their deadline, s.
        description: for people.
    """

    name: str
    format: str
    window_s: float
    splits: Mapping[str, SplitSpec]
    load: float
    max_tasks: int
    first_s: float = 0.0
    end_margin_s: float = 0.0
    seed: int = 0
    deadline_wait_s: float = 60.0
    description: str = ""

    @property
    def counts(self) -> Mapping[str, int]:
        """``split -> windows``, as :attr:`SyntheticSuiteSpec.counts` says scenarios."""
        return MappingProxyType({split: self.splits[split].count for split in SPLITS})


@dataclass(frozen=True)
class SyntheticSuiteSpec:
    """A suite drawn from the scenario generators (:func:`aurora_evo.attacker.generate.generate_scenarios`),
    split in the order they were drawn (no time: the draws are independent).

    Attributes:
        name: the suite's name.
        level: the difficulty level drawn.
        domain: the allocation domain.
        counts: ``split -> scenarios``.
        seed: the draws' random seed.
        description: for people.
    """

    name: str
    level: str
    domain: str
    counts: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType({"train": 60, "validation": 20, "test": 20})
    )
    seed: int = 0
    description: str = ""


def _by_time(files: tuple[str, ...], inputs: Mapping[str, str] | None = None) -> Mapping[str, SplitSpec]:
    """Train on the first 60 % of the files' span (60 windows), validate on the next 20 % (20), test on
    the last 20 % (20)."""
    inputs = MappingProxyType(dict(inputs or {}))
    return MappingProxyType(
        {
            "train": SplitSpec(files, inputs, (0.0, 0.6), 60),
            "validation": SplitSpec(files, inputs, (0.6, 0.8), 20),
            "test": SplitSpec(files, inputs, (0.8, 1.0), 20),
        }
    )


_GOOGLE_SHARDS = tuple(f"google_cluster_2011/task_events/part-0000{k}-of-00500.csv.gz" for k in range(4))
_AZURE = "azure/vm_2017_derived/resources/traces/"

SUITES: Mapping[str, TraceSuiteSpec | SyntheticSuiteSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            TraceSuiteSpec(
                "google-2011",
                "google2011",
                window_s=180.0,
                splits=_by_time(_GOOGLE_SHARDS),
                load=0.85,
                max_tasks=1500,
                first_s=600.0,
                end_margin_s=1800.0,
                description="Google 2011 task_events shards 0-3 (the trace's first ~6 hours), 3-minute "
                "windows on the trace's machine mix",
            ),
            TraceSuiteSpec(
                "alibaba-2018",
                "alibaba2018",
                window_s=300.0,
                splits=_by_time(
                    ("alibaba/v2018/batch_task_sample.csv",), {"machines": "alibaba/v2018/machine_meta.csv"}
                ),
                load=0.85,
                max_tasks=3000,
                description="Alibaba 2018 batch_task (the published 50,000-row sample), 5-minute windows "
                "on 96-core machines",
            ),
            TraceSuiteSpec(
                "azure",
                "azure-vm2017",
                window_s=1800.0,
                splits=MappingProxyType(
                    {
                        "train": SplitSpec(
                            (_AZURE + "v1.dev.txt",),
                            MappingProxyType({"durations": _AZURE + "v1.dev.c2100000.txt"}),
                            (0.0, 0.75),
                            60,
                        ),
                        "validation": SplitSpec(
                            (_AZURE + "v1.dev.txt",),
                            MappingProxyType({"durations": _AZURE + "v1.dev.c2100000.txt"}),
                            (0.75, 1.0),
                            20,
                        ),
                        "test": SplitSpec(
                            (_AZURE + "v1.test.txt",),
                            MappingProxyType({"durations": _AZURE + "v1.test.c2591400.txt"}),
                            (0.0, 1.0),
                            20,
                        ),
                    }
                ),
                load=0.85,
                max_tasks=2000,
                description="Azure VM 2017 (derived flavour and lifetime sequences): train and validation "
                "windows from the dev split, test windows from the later test split; 30-minute windows",
            ),
            SyntheticSuiteSpec(
                "synthetic",
                level="hard",
                domain="cloud",
                description="hard cloud scenarios from the generators (fitted trace statistics), "
                "each passing quality control",
            ),
        )
    }
)
