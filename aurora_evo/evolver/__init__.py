"""The controller of a run: an :class:`Evolver` handed its parts (a problem, mutators, an executor, an
archive, optionally co-evolution), stepping by :meth:`~Evolver.ask` and :meth:`~Evolver.tell`;
:func:`build_evolver` makes the parts from a configuration, as ``aurora-evo evolve`` does."""

from aurora_evo.evolver.batch import Batch, OrderError
from aurora_evo.evolver.build import build_evolver, make_coevolution, make_mutators, sandbox_executor
from aurora_evo.evolver.coevolution import Coevolution
from aurora_evo.evolver.evolver import Evolver
from aurora_evo.evolver.stats import IterationStats
from aurora_evo.evolver.stopping import Progress, stop_reason

__all__ = [
    "Batch",
    "Coevolution",
    "Evolver",
    "IterationStats",
    "OrderError",
    "Progress",
    "build_evolver",
    "make_coevolution",
    "make_mutators",
    "sandbox_executor",
    "stop_reason",
]
