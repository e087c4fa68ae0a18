"""From each trace's units to a scenario's (cores, GiB, GPUs, Gbit/s), one rule per format.

The readers yield requests as the trace writes them (:mod:`aurora_evo.traces.records`); a scenario holds
cores and GiB (:mod:`aurora_evo.scenario.model`). Where the trace is normalised (Google 2011 requests are
shares of its largest machine, Alibaba 2018 memory is a percentage), the scale is the machine the
platform of :mod:`aurora_evo.traces.platforms` gives the trace, and that choice is written here and in
every replayed scenario's provenance. No trace records network bandwidth: it is 0 in every replay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from aurora_evo.traces.records import TraceTask

#: Bytes in a KiB, per GiB.
_KIB_PER_GIB = 1024.0**2


@dataclass(frozen=True)
class SourceUnits:
    """Multipliers from one trace's request units to a scenario's.

    Attributes:
        cpu_cores: cores per unit of the trace's cpu request.
        memory_gib: GiB per unit of the trace's memory request.
        gpu: devices per unit of the trace's gpu request.
        note: how the units were chosen, for the scenario's provenance.
    """

    cpu_cores: float
    memory_gib: float
    gpu: float = 1.0
    note: str = ""

    def demand(self, tasks: list[TraceTask]) -> np.ndarray:
        """The ``(len(tasks), 4)`` matrix of cpu (cores), memory (GiB), gpu (devices) and network
        (Gbit/s, always 0) demand."""
        raw = np.array([(t.cpu, t.memory, t.gpu) for t in tasks], dtype=np.float64).reshape(-1, 3)
        scale = np.array([self.cpu_cores, self.memory_gib, self.gpu])
        return np.column_stack([raw * scale, np.zeros(len(tasks))])


#: A Google 2011 request of 1.0 is the largest machine; the trace obfuscates its real size. We take the
#: largest machine as 32 cores and 128 GiB: an assumption (no public document gives the size), stated in
#: every replayed scenario, and it only scales units: shares of a machine are what the trace says.
GOOGLE_LARGEST_CORES = 32.0
GOOGLE_LARGEST_GIB = 128.0

#: Alibaba 2018 machines have 96 cores (machine_meta's cpu_num); memory is normalised to 100 and its
#: size is not published: we take 100 as 512 GiB, an assumption stated in every replayed scenario.
ALIBABA_MACHINE_CORES = 96.0
ALIBABA_MACHINE_GIB = 512.0

#: Per format (the names of ``aurora-evo scenarios from-trace``), the rule from its units to a scenario's.
UNITS: Mapping[str, SourceUnits] = MappingProxyType(
    {
        "google2011": SourceUnits(
            GOOGLE_LARGEST_CORES,
            GOOGLE_LARGEST_GIB,
            note=f"requests are shares of the largest machine, taken as {GOOGLE_LARGEST_CORES:g} cores and "
            f"{GOOGLE_LARGEST_GIB:g} GiB (an assumption: the trace does not publish machine sizes)",
        ),
        "alibaba2018": SourceUnits(
            0.01,
            ALIBABA_MACHINE_GIB / 100.0,
            note="plan_cpu / 100 cores (the schema: 100 is 1 core); plan_mem percent of a machine's memory, "
            f"a machine taken as {ALIBABA_MACHINE_GIB:g} GiB (an assumption: the size is not published)",
        ),
        "alibaba-gpu2025": SourceUnits(1.0, 1.0, note="vCPUs as cores, GiB and GPUs as written"),
        "azure-llm2023": SourceUnits(
            1.0, 1.0, note="GPUs, host cores and GiB per request from the service model"
        ),
        "azure-vm2017": SourceUnits(
            1.0,
            1.0,
            note="the VM's cores and memory (GB, read as GiB): a vmtable's sizes (V1) or bucket upper "
            "bounds (V2, '>24' cores read as 30 and '>64' GB as 70), or the derived flavour's",
        ),
        "swf": SourceUnits(1.0, 1.0 / _KIB_PER_GIB, note="processors as cores, KB of memory as GiB / 1024^2"),
    }
)
