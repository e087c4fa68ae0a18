"""Connecting a run to its language model: the API keys it needs, and the :class:`LLMConnection`
(backend, key pool, prices, retry policy) that every role calling the model shares, built from the run's
settings (:class:`aurora_evo.config.LLMConfig`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aurora_evo.llm.backend import Backend
from aurora_evo.llm.gemini_backend import GeminiBackend
from aurora_evo.llm.keys import KeyLimits, KeyPool, keys_from_env
from aurora_evo.llm.openai_backend import OpenAIBackend
from aurora_evo.llm.pricing import PriceTable, parse_prices
from aurora_evo.llm.retry import RetryPolicy

if TYPE_CHECKING:  # typing only: config's checks import this package (the price table)
    from aurora_evo.config import LLMConfig


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
