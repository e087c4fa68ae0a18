"""The language-model mutator: programs written by a model, through the client of :mod:`aurora_evo.llm`.

* :mod:`~aurora_evo.mutators.llm.prompts`, :mod:`~aurora_evo.mutators.llm.parse`: the three prompt modes
  and the parser of whatever comes back, each with its parts (what the prompt says of the problem and of
  each parent; diffs, code blocks and the finishing of a program).
* :mod:`~aurora_evo.mutators.llm.meta`: the evolving population of prompt instructions.
* :mod:`~aurora_evo.mutators.llm.mutator`: :class:`LLMMutator`, which ties them together;
  :func:`build_llm_mutator` makes one from a run's settings.

Importing this package does not import the SDKs; a backend loads its SDK on first use.
"""

from aurora_evo.mutators.llm.diff import apply_diff
from aurora_evo.mutators.llm.meta import Instruction, InstructionPool
from aurora_evo.mutators.llm.mutator import LLMMutator, build_llm_mutator
from aurora_evo.mutators.llm.parse import Parsed, ParseStatus, parse_response
from aurora_evo.mutators.llm.prompts import DEFAULT_INSTRUCTIONS, Prompt, PromptMode, build_prompt

__all__ = [
    "DEFAULT_INSTRUCTIONS",
    "Instruction",
    "InstructionPool",
    "LLMMutator",
    "ParseStatus",
    "Parsed",
    "Prompt",
    "PromptMode",
    "apply_diff",
    "build_llm_mutator",
    "build_prompt",
    "parse_response",
]
