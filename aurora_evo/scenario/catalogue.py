"""The machines of generated scenarios: the shapes each domain's nodes are drawn from, and the latencies
of the zones they are placed in.

Units: cpu in cores, memory in GiB, gpu in devices, network in Gbit/s, latency in ms, price in $/hour,
power in W.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from aurora_evo.scenario.model import Domain


@dataclass(frozen=True)
class NodeType:
    """One machine shape: capacities, price and power; ``zone_role`` places it ("edge", "region", ...)."""

    name: str
    cpu: float
    memory_gib: float
    gpu: float
    network_gbps: float
    price_per_hour: float
    idle_watts: float
    peak_watts: float
    zone_role: str = "site"

    @property
    def capacity(self) -> tuple[float, float, float, float]:
        return (self.cpu, self.memory_gib, self.gpu, self.network_gbps)


def server_power(cpu: float, memory_gib: float, gpu: float) -> tuple[float, float]:
    """``(idle, peak)`` watts of a datacenter server, prorated from an assumed 2-socket host (idle 1.9 W
    and peak 5.6 W per core, 0.1 W per GiB) plus 35 W idle / 300 W peak per GPU, to 0.1 W. Indicative,
    not measured."""
    idle = 1.9 * cpu + 0.1 * memory_gib + 35.0 * gpu
    peak = 5.6 * cpu + 0.1 * memory_gib + 300.0 * gpu
    return round(idle, 1), round(peak, 1)


def _server(name: str, cpu: float, mem: float, gpu: float, net: float, price: float) -> NodeType:
    """A datacenter shape, with the power of :func:`server_power`."""
    return NodeType(name, cpu, mem, gpu, net, price, *server_power(cpu, mem, gpu))


#: Machine shapes per domain. Cloud and network shapes follow public-cloud instance families (vCPU,
#: GiB, GPUs, Gbit/s) with indicative on-demand $/hour; "metal-96" is the Alibaba 2018 machine (96
#: cores; its memory and price are assumptions). Edge devices use commonly reported power figures.
CATALOGUE: Mapping[Domain, tuple[NodeType, ...]] = MappingProxyType(
    {
        Domain.CLOUD: (
            _server("general-8", 8, 32, 0, 10, 0.384),
            _server("general-16", 16, 64, 0, 10, 0.768),
            _server("general-32", 32, 128, 0, 10, 1.536),
            _server("general-64", 64, 256, 0, 20, 3.072),
            _server("compute-16", 16, 32, 0, 10, 0.68),
            _server("compute-36", 36, 72, 0, 10, 1.53),
            _server("memory-16", 16, 128, 0, 10, 1.008),
            _server("memory-32", 32, 256, 0, 10, 2.016),
            _server("gpu-8", 8, 61, 1, 10, 3.06),
            _server("gpu-32", 32, 244, 4, 10, 12.24),
            _server("metal-96", 96, 384, 0, 25, 4.608),
        ),
        Domain.EDGE: (
            NodeType("pi-4", 4, 8, 0, 1, 0.002, 2.7, 6.4, "edge"),
            NodeType("jetson-nano", 4, 4, 1, 1, 0.004, 1.5, 10.0, "edge"),
            NodeType("nuc-8", 8, 32, 0, 2.5, 0.02, 8.0, 60.0, "edge"),
            NodeType("edge-server-16", 16, 64, 0, 10, 0.12, 60.0, 180.0, "edge"),
            dataclasses.replace(_server("region-32", 32, 128, 0, 10, 1.536), zone_role="region"),
        ),
        Domain.NETWORK: (
            _server("net-16-25g", 16, 42, 0, 25, 0.864),
            _server("net-36-50g", 36, 96, 0, 50, 1.944),
            _server("net-72-100g", 72, 192, 0, 100, 3.888),
            _server("general-16-10g", 16, 64, 0, 10, 0.768),
            _server("dpu-32-200g", 32, 128, 0, 200, 3.0),
        ),
    }
)

#: Latency ranges (ms) of a zone's base and of a node's extra latency, per zone role.
ZONE_LATENCY_MS = MappingProxyType(
    {
        "site": ((0.5, 2.0), (0.0, 0.5)),
        "edge": ((2.0, 12.0), (0.0, 3.0)),
        "region": ((40.0, 80.0), (0.0, 5.0)),
    }
)
#: The start of zone names per domain (``az-1``, ``edge-2``, ...).
ZONE_PREFIX = MappingProxyType({Domain.CLOUD: "az", Domain.EDGE: "edge", Domain.NETWORK: "pod"})
