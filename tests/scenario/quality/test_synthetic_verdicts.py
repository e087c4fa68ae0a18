"""Trace windows do not move the quality verdicts of synthetic scenarios: every seed scenario and a fixed
set of attacker scenarios get exactly the reports (reasons and details) stored in
``synthetic_verdicts.json`` (see :mod:`synthetic_verdicts` for the set and how to rewrite it)."""

from __future__ import annotations

import json

import pytest
from synthetic_verdicts import GOLDEN, synthetic_verdicts

pytestmark = pytest.mark.slow  # ~35 s: 85 scenarios through every layer, beyond-level packings included


@pytest.fixture(scope="module")
def measured() -> dict[str, dict]:
    return synthetic_verdicts()


@pytest.fixture(scope="module")
def golden() -> dict[str, dict]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_the_same_scenarios_are_checked(measured, golden):
    assert sorted(measured) == sorted(golden)
    changed = [key for key in golden if measured[key]["fingerprint"] != golden[key]["fingerprint"]]
    assert not changed, f"the generator changed (not the checks): {changed[:5]}"


def test_every_verdict_and_detail_is_unchanged(measured, golden):
    for key, entry in golden.items():
        got = measured[key]["report"]
        for want_verdict, got_verdict in zip(entry["report"]["verdicts"], got["verdicts"], strict=True):
            assert got_verdict == want_verdict, f"{key}: {want_verdict['layer']} changed"
        assert got == entry["report"], key


def test_the_set_has_passes_and_refusals_at_every_layer(golden):
    """The golden set is worth holding to: it passes and refuses, and its refusals come from more than
    one layer."""
    reports = [entry["report"] for entry in golden.values()]
    assert sum(r["passed"] for r in reports) >= 60
    refused_by = {r["refused_by"] for r in reports if not r["passed"]}
    assert len(refused_by) >= 2, refused_by
