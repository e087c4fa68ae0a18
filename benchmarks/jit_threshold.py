"""Where numba starts to pay for a new bin-packing program: compile + run against the numpy path.

    python benchmarks/jit_threshold.py [--repeats 3] [--json]

A candidate is evaluated once, so numba's compilation is part of its cost. For generated OR (120, 250
and 500 items) and Weibull (1,000 and 5,000 items) instances, and two programs (best fit, and a
GP-shaped one with ``exp`` and divisions over every bin), this times a fresh program (its source
changes every call, so nothing is cached) packing about 10,000 items both ways, in this process. The
baseline is the numpy path measured in the same run; ``jit/numpy`` above 1 means compiling does not
pay at that size. ``break-even`` is the item count at which both would take the same time
(compile / (numpy per item - numba per item));
``aurora_evo.domains.binpacking.problem.JIT_MIN_ITEMS`` sits above it for the instances the presets
train on.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import median_time

from aurora_evo.contracts import Contract
from aurora_evo.domains.binpacking import or_dataset, pack, weibull_dataset
from aurora_evo.domains.binpacking.problem import JIT_MIN_ITEMS
from aurora_evo.program_loading import compile_program

PROGRAMS = {
    "best fit": "import numpy as np\n\ndef priority(item, bins):\n    return -(bins - item) + {c}\n",
    "gp-shaped": (
        "import numpy as np\n\ndef priority(item, bins):\n"
        "    room = bins - item\n"
        "    t1 = np.exp(np.minimum(room, 50.0)) * (room / np.max(bins)) / np.maximum(np.abs(bins), 1e-09)\n"
        "    return -(np.exp(np.minimum(t1, 50.0)) - item) + {c}\n"
    ),
}
SIZES = (("or", 120), ("or", 250), ("or", 500), ("weibull", 1000), ("weibull", 5000))
ITEMS = 10_000


def measure(source_template: str, dataset, counter, repeats: int) -> dict:
    def fresh(jit: bool):
        return compile_program(source_template.format(c=f"{next(counter)}e-12"), Contract.BINPACKING, jit=jit)

    def run(program):
        for instance in dataset.instances:
            pack(program, instance)

    compile_s, program = median_time(lambda: fresh(True), repeats, warm=True)
    numba_s, _ = median_time(lambda: run(program), repeats, warm=True)
    numpy_s, _ = median_time(lambda: run(fresh(False)), repeats)
    items = sum(len(i.items) for i in dataset.instances)
    saved = (numpy_s - numba_s) / items
    return {
        "items": items,
        "compile_s": compile_s,
        "numba_us_per_item": numba_s / items * 1e6,
        "numpy_us_per_item": numpy_s / items * 1e6,
        "jit_over_numpy": (compile_s + numba_s) / numpy_s,
        "break_even_items": compile_s / saved if saved > 0 else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    counter = itertools.count()
    rows = []
    for kind, size in SIZES:
        make = or_dataset if kind == "or" else weibull_dataset
        dataset = make(rng, max(1, ITEMS // size), size, name=f"{kind}-{size}")
        for name, template in PROGRAMS.items():
            rows.append(
                {
                    "instances": f"{kind} {size}",
                    "program": name,
                    **measure(template, dataset, counter, args.repeats),
                }
            )
    if args.json:
        print(json.dumps({"jit_min_items": JIT_MIN_ITEMS, "rows": rows}, indent=2))
        return
    print(f"JIT_MIN_ITEMS = {JIT_MIN_ITEMS:,}")
    print(f"{'instances':<14} {'program':<10} {'compile s':>9} {'numba us/item':>13} {'numpy us/item':>13} "
          f"{'jit/numpy':>9} {'break-even':>11}")  # fmt: skip
    for r in rows:
        even = f"{r['break_even_items']:>11,.0f}" if r["break_even_items"] else f"{'never':>11}"
        print(
            f"{r['instances']:<14} {r['program']:<10} {r['compile_s']:>9.3f} {r['numba_us_per_item']:>13.1f} "
            f"{r['numpy_us_per_item']:>13.1f} {r['jit_over_numpy']:>9.2f} {even}"
        )


if __name__ == "__main__":
    main()
