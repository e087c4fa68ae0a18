"""Placements per second: the numba simulator against the reference simulator and a simpy model.

    python benchmarks/sim_throughput.py [--program best_fit] [--load 0.9] [--prefix 2000] [--full]
                                        [--warm-cache] [--json]

Scenarios: the expert seed ``expert-cloud-01`` (1,000 tasks x 100 nodes) and the generated
``benchmark_scenario`` (100,000 tasks x 1,000 nodes, offered load ``--load``, seed 0). Every figure is
measured in this run. Compile time (the program's own numba compilation, and the first call of the kernel) is
reported apart from the warm timings; the kernel compiles cold into a fresh numba cache folder unless
``--warm-cache`` lets it load from the usual cache, as every run after the first does.

The reference simulator and the simpy model take hours on the 100k-task scenario, so by default they run
on its first ``--prefix`` tasks (in arrival order), which is labelled in the output; ``--full`` runs them
on everything. A prefix starts from an empty cluster with a short queue, which flatters the baselines, so
the ratios printed are if anything too small.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from dataclasses import replace
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
if "--warm-cache" not in sys.argv:  # before numba is imported: a fresh cache measures a cold compile
    import tempfile

    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="aurora-evo-numba-")

from simpy_model import simpy_simulate
from timing import median_time

from aurora_evo.contracts import Contract
from aurora_evo.program_loading import compile_program
from aurora_evo.scenario import Scenario, benchmark_scenario, load_scenario
from aurora_evo.scenario.model import Tasks
from aurora_evo.seeds import seed_program_paths, seed_scenario_paths
from aurora_evo.sim import simulate
from aurora_evo.sim.reference import reference_simulate


def first_tasks(scenario: Scenario, count: int) -> Scenario:
    """The scenario cut to its first ``count`` tasks in arrival order."""
    if count >= len(scenario.tasks):
        return scenario
    keep = np.sort(np.argsort(scenario.tasks.arrival, kind="stable")[:count])
    t = scenario.tasks
    tasks = Tasks(t.arrival[keep], t.duration[keep], t.demand[keep], t.priority[keep], t.deadline[keep],
                  t.owner[keep], t.owners)  # fmt: skip
    return replace(scenario, name=f"{scenario.name}[:{count}]", tasks=tasks)


def measure(scenario: Scenario, source: str, prefix: int, repeats: int) -> dict:
    compile_s, program = median_time(lambda: compile_program(source, Contract.ALLOCATION))
    first_s, first = median_time(lambda: simulate(scenario, program))
    warm_s, warm = median_time(lambda: simulate(scenario, program), repeats)
    loop_s = min(first.seconds, warm.seconds)
    numpy_s, numpy_run = median_time(lambda: simulate(scenario, program, use_jit=False))
    assert numpy_run.decisions == warm.decisions

    small = first_tasks(scenario, prefix)
    ref_s, ref = median_time(lambda: reference_simulate(small, program.python))
    simpy_s, simpy_run = median_time(lambda: simpy_simulate(small, program.python))
    # Placements of the numba simulator on the same cut, to check the baselines agree with it.
    same_cut = simulate(small, program)
    agree = ref.metrics["n_placed"] == simpy_run["placed"] == same_cut.decisions

    numba_rate = warm.decisions / loop_s
    ref_rate = ref.metrics["n_placed"] / ref_s
    simpy_rate = simpy_run["placed"] / simpy_s
    return {
        "scenario": scenario.name,
        "tasks": len(scenario.tasks),
        "nodes": len(scenario.nodes),
        "placements": warm.decisions,
        "rejected": warm.metrics.n_rejected,
        "mean_wait_s": warm.metrics.mean_wait_s,
        "program_compile_s": compile_s,
        "first_call_s": first_s,
        "kernel_compile_or_cache_s": max(0.0, first_s - warm_s),
        "numba_loop_s": loop_s,
        "numba_simulate_s": warm_s,
        "numba_placements_per_s": numba_rate,
        "numpy_path_s": numpy_s,
        "numpy_path_placements_per_s": numpy_run.decisions / numpy_run.seconds,
        "baseline_tasks": len(small.tasks),
        "reference_s": ref_s,
        "reference_placements_per_s": ref_rate,
        "simpy_s": simpy_s,
        "simpy_placements_per_s": simpy_rate,
        "baselines_agree_with_numba": bool(agree),
        "speedup_vs_reference": numba_rate / ref_rate,
        "speedup_vs_simpy": numba_rate / simpy_rate,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--program", default="best_fit", help="seed program name (default best_fit)")
    parser.add_argument("--load", type=float, default=0.9, help="offered load of the 100k scenario")
    parser.add_argument("--prefix", type=int, default=2000, help="baseline tasks on the 100k scenario")
    parser.add_argument("--full", action="store_true", help="run the baselines on whole scenarios")
    parser.add_argument("--warm-cache", action="store_true", help="load the kernel from numba's cache")
    parser.add_argument("--repeats", type=int, default=3, help="warm numba runs (median)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()

    source = seed_program_paths()[args.program].read_text()
    expert = load_scenario(next(p for p in seed_scenario_paths("expert") if p.stem == "expert-cloud-01"))
    big = benchmark_scenario(np.random.default_rng(0), target_load=args.load)
    results = [
        measure(expert, source, len(expert.tasks), args.repeats),
        measure(big, source, len(big.tasks) if args.full else args.prefix, args.repeats),
    ]
    machine = f"{platform.processor() or platform.machine()}, {numba.config.NUMBA_NUM_THREADS} threads, "
    machine += f"Python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}"
    if args.json:
        print(json.dumps({"program": args.program, "machine": machine, "results": results}, indent=2))
        return
    print(f"program: {args.program}; {machine}")
    for r in results:
        cut = (
            ""
            if r["baseline_tasks"] == r["tasks"]
            else f" (baselines on the first {r['baseline_tasks']} tasks)"
        )
        print(
            f"\n{r['scenario']}: {r['tasks']} tasks x {r['nodes']} nodes, {r['placements']} placements{cut}"
        )
        print(f"  workload: {r['rejected']} tasks rejected, mean wait {r['mean_wait_s']:.1f} s")
        program_s, kernel_s = r["program_compile_s"], r["kernel_compile_or_cache_s"]
        print(f"  compile: program {program_s:.2f} s, kernel first call {kernel_s:.2f} s (then reused)")
        loop = f"event loop {r['numba_loop_s']:.3f} s, with set-up and metrics {r['numba_simulate_s']:.3f} s"
        print(f"  numba      {r['numba_placements_per_s']:>12,.0f} placements/s  ({loop})")
        numpy_rate = r["numpy_path_placements_per_s"]
        print(f"  numpy path {numpy_rate:>12,.0f} placements/s  ({r['numpy_path_s']:.2f} s)")
        for name in ("reference", "simpy"):
            rate, seconds, ratio = r[f"{name}_placements_per_s"], r[f"{name}_s"], r[f"speedup_vs_{name}"]
            print(f"  {name:<10} {rate:>12,.0f} placements/s  ({seconds:.2f} s)  -> numba is {ratio:,.0f}x")
        print(f"  baselines place the same tasks as numba: {r['baselines_agree_with_numba']}")


if __name__ == "__main__":
    main()
