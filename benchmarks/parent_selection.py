"""Parent selection: the islands alone against islands and the policy database (issue 23).

    python benchmarks/parent_selection.py [--preset binpacking-weibull] [--seeds 5] [--iterations 40]
                                          [--share 0.3] [--jobs 2] [--json FILE]

For each run seed, two runs of a preset (offline mutators, one evaluation worker each, so each run is
reproducible, the same number of iterations) differ only in ``islands.elite_share``: 0 (parents drawn
on the island, a softmax over scores) and ``--share`` (that share of proposals draw their parents
from the MAP-Elites elites, a softmax over their Elo ratings). Each run's winner (the program
``aurora-evo export`` ships first, chosen on the held-out cases) is then scored on the problem's test
cases, which no run sees (bin packing: FunSearch's released set of the preset's distribution), in the
sandbox. The comparison is paired seed by seed (:func:`aurora_evo.evaluate.statistics.paired_test`:
the t-test and the Wilcoxon signed-rank test); the baseline is the islands-only arm, measured in the
same invocation.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from joblib import Parallel, delayed

from aurora_evo.config import override
from aurora_evo.config_files import load_preset, preset_path
from aurora_evo.domains import problem_of_task
from aurora_evo.evaluate.statistics import paired_test
from aurora_evo.evolver import build_evolver
from aurora_evo.evolver.build import sandbox_executor
from aurora_evo.export import selection_pool, top_programs


def run_arm(preset: str, seed: int, iterations: int, share: float) -> dict:
    """One run, and its winner's scores: training, held-out, test."""
    settings = {
        "seed": seed,
        "islands.elite_share": share,
        "evaluation.workers": 1,
        "stop.max_iterations": iterations,
        "stop.max_seconds": None,
        "stop.patience": None,
        "stop.window": None,
    }
    config = override(load_preset(preset_path(preset)), **settings)
    problem = problem_of_task(config.task)
    with tempfile.TemporaryDirectory() as tmp, build_evolver(config, Path(tmp) / "run") as evolution:
        evolution.run()
        best = top_programs(evolution.archive, evolution.run_id, 1, selection_pool(config))[0]
        evaluated = evolution.evaluations_so_far()
    executor = sandbox_executor(config)  # the run's own limits, one worker
    try:
        (test,) = executor.evaluate(problem, [best.source], problem.test_cases(config.task))
    finally:
        executor.close()
    return {
        "seed": seed,
        "share": share,
        "evaluated": evaluated,
        "train": best.score,
        "validation": best.validation_score,
        "test": test.score if test.outcome.ok else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--preset", default="binpacking-weibull")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--share", type=float, default=0.3, help="islands.elite_share of the second arm")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once")
    parser.add_argument("--json", metavar="FILE", help="also write every run's figures here")
    args = parser.parse_args()
    arms = [(seed, share) for seed in range(args.seeds) for share in (0.0, args.share)]
    rows = Parallel(n_jobs=args.jobs)(
        delayed(run_arm)(args.preset, seed, args.iterations, share) for seed, share in arms
    )
    islands = sorted((r for r in rows if r["share"] == 0.0), key=lambda r: r["seed"])
    elites = sorted((r for r in rows if r["share"] != 0.0), key=lambda r: r["seed"])
    print(f"{'seed':>4} {'split':<10} {'islands only':>13} {f'elite share {args.share:g}':>16}")
    for a, b in zip(islands, elites, strict=True):
        for split in ("train", "validation", "test"):
            print(f"{a['seed']:>4} {split:<10} {a[split]:>13.5g} {b[split]:>16.5g}")
    summary = {}
    for split in ("validation", "test"):
        test = paired_test([r[split] for r in elites], [r[split] for r in islands], higher_is_better=True)
        summary[split] = vars(test)
        print(
            f"{split}: mean {test.reference_mean:.5g} (islands) -> {test.mean:.5g} (elites), difference "
            f"{test.mean_difference:+.4g}; t p={test.t_pvalue:.3g}, Wilcoxon p={test.wilcoxon_pvalue:.3g}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": rows, "paired": summary}, indent=2, default=float))


if __name__ == "__main__":
    main()
