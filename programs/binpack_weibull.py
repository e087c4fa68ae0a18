# aurora-evo evolved program
# domain: binpacking (weibull) (contract: priority(item, bins); the highest score is chosen)
# run: bpw-seed3
# program: 0e15f73cf47ee3e9
# lineage: 0e15f73cf47ee3e9 <- 7c3acc2a87d29273 <- ecf8f7760fbd1cf5 <- 9d6a3f3cd9113722 <- 0c7b6d954d4f596e
#   <- 5989acd2d6ab015b <- e14e9261805a14ad <- 38a1f8c9f2a8547d <- 9523090641dfd10b <-
#   08d665c2eb3a1d3b <- 2e45215a1fcbb344 <- 284b4575f4abe431 <- 940754f47c2ea183 <- 0395598f975da8c3
#   <- 0dbf51b633c01053 <- 62a47e0e3d1fed81 <- 0ccdae6dc9804d24 <- 96e07466f812db3e <-
#   ba683f3f7a998596
# scores: train (minus % excess over L1) -1.44695, validation (minus % excess over L1) -0.838364
# what it does: Reads bins, item through 13 named terms: cap (bin capacity), n (number of bins offered), room
#   (room left in each bin after placing the item), spare (room left after placement / capacity),
#   empty (1.0 for an empty bin), tightest, t1, t2, t3, t4, t5, t6, t7. The score is computed from
#   room, t6 and t7.
# reasoning:
# parent 7c3acc2a87d29273: 'np.min(bins)' at line 14 replaced by '(-1.53)' of parent
# ecf8f7760fbd1cf5
"""Evolved by genetic programming."""

import numpy as np


def priority(item, bins):
    """A tree of 34 nodes, depth 8: one score per bin, shape (k,);
    the item goes to the highest-scoring bin."""
    cap = np.max(bins)  # bin capacity
    n = float(len(bins))  # number of bins offered
    room = bins - item  # room left in each bin after placing the item
    spare = (bins - item) / cap  # room left after placement / capacity
    empty = (bins == cap) * 1.0  # 1.0 for an empty bin
    tightest = (bins == (-1.53)) * 1.0
    t1 = np.exp(np.minimum(np.minimum(np.log1p(np.abs(spare)), item) * cap, 50.0))
    t2 = item * np.sign(t1) / np.maximum(np.abs(t1), 1e-09) - tightest
    t3 = np.abs(cap) * np.sign(n) / np.maximum(np.abs(n), 1e-09)
    t4 = t3 if item <= np.minimum(item, n) else -1.53
    t5 = np.exp(np.minimum(empty - np.zeros(len(bins)), 50.0))
    t6 = t5 * np.sign(t4) / np.maximum(np.abs(t4), 1e-09)
    t7 = t2 - empty * np.sign(room) / np.maximum(np.abs(room), 1e-09)
    return t7 + -(t6 * np.sign(room) / np.maximum(np.abs(room), 1e-09))
