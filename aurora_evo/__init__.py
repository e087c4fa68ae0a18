"""aurora-evo: evolve resource-allocation programs.

Scheduling policies are small Python functions, ``priority(task, nodes) -> scores`` (and FunSearch's
``priority(item, bins)`` for bin packing), scored by a numba discrete-event simulator.
"""

__version__ = "0.1.0"
