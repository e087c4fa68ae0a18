"""What a call costs: list prices by model-name prefix, and prices given in the settings."""

from __future__ import annotations

import pytest

from aurora_evo.errors import InputError
from aurora_evo.llm.pricing import PriceTable, parse_prices


def test_prices_match_the_longest_prefix_and_local_models_are_free():
    table = PriceTable(parse_prices(["my-model=1/2"]))
    assert table.rates("gemini-2.5-flash-lite-preview") == (0.10, 0.40)
    assert table.rates("gemini-2.5-flash-001") == (0.30, 2.50)
    assert table.cost("my-model", 1_000_000, 500_000) == pytest.approx(2.0)
    assert table.cost("qwen2.5-coder:7b", 10**6, 10**6) == 0.0


@pytest.mark.parametrize("entry", ["nonsense", "m=1", "m=a/b", "=1/2", "m=-1/2"])
def test_bad_price_entries_are_refused_in_one_line(entry):
    with pytest.raises(InputError, match=r"llm\.prices"):
        parse_prices([entry])


def test_a_model_priced_by_its_full_resource_name():
    assert PriceTable().rates("models/gemini-2.5-pro") == (1.25, 10.0)


def test_prices_given_on_the_command_line_are_read():
    assert parse_prices(["local=0/0"]) == {"local": (0.0, 0.0)}
