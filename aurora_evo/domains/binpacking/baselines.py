"""Classic online heuristics written as FunSearch-contract programs (``priority(item, bins) -> scores``).

``bins`` holds the remaining capacity of every bin the item fits in, empty bins included, and the item
goes to the first highest score. Vetted source, so compiling it in-process is allowed.
"""

from __future__ import annotations

from types import MappingProxyType

from aurora_evo.contracts import Contract
from aurora_evo.program_loading import CompiledProgram, compile_program

__all__ = [
    "BASELINE_SOURCES",
    "BEST_FIT_SOURCE",
    "FIRST_FIT_SOURCE",
    "FUNSEARCH_WEIBULL_SOURCE",
    "VECTOR_BASELINE_SOURCES",
    "WORST_FIT_SOURCE",
    "baseline_programs",
]

FIRST_FIT_SOURCE = '''\
def priority(item, bins):
    """First fit: every bin scores the same, so argmax takes the lowest-index bin that fits."""
    return np.zeros_like(bins)
'''

BEST_FIT_SOURCE = '''\
def priority(item, bins):
    """Best fit: the bin left with the least room; an empty bin only when no open bin fits."""
    return -(bins - item)
'''

WORST_FIT_SOURCE = '''\
def priority(item, bins):
    """Worst fit: the open bin left with the most room; an empty bin only when no open bin fits."""
    # At least one empty bin is always offered, so the largest remaining capacity is the capacity.
    # Plain `bins - item` would prefer an empty bin every time and open one bin per item.
    is_empty = bins == np.max(bins)
    return np.where(is_empty, -1.0, bins - item)
'''

#: FunSearch's published heuristic for its Weibull datasets (google-deepmind/funsearch, Apache-2.0):
#: 0.68 % excess over L1 on Weibull 5k. A reference for comparisons, not one of the baselines: its last
#: line takes pairwise differences under numpy and running ones under numba (overlapping slices).
FUNSEARCH_WEIBULL_SOURCE = """\
def priority(item, bins):
    max_bin_cap = max(bins)
    score = (bins - max_bin_cap) ** 2 / item + bins**2 / (item**2)
    score += bins**2 / item**3
    score[bins > item] = -score[bins > item]
    score[1:] -= score[:-1]
    return score
"""

VECTOR_FIRST_FIT_SOURCE = '''\
def priority(item, bins):
    """First fit for d-dimensional items: the lowest-index bin the item fits in."""
    return np.zeros(bins.shape[0])
'''

VECTOR_BEST_FIT_SOURCE = '''\
def priority(item, bins):
    """Best fit for d-dimensional items: the bin left with the least room, summed over dimensions.

    Room is measured as a share of the capacity; an empty bin is always offered, so the largest
    remaining capacity per dimension is the capacity.
    """
    capacity = np.maximum(bins.max(axis=0), 1e-9)
    return -((bins - item) / capacity).sum(axis=1)
'''

#: Display names, in the order benchmarks list them.
BASELINE_SOURCES = MappingProxyType(
    {"First Fit": FIRST_FIT_SOURCE, "Best Fit": BEST_FIT_SOURCE, "Worst Fit": WORST_FIT_SOURCE}
)
VECTOR_BASELINE_SOURCES = MappingProxyType(
    {"First Fit": VECTOR_FIRST_FIT_SOURCE, "Best Fit": VECTOR_BEST_FIT_SOURCE}
)


def baseline_programs(
    *, jit: bool = True, contract: Contract = Contract.BINPACKING
) -> dict[str, CompiledProgram]:
    """The baselines of ``contract`` compiled (numba-jitted unless ``jit=False``): First Fit, Best Fit,
    and for one-dimensional packing Worst Fit."""
    sources = VECTOR_BASELINE_SOURCES if contract is Contract.VECTOR_BINPACKING else BASELINE_SOURCES
    return {name: compile_program(source, contract, jit=jit) for name, source in sources.items()}
