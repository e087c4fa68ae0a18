# aurora-evo evolved program
# domain: binpacking (weibull) (contract: priority(item, bins); the highest score is chosen)
# run: binpack-weibull
# program: 786bfb523e5fc0eb
# lineage: 786bfb523e5fc0eb <- fdbc9bb7b85d1cc7 <- 0dcb329bc6f8f8aa <- b5c5de767d124edd <- a46692aac56950a1
# scores: train (minus % excess over L1) -2.96045, validation (minus % excess over L1) -0.982052
# reasoning:
# subtree mutation at depth 1 of parent fdbc9bb7b85d1cc7: replaced a 3-node Vec subtree by a
# 7-node one (div_vs(div_vs(exp_v(bins), cap), vmin(spare)))
"""Evolved by genetic programming."""

import numpy as np


def priority(item, bins):
    """A tree of 9 nodes, depth 4: one score per bin, shape (k,);
    the item goes to the highest-scoring bin."""
    cap = np.max(bins)  # bin capacity
    spare = (bins - item) / cap  # room left after placement / capacity
    t1 = np.exp(np.minimum(bins, 50.0)) * np.sign(cap) / np.maximum(np.abs(cap), 1e-09)
    t2 = np.min(spare)
    return t1 * np.sign(t2) / np.maximum(np.abs(t2), 1e-09) - bins
