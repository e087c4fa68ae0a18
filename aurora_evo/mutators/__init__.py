"""Mutators: turn parent programs into new candidate sources. Each one subclasses :class:`Mutator`
(:mod:`aurora_evo.mutators.base`), whose hooks the controller calls.

The offline mutators need no API key: :class:`GPMutator` (strongly typed genetic programming on DEAP
trees, rendered as numpy programs) and :class:`EditMutator` (constant, operator and subtree edits of any
program's source). Both draw every random choice from the ``numpy.random.Generator`` they are handed.
The language-model mutator lives in :mod:`aurora_evo.mutators.llm`.
"""

from aurora_evo.mutators.base import Mutator, Parent, Proposal
from aurora_evo.mutators.edits import (
    Edit,
    EditConfig,
    EditMutator,
    crossover_subtree,
    perturb_constant,
    seed_sources,
    swap_operator,
)
from aurora_evo.mutators.gp import GPConfig, GPMutator
from aurora_evo.mutators.primitives import (
    Scalar,
    Vec,
    parse_genotype,
    primitive_set,
    render_program,
    seed_trees,
)

__all__ = [
    "Edit",
    "EditConfig",
    "EditMutator",
    "GPConfig",
    "GPMutator",
    "Mutator",
    "Parent",
    "Proposal",
    "Scalar",
    "Vec",
    "crossover_subtree",
    "parse_genotype",
    "perturb_constant",
    "primitive_set",
    "render_program",
    "seed_sources",
    "seed_trees",
    "swap_operator",
]
