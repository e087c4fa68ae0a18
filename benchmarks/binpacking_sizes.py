"""The shipped bin-packing programs and the fit baselines on instances of other sizes than they were
chosen for: their generalisation, on record (issue 24).

    python benchmarks/binpacking_sizes.py [--seed S] [--largest N] [--programs NAME ...]

Each program (first fit, best fit, ``programs/binpack_weibull.py``, ``programs/binpack_or.py``; with
``--programs``, the baselines and only the shipped programs named) packs:
FunSearch's released test sets (Weibull 5k: 5 x 5,000 items; OR3: 20 x 500), and instances generated with
``--seed`` (:mod:`aurora_evo.domains.binpacking.generators`, FunSearch's shapes): Weibull 5 x 1,000,
5 x 10,000 and 1 x 100,000 items (``--largest`` changes the last, e.g. 20000 for a quicker run); OR 20
instances each of 120, 250, 500 and 1,000 items (OR1-OR4's sizes). It prints the excess bins over the
L1 bound (%, lower is better) per program and set, and the seconds each program took on the sets.
Only shipped (vetted) programs are run, and in this process (``aurora-evo bench binpacking`` runs the
programs it is given in the sandbox; their bins are the same).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from aurora_evo.domains import get_problem
from aurora_evo.domains.binpacking import builtin_datasets
from aurora_evo.domains.binpacking.generators import or_dataset, weibull_dataset

PROGRAMS = Path(__file__).resolve().parents[1] / "programs"
SHIPPED = ("binpack_weibull.py", "binpack_or.py")


def datasets(seed: int, largest: int) -> list:
    """The sets, in the order printed: Weibull by size, then OR by size (released sets in place)."""
    rng = np.random.default_rng(seed)
    released = builtin_datasets()
    return [
        weibull_dataset(rng, 5, 1000, "Weibull 1k"),
        released["Weibull 5k"],
        weibull_dataset(rng, 5, 10_000, "Weibull 10k"),
        weibull_dataset(rng, 1, largest, f"Weibull {largest // 1000}k"),
        or_dataset(rng, 20, 120, "OR 120"),
        or_dataset(rng, 20, 250, "OR 250"),
        released["OR3"],
        or_dataset(rng, 20, 1000, "OR 1000"),
    ]


def programs(shipped: list[str]) -> dict[str, str]:
    """First fit, best fit and the ``shipped`` programs: name -> source."""
    baselines = get_problem("binpacking").baselines()
    chosen = {name: baselines[name] for name in baselines if name.lower() in ("first fit", "best fit")}
    return chosen | {name: (PROGRAMS / name).read_text(encoding="utf-8") for name in shipped}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated instances (default 0)")
    parser.add_argument("--largest", type=int, default=100_000, help="items of the largest Weibull instance")
    parser.add_argument(
        "--programs", nargs="+", choices=SHIPPED, default=list(SHIPPED), help="the shipped programs to pack"
    )
    args = parser.parse_args()
    problem, sets = get_problem("binpacking"), datasets(args.seed, args.largest)
    print("| program | " + " | ".join(d.name for d in sets) + " | seconds |")
    print("|---" * (len(sets) + 2) + "|")
    for name, source in programs(args.programs).items():
        started, cells = time.perf_counter(), []
        for dataset in sets:
            result = problem.evaluate(source, [dataset], jit="always")
            if not result.outcome.ok:
                raise SystemExit(f"{name} on {dataset.name}: {result.message}")
            cells.append(f"{next(iter(result.per_case.values()))['excess_percent']:.2f} %")
        print(f"| {name} | " + " | ".join(cells) + f" | {time.perf_counter() - started:.0f} |", flush=True)


if __name__ == "__main__":
    main()
