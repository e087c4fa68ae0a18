"""The machines a replayed trace runs on: each trace's own machine table where it has one, else a
published machine mix, else a stated assumption; every platform says which in :attr:`Platform.source`.

A platform is a mix of machine classes with their counts; :meth:`Platform.nodes` scales the mix to the
number of nodes a scenario gets. Capacities are in a scenario's units (cores, GiB, GPUs, Gbit/s).
Prices and power are not in any trace: they follow one indicative rule for every platform
(:func:`machine_class`), so that cost and energy compare placements, not clouds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from aurora_evo.errors import InputError
from aurora_evo.scenario.catalogue import server_power
from aurora_evo.traces.units import (
    ALIBABA_MACHINE_CORES,
    ALIBABA_MACHINE_GIB,
    GOOGLE_LARGEST_CORES,
    GOOGLE_LARGEST_GIB,
)

#: Indicative on-demand prices: $ per core-hour of a general-purpose instance (the scenario catalogue's
#: "general" family, 0.384 $/h for 8 cores) and $ per GPU-hour. Not any provider's price list.
PRICE_PER_CORE_HOUR = 0.048
PRICE_PER_GPU_HOUR = 2.5
#: Network bandwidth of every replayed machine, Gbit/s: no trace records network demand.
NETWORK_GBPS = 10.0


@dataclass(frozen=True)
class MachineClass:
    """One kind of machine of a platform.

    Attributes:
        name: label, e.g. ``"google-B-0.50-0.25"``.
        count: how many the platform has (a weight when the platform is a mix).
        cpu, memory_gib, gpu, network_gbps: capacity in cores, GiB, devices, Gbit/s.
        price_per_hour: $/hour while powered on.
        idle_watts, peak_watts: power when idle and at full cpu, W.
    """

    name: str
    count: int
    cpu: float
    memory_gib: float
    gpu: float
    network_gbps: float
    price_per_hour: float
    idle_watts: float
    peak_watts: float

    @property
    def capacity(self) -> tuple[float, float, float, float]:
        return (self.cpu, self.memory_gib, self.gpu, self.network_gbps)


def machine_class(name: str, count: int, cpu: float, memory_gib: float, gpu: float = 0.0) -> MachineClass:
    """A machine class with the indicative price (:data:`PRICE_PER_CORE_HOUR`, :data:`PRICE_PER_GPU_HOUR`)
    and the power of the scenario catalogue's servers
    (:func:`~aurora_evo.scenario.catalogue.server_power`)."""
    idle_watts, peak_watts = server_power(cpu, memory_gib, gpu)
    return MachineClass(
        name=name,
        count=count,
        cpu=cpu,
        memory_gib=memory_gib,
        gpu=gpu,
        network_gbps=NETWORK_GBPS,
        price_per_hour=round(PRICE_PER_CORE_HOUR * cpu + PRICE_PER_GPU_HOUR * gpu, 6),
        idle_watts=idle_watts,
        peak_watts=peak_watts,
    )


@dataclass(frozen=True)
class Platform:
    """The machines of a trace.

    Attributes:
        name: e.g. ``"google-2011"``.
        machines: the classes, largest count first.
        source: where the mix comes from (a table of the trace, a paper, or an assumption).
    """

    name: str
    machines: tuple[MachineClass, ...]
    source: str

    def nodes(self, n: int) -> list[MachineClass]:
        """``n`` machines in the platform's proportions (largest remainder: deterministic), each class's
        machines together, the classes in the platform's order. A class whose share rounds to none is
        left out; with ``n`` at least the number of classes, the largest-count class has at least one.

        Raises:
            InputError: ``n`` < 1.
        """
        if n < 1:
            raise InputError(f"--nodes must be at least 1, not {n}")
        total = sum(m.count for m in self.machines)
        exact = [n * m.count / total for m in self.machines]
        counts = [math.floor(x) for x in exact]
        by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - counts[i]), i))
        for i in by_remainder[: n - sum(counts)]:
            counts[i] += 1
        return [m for m, k in zip(self.machines, counts, strict=True) for _ in range(k)]

    def at(self, start_s: float) -> Platform:
        """The machines as a window starting at ``start_s`` (seconds in the trace's time) finds them: this
        platform, unless a subclass knows what else holds them then
        (:class:`~aurora_evo.traces.occupied.OccupiedPlatform`)."""
        return self

    @property
    def largest(self) -> tuple[float, float, float, float]:
        """The largest capacity of each resource over the classes."""
        return tuple(max(m.capacity[r] for m in self.machines) for r in range(4))

    def as_dict(self) -> dict[str, object]:
        """For a scenario's provenance."""
        return {
            "name": self.name,
            "source": self.source,
            "machines": [
                {"name": m.name, "count": m.count, "cpu": m.cpu, "memory_gib": m.memory_gib, "gpu": m.gpu}
                for m in self.machines
            ],
        }


def _google_class(count: int, cpu: float, memory: float) -> MachineClass:
    name = f"google-{cpu:.2f}-{memory:.2f}"
    return machine_class(name, count, cpu * GOOGLE_LARGEST_CORES, memory * GOOGLE_LARGEST_GIB)


#: Google 2011: the machine configurations of the trace's machine_events table as Reiss et al. count
#: them (the table's rows: machines, cpu and memory normalised to the largest machine; 12,583 machines,
#: the trace's README says "about 12.5k").
GOOGLE_2011 = Platform(
    "google-2011",
    (
        _google_class(6732, 0.50, 0.50),
        _google_class(3863, 0.50, 0.25),
        _google_class(1001, 0.50, 0.75),
        _google_class(795, 1.00, 1.00),
        _google_class(126, 0.25, 0.25),
        _google_class(52, 0.50, 0.12),
        _google_class(5, 0.50, 0.03),
        _google_class(5, 0.50, 0.97),
        _google_class(3, 1.00, 0.50),
        _google_class(1, 0.50, 0.06),
    ),
    "C. Reiss, A. Tumanov, G. R. Ganger, R. H. Katz, M. A. Kozuch, 'Heterogeneity and dynamicity of "
    "clouds at scale: Google trace analysis', SoCC 2012, Table 1 (machines of the 2011 trace by "
    f"configuration); normalised capacities scaled by the largest machine, taken as {GOOGLE_LARGEST_CORES:g} "
    f"cores and {GOOGLE_LARGEST_GIB:g} GiB (an assumption)",
)


#: Machines in the published Alibaba 2018 machine_meta table (counted on machine_meta.csv).
ALIBABA_2018_MACHINES = 4034


def alibaba2018_platform(machines: Sequence | None = None) -> Platform:
    """Alibaba 2018: one class per (cores, memory) of the machine_meta rows given
    (:func:`~aurora_evo.traces.alibaba2018.read_alibaba2018_machines`), or, without them, the
    :data:`ALIBABA_2018_MACHINES` machines of the published table, every one 96 cores and memory 100
    (counted on machine_meta.csv)."""
    if not machines:
        return Platform(
            "alibaba-2018",
            (machine_class("alibaba-96", ALIBABA_2018_MACHINES, ALIBABA_MACHINE_CORES, ALIBABA_MACHINE_GIB),),
            f"Alibaba cluster-trace-v2018 machine_meta: {ALIBABA_2018_MACHINES:,} machines, each cpu_num 96 "
            "and mem_size 100 "
            "(normalised 'to the largest memory size of all machines', trace_2018.md); 100 taken as "
            f"{ALIBABA_MACHINE_GIB:g} GiB (an assumption)",
        )
    shapes: dict[tuple[float, float], int] = {}
    for machine in machines:
        shape = (machine.cpu_cores, machine.memory * ALIBABA_MACHINE_GIB / 100.0)
        shapes[shape] = shapes.get(shape, 0) + 1
    classes = sorted(shapes.items(), key=lambda item: (-item[1], item[0]))
    return Platform(
        "alibaba-2018",
        tuple(machine_class(f"alibaba-{c:g}-{g:g}", k, c, g) for (c, g), k in classes),
        f"Alibaba cluster-trace-v2018 machine_meta as given ({len(machines)} machines); memory 100 taken as "
        f"{ALIBABA_MACHINE_GIB:g} GiB (an assumption)",
    )


#: Azure ND H100 v5: 8 H100 GPUs, 96 vCPUs, 1,900 GiB (Microsoft's published VM size).
AZURE_ND_H100_V5 = Platform(
    "azure-nd-h100-v5",
    (machine_class("nd-h100-v5", 1, 96.0, 1900.0, gpu=8.0),),
    "Azure ND H100 v5 virtual machine size (8 x H100 80 GB, 96 vCPUs, 1,900 GiB), Microsoft Learn",
)


def swf_platform(max_procs: int | None, max_nodes: int | None) -> Platform:
    """An SWF log's machine as one node of ``MaxProcs`` processors (a job is placed whole, as on a
    space-shared machine); ``--nodes`` sets how many such machines. Memory per processor is not in the
    header: 1 GiB per processor, an assumption."""
    if not max_procs or max_procs < 1:
        raise InputError("the SWF header gives no MaxProcs; the machine's size is unknown")
    return Platform(
        "swf",
        (machine_class(f"swf-{max_procs}", 1, float(max_procs), float(max_procs)),),
        f"the SWF header: MaxProcs {max_procs}, MaxNodes {max_nodes}; one node holds the whole machine; "
        "1 GiB of memory per processor (an assumption: the header gives none)",
    )


#: Platforms with no machine table in the trace, each an assumption stated in its source.
ASSUMED: Mapping[str, Platform] = MappingProxyType(
    {
        "azure-vm2017": Platform(
            "azure-vm-host",
            (machine_class("azure-host-48-448", 1, 48.0, 448.0),),
            "an assumed Azure host of 48 cores and 448 GiB: the Azure VM traces record VMs, not the servers "
            "they ran on",
        ),
        "alibaba-gpu2025": Platform(
            "alibaba-gpu-nodes",
            (
                machine_class("cpu-node-192-1024", 1, 192.0, 1024.0),
                machine_class("gpu-node-192-8-1024", 1, 192.0, 1024.0, gpu=8.0),
            ),
            "assumed nodes, half CPU nodes of 192 vCPUs and 1,024 GiB, half GPU nodes of 192 vCPUs, 8 GPUs "
            "and 1,024 GiB: the trace records instances (CN on CPU nodes, HN on GPU nodes), not nodes; the "
            "largest instances ask 192 vCPUs and 1,000 GiB (CN) and 24 vCPUs, 1 GPU and 400 GiB (HN)",
        ),
    }
)
