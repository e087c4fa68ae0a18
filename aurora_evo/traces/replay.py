"""One window of a trace replayed as a scenario: the tasks' real arrival times, durations and requests,
on the trace's platform, and a provenance that says every transformation made.

What a replay keeps and changes (each also written into the scenario's ``provenance``):

- arrivals are shifted so the window starts at 0 (``provenance["trace"]["window_start_s"]`` is where it
  started in the trace's seconds); every task arrives in ``[0, window_s)``; durations are the real ones,
  and may run past the window;
- requests are converted to cores, GiB and GPUs by the source's rule (:mod:`aurora_evo.traces.units`);
  network demand is 0 (no trace records it);
- the cluster starts empty: tasks that arrived before the window and still ran in it are not replayed;
- nodes: ``nodes`` machines in the proportions of the platform as of the window's start
  (:meth:`~aurora_evo.traces.platforms.Platform.at`, then
  :meth:`~aurora_evo.traces.platforms.Platform.nodes`; Alibaba 2018 with its container_meta: the
  capacity its long-running containers leave, :mod:`~aurora_evo.traces.occupied`); without ``nodes``,
  as many as give the window an offered load of ``load`` (default :data:`DEFAULT_LOAD`), the load
  measured within the window, at least as many as hold the demand running at once (every task started
  on arrival), then more until a best fit on arrival places every latency-sensitive task when it
  arrives, so that their deadlines can be met (:mod:`aurora_evo.traces.sizing`);
- load scaling thins, it never compresses time: with both ``nodes`` and ``load``, when the window offers
  more than ``load``, a seeded random subset of its tasks is kept (tasks taken in a random order, each kept
  if the load stays within ``load`` on every resource); a lighter window is kept whole and its load
  recorded;
- with ``max_tasks``, a window holding more tasks keeps a seeded random subset of that many (before the
  nodes are sized): bounded scenarios at the window's own arrival times;
- tasks larger than every node of the scenario are dropped (counted);
- a window most of whose tasks are censored (still running at the trace's end, their durations cut
  there: the Azure VM 2017 derived sequences at a split's end, or ``trace_end_s``) is not replayed
  (:func:`mostly_censored`);
- priorities are the trace's (0 when it has none); a latency-sensitive task (the source says which) gets
  a deadline of its duration plus ``deadline_wait_s``, the others none: no trace records an SLA;
- owners are the trace's users, or the job where it records no user;
- the different-machine constraint has no place in a scenario: the tasks that carried it are counted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from aurora_evo import textfiles
from aurora_evo.errors import InputError
from aurora_evo.features import NO_DEADLINE
from aurora_evo.scenario.model import Domain, Nodes, Scenario, Tasks
from aurora_evo.traces.platforms import MachineClass, Platform
from aurora_evo.traces.records import ReadSummary, TraceError, TraceTask
from aurora_evo.traces.sizing import fits_some_node, load_within_window, nodes_for, sized_nodes
from aurora_evo.traces.sources import TraceInputs, TraceSource, check_inputs, check_paths
from aurora_evo.traces.windows import Windows, cut_windows

T = TypeVar("T")

#: Offered load the node count is sized for when ``nodes`` is not given.
DEFAULT_LOAD = 0.8
#: Latency of every replayed node, ms: the traces record none; one value for all keeps latency about
#: waiting, not about where a task lands.
NODE_LATENCY_MS = 1.0
#: A replayed window with more tasks than this is refused unless ``max_tasks`` thins it.
MAX_TASKS = 200_000
#: A sparse trace's occupied windows are tracked up to this many (:class:`TraceSpan`); past it, no
#: spread is short of windows for the want of them.
MAX_TRACKED_WINDOWS = 100_000
#: A window whose tasks are censored (cut at the trace's end, durations lower bounds) in a larger share
#: than this is not replayed: its durations would misstate the workload (:func:`mostly_censored`).
MAX_CENSORED_SHARE = 0.5


@dataclass(frozen=True)
class ReplayOptions:
    """How to replay windows.

    Attributes:
        nodes: the scenario's node count; ``None``: sized to ``load``.
        load: the offered load within the window (0-1 or a bit above) to size the nodes for, or, with
            ``nodes``, to thin the window down to; ``None``: :data:`DEFAULT_LOAD` for sizing, no thinning.
        deadline_wait_s: wait allowed to latency-sensitive tasks before their deadline, s.
        domain: the scenario's domain (its default objective weights).
        seed: the thinning's random seed.
        max_tasks: at most this many tasks per window (a seeded random subset); ``None``: all.
    """

    nodes: int | None = None
    load: float | None = None
    deadline_wait_s: float = 60.0
    domain: Domain = Domain.CLOUD
    seed: int = 0
    max_tasks: int | None = None

    def __post_init__(self):
        if self.nodes is not None and self.nodes < 1:
            raise InputError(f"--nodes must be at least 1, not {self.nodes}")
        if self.load is not None and not (math.isfinite(self.load) and 0 < self.load <= 2):
            raise InputError(f"--load must be in (0, 2], not {self.load}")
        if not (math.isfinite(self.deadline_wait_s) and self.deadline_wait_s > 0):
            raise InputError(f"--deadline-wait must be positive (seconds), not {self.deadline_wait_s:g}")
        if self.seed < 0:
            raise InputError(f"--seed must be >= 0, not {self.seed}")
        if self.max_tasks is not None and self.max_tasks < 1:
            raise InputError(f"--max-tasks must be at least 1, not {self.max_tasks}")


def replay_window(
    tasks: Sequence[TraceTask],
    start_s: float,
    window_s: float,
    source: TraceSource,
    platform: Platform,
    options: ReplayOptions,
    name: str,
    trace: dict | None = None,
    window_index: int = 0,
) -> Scenario | None:
    """The scenario of one window's ``tasks`` (those arriving in ``[start_s, start_s + window_s)``, in
    arrival order); ``None`` when no task is left (every one larger than the nodes, or thinned away) or
    most are censored (:func:`mostly_censored`).
    ``trace`` is merged into ``provenance["trace"]`` (the files, the reader's summary); the thinning draws
    from ``(options.seed, window_index)``.

    Raises:
        InputError: the window holds more than :data:`MAX_TASKS` tasks and ``options.max_tasks`` does
            not thin it.
    """
    if len(tasks) > MAX_TASKS and (options.max_tasks is None or options.max_tasks > MAX_TASKS):
        raise InputError(
            f"{name}: {len(tasks):,} tasks in one window (at most {MAX_TASKS:,}); shorten --window or give "
            "--max-tasks"
        )
    in_window = len(tasks)
    if mostly_censored(tasks):
        return None
    rng = np.random.default_rng([options.seed, window_index])
    dropped: Counter = Counter()
    if options.max_tasks is not None and len(tasks) > options.max_tasks:
        chosen = np.sort(rng.choice(len(tasks), options.max_tasks, replace=False))
        dropped["over --max-tasks"] = len(tasks) - options.max_tasks
        tasks = [tasks[i] for i in chosen]
    arrival = np.array([t.arrival_s - start_s for t in tasks], dtype=np.float64)
    duration = np.array([t.duration_s for t in tasks], dtype=np.float64)
    demand = source.units.demand(list(tasks))
    target = options.load if options.load is not None else DEFAULT_LOAD
    if options.nodes is not None:
        machines = platform.nodes(options.nodes)
    else:
        count = nodes_for(demand, arrival, duration, platform, window_s, target)
        sensitive = np.array([source.latency_sensitive(t) for t in tasks], dtype=bool)
        machines = sized_nodes(demand, arrival, duration, sensitive, platform, count)
    capacity = np.array([m.capacity for m in machines], dtype=np.float64)
    fits = fits_some_node(demand, capacity)
    dropped["larger than every node"] = int((~fits).sum())
    offered = load_within_window(demand[fits], arrival[fits], duration[fits], capacity.sum(axis=0), window_s)
    keep = fits
    if options.nodes is not None and options.load is not None and offered.max() > options.load:
        kept = _thinned(demand, arrival, duration, capacity.sum(axis=0), window_s, options.load, rng, fits)
        dropped["thinned to the load"] = int(fits.sum() - kept.sum())
        keep = kept
    if not keep.any():
        return None
    chosen = [t for t, k in zip(tasks, keep, strict=True) if k]
    final = load_within_window(demand[keep], arrival[keep], duration[keep], capacity.sum(axis=0), window_s)
    provenance = _provenance(
        in_window, chosen, start_s, window_s, source, platform, options, offered, final, dropped, trace or {}
    )
    return Scenario(
        name=name,
        domain=options.domain,
        nodes=_nodes(machines),
        tasks=_tasks(chosen, arrival[keep], duration[keep], demand[keep], source, options),
        description=f"{source.title}: {window_s:g} s from {start_s:g} s, {len(chosen)} tasks on "
        f"{len(machines)} nodes",
        provenance=provenance,
    )


def mostly_censored(tasks: Sequence[TraceTask]) -> bool:
    """Whether more than :data:`MAX_CENSORED_SHARE` of ``tasks`` are censored (outcome ``"censored"``:
    cut at the trace's end, their durations lower bounds)."""
    return too_censored(sum(task.outcome == "censored" for task in tasks), len(tasks))


def too_censored(censored: int, tasks: int) -> bool:
    """Whether ``censored`` of ``tasks`` tasks is more than :data:`MAX_CENSORED_SHARE` of them."""
    return censored > MAX_CENSORED_SHARE * tasks


def _thinned(demand, arrival, duration, capacity, window_s, load, rng, candidates) -> np.ndarray:
    """A mask of the tasks kept: in ``rng``'s random order, each candidate is kept when the window's load
    (:func:`~aurora_evo.traces.sizing.load_within_window`) stays within ``load`` on every resource with it."""
    inside = np.clip(np.minimum(arrival + duration, window_s) - arrival, 0.0, None)
    work = demand * inside[:, None]
    budget = np.asarray(capacity, dtype=np.float64) * window_s * load
    used = np.zeros(demand.shape[1])
    keep = np.zeros(len(demand), dtype=bool)
    for i in rng.permutation(len(demand)):
        if candidates[i] and np.all(used + work[i] <= budget + 1e-9):
            used += work[i]
            keep[i] = True
    return keep


def _nodes(machines: list[MachineClass]) -> Nodes:
    seen: Counter = Counter()
    names = []
    for machine in machines:
        names.append(f"{machine.name}-{seen[machine.name]}")
        seen[machine.name] += 1
    return Nodes(
        names=tuple(names),
        capacity=np.array([m.capacity for m in machines], dtype=np.float64),
        price_per_hour=[m.price_per_hour for m in machines],
        idle_watts=[m.idle_watts for m in machines],
        peak_watts=[m.peak_watts for m in machines],
        latency_ms=[NODE_LATENCY_MS] * len(machines),
        zone=[0] * len(machines),
        zones=("cell",),
    )


def _tasks(chosen, arrival, duration, demand, source: TraceSource, options: ReplayOptions) -> Tasks:
    owners: dict[str, int] = {}
    owner = [owners.setdefault(t.user or t.job.split("/")[0] or "trace", len(owners)) for t in chosen]
    sensitive = np.array([source.latency_sensitive(t) for t in chosen], dtype=bool)
    return Tasks(
        arrival=arrival,
        duration=duration,
        demand=demand,
        priority=[t.priority for t in chosen],
        deadline=np.where(sensitive, duration + options.deadline_wait_s, NO_DEADLINE),
        owner=owner,
        owners=tuple(owners),
    )


def _provenance(
    in_window, chosen, start_s, window_s, source, platform, options, offered, final, dropped, trace
):
    """What the scenario records of its making."""
    outcomes = Counter(t.outcome for t in chosen)
    return {
        "source": "trace",
        "trace": {
            "format": source.name,
            "title": source.title,
            "licence": source.licence,
            "window_start_s": float(start_s),
            "window_s": float(window_s),
            "tasks_in_window": in_window,
            **trace,
        },
        "platform": platform.as_dict(),
        "units": source.units.note,
        "replay": {
            "nodes": options.nodes,
            "load": options.load,
            "seed": options.seed,
            "max_tasks": options.max_tasks,
            "deadline_wait_s": options.deadline_wait_s,
            "load_within_window": {"offered": _rounded(offered), "replayed": _rounded(final)},
            "dropped": {why: n for why, n in dropped.items() if n},
            "different_machine_ignored": sum(t.different_machine for t in chosen),
            "outcomes": dict(outcomes.most_common()),
            "kept": (
                "real arrival (shifted to the window's start), duration and request of every task kept; "
                "network demand 0; the cluster starts empty"
            ),
            "thinning": "a seeded random subset of tasks, never compressed time",
        },
    }


def _rounded(values: np.ndarray) -> list[float | None]:
    return [round(float(v), 6) if math.isfinite(v) else None for v in values]


def file_digest(path: Path) -> str:
    """The sha256 of a file's bytes, hex.

    Raises:
        TraceError: the file cannot be read (one line).
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise TraceError(textfiles.unreadable(str(path), exc)) from None
    return digest.hexdigest()


def replay_trace(
    source: TraceSource,
    paths: Sequence[Path],
    inputs: TraceInputs,
    windows: Windows,
    options: ReplayOptions,
    summary: ReadSummary,
) -> Iterator[Scenario]:
    """The scenarios of ``windows`` of the trace at ``paths``, in window order, named
    ``<format>-<start>s``; a window left with no task is skipped. Streams: only the open windows' tasks
    are held. ``summary`` is filled as the trace is read.

    When ``windows`` gives neither a stride nor explicit starts, the windows are spread evenly from the
    first arrival (or ``windows.first_s``) to the last (:func:`spread_windows`), which costs one more pass
    over the trace to find its end; they overlap only when the trace is shorter than ``count`` windows.
    A spread window that holds no task gives way to a window halfway to the next or the one before
    (:func:`fill_empty_windows`); when that still leaves fewer than ``count`` (a log with long gaps),
    windows of ``length_s`` that hold tasks, aligned to the first arrival and overlapping none
    replayed, make up the rest, spread by rank among them (:meth:`TraceSpan.free_windows`; one more
    pass), so that ``count`` scenarios come out wherever the trace has them.
    Where the source's tasks at 0 were there before the trace began (``present_at_zero``: Google 2011,
    Alibaba GPU 2025), the first arrival is the first after 0.

    Raises:
        InputError: the paths do not suit the format, a file cannot be read (a
            :class:`~aurora_evo.traces.records.TraceError`), or a window is too large.
    """
    check_paths(source, paths)
    check_inputs(source, inputs)
    files = [{"name": path.name, "sha256": file_digest(path)} for path in paths]
    platform = source.platform(paths, inputs)
    spreading = windows.stride_s is None and not windows.starts_s
    count = windows.count
    if not spreading:
        replayed = _replayed(source, paths, inputs, windows, options, summary, platform, files, {})
        yield from (scenario for _, scenario in replayed)
        return
    span = TraceSpan.of(source.read(paths, inputs, ReadSummary()), windows.length_s, source.present_at_zero)
    wanted = windows
    windows = candidate_windows(windows, span.first_s, span.last_s)
    # A spread's windows have their first start and stride set: their starts are the ones cut_windows cuts.
    index_of = {start: i for i, start in enumerate(windows.starts(0.0))}
    present = _replayed(source, paths, inputs, windows, options, summary, platform, files, index_of)
    taken: list[float] = []
    for scenario in fill_empty_windows(present, count):
        taken.append(scenario.provenance["trace"]["window_start_s"])
        yield scenario
    starts = span.free_windows(taken, count - len(taken), after=wanted.first_s)
    if starts:
        more = Windows(wanted.length_s, count=len(starts), starts_s=starts)
        index_of = {start: 2 * count - 1 + j for j, start in enumerate(starts)}
        replayed = _replayed(source, paths, inputs, more, options, ReadSummary(), platform, files, index_of)
        yield from (scenario for _, scenario in replayed)


def _replayed(source, paths, inputs, windows, options, summary, platform, files, index_of):
    """``(index, scenario)`` of each window that held tasks: its candidate index in ``index_of``, else
    its place among the windows; the index also seeds its thinning."""
    for ordinal, (start, members) in enumerate(cut_windows(source.read(paths, inputs, summary), windows)):
        index = index_of.get(start, ordinal)
        name = f"{source.name}-{start:.0f}s"
        machines = platform.at(start)  # as the window finds them: less Alibaba's containers, if given
        scenario = replay_window(
            members, start, windows.length_s, source, machines, options, name, {"files": files}, index
        )
        if scenario is not None:
            yield index, scenario


def candidate_windows(windows: Windows, first_s: float, last_s: float) -> Windows:
    """``2 count - 1`` windows spread from ``first_s`` (or ``windows.first_s``) to ``last_s``
    (:func:`spread_windows`): the even ones are the ``count`` windows spread so, the odd ones stand in
    for an even one that holds no task (:func:`fill_empty_windows`)."""
    return spread_windows(dataclasses.replace(windows, count=2 * windows.count - 1), first_s, last_s)


def fill_empty_windows(replayed: Iterable[tuple[int, T]], count: int) -> Iterator[T]:
    """The ``count`` wanted windows of ``2 count - 1`` candidates (:func:`candidate_windows`), from
    ``(candidate index, scenario)`` of the candidates that held tasks, in index order: candidate
    ``2 k`` when it held tasks, else the one after it, else the one before it, unless taken. Streams:
    holds at most the candidates up to the next even one's neighbour."""
    got: dict[int, T] = {}
    taken: set[int] = set()
    settled = 0  # the next even candidate to decide

    def settle(upto: int) -> Iterator[T]:
        nonlocal settled
        while settled <= upto and settled <= 2 * count - 2:
            for j in (settled, settled + 1, settled - 1):
                if j in got and j not in taken:
                    taken.add(j)
                    yield got[j]
                    break
            for j in [j for j in got if j < settled]:
                del got[j]
            settled += 2

    for index, scenario in replayed:
        got[index] = scenario
        yield from settle(index - 2)  # an even candidate is decided once the one after it is known
    yield from settle(2 * count)


@dataclass(frozen=True)
class TraceSpan:
    """Where a trace's tasks arrive.

    Attributes:
        first_s, last_s: the first and the last arrival, s (the first after 0 where tasks at 0 were there
            before the trace began).
        length_s: the length of the windows ``occupied`` counts in.
        occupied: ``k`` of each window ``[first_s + k length_s, first_s + (k + 1) length_s)`` that
            holds a task, sorted; ``None`` when more than :data:`MAX_TRACKED_WINDOWS` do.
    """

    first_s: float
    last_s: float
    length_s: float
    occupied: tuple[int, ...] | None

    @classmethod
    def of(cls, tasks: Iterable[TraceTask], length_s: float, after_zero: bool = False) -> TraceSpan:
        """The span of a stream in arrival order (see :func:`arrival_span`), counting in windows of
        ``length_s``. Holds at most :data:`MAX_TRACKED_WINDOWS` window numbers."""
        first = last = None
        occupied: set[int] | None = set()
        for task in tasks:
            last = task.arrival_s
            if first is None and (task.arrival_s > 0 or not after_zero):
                first = task.arrival_s
            if first is not None and occupied is not None:
                occupied.add(math.floor((task.arrival_s - first) / length_s))
                if len(occupied) > MAX_TRACKED_WINDOWS:
                    occupied = None
        return cls(first or 0.0, last or 0.0, length_s, None if occupied is None else tuple(sorted(occupied)))

    def free_windows(
        self, taken: Sequence[float], count: int, after: float | None = None
    ) -> tuple[float, ...]:
        """Up to ``count`` starts of occupied windows (from ``after``, if given) that overlap no window
        of length ``length_s`` starting at one of ``taken``, spread by rank among them, increasing."""
        if count <= 0 or not self.occupied:
            return ()
        starts = np.array(self.occupied, dtype=np.float64) * self.length_s + self.first_s
        free = starts >= (after if after is not None else -math.inf)
        for start in taken:
            free &= np.abs(starts - start) >= self.length_s
        starts = starts[free]
        if len(starts) > count:
            starts = starts[np.unique(np.round(np.linspace(0, len(starts) - 1, count)).astype(int))]
        return tuple(float(start) for start in starts)


def arrival_span(tasks: Iterable[TraceTask], after_zero: bool = False) -> tuple[float, float]:
    """The first and last arrival of a stream in arrival order, s (with ``after_zero``, the first after
    0: tasks at 0 were there before the trace began); ``(0, 0)`` when it has none."""
    span = TraceSpan.of(tasks, math.inf, after_zero)  # one window of infinite length: nothing to track
    return span.first_s, span.last_s


def spread_windows(windows: Windows, first_s: float, last_s: float) -> Windows:
    """``windows`` with a stride spreading its ``count`` windows evenly from its first start (``first_s``
    unless it says) so that the last window ends just after ``last_s`` (the last arrival is in it): with
    gaps between them when the span holds more than ``count`` windows, overlapping when it holds fewer.
    A span shorter than one window, or one window: the stride is the window's length."""
    start = windows.first_s if windows.first_s is not None else first_s
    room = last_s - start - windows.length_s
    if room <= 0 or windows.count == 1:
        return dataclasses.replace(windows, first_s=start, stride_s=windows.length_s)
    return dataclasses.replace(windows, first_s=start, stride_s=(room + 1e-6) / (windows.count - 1))
