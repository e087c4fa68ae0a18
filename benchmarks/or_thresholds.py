"""How the OR preset's 120-item training ranks threshold programs, against 250- and 500-item instances.

    python benchmarks/or_thresholds.py [--top 6]

The programs are best fit with two hand-set rules (the family of the threshold probe in BENCHMARKS.md):
skip the fullest bin the item fits in when it would keep more than ``s`` units, and avoid leaving a
room in the band ``[lo, hi]`` (``s = 1000`` turns the first rule off). Every setting of a grid (106
settings) and the probe (s 8.5, band 9-19) are scored on the training set of
``islands/binpacking-or.toml`` (600 x 120 items, seed 0) twice: by the excess measured, and by the
excess extrapolated to 250 items from the settled bins (``train_score_items``, as the preset scored
its training until it moved to 500 items). All are scored on 100 fresh instances of 500 items (OR3's
size); the script prints how each training score correlates with that, and the ``--top`` best by each,
also on 200 fresh instances of 250 items (the validation size then). The shipped program and the probe
are scored on 20 (the old validation set), 400 fresh 250-item and 200 fresh 500-item instances.
Figures are % excess over L1, numpy path (the same packings as numba's); nothing here is timed.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np

from aurora_evo.config_files import load_preset
from aurora_evo.domains.binpacking import or_dataset
from aurora_evo.domains.binpacking.problem import BinPackingProblem, case_excess

REPO = Path(__file__).resolve().parent.parent
BINPACKING = BinPackingProblem()
TEMPLATE = """import numpy as np


def priority(item, bins):
    room = bins - item
    tightest = (bins == np.min(bins)) * 1.0
    return -room - tightest * (room > {s}) * 1000.0 - (np.abs(room - {c}) <= {w}) * 1000.0
"""
GRIDS = (
    ([4.5, 8.5, 12.5, 1000.0], [5.5, 8.5, 11.5], [15.5, 19.5, 23.5]),
    ([1000.0, 8.5, 10.5], [9.5, 11.5, 13.5, 15.5], [21.5, 23.5, 25.5, 27.5, 30.5, 35.5]),
)


def program(s: float, lo: float, hi: float) -> str:
    return TEMPLATE.format(s=s, c=(lo + hi) / 2, w=(hi - lo) / 2)


def excess(source: str, datasets) -> float:
    """% excess over L1 (positive; the evaluation's score is its negative), as the datasets score it."""
    return -BINPACKING.evaluate(source, datasets).score


def measured_and_scored(source: str, datasets) -> tuple[float, float]:
    """The mean over the datasets of the excess measured and of the one they score (extrapolated)."""
    cases = BINPACKING.evaluate(source, datasets).per_case.values()
    return float(np.mean([c["excess_percent"] for c in cases])), float(
        np.mean([case_excess(c) for c in cases])
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--top", type=int, default=6, help="settings re-scored on 250 items, per training score"
    )
    args = parser.parse_args()
    config = load_preset(REPO / "islands" / "binpacking-or.toml")
    # The preset's scoring when this was written (it now extrapolates to, and validates at, 500 items).
    task = replace(config.task, train_score_items=250, validation_items=250)
    train = BINPACKING.cases(task, config.seed).train
    old_validation = BINPACKING.cases(replace(task, validation_instances=20), config.seed).validation
    v250 = (or_dataset(np.random.default_rng(777), 200, 250, name="v250"),)
    u500 = (or_dataset(np.random.default_rng(12345), 100, 500, name="u500"),)

    settings = [*sorted({key for grid in GRIDS for key in itertools.product(*grid)}), (8.5, 9.0, 19.0)]
    rows = []
    for key in settings:
        measured, scored = measured_and_scored(program(*key), train)
        rows.append((key, measured, scored, excess(program(*key), u500)))
    print(f"{len(settings)} settings (the grid and the probe) on the training set (120 items) and 500 items:")
    at500 = [row[3] for row in rows]
    for column, name in ((1, "measured"), (2, f"extrapolated to {task.train_score_items} items")):
        correlation = np.corrcoef([row[column] for row in rows], at500)[0, 1]
        print(f"  training excess {name}: correlation with the 500-item excess {correlation:.2f}")
    for column, name in ((1, "measured"), (2, "extrapolated")):
        print(f"\nbest {args.top} by training excess {name}, then 250 and 500 items:")
        print(f"{'s':>7} {'band':>12} {'train %':>8} {'extrap. %':>9} {'250 %':>7} {'500 %':>7}")
        for (s, lo, hi), measured, scored, at in sorted(rows, key=lambda row: row[column])[: args.top]:
            band = f"[{lo:g}, {hi:g}]"
            at250 = excess(program(s, lo, hi), v250)
            print(f"{s:7g} {band:>12} {measured:8.2f} {scored:9.2f} {at250:7.2f} {at:7.2f}")

    more250 = (or_dataset(np.random.default_rng(12345), 400, 250, name="g250"),)
    more500 = (or_dataset(np.random.default_rng(12345), 200, 500, name="g500"),)
    head = ("train %", "extrap. %", "old val %", "400x250 %", "200x500 %")
    print(f"\n{'program':>12} " + " ".join(f"{h:>{max(8, len(h))}}" for h in head))
    probes = {"probe": program(8.5, 9.0, 19.0), "shipped": (REPO / "programs" / "binpack_or.py").read_text()}
    for name, source in probes.items():
        row = [*measured_and_scored(source, train)]
        row += [excess(source, d) for d in (old_validation, more250, more500)]
        print(f"{name:>12} " + " ".join(f"{x:{w}.2f}" for x, w in zip(row, (8, 9, 9, 9, 9), strict=True)))


if __name__ == "__main__":
    main()
