"""How often one mutation of best fit writes the OR band node: subtree mutation (default and ladder
constants) against rule mutation.

    python benchmarks/or_band_reach.py [--samples 1000000]

The band rule (best fit that will not leave a room in about 9-21 units) is one node of the bin-packing
GP language: ``within_vss(room, c, w)`` with ``c`` near 15 and ``w`` near 6, or ``within_vss(spare, c,
w)`` with ``c`` near 0.1 and ``w`` near 0.05 (``-spare - within_vss(spare, 0.1, 0.05)`` trains at 3.95 %
extrapolated excess, best fit at 5.63 %). This draws subtree mutations of the best-fit seed tree,
as the GP makes them (the preset's leave-out, depth and leaf settings), once with the GP's default
round constants and once with the OR preset's 1-2-5 ladder (``gp_constants``, ``gp_p_constant``),
then rule mutations (:func:`~aurora_evo.mutators.gp.mut_add_rule`) with the ladder, and counts the
children holding a ``within_vss`` on ``room`` or ``spare`` with two constants, and those whose
constants are near the band (``spare``: c in [0.08, 0.13], w in [0.03, 0.07]; ``room``: c in [12, 19],
w in [4, 10]). Nothing is evaluated or timed; a seeded generator makes the counts reproducible.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from aurora_evo.config_files import load_preset
from aurora_evo.contracts import Contract
from aurora_evo.mutators import GPMutator, parse_genotype

REPO = Path(__file__).resolve().parent.parent
BAND_NODE = re.compile(r"within_vss\((spare|room), (-?[0-9.e+-]+), (-?[0-9.e+-]+)\)")
NEAR = {"spare": ((0.08, 0.13), (0.03, 0.07)), "room": ((12.0, 19.0), (4.0, 10.0))}


def near_band(match: re.Match) -> bool:
    (c_lo, c_hi), (w_lo, w_hi) = NEAR[match.group(1)]
    return c_lo <= float(match.group(2)) <= c_hi and w_lo <= float(match.group(3)) <= w_hi


def count(mutator: GPMutator, operator: str, samples: int, seed: int) -> tuple[int, int]:
    """(children with a within_vss on room or spare with two constants, children with one near the band)."""
    tree = parse_genotype("neg_v(sub_vs(bins, item))", mutator.pset)
    rng = np.random.default_rng(seed)
    nodes = band = 0
    for _ in range(samples):
        # The mutator's own call, so the counts follow its settings as a run's proposals do.
        child = mutator._mutate(operator, tree, rng)
        found = list(BAND_NODE.finditer(str(child.tree)))
        nodes += bool(found)
        band += any(near_band(m) for m in found)
    return nodes, band


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000, help="subtree mutations per language")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    preset = load_preset(REPO / "islands" / "binpacking-or.toml").mutators
    languages = {
        "subtree, default constants": (
            "mutate_subtree",
            replace(preset, gp_constants=(), gp_p_constant=None),
        ),
        "subtree, OR preset (1-2-5 ladder)": ("mutate_subtree", preset),
        "rule, OR preset (1-2-5 ladder)": ("mutate_rule", preset),
    }
    print(f"{args.samples:,} mutations of best fit per row:")
    for name, (operator, settings) in languages.items():
        mutator = GPMutator(Contract.BINPACKING, **settings.gp_settings())
        nodes, band = count(mutator, operator, args.samples, args.seed)
        print(f"  {name}: {nodes:,} hold within_vss(room|spare, constant, constant), {band:,} near the band")


if __name__ == "__main__":
    main()
