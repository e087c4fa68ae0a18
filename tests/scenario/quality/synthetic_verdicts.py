"""The quality verdicts of synthetic scenarios, as plain data, and the golden copy they are held to.

The set: every shipped seed scenario (checked against its own level), and attacker scenarios drawn with
fixed seeds: :data:`DRAWS_PER_LEVEL` random genomes per level, accepted or not (each checked against
its level, with the features of the draws before it in that level as the recent scenarios), and
:data:`GENERATED_PER_LEVEL` scenarios per level from
:func:`aurora_evo.attacker.generate.generate_scenarios`. Trace windows must not move any of these.

``PYTHONPATH=. python tests/scenario/quality/synthetic_verdicts.py`` rewrites the golden file; do that only
when a change of verdicts on synthetic scenarios is meant, and say so in the commit.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from aurora_evo.attacker.generate import generate_scenarios, scenario_name
from aurora_evo.attacker.genome import ScenarioGenome
from aurora_evo.scenario import load_scenario
from aurora_evo.scenario.levels import LEVEL_NAMES
from aurora_evo.scenario.model import Scenario
from aurora_evo.scenario.quality import QualityReport, check_scenario, features
from aurora_evo.seeds import seed_scenario_paths

GOLDEN = Path(__file__).with_name("synthetic_verdicts.json")
DRAWS_PER_LEVEL = 5
GENERATED_PER_LEVEL = 2
DRAW_SEED = 20240520
GENERATE_SEED = 7
#: Details that measure the machine, not the scenario.
_TIMINGS = frozenset({"packing_s"})


def _plain(value: object) -> object:
    """``value`` as JSON data, floats rounded to 10 significant digits and timings left out."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if k not in _TIMINGS}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(f"{float(value):.10g}")
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    return value


def fingerprint(s: Scenario) -> str:
    """SHA-256 of the scenario's task and node arrays (to tell a changed generator from changed checks)."""
    digest = hashlib.sha256()
    for array in (s.tasks.arrival, s.tasks.duration, s.tasks.demand, s.tasks.deadline, s.nodes.capacity):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def _entry(s: Scenario, report: QualityReport) -> dict:
    return {"fingerprint": fingerprint(s), "report": _plain(report.as_dict())}


def synthetic_verdicts() -> dict[str, dict]:
    """Key (``seed/<name>``, ``draw/<level>/<k>``, ``generated/<name>``) -> fingerprint and report."""
    out: dict[str, dict] = {}
    for path in seed_scenario_paths():
        s = load_scenario(path)
        out[f"seed/{path.stem}"] = _entry(s, check_scenario(s))
    rng = np.random.default_rng(DRAW_SEED)
    for level in LEVEL_NAMES:
        recent: list[np.ndarray] = []
        for k in range(1, DRAWS_PER_LEVEL + 1):
            genome = ScenarioGenome.random(level, rng)
            s = genome.to_scenario(rng, scenario_name(level, genome.domain, k))
            out[f"draw/{level}/{k}"] = _entry(s, check_scenario(s, level=level, recent=tuple(recent)))
            recent.append(features(s))
    rng = np.random.default_rng(GENERATE_SEED)
    for level in LEVEL_NAMES:
        for s, report in generate_scenarios(level, GENERATED_PER_LEVEL, rng):
            out[f"generated/{s.name}"] = _entry(s, report)
    return out


def golden_text(verdicts: dict[str, dict]) -> str:
    return json.dumps(verdicts, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    GOLDEN.write_text(golden_text(synthetic_verdicts()), encoding="utf-8")
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size:,} bytes)")
