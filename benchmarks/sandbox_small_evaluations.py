"""Where simulating in the client stops paying: a small allocation evaluation simulated by the client
(a jail answering each call of ``priority``) against the same evaluation through an evaluation jail,
as the evaluation grows.

    python benchmarks/sandbox_small_evaluations.py [--repeats 25]

One program (``-|free cpu - demand| + 0.1 * free memory``) on seed scenarios of 5 to 250 tasks in
all, each size evaluated by a sandbox that simulates it itself (``simulate_here_max_tasks`` above
every size), by one that always uses an evaluation jail (``0``), and in process (the baseline), one
after the other; the three results must be identical, which the script checks. Prints the median time
per evaluation of each, in milliseconds.
"""

from __future__ import annotations

import argparse
import functools

from timing import median_time

from aurora_evo.domains import get_problem
from aurora_evo.sandbox import Sandbox, SandboxConfig
from aurora_evo.seeds import seed_scenarios

PROGRAM = (
    "import numpy as np\n"
    "def priority(task, nodes):\n"
    "    return -np.abs(nodes[:, 1] - task[1]) + 0.1 * nodes[:, 2]\n"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=25)
    args = parser.parse_args()
    easy, medium, hard = (seed_scenarios(level) for level in ("easy", "medium", "hard"))
    sizes = {
        5: easy[:1], 10: easy[:2], 20: medium[:1], 30: medium[:1] + easy[:2], 40: medium[:2],
        60: medium[:3], 100: medium[:5], 250: hard[:1],
    }  # fmt: skip
    allocation = get_problem("allocation")
    print("tasks  simulated here  evaluation jail  in process   (ms per evaluation)")
    with (
        Sandbox(SandboxConfig(simulate_here_max_tasks=10**9)) as here,
        Sandbox(SandboxConfig(simulate_here_max_tasks=0)) as jail,
    ):
        for tasks, scenarios in sizes.items():
            assert sum(len(s.tasks) for s in scenarios) == tasks
            timed = [
                median_time(lambda run=run, cases=scenarios: run(PROGRAM, cases), args.repeats, warm=True)
                for run in (
                    functools.partial(here.evaluate, allocation),
                    functools.partial(jail.evaluate, allocation),
                    allocation.evaluate,
                )
            ]
            if len({str(result.as_dict()) for _, result in timed}) != 1:
                raise AssertionError(f"{tasks} tasks: the three evaluations differ")
            print(f"{tasks:5d}  " + "  ".join(f"{1000 * seconds:14.1f}" for seconds, _ in timed))


if __name__ == "__main__":
    main()
