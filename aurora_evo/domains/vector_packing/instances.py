"""Generated two-dimensional instances: virtual machines of a few flavours on hosts of one shape.

Each item is a flavour drawn at random from :data:`FLAVOURS` (cpu cores, memory GiB, both over a host of
:data:`HOST` = 32 cores and 128 GiB), the shapes cloud providers sell: general purpose (1 core : 4 GiB),
compute-optimised (1 : 2) and memory-optimised (1 : 8). Mixing shapes is what makes the problem two
dimensional: a host filled with compute flavours runs out of cores with memory to spare.
"""

from __future__ import annotations

import numpy as np

from aurora_evo.domains.binpacking.datasets import Dataset, VectorInstance

#: Capacity of every host: cpu cores, memory GiB.
HOST = (32.0, 128.0)

#: (cores, GiB) of the flavours sold.
FLAVOURS = (
    (2.0, 8.0), (4.0, 16.0), (8.0, 32.0), (16.0, 64.0),  # general purpose
    (2.0, 4.0), (4.0, 8.0), (8.0, 16.0), (16.0, 32.0),  # compute-optimised
    (2.0, 16.0), (4.0, 32.0), (8.0, 64.0), (16.0, 128.0),  # memory-optimised
)  # fmt: skip

#: How often each flavour is drawn: small machines are the most common, as on public clouds.
WEIGHTS = (8, 6, 3, 1) * 3


def vm_instance(rng: np.random.Generator, n_items: int, name: str) -> VectorInstance:
    """``n_items`` virtual machines drawn from :data:`FLAVOURS` with :data:`WEIGHTS`, onto hosts of
    :data:`HOST`."""
    weights = np.array(WEIGHTS, dtype=float)
    picks = rng.choice(len(FLAVOURS), size=n_items, p=weights / weights.sum())
    return VectorInstance(name, np.array(HOST), np.array(FLAVOURS)[picks])


def vm_dataset(rng: np.random.Generator, n_instances: int, n_items: int, name: str) -> Dataset:
    """``n_instances`` instances of :func:`vm_instance`, named ``vm_00, vm_01, ...``."""
    instances = tuple(vm_instance(rng, n_items, f"vm_{i:02d}") for i in range(n_instances))
    source = f"vm_dataset(n_instances={n_instances}, n_items={n_items}): flavours of a 32-core, 128 GiB host"
    return Dataset(name, instances, source)
