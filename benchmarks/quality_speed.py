"""Quality control's cost per scenario: the five checks against simulating best fit on the same scenario.

    python benchmarks/quality_speed.py [--repeats 3] [--json]

Scenarios: the expert seed ``expert-cloud-01`` (1,000 tasks x 100 nodes, its clairvoyant packing needs
both orders) and four drawn by the attacker's genome at the ``beyond`` level (up to 5,000 tasks,
seed 1). For each: the
feasibility check alone (the costly layer: a clairvoyant packing), all five layers, and the baseline,
one simulation of best fit in the numba simulator (warm), measured in this run. The ratios say how
many best-fit simulations one check costs. Also one clairvoyant packing (last useful start first, the
tasks without a deadline started on arrival when they can), compiled against the numpy reference it
replaced (``insert_all_reference``), both measured in this run; they must agree.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import median_time

from aurora_evo.attacker.genome import ScenarioGenome
from aurora_evo.contracts import Contract
from aurora_evo.program_loading import compile_program
from aurora_evo.scenario.io import load_scenario
from aurora_evo.scenario.model import Domain, Scenario
from aurora_evo.scenario.quality import check_feasibility, check_scenario
from aurora_evo.scenario.quality.feasibility import _insert_all, insert_all_reference
from aurora_evo.seeds import seed_program_paths, seed_scenario_paths
from aurora_evo.sim import simulate


def scenarios() -> list[Scenario]:
    (expert,) = [p for p in seed_scenario_paths("expert", "cloud") if p.stem == "expert-cloud-01"]
    cases = [load_scenario(expert)]
    rng = np.random.default_rng(1)
    for index in range(4):
        genome = ScenarioGenome.random("beyond", rng, domain=Domain.CLOUD)
        cases.append(genome.to_scenario(rng, f"beyond-{index}"))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()

    best_fit = compile_program(seed_program_paths()["best_fit"].read_text(), Contract.ALLOCATION)
    rows = []
    for scenario in scenarios():
        simulate_s, _ = median_time(lambda s=scenario: simulate(s, best_fit), args.repeats, warm=True)
        feasible_s, verdict = median_time(lambda s=scenario: check_feasibility(s), args.repeats)
        checks_s, report = median_time(lambda s=scenario: check_scenario(s), args.repeats)
        with np.errstate(invalid="ignore"):
            compiled_s, packed = median_time(
                lambda s=scenario: _insert_all(s, "latest_start", True), args.repeats
            )
            numpy_s, reference = median_time(
                lambda s=scenario: insert_all_reference(s, "latest_start", True), args.repeats
            )
        assert np.array_equal(packed[1], reference[1]), "the compiled packing and the reference disagree"
        rows.append({
            "scenario": scenario.name, "tasks": len(scenario.tasks), "nodes": len(scenario.nodes),
            "simulate_best_fit_s": simulate_s, "feasibility_s": feasible_s, "five_checks_s": checks_s,
            "feasible": bool(verdict.passed), "accepted": bool(report.passed),
            "packing_numpy_s": numpy_s, "packing_compiled_s": compiled_s,
        })  # fmt: skip
        r = rows[-1]
        print(
            f"{r['scenario']} ({r['tasks']:,} tasks x {r['nodes']} nodes): best fit simulated in "
            f"{simulate_s * 1000:.0f} ms (baseline); feasibility {feasible_s * 1000:.0f} ms "
            f"({feasible_s / simulate_s:.1f}x), all five checks {checks_s * 1000:.0f} ms "
            f"({checks_s / simulate_s:.1f}x); one packing {numpy_s * 1000:.0f} ms as numpy calls, "
            f"{compiled_s * 1000:.1f} ms compiled ({numpy_s / compiled_s:.0f}x)"
        )
    if args.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
