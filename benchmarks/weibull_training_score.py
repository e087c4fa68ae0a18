"""How the Weibull preset's 1,000-item training ranks programs, measured and extrapolated to 5,000 items.

    python benchmarks/weibull_training_score.py [PROGRAM.py ...]

Best fit, FunSearch's published Weibull heuristic (0.68 % on Weibull 5k), the shipped
``programs/binpack_weibull.py`` and any program files given (exported ones, say) are scored on training
instances of 1,000 items generated as ``islands/binpacking-weibull.toml`` generates them (seed 0): the 4
the preset trained on until it scored by extrapolation, and the 10 it trains on since, each by the
excess measured and by the excess extrapolated to 5,000 items from the settled bins
(``train_score_items``, as the OR preset does; see BENCHMARKS.md, OR). All are then scored on 5 fresh
instances of 5,000 items (Weibull 5k's size) and on the preset's validation set. The script prints the
figures and how each training score correlates with the 5,000-item excess, over the programs whose
figures differ (a program with every figure of an earlier one is taken to pack as it does) and over
those of them under 1.5 % there. Figures
are % excess over L1, numpy path (the same packings as numba's); nothing here is timed.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
from or_thresholds import BINPACKING, measured_and_scored

from aurora_evo.config_files import load_preset
from aurora_evo.domains.binpacking import weibull_dataset
from aurora_evo.domains.binpacking.baselines import BEST_FIT_SOURCE, FUNSEARCH_WEIBULL_SOURCE

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("programs", nargs="*", type=Path, help="more program files to score")
    args = parser.parse_args()
    config = load_preset(REPO / "islands" / "binpacking-weibull.toml")
    task = replace(config.task, train_items=1000, train_score_items=5000)
    trains = {n: BINPACKING.cases(replace(task, train_instances=n), config.seed).train for n in (4, 10)}
    validation = BINPACKING.cases(config.task, config.seed).validation
    fresh = (weibull_dataset(np.random.default_rng(12345), 5, 5000, name="w5000"),)
    programs = {
        "best fit": BEST_FIT_SOURCE,
        "FunSearch": FUNSEARCH_WEIBULL_SOURCE,
        "shipped": (REPO / "programs" / "binpack_weibull.py").read_text(),
        **{path.stem: path.read_text() for path in args.programs},
    }
    head = ("4 meas.", "4 extr.", "10 meas.", "10 extr.", "valid.", "5x5000")
    print(f"{'program':>24} " + " ".join(f"{h:>8}" for h in head))
    rows: dict[tuple[float, ...], str] = {}
    for name, source in programs.items():
        row = [*measured_and_scored(source, trains[4]), *measured_and_scored(source, trains[10])]
        row = tuple(row + [-BINPACKING.evaluate(source, d).score for d in (validation, fresh)])
        same = f"  (packs as {rows[row]})" if row in rows else ""
        rows.setdefault(row, name)
        print(f"{name[:24]:>24} " + " ".join(f"{x:8.2f}" for x in row) + same)
    table = np.array(list(rows))
    good = table[table[:, 5] < 1.5]  # where a search's bests are: the order among them is what counts
    for column, name in enumerate(head[:4]):
        every, best = (np.corrcoef(t[:, column], t[:, 5])[0, 1] for t in (table, good))
        print(
            f"training excess ({name}): correlation with the 5,000-item excess {every:.2f} over "
            f"{len(table)} programs that pack differently, {best:.2f} over the {len(good)} under 1.5 %"
        )


if __name__ == "__main__":
    main()
