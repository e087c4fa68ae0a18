"""Building a run's LLM roles (the mutator, the attacker) from its settings
(:class:`aurora_evo.config.LLMConfig`), over one shared :class:`LLMConnection`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aurora_evo.config import LLMConfig
from aurora_evo.contracts import Contract
from aurora_evo.mutators.llm.backends import Backend, GeminiBackend, OpenAIBackend
from aurora_evo.mutators.llm.budget import CallBudget
from aurora_evo.mutators.llm.keys import KeyLimits, KeyPool, keys_from_env
from aurora_evo.mutators.llm.meta import InstructionPool
from aurora_evo.mutators.llm.mutator import LLMMutator
from aurora_evo.mutators.llm.pricing import PriceTable, parse_prices
from aurora_evo.mutators.llm.prompts import DEFAULT_INSTRUCTIONS
from aurora_evo.mutators.llm.retry import RetryPolicy


def api_keys(config: LLMConfig, environ: Mapping[str, str] | None = None) -> list[str]:
    """The keys to rotate. A local OpenAI-compatible server (``base_url`` set) needs none (its one key is
    then empty, which the backend sends as the placeholder such servers accept); OpenAI's own API and
    Gemini do.

    Raises:
        MissingKeyError: one line naming the environment variables to set.
    """
    optional = config.backend == "openai" and bool(config.base_url)
    return keys_from_env(config.backend, environ, required=not optional) or [""]


@dataclass(frozen=True)
class LLMConnection:
    """What every role of a run that calls a language model shares: one backend, one key pool (so
    a key's per-minute and per-day limits count the mutator's and the attacker's calls together), the
    prices and the retry policy."""

    backend: Backend
    keys: KeyPool
    prices: PriceTable
    retry: RetryPolicy


def connect(
    config: LLMConfig,
    *,
    key_history: Iterable[tuple[int, float]] = (),
    environ: Mapping[str, str] | None = None,
) -> LLMConnection:
    """The connection for ``config``; ``key_history`` lists earlier requests per key (a resumed run's)."""
    backend = (GeminiBackend if config.backend == "gemini" else OpenAIBackend)(config.base_url or None)
    limits = KeyLimits(config.requests_per_minute or None, config.requests_per_day or None)
    return LLMConnection(
        backend,
        KeyPool(api_keys(config, environ), limits, key_history),
        PriceTable(parse_prices(config.prices)),
        RetryPolicy(config.attempts, config.backoff_s, config.max_backoff_s),
    )


def build_llm_mutator(
    config: LLMConfig, contract: Contract, budget: CallBudget, connection: LLMConnection
) -> LLMMutator:
    """The mutator for ``config``, spending from ``budget`` through ``connection``."""
    return LLMMutator(
        contract,
        connection.backend,
        connection.keys,
        config.models,
        model_weights=config.model_weights,
        budget=budget,
        prices=connection.prices,
        modes=config.modes,
        mode_weights=config.mode_weights,
        retry=connection.retry,
        instructions=InstructionPool(DEFAULT_INSTRUCTIONS, config.instructions, config.meta_interval),
        temperature=config.temperature,
        max_output_tokens=config.max_output_tokens,
        timeout_s=config.timeout_s,
    )


def build_llm_attacker(config: LLMConfig, budget: CallBudget, connection: LLMConnection):
    """The LLM attacker of a run whose mutators include the language model: the same connection, the
    first model, and the run's budget."""
    from aurora_evo.attacker.llm import LLMAttacker, LLMAttackerConfig

    return LLMAttacker(
        connection.backend,
        connection.keys,
        config.models[0],
        config=LLMAttackerConfig(timeout_s=config.timeout_s, retry=connection.retry),
        budget=budget,
        prices=connection.prices,
    )
