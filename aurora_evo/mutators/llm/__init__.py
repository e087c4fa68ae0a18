"""The language-model mutator and its parts.

* :mod:`~aurora_evo.mutators.llm.backends`: one attempt at a call, through the real SDKs: Gemini
  (``google-genai``) and any OpenAI-compatible server (``openai``); every failure is a
  :class:`BackendError` with an :class:`ErrorKind`.
* :mod:`~aurora_evo.mutators.llm.retry`: exponential backoff with jitter, honouring Retry-After.
* :mod:`~aurora_evo.mutators.llm.keys`: API keys from the environment, rotated within per-key limits.
* :mod:`~aurora_evo.mutators.llm.budget`, :mod:`~aurora_evo.mutators.llm.pricing`: hard call and cost
  budgets, and what a call costs.
* :mod:`~aurora_evo.mutators.llm.prompts`, :mod:`~aurora_evo.mutators.llm.parse`: the three prompt modes
  and the parser of whatever comes back.
* :mod:`~aurora_evo.mutators.llm.meta`: the evolving population of prompt instructions.
* :mod:`~aurora_evo.mutators.llm.caller`: :class:`LLMCaller`, one role's calls (budget, keys, retries,
  a :class:`CallRecord` per attempt), shared by the mutator and the LLM attacker.
* :mod:`~aurora_evo.mutators.llm.mutator`: :class:`LLMMutator`, which ties them together;
  :func:`build_llm_mutator` makes one from a run's settings.

Importing this package does not import the SDKs; a backend loads its SDK on first use.
"""

from aurora_evo.mutators.llm.backends import (
    Backend,
    BackendError,
    ChatRequest,
    Completion,
    ErrorKind,
    GeminiBackend,
    OpenAIBackend,
)
from aurora_evo.mutators.llm.budget import BudgetExhausted, CallBudget
from aurora_evo.mutators.llm.caller import CallFailure, CallRecord, LLMCaller
from aurora_evo.mutators.llm.factory import api_keys, build_llm_mutator
from aurora_evo.mutators.llm.keys import KeyLimits, KeyPool, MissingKeyError, QuotaExhausted, keys_from_env
from aurora_evo.mutators.llm.meta import Instruction, InstructionPool
from aurora_evo.mutators.llm.mutator import LLMMutator
from aurora_evo.mutators.llm.parse import Parsed, ParseStatus, apply_diff, parse_response
from aurora_evo.mutators.llm.pricing import PriceTable
from aurora_evo.mutators.llm.prompts import DEFAULT_INSTRUCTIONS, Prompt, PromptMode, build_prompt
from aurora_evo.mutators.llm.retry import RetryPolicy, call_with_retries

__all__ = [
    "DEFAULT_INSTRUCTIONS",
    "Backend",
    "BackendError",
    "BudgetExhausted",
    "CallBudget",
    "CallFailure",
    "CallRecord",
    "ChatRequest",
    "Completion",
    "ErrorKind",
    "GeminiBackend",
    "Instruction",
    "InstructionPool",
    "KeyLimits",
    "KeyPool",
    "LLMCaller",
    "LLMMutator",
    "MissingKeyError",
    "OpenAIBackend",
    "ParseStatus",
    "Parsed",
    "PriceTable",
    "Prompt",
    "PromptMode",
    "QuotaExhausted",
    "RetryPolicy",
    "api_keys",
    "apply_diff",
    "build_llm_mutator",
    "build_prompt",
    "call_with_retries",
    "keys_from_env",
    "parse_response",
]
