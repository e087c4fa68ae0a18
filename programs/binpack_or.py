# aurora-evo evolved program
# domain: binpacking (or) (contract: priority(item, bins); the highest score is chosen)
# run: or500-seed11
# program: d3120ed9b3a4305a
# lineage: d3120ed9b3a4305a <- dd78a6057457ad6b <- 04882f0e90c9b598 <- 8dc04e67a7572e53 <- ac938ccf4c24674f
#   <- f6fc14602824ec25 <- fbf034add932a465 <- e818deffa546f12c <- b3d679669e92053c <-
#   087b869d6592d4ed <- 7f1e4fa233bb113a <- e9d10f8e7d5110d3 <- 74a76189dbf8a0f6 <- 8a567a12081b9a6f
#   <- 29e94a4b0d900676 <- 5c5bbdb5aa396046 <- 85609f350ae1022b <- 6789e4c4d91d2730 <-
#   08c1b9f1a25393f0
# scores: train (minus % excess over L1, extrapolated to 500 items) -2.67301, validation (minus % excess
#   over L1) -2.75174
# made by: genetic programming (one-point crossover) [gp.crossover]
# simplified: constants folded and identities removed, same decisions (the archive keeps the source as
#   evaluated)
# what it does: Reads bins, item through 8 named terms: cap (bin capacity), room (room left in each bin after
#   placing the item), spare (room left after placement / capacity), tightest (1.0 for the fullest
#   bin the item fits in), t1, t2, t3, t4. The score is computed from t2, t3 and t4.
# reasoning:
# one-point crossover at depth 2 of parent dd78a6057457ad6b: its 5-node Vec subtree replaced by
# the 9-node subtree at depth 4 of the second parent (log1p_v(min_vv(log1p_v(zeros),
# sub_vs(sub_vs(bins, item), 10.0)))); second parent 04882f0e90c9b598
"""Evolved by genetic programming."""

import numpy as np


def priority(item, bins):
    """A tree of 39 nodes, depth 8: one score per bin, shape (k,);
    the item goes to the highest-scoring bin."""
    cap = np.max(bins)  # bin capacity
    room = bins - item  # room left in each bin after placing the item
    spare = (bins - item) / cap  # room left after placement / capacity
    tightest = (bins == np.min(bins)) * 1.0  # 1.0 for the fullest bin the item fits in
    t1 = np.log1p(np.abs(np.minimum(np.log1p(np.abs(np.zeros(len(bins)))), bins - item - 10.0)))
    t2 = t1 + (np.abs(spare - 0.1) <= 0.01) * 1.0 * -5.0 - tightest * 0.02
    t3 = -((np.abs(room - 0.1) <= 20.0) * 1.0) / 0.5
    t4 = np.log1p(np.abs(np.minimum(np.log1p(np.abs(np.zeros(len(bins)))), bins - item - 10.0)))
    return t2 + t3 + t4 * 0.2
