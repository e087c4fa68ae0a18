# aurora-evo evolved program
# domain: binpacking (weibull) (contract: priority(item, bins); the highest score is chosen)
# run: wrule-seed6
# program: 0fa3b19ce3c11f57
# lineage: 0fa3b19ce3c11f57 <- d28e0e2dd739aac0 <- 67cfce6c1982f73b <- 88e682616a1a9638 <- 92175c3f676ed2ca
#   <- e4444634c5d45a9e <- 05135a64b28b3b5a <- 0f4c5118988fe7a6 <- bf75c19fd53463b2 <-
#   781830a0224ce3ea <- e3b047c2e9b0be0f <- 085435c555678185 <- b78ecc955d64c21f <- 99af7530909520dd
#   <- 90a033691f7bc725 <- 954b61e051aca88c <- b6e266054accdade <- 424115e75fdb00f3 <-
#   54b4c9f5b440a29e <- dd2d2e504cde643d
# scores: train (minus % excess over L1, extrapolated to 5000 items) -0.610658, validation (minus % excess
#   over L1) -0.637263
# made by: genetic programming (subtree mutation) [gp.mutate_subtree]
# simplified: constants folded and identities removed, same decisions (the archive keeps the source as
#   evaluated)
# what it does: Reads bins, item through 9 named terms: cap (bin capacity), room (room left in each bin after
#   placing the item), spare (room left after placement / capacity), empty (1.0 for an empty bin),
#   tightest (1.0 for the fullest bin the item fits in), t1, t2, t3, t4. The score is computed from
#   empty, t3 and t4.
# reasoning:
# subtree mutation at depth 1 of parent d28e0e2dd739aac0: replaced a 11-node Vec subtree by a
# 7-node one (div_vv(sub_sv(0.01, empty), max_vs(tightest, item)))
"""Evolved by genetic programming."""

import numpy as np


def priority(item, bins):
    """A tree of 47 nodes, depth 8: one score per bin, shape (k,);
    the item goes to the highest-scoring bin."""
    cap = np.max(bins)  # bin capacity
    room = bins - item  # room left in each bin after placing the item
    spare = (bins - item) / cap  # room left after placement / capacity
    empty = (bins == cap) * 1.0  # 1.0 for an empty bin
    tightest = (bins == np.min(bins)) * 1.0  # 1.0 for the fullest bin the item fits in
    t1 = (np.abs(spare - 0.63) <= 0.0) * 1.0 - (empty - cap) + np.log1p(np.abs(room))
    t2 = t1 + (np.abs(room + 1.0) <= 1.0) * 1.0 * item + (np.abs(room - 0.1) <= 0.2) * 1.0 * 20.0
    t3 = t2 + (np.abs(room - 0.05) <= 1.0) * 1.0 * 50.0 + (np.abs(bins - 100.0) <= 5.0) * 1.0 * -0.1
    t4 = np.maximum(tightest, item)
    return t3 + (0.01 - empty) * np.sign(t4) / np.maximum(np.abs(t4), 1e-09)
