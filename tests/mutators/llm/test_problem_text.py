"""What the prompts say of the problem: every contract described, the feature columns read from the
features module."""

from __future__ import annotations

import re

from aurora_evo import features
from aurora_evo.contracts import Contract
from aurora_evo.mutators.llm.problem_text import contract_description, score_description


def test_feature_columns_follow_the_features_module():
    text = contract_description(Contract.ALLOCATION)
    constants = {
        k: v
        for k, v in vars(features).items()
        if re.fullmatch(r"[TN]_[A-Z_]+", k) and k[-1] != "0" and k != "N_RESOURCES"
    }
    for name, column in constants.items():
        assert re.search(rf"^    {name} = {column} +# \S", text, re.MULTILINE), name
    assert "position of the task in the scenario's task list" in text
    assert "1.0 when the current task fits on the node" in text
    assert "Units: cpu in cores" in text


def test_descriptions_cover_every_contract():
    for contract in Contract:
        assert "def priority(" in contract_description(contract)
        assert "higher is better" in score_description(contract).lower()
    assert "shape (k, d)" in contract_description(Contract.VECTOR_BINPACKING)
    assert "cloud: cost 0.25, latency 0.2" in score_description(Contract.ALLOCATION)
