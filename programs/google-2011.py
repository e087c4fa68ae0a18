# aurora-evo evolved program
# domain: cloud (contract: priority(task, nodes); the highest score is chosen)
# run: tr-google-2011-fit-s0
# program: 4df29b1c7b07ba0f
# lineage: 4df29b1c7b07ba0f <- 827e87ea40d08578 <- 6a4bc2f9cf976d97 <- ea1b0412b61f4aa6 <- 4b8e2decf24efa28
#   <- 9768cec59ed4a7e0 <- 1d02eb8bbd57f639 <- bbc96c9628366d53 <- 32678a064cddb820
# scores: train (fitness against best fit) 0.0501119, validation (fitness against best fit) 0.0537415
# made by: genetic programming (one-point crossover) [gp.crossover]
# simplified: constants folded and identities removed, same decisions (the archive keeps the source as
#   evaluated)
# what it does: Reads nodes.busy_until, nodes.idle_w, nodes.memory_free, task.cpu, task.duration, task.now,
#   task.priority through 9 named terms: mem_free (free memory, GiB), idle_w (idle power, W),
#   task_cpu (cpu demand, cores), task_priority (priority, 0-11), busy_for, extends, t1, t2, t3. The
#   score is computed from t1, t2 and t3.
# reasoning:
# one-point crossover at depth 3 of parent 827e87ea40d08578: its 1-node Scalar subtree replaced by
# the 1-node subtree at depth 4 of the second parent (4.04); second parent 6a4bc2f9cf976d97
"""Evolved by genetic programming."""

import numpy as np

N_MEM_FREE = 2
N_IDLE_W = 10
N_BUSY_UNTIL = 17
T_CPU = 1
T_DURATION = 5
T_PRIORITY = 6
T_NOW = 10


def priority(task, nodes):
    """A tree of 18 nodes, depth 3: one score per node, shape (k,);
    the task goes to the highest-scoring node."""
    mem_free = nodes[:, N_MEM_FREE]  # free memory, GiB
    idle_w = nodes[:, N_IDLE_W]  # idle power, W
    task_cpu = task[T_CPU]  # cpu demand, cores
    task_priority = task[T_PRIORITY]  # priority, 0-11
    busy_for = np.maximum(nodes[:, N_BUSY_UNTIL] - task[T_NOW], 0.0)
    extends = np.maximum(task[T_DURATION] - busy_for, 0.0)
    t1 = idle_w * np.sign(task_priority) / np.maximum(np.abs(task_priority), 1e-09)
    t2 = np.maximum(task_cpu, -1.51) - extends * np.sign(mem_free) / np.maximum(np.abs(mem_free), 1e-09)
    t3 = extends * np.sign(mem_free) / np.maximum(np.abs(mem_free), 1e-09)
    return np.where(t3 <= 7.538324933661922, (t1 > 0.0) * 1.0, t2)
