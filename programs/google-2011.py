# aurora-evo evolved program
# domain: cloud (contract: priority(task, nodes); the highest score is chosen)
# run: tr-google-2011-cut-s0
# program: 1015009ab40ae2cf
# lineage: 1015009ab40ae2cf <- bc86b427b366c4d7 <- b796552037e0e151 <- d51ba872ee395c8b <- 4c65edbc819bda6a
#   <- 0a8adb2d6a37aef1 <- 8af009d6b90cc2ee
# scores: train (fitness against best fit) 0.0763128, validation (fitness against best fit) 0.116739
# made by: a source edit (a constant perturbed) [edit.constant]
# what it does: Reads nodes.busy_until, nodes.cpu_free, nodes.idle_w, nodes.price, task.duration, task.memory,
#   task.now through 8 named terms: cpu_free (free cpu, cores), price (price, $/hour), idle_w (idle
#   power, W), task_mem (memory demand, GiB), duration (service time, s), busy_for, t1, t2. The
#   score is computed from task_mem and t2.
# reasoning:
# parent bc86b427b366c4d7: constant 0.0 -> -0.04907 at line 22
"""Made by a source edit (a constant perturbed) from a program evolved by genetic programming."""

import numpy as np

N_CPU_FREE = 1
N_PRICE = 9
N_IDLE_W = 10
N_BUSY_UNTIL = 17
T_MEM = 2
T_DURATION = 5
T_NOW = 10


def priority(task, nodes):
    """A tree of 13 nodes, depth 6: one score per node, shape (k,);
    the task goes to the highest-scoring node."""
    cpu_free = nodes[:, N_CPU_FREE]  # free cpu, cores
    price = nodes[:, N_PRICE]  # price, $/hour
    idle_w = nodes[:, N_IDLE_W]  # idle power, W
    task_mem = task[T_MEM]  # memory demand, GiB
    duration = task[T_DURATION]  # service time, s
    busy_for = np.maximum(nodes[:, N_BUSY_UNTIL] - task[T_NOW], (-0.04907))
    t1 = np.abs(np.abs(busy_for - duration) * (idle_w - price))
    t2 = t1 * np.sign(cpu_free) / np.maximum(np.abs(cpu_free), 1e-09)
    return task_mem * np.sign(t2) / np.maximum(np.abs(t2), 1e-09)
