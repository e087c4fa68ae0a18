"""What an LLM call costs: US dollars per million input and output tokens, by model name.

The built-in table holds list prices published by the providers in 2025 (standard tier, prompts under
200k tokens); prices change, so a run can override or extend it with ``llm.prices``. A model matches the
longest entry its name starts with (``gemini-2.5-flash-preview-05-20`` is priced as
``gemini-2.5-flash``); a model with no entry, e.g. one served locally, costs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aurora_evo.errors import InputError

#: model name prefix -> (input, output) US dollars per million tokens.
LIST_PRICES: dict[str, tuple[float, float]] = {
    "gemini-2.5-pro": (1.25, 10.0),
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.5-flash-lite": (0.10, 0.40),
    "gemini-2.0-flash": (0.10, 0.40),
    "gemini-2.0-flash-lite": (0.075, 0.30),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.0),
    "gpt-4o-mini": (0.15, 0.60),
}


def parse_prices(entries: Sequence[str]) -> dict[str, tuple[float, float]]:
    """``["model=input/output", ...]`` (dollars per million tokens) as a table.

    Raises:
        InputError: on an entry not of that form.
    """
    table = {}
    for entry in entries:
        name, _, pair = entry.partition("=")
        rates = pair.split("/")
        try:
            if not name.strip() or len(rates) != 2:
                raise ValueError
            table[name.strip()] = (float(rates[0]), float(rates[1]))
        except ValueError:
            raise InputError(
                f"llm.prices: {entry!r} is not MODEL=INPUT/OUTPUT (dollars per million tokens)"
            ) from None
        if min(table[name.strip()]) < 0:
            raise InputError(f"llm.prices: {entry!r} has a negative price")
    return table


class PriceTable:
    """Prices of models: the list prices, overridden by ``extra`` (see :func:`parse_prices`)."""

    def __init__(self, extra: Mapping[str, tuple[float, float]] | None = None):
        self.table = {**LIST_PRICES, **(extra or {})}

    def rates(self, model: str) -> tuple[float, float]:
        """(input, output) dollars per million tokens of ``model``; (0, 0) when unknown."""
        model = model.removeprefix("models/")  # Gemini's full resource name, e.g. models/gemini-2.5-pro
        matches = [name for name in self.table if model.startswith(name)]
        return self.table[max(matches, key=len)] if matches else (0.0, 0.0)

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        """US dollars of one call."""
        rate_in, rate_out = self.rates(model)
        return (prompt_tokens * rate_in + completion_tokens * rate_out) / 1e6
