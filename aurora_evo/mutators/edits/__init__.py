"""Source-level edits of any program (hand-written, GP-rendered or LLM-written), with an explicit rng.

Three edits, each a plain function returning an :class:`Edit` or ``None`` when it finds nothing to
change:

* :func:`perturb_constant`: one numeric literal times ``exp(N(0, sigma))`` (a zero gets ``N(0, 0.1)``);
  literals that are indices or sizes are left alone;
* :func:`swap_operator`: one of ``+``/``-``, ``*``/``/``, ``<``/``>``, ``<=``/``>=``, ``maximum``/
  ``minimum``, ``max``/``min`` (and the like) inside a function;
* :func:`crossover_subtree`: an expression inside ``priority`` of one parent replaced by an expression of
  another parent that is well defined where it lands: its free names exist there, and a small static
  shape inference (scalar, per-bin/node vector, task feature vector, node matrix) agrees on both.

Edits splice the parent's text at the positions ``ast`` reports
(:class:`~aurora_evo.program_text.SourceText`), so everything else (docstrings, comments, layout) is
kept verbatim. :class:`EditMutator` keeps only results that pass
:func:`~aurora_evo.sandbox.screen.screen_program` and :func:`~aurora_evo.program_text.parse_program`.

The parts: :mod:`~aurora_evo.mutators.edits.syntax` (the syntax-tree helpers the edits share),
:mod:`~aurora_evo.mutators.edits.point` (the constant and operator edits),
:mod:`~aurora_evo.mutators.edits.kinds` (the shape inference), :mod:`~aurora_evo.mutators.edits.crossover`
and :mod:`~aurora_evo.mutators.edits.mutator` (:class:`EditMutator`).
"""

from aurora_evo.mutators.edits.crossover import crossover_subtree
from aurora_evo.mutators.edits.mutator import EditConfig, EditMutator, seed_sources
from aurora_evo.mutators.edits.point import perturb_constant, swap_operator
from aurora_evo.mutators.edits.syntax import Edit

__all__ = [
    "Edit",
    "EditConfig",
    "EditMutator",
    "crossover_subtree",
    "perturb_constant",
    "seed_sources",
    "swap_operator",
]
