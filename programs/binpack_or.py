# aurora-evo evolved program
# domain: binpacking (or) (contract: priority(item, bins); the highest score is chosen)
# run: orrule-seed11
# program: 9339d1faab3c446f
# lineage: 9339d1faab3c446f <- 0adb2317ee5de560 <- 71c1db974093537f <- 3c6189ee3dd3a249 <- 97c07edc0f883d33
#   <- cd7e9be8dcae2b75 <- 448cd0d97dc87c2c <- 0e3b814c92a568a2 <- e7e82d17c3577e7f <-
#   5e08f8c6f2cb7ae1 <- cdcd170ef421be94 <- c640279419d71e49 <- 58e049a703f966e9 <- 5fef075440f2b038
# scores: train (minus % excess over L1, extrapolated to 250 items) -3.82226, validation (minus % excess
#   over L1) -3.86674
# what it does: Reads bins, item through 8 named terms: cap (bin capacity), room (room left in each bin after
#   placing the item), spare (room left after placement / capacity), t1, t2, t3, t4, t5. The score
#   is computed from room and t5.
# reasoning:
# point mutation at depth 7 of parent 0adb2317ee5de560: sub_ss -> add_ss
"""Evolved by genetic programming."""

import numpy as np


def priority(item, bins):
    """A tree of 37 nodes, depth 8: one score per bin, shape (k,);
    the item goes to the highest-scoring bin."""
    cap = np.max(bins)  # bin capacity
    room = bins - item  # room left in each bin after placing the item
    spare = (bins - item) / cap  # room left after placement / capacity
    t1 = np.exp(np.minimum(room, 50.0))
    t2 = (np.abs(room * -1.93 - -1.0) <= item + 2.71) * 1.0 * np.sign(t1) / np.maximum(np.abs(t1), 1e-09)
    t3 = np.maximum(spare * bins, np.zeros(len(bins)) + bins)
    t4 = (t2 > 0.0) * 1.0 * np.sign(t3) / np.maximum(np.abs(t3), 1e-09)
    t5 = t4 + (np.abs(spare - 0.1) <= 0.05) * 1.0 * -50.0 + np.zeros(len(bins))
    return t5 + (np.abs(room - 50.0) <= np.exp(np.minimum(5.0, 50.0))) * 1.0 * -50.0
