"""How long a suite's tasks run, split by split, each split's windows in two halves (earlier, later).

    python benchmarks/split_durations.py SUITE

A program evolved on a suite's train split and chosen on its validation split meets its test split
only at the end; when the splits are cut by time (train first, test last) and the trace reader drops
the tasks still running when its input ends (:mod:`aurora_evo.traces.google2011` did until commit
98b0202, which cuts them there instead), the last windows keep only the tasks that ended before the
input did, and their durations shrink towards the end. This prints, per half split: the mean tasks and
nodes per window, the median, mean, 90th percentile and longest task duration (s), and the share of
tasks longer than 1,000 s.
"""

from __future__ import annotations

import sys

import numpy as np

from aurora_evo.errors import InputError
from aurora_evo.suites import load_suite

SPLITS = ("train", "validation", "test")


def rows(suite_name: str) -> list[str]:
    """One line per half of each split of the suite called ``suite_name``."""
    suite = load_suite(suite_name)
    heading = ("tasks", "nodes", "median", "mean", "p90", "max", ">1000s")
    lines = [f"{'split':<20}" + "".join(f"{word:>8}" for word in heading)]
    for split in SPLITS:
        scenarios = list(suite.split(split))
        middle = len(scenarios) // 2
        for half, part in (("earlier", scenarios[:middle]), ("later", scenarios[middle:])):
            durations = np.concatenate([np.asarray(s.tasks.duration) for s in part])
            tasks = np.mean([len(s.tasks) for s in part])
            nodes = np.mean([len(s.nodes) for s in part])
            lines.append(
                f"{split + ', ' + half:<20}{tasks:8.0f}{nodes:8.1f}{np.median(durations):8.0f}"
                f"{durations.mean():8.0f}{np.percentile(durations, 90):8.0f}{durations.max():8.0f}"
                f"{np.mean(durations > 1000):8.2f}"
            )
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        print("\n".join(rows(argv[0])))
    except InputError as exc:
        print(f"split_durations: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
