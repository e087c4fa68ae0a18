"""Alibaba 2018 machines as its batch tasks find them: the long-running containers of ``container_meta``
hold part of every machine they run on, and the batch tasks of a window get what they leave.

``trace_2018.md`` (alibaba/clusterdata, cluster-trace-v2018): "there are both online services (aka long
running applications, LRA) and batch workloads colocated in every machine in the cluster", managed by
"Sigma for online services and Fuxi for batch workloads"; every table's time_stamp, start_time and
end_time counts seconds from one origin, "the beginning of the period over which the trace is sampled", so
a window's start in batch_task seconds is a time of container_meta too.

An :class:`OccupiedPlatform` is the machine table's platform (every machine whole) that, at a window's
start (:meth:`OccupiedPlatform.at`), gives one machine class per leftover shape: each machine's cores and
memory less what its containers hold then
(:func:`~aurora_evo.traces.alibaba2018.machine_occupancy`: their cpu_request and mem_size while their
status is started or allocated, an assumption), never below 0. Price and power of a leftover class follow
:func:`~aurora_evo.traces.platforms.machine_class` on the leftover capacity: the batch tasks pay for and
heat the share they get.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from aurora_evo.traces.alibaba2018 import AlibabaMachine, ContainerRow, machine_occupancy
from aurora_evo.traces.platforms import MachineClass, Platform, machine_class
from aurora_evo.traces.units import ALIBABA_MACHINE_CORES, ALIBABA_MACHINE_GIB

#: The shape of a machine: (cores, memory in percent of the largest machine's).
Shape = tuple[float, float]
#: Every machine of the published machine_meta table: 96 cores, memory 100 (counted on machine_meta.csv).
PUBLISHED_SHAPE: Shape = (ALIBABA_MACHINE_CORES, 100.0)


def _empty() -> Mapping:
    return MappingProxyType({})


@dataclass(frozen=True)
class OccupiedPlatform(Platform):
    """The Alibaba 2018 platform less its long-running containers, at any time.

    Its own ``machines`` and ``source`` are the machines whole (what :meth:`nodes` and :meth:`as_dict`
    give without a time); :meth:`at` gives the platform a window starting then replays on.

    Attributes:
        hosts: machine id -> :data:`Shape` of each machine of the machine table; empty when none was
            given: then every machine is :data:`PUBLISHED_SHAPE`, those of the containers among them.
        containers: container id -> its rows in time order
            (:func:`~aurora_evo.traces.alibaba2018.read_alibaba2018_containers`).
        containers_file: the container_meta file's name, for the source text.
        container_rows: the rows read from it.
    """

    hosts: Mapping[str, Shape] = field(default_factory=_empty, repr=False, compare=False)
    containers: Mapping[str, tuple[ContainerRow, ...]] = field(
        default_factory=_empty, repr=False, compare=False
    )
    containers_file: str = ""
    container_rows: int = 0

    def at(self, start_s: float) -> Platform:
        """The machines at ``start_s`` (seconds in the trace's time): each machine with containers holding
        resources then becomes a class of its leftover cores and memory, named
        ``alibaba-<cores>-occupied-<cores held>c-<memory held>pct``; machines without keep their class.
        Largest count first."""
        whole = Counter(self.hosts.values()) if self.hosts else Counter({PUBLISHED_SHAPE: self._count()})
        occupied: Counter = Counter()
        clipped = unknown = 0
        held = machine_occupancy(self.containers, start_s)
        for machine_id, (cores, memory) in held.items():
            shape = self.hosts.get(machine_id) if self.hosts else PUBLISHED_SHAPE
            if shape is None:
                unknown += 1
                continue
            clipped += cores > shape[0] + 1e-9 or memory > shape[1] + 1e-9
            whole[shape] -= 1
            occupied[shape, round(min(cores, shape[0]), 6), round(min(memory, shape[1]), 6)] += 1
        classes = [self._whole_class(shape, count) for shape, count in whole.items() if count > 0]
        classes += [_leftover_class(*key, count) for key, count in occupied.items()]
        classes.sort(key=lambda m: (-m.count, -m.cpu, -m.memory_gib, m.name))
        note = _subtracted(start_s, held, clipped, unknown)
        return Platform(f"{self.name}-occupied", tuple(classes), f"{self.source}; {note}")

    def _count(self) -> int:
        return sum(m.count for m in self.machines)

    def _whole_class(self, shape: Shape, count: int) -> MachineClass:
        """The machine class of whole machines of ``shape``, named as this platform names it."""
        cores, gib = shape[0], shape[1] * ALIBABA_MACHINE_GIB / 100.0
        name = next((m.name for m in self.machines if (m.cpu, m.memory_gib) == (cores, gib)), None)
        return machine_class(name or f"alibaba-{cores:g}-{gib:g}", count, cores, gib)


def occupied_platform(
    whole: Platform,
    machines: Sequence[AlibabaMachine] | None,
    containers: Mapping[str, tuple[ContainerRow, ...]],
    containers_file: str,
    container_rows: int,
) -> OccupiedPlatform:
    """``whole`` (:func:`~aurora_evo.traces.platforms.alibaba2018_platform` of ``machines``, the machine
    table or ``None``) less ``containers`` at each window's start."""
    hosts = {m.machine_id: (m.cpu_cores, m.memory) for m in machines or ()}
    return OccupiedPlatform(
        whole.name,
        whole.machines,
        f"{whole.source}; less the long-running containers of container_meta ({containers_file}, "
        f"{container_rows:,} rows) at each window's start",
        hosts=MappingProxyType(hosts),
        containers=MappingProxyType(dict(containers)),
        containers_file=containers_file,
        container_rows=container_rows,
    )


def _leftover_class(shape: Shape, cores_held: float, memory_held: float, count: int) -> MachineClass:
    """The class of ``count`` machines of ``shape`` whose containers hold ``cores_held`` cores and
    ``memory_held`` percent of memory (already at most the machine's)."""
    cores = max(shape[0] - cores_held, 0.0)
    gib = max(shape[1] - memory_held, 0.0) * ALIBABA_MACHINE_GIB / 100.0
    name = f"alibaba-{shape[0]:g}-occupied-{cores_held:g}c-{memory_held:g}pct"
    return machine_class(name, count, round(cores, 6), round(gib, 6))


def _subtracted(start_s: float, held: Mapping[str, Shape], clipped: int, unknown: int) -> str:
    """The source text's account of what the containers took at ``start_s``."""
    cores = sum(c for c, _ in held.values())
    text = (
        f"this window's start is {start_s:g} s: each container's latest row at or before then holds its "
        "cpu_request and mem_size on its machine while its status is started or allocated (an assumption: "
        f"the trace publishes no meaning for its statuses); {len(held):,} machines held {cores:,g} cores"
    )
    if clipped:
        text += f", {clipped:,} of them more than they have (their leftover clipped to 0)"
    if unknown:
        text += f"; {unknown:,} machines of containers are not in the machine table (left out)"
    return (
        text + "; only the containers in the file are subtracted: the published sample holds the table's "
        "first 20,000 rows only (3,861 containers on 2,397 machines), and with it the other containers' "
        "share stays free"
    )
