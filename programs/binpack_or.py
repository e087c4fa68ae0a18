# aurora-evo evolved program
# domain: binpacking (or) (contract: priority(item, bins); the highest score is chosen)
# run: binpack-or
# program: 6a0a29ac374f8c52
# lineage: 6a0a29ac374f8c52 <- 2a8cc7b4ec9da85a
# scores: train (minus % excess over L1) -5.67793, validation (minus % excess over L1) -5.15362
# reasoning:
# subtree mutation at depth 3 of parent 2a8cc7b4ec9da85a: replaced a 2-node Vec subtree by a
# 13-node one (where_vv(where_vs(spare, cap, zeros, room), mul_vs(empty, n), sqrt_v(room),
# step_v(spare)))
"""Evolved by genetic programming."""

import numpy as np


def priority(item, bins):
    """A tree of 24 nodes, depth 5: one score per bin, shape (k,);
    the item goes to the highest-scoring bin."""
    cap = np.max(bins)  # bin capacity
    n = float(len(bins))  # number of bins offered
    room = bins - item  # room left in each bin after placing the item
    spare = (bins - item) / cap  # room left after placement / capacity
    empty = (bins == cap) * 1.0  # 1.0 for an empty bin
    t1 = np.where(spare <= cap, np.zeros(len(bins)), room)
    t2 = np.max(np.where(t1 <= empty * n, np.sqrt(np.abs(room)), (spare > 0.0) * 1.0))
    t3 = empty + -np.exp(np.minimum(n, 50.0))
    return np.minimum(np.minimum(room, n), t2) * np.sign(t3) / np.maximum(np.abs(t3), 1e-09)
