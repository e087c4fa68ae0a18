"""Evaluations per second through the sandbox against in-process, and the overhead per evaluation.

    python benchmarks/sandbox_overhead.py [--repeats 30] [--json]

Two workloads, each measured back to back (one evaluation straight after another, the worst case for
the sandbox, which forks and confines the next jail while the client scores the last result):

* a trivial program (constant scores) on a small seed scenario (``easy-cloud-01``, 5 tasks x 3 nodes),
  which runs on the numpy path (``jit="auto"``: numba would take longer to compile than the whole
  evaluation), so this measures the sandbox's machinery alone: as the sandbox runs it (an evaluation
  this small is simulated by the client, a jail answering the program's calls), and through an
  evaluation jail (``simulate_here_max_tasks=0``), the way larger evaluations go;
* a Weibull 5k evaluation (FunSearch's 5 x 5,000 items) of best fit, numba path;
* the trivial program forced through numba (``jit="always"``): a stress case ``jit="auto"`` avoids,
  where each evaluation is shorter than the numba warm-up the waiting jail does for the next one.

In-process evaluation (the problem's :meth:`~aurora_evo.problem.Problem.evaluate`, which compiles and
runs the same source) is the baseline measured in the same run; the overhead is the difference of the
medians. Results must be identical either way, which the script checks.
"""

from __future__ import annotations

import argparse
import json

from timing import median_time

from aurora_evo.domains import get_problem
from aurora_evo.domains.binpacking import builtin_datasets
from aurora_evo.sandbox import Sandbox, SandboxConfig
from aurora_evo.scenario import load_scenario
from aurora_evo.seeds import seed_scenario_paths

TRIVIAL = "import numpy as np\ndef priority(task, nodes):\n    return np.zeros(nodes.shape[0])\n"
BEST_FIT_PACKER = "import numpy as np\ndef priority(item, bins):\n    return -(bins - item)\n"
ALLOCATION = get_problem("allocation")
BINPACKING = get_problem("binpacking")


def compare(name: str, inside, outside, repeats: int) -> dict:
    sandboxed, a = median_time(inside, repeats, warm=True)
    in_process, b = median_time(outside, repeats, warm=True)
    if a.as_dict() != b.as_dict():
        raise AssertionError(f"{name}: the sandbox's result differs from the in-process one")
    return {
        "workload": name,
        "sandbox_s": sandboxed,
        "in_process_s": in_process,
        "sandbox_evals_per_s": 1 / sandboxed,
        "in_process_evals_per_s": 1 / in_process,
        "overhead_ms": 1000 * (sandboxed - in_process),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    scenario = [load_scenario(next(p for p in seed_scenario_paths("easy") if p.stem == "easy-cloud-01"))]
    weibull = [builtin_datasets()["Weibull 5k"]]
    results = []
    with Sandbox(SandboxConfig()) as sandbox:
        results.append(
            compare(
                "trivial program, small scenario (numpy path)",
                lambda: sandbox.evaluate(ALLOCATION, TRIVIAL, scenario),
                lambda: ALLOCATION.evaluate(TRIVIAL, scenario),
                args.repeats,
            )
        )
        layers = sandbox.layers.describe()
    with Sandbox(SandboxConfig(simulate_here_max_tasks=0)) as sandbox:
        results.append(
            compare(
                "trivial program, small scenario, through an evaluation jail",
                lambda: sandbox.evaluate(ALLOCATION, TRIVIAL, scenario),
                lambda: ALLOCATION.evaluate(TRIVIAL, scenario),
                args.repeats,
            )
        )
        results.append(
            compare(
                "best fit, Weibull 5k (5 x 5,000 items), numba path",
                lambda: sandbox.evaluate(BINPACKING, BEST_FIT_PACKER, weibull),
                lambda: BINPACKING.evaluate(BEST_FIT_PACKER, weibull),
                max(5, args.repeats // 3),
            )
        )
    with Sandbox(SandboxConfig(jit="always")) as sandbox:
        results.append(
            compare(
                "trivial program, small scenario, forced through numba",
                lambda: sandbox.evaluate(ALLOCATION, TRIVIAL, scenario),
                lambda: ALLOCATION.evaluate(TRIVIAL, scenario, jit="always"),
                args.repeats,
            )
        )
    if args.json:
        print(json.dumps({"layers": layers, "results": results}, indent=2))
        return
    print(layers)
    for r in results:
        print(
            f"{r['workload']}:\n"
            f"  sandbox    {r['sandbox_evals_per_s']:8.1f} evals/s ({1000 * r['sandbox_s']:.1f} ms)\n"
            f"  in-process {r['in_process_evals_per_s']:8.1f} evals/s ({1000 * r['in_process_s']:.1f} ms)\n"
            f"  overhead   {r['overhead_ms']:8.1f} ms per evaluation"
        )


if __name__ == "__main__":
    main()
