# aurora-evo evolved program
# domain: binpacking (or) (contract: priority(item, bins); the highest score is chosen)
# run: binpack-or
# program: b39ea8a4e4cc7138
# lineage: b39ea8a4e4cc7138 <- 34452e4232b81bb2 <- 6a5ceda427128b90 <- ffea9100bfecadeb <- 9f7f0c0e5409d64e
#   <- 102e6f942cfef0f9
# scores: train (minus % excess over L1) -5.76591, validation (minus % excess over L1) -5.15362
# reasoning:
# shrink mutation at depth 5 of parent 34452e4232b81bb2: add_vv replaced by its argument 2
"""Evolved by genetic programming."""

import numpy as np


def priority(item, bins):
    """A tree of 10 nodes, depth 5: one score per bin, shape (k,);
    the item goes to the highest-scoring bin."""
    cap = np.max(bins)  # bin capacity
    room = bins - item  # room left in each bin after placing the item
    spare = (bins - item) / cap  # room left after placement / capacity
    t1 = np.exp(np.minimum(room, 50.0)) * (spare * np.sign(bins) / np.maximum(np.abs(bins), 1e-09))
    return -(np.exp(np.minimum(t1, 50.0)) - item)
