"""Classic online heuristics written as FunSearch-contract programs (``priority(item, bins) -> scores``).

``bins`` holds the remaining capacity of every bin the item fits in, empty bins included, and the item
goes to the first highest score. Vetted source, so compiling it in-process is allowed.
"""

from __future__ import annotations

from types import MappingProxyType

from aurora_evo.policy import CompiledProgram, Contract, compile_program

__all__ = ["BASELINE_SOURCES", "BEST_FIT_SOURCE", "FIRST_FIT_SOURCE", "WORST_FIT_SOURCE", "baseline_programs"]

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

#: Display names, in the order benchmarks list them.
BASELINE_SOURCES = MappingProxyType(
    {"First Fit": FIRST_FIT_SOURCE, "Best Fit": BEST_FIT_SOURCE, "Worst Fit": WORST_FIT_SOURCE}
)


def baseline_programs(*, jit: bool = True) -> dict[str, CompiledProgram]:
    """``{"First Fit", "Best Fit", "Worst Fit"}`` compiled (numba-jitted unless ``jit=False``)."""
    return {
        name: compile_program(source, Contract.BINPACKING, jit=jit)
        for name, source in BASELINE_SOURCES.items()
    }
