"""Random: a pseudo-random node among those the task fits on.

The choice is a hash of the task and node indices, so it is reproducible and needs no random state.
"""

import numpy as np

T_INDEX, N_INDEX = 0, 0


def priority(task, nodes):
    x = np.sin(task[T_INDEX] * 12.9898 + nodes[:, N_INDEX] * 78.233) * 43758.5453
    return x - np.floor(x)
