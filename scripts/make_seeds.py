"""Write the seed scenarios: 50 JSON files in seeds/scenarios/ plus its README.md table.

Levels (tasks x nodes): easy 5 x 3, medium 20 x 10, hard 250 x 25, expert 1,000 x 100; each level is
spread over cloud, edge and network (round robin). Every scenario draws from its own child of one
``SeedSequence(MASTER_SEED)``, so running the script twice writes byte-identical files.

Usage: ``PYTHONPATH=. python scripts/make_seeds.py [--out seeds/scenarios]``
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aurora_evo.scenario import Domain, save_scenario
from aurora_evo.scenario.generate import generate_scenario, offered_load
from aurora_evo.scenario.params import domain_params
from aurora_evo.scenario.traces import load_trace_stats

MASTER_SEED = 20_250_601
DOMAINS = (Domain.CLOUD, Domain.EDGE, Domain.NETWORK)


@dataclass(frozen=True)
class LevelRecipe:
    """How one difficulty level sets the generator; ranges are drawn uniformly per scenario.

    Difficulty grows with size, offered load, task size relative to the nodes (``size_scale``), batch
    size and node heterogeneity; hard and expert add queue timeouts (a multiple of the median duration).
    """

    name: str
    count: int
    n_tasks: int
    n_nodes: int
    target_load: tuple[float, float]
    size_scale: tuple[float, float]
    batch_mean: float
    node_types: tuple[int, int]
    deadline_share: float
    timeout_medians: float | None


LEVEL_RECIPES = (
    LevelRecipe("easy", 10, 5, 3, (0.4, 0.6), (1.0, 1.5), 1.5, (1, 2), 0.2, None),
    LevelRecipe("medium", 15, 20, 10, (0.6, 0.8), (1.5, 2.5), 2.5, (2, 3), 0.3, None),
    LevelRecipe("hard", 15, 250, 25, (0.9, 1.05), (3.0, 4.0), 4.0, (2, 4), 0.4, 20.0),
    LevelRecipe("expert", 10, 1000, 100, (0.95, 1.15), (3.0, 4.0), 6.2, (3, 5), 0.5, 10.0),
)


def level_params(level: LevelRecipe, index: int, rng: np.random.Generator):
    """The generator parameters of the ``index``-th scenario (0-based) of ``level``."""
    domain = DOMAINS[index % len(DOMAINS)]
    name = f"{level.name}-{domain.value}-{index // len(DOMAINS) + 1:02d}"
    base = domain_params(name, domain)
    # Durations are clipped at the trace's p99 (x the domain's scale): with a few hundred tasks, the
    # log-normal's far tail would otherwise carry half the work and set the load alone.
    p99_s = load_trace_stats()["alibaba_2017"]["duration"]["terminated"]["quantiles"]["p99"]
    timeout = None
    if level.timeout_medians is not None:
        median_s = math.exp(base.duration_log_mu) * base.duration_scale
        timeout = round(level.timeout_medians * median_s, 3)
    return domain_params(
        name,
        domain,
        level=level.name,
        n_tasks=level.n_tasks,
        n_nodes=level.n_nodes,
        target_load=round(float(rng.uniform(*level.target_load)), 3),
        size_scale=round(float(rng.uniform(*level.size_scale)), 3),
        batch_mean=level.batch_mean,
        node_types=int(rng.integers(level.node_types[0], level.node_types[1] + 1)),
        deadline_share=level.deadline_share,
        n_owners=int(min(2 + level.n_tasks // 50, 12)),
        queue_timeout_s=timeout,
        duration_max_s=round(p99_s * base.duration_scale, 3),
    )


def make_seeds(out_dir: Path) -> list[dict]:
    """Generate and save every seed scenario; returns one summary row per scenario."""
    out_dir.mkdir(parents=True, exist_ok=True)
    children = iter(np.random.SeedSequence(MASTER_SEED).spawn(sum(level.count for level in LEVEL_RECIPES)))
    rows = []
    for level in LEVEL_RECIPES:
        for index in range(level.count):
            seq = next(children)
            # One stream chooses the knobs, another draws the scenario, so the two stay independent.
            knob_seq, draw_seq = seq.spawn(2)
            params = level_params(level, index, np.random.default_rng(knob_seq))
            scenario = generate_scenario(np.random.default_rng(draw_seq), params)
            save_scenario(scenario, out_dir / f"{params.name}.json")
            rows.append(
                {
                    "name": params.name,
                    "domain": params.domain.value,
                    "level": level.name,
                    "tasks": len(scenario.tasks),
                    "nodes": len(scenario.nodes),
                    "node_types": ", ".join(scenario.provenance["derived"]["node_types"]),
                    "offered_load": offered_load(scenario),
                    "size_scale": params.size_scale,
                    "timeout_s": params.queue_timeout_s,
                }
            )
    return rows


def readme(rows: list[dict]) -> str:
    """The seeds/scenarios/README.md text."""
    lines = [
        "# Seed scenarios",
        "",
        "Written by `scripts/make_seeds.py` (do not edit by hand; rerun the script). Each scenario is drawn",
        "by `aurora_evo.scenario.generate.generate_scenario` from the trace statistics shipped in",
        "`aurora_evo/scenario/data/trace_stats.json` (Google 2011 request sizes and priorities, Alibaba 2017",
        "durations, job sizes and arrival burstiness); its `provenance` records the seed, every parameter",
        "and the statistics file's hash.",
        "",
        "Offered load: total demand x duration of the bottleneck resource over the cluster's capacity",
        "during the arrival window. `size` scales requests relative to the largest node (1 = the trace).",
        "",
        "| name | domain | level | tasks | nodes | offered load | size | queue timeout (s) | node types |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        timeout = "-" if r["timeout_s"] is None else f"{r['timeout_s']:g}"
        lines.append(
            f"| {r['name']} | {r['domain']} | {r['level']} | {r['tasks']} | {r['nodes']} | "
            f"{r['offered_load']:.2f} | {r['size_scale']:g} | {timeout} | {r['node_types']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "seeds" / "scenarios"
    )
    args = parser.parse_args(argv)
    rows = make_seeds(args.out)
    (args.out / "README.md").write_text(readme(rows), encoding="utf-8")
    print(f"wrote {len(rows)} scenarios to {args.out}")
    for level in LEVEL_RECIPES:
        mine = [r for r in rows if r["level"] == level.name]
        domains = {d.value: sum(r["domain"] == d.value for r in mine) for d in DOMAINS}
        loads = [r["offered_load"] for r in mine]
        print(
            f"  {level.name:<7} {len(mine):>2} x ({level.n_tasks} tasks, {level.n_nodes} nodes)  "
            f"domains {domains}  offered load {min(loads):.2f}-{max(loads):.2f}"
        )


if __name__ == "__main__":
    main()
