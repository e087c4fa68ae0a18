"""Best fit: the node the task leaves with the least spare cpu and memory.

Spare capacity after placement is measured as a share of each node's capacity, summed over cpu and
memory, so a big node is not preferred merely for being big.
"""

import numpy as np

T_CPU, T_MEM = 1, 2
N_CPU_FREE, N_MEM_FREE, N_CPU_CAP, N_MEM_CAP = 1, 2, 5, 6


def priority(task, nodes):
    spare_cpu = (nodes[:, N_CPU_FREE] - task[T_CPU]) / np.maximum(nodes[:, N_CPU_CAP], 1e-9)
    spare_mem = (nodes[:, N_MEM_FREE] - task[T_MEM]) / np.maximum(nodes[:, N_MEM_CAP], 1e-9)
    return -(spare_cpu + spare_mem)
