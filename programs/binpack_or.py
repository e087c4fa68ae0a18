# aurora-evo evolved program
# domain: binpacking (or) (contract: priority(item, bins); the highest score is chosen)
# run: or600-seed0
# program: d7ae5266f8f46976
# lineage: d7ae5266f8f46976 <- 8e63331880af0af5 <- d9c4c28fdc15c285 <- af744e3d6cb28c7a <- 704d5c3223fb374d
#   <- 938fa69774c99cb6 <- 9cf28c42a497c623 <- 13a7db17232bdd08 <- a1bb4cab0a066535 <-
#   ae7ea351cc3fdb92 <- 0cc53d29df540028 <- 711e978abcfe1365 <- 742e7cdf6f398a35 <- bc3141783799170a
#   <- 61b1f1289bed28e9 <- f67251dc3f149ec9
# scores: train (minus % excess over L1) -5.75563, validation (minus % excess over L1) -3.91477
# reasoning:
# point mutation at depth 5 of parent 8e63331880af0af5: room -> zeros
"""Evolved by genetic programming."""

import numpy as np


def priority(item, bins):
    """A tree of 19 nodes, depth 8: one score per bin, shape (k,);
    the item goes to the highest-scoring bin."""
    cap = np.max(bins)  # bin capacity
    room = bins - item  # room left in each bin after placing the item
    tightest = (bins == np.min(bins)) * 1.0  # 1.0 for the fullest bin the item fits in
    t1 = np.zeros(len(bins)) * np.sign(bins) / np.maximum(np.abs(bins), 1e-09)
    t2 = np.maximum(tightest * np.sign(item) / np.maximum(np.abs(item), 1e-09), t1)
    t3 = -np.zeros(len(bins)) + (np.exp(np.minimum(room, 50.0)) * t2 - cap)
    return -np.minimum(np.sqrt(np.abs(t3)), cap)
