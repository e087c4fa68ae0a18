"""The language-model client, shared by every role of a run that calls a model: the defender's program
mutator (:mod:`aurora_evo.mutators.llm`) and the attacker's scenario writer (:mod:`aurora_evo.attacker.llm`).

* :mod:`~aurora_evo.llm.backend`: what a backend is: one attempt at a call, every failure a
  :class:`BackendError` with an :class:`ErrorKind`; one module per provider, through its real SDK:
  :mod:`~aurora_evo.llm.gemini_backend` (``google-genai``) and :mod:`~aurora_evo.llm.openai_backend` (any
  OpenAI-compatible server, ``openai``), on what :mod:`~aurora_evo.llm.sdk_backend` gives both.
* :mod:`~aurora_evo.llm.retry`: exponential backoff with jitter, honouring Retry-After.
* :mod:`~aurora_evo.llm.keys`: API keys from the environment, rotated within per-key limits.
* :mod:`~aurora_evo.llm.budget`, :mod:`~aurora_evo.llm.pricing`: hard call and cost budgets, and what a
  call costs.
* :mod:`~aurora_evo.llm.caller`: :class:`LLMCaller`, one role's calls (budget, keys, retries, a
  :class:`CallRecord` per attempt).
* :mod:`~aurora_evo.llm.connection`: :func:`connect` makes the :class:`LLMConnection` (backend, keys,
  prices, retry policy) that a run's roles share, from its settings.

This package knows nothing of programs or scenarios: it imports neither :mod:`aurora_evo.mutators` nor
:mod:`aurora_evo.attacker`. Importing it does not import the SDKs; a backend loads its SDK on first use.
"""

from aurora_evo.llm.backend import Backend, BackendError, ChatRequest, Completion, ErrorKind
from aurora_evo.llm.budget import BudgetExhausted, CallBudget
from aurora_evo.llm.caller import CallFailure, CallRecord, LLMCaller
from aurora_evo.llm.connection import LLMConnection, api_keys, connect
from aurora_evo.llm.gemini_backend import GeminiBackend
from aurora_evo.llm.keys import DAY_S, KeyLimits, KeyPool, MissingKeyError, QuotaExhausted, keys_from_env
from aurora_evo.llm.openai_backend import OpenAIBackend
from aurora_evo.llm.pricing import PriceTable, parse_prices
from aurora_evo.llm.retry import RetryPolicy, call_with_retries

__all__ = [
    "DAY_S",
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
    "KeyLimits",
    "KeyPool",
    "LLMCaller",
    "LLMConnection",
    "MissingKeyError",
    "OpenAIBackend",
    "PriceTable",
    "QuotaExhausted",
    "RetryPolicy",
    "api_keys",
    "call_with_retries",
    "connect",
    "keys_from_env",
    "parse_prices",
]
