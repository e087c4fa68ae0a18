# aurora-evo evolved program
# domain: cloud (contract: priority(task, nodes); the highest score is chosen)
# run: tr-google-2011-s0
# program: d8c76ea09768811b
# lineage: d8c76ea09768811b <- 57bde27c31c9201b <- 27d019a69593e29c <- 5346e5dc30dc8560 <- 973ca0da4a3ffb4d
#   <- 14c41237ade756fa <- 7bc426b88a9ca988 <- d226a16dfda23742 <- 695a1d6ab18028b6 <-
#   457c0ade5e96ae49 <- 68c5088b81858e47 <- 8e6cf16801122123
# scores: train (mean reward) 0.763591, validation (mean reward) 0.798825
# made by: genetic programming (point mutation) [gp.mutate_point]
# what it does: Reads nodes.busy_until, nodes.cpu_cap, nodes.cpu_free, nodes.memory_cap, nodes.memory_free,
#   task.cpu, task.duration, task.memory, task.now through 6 named terms: cpu_spare, mem_spare,
#   busy_for, extends, t1, t2. The score is computed from mem_spare and t2.
# reasoning:
# point mutation at depth 4 of parent 57bde27c31c9201b: extends -> cpu_spare
"""Evolved by genetic programming."""

import numpy as np

N_CPU_FREE = 1
N_MEM_FREE = 2
N_CPU_CAP = 5
N_MEM_CAP = 6
N_BUSY_UNTIL = 17
T_CPU = 1
T_MEM = 2
T_DURATION = 5
T_NOW = 10


def priority(task, nodes):
    """A tree of 13 nodes, depth 6: one score per node, shape (k,);
    the task goes to the highest-scoring node."""
    cpu_spare = (nodes[:, N_CPU_FREE] - task[T_CPU]) / np.maximum(nodes[:, N_CPU_CAP], 1e-09)
    mem_spare = (nodes[:, N_MEM_FREE] - task[T_MEM]) / np.maximum(nodes[:, N_MEM_CAP], 1e-09)
    busy_for = np.maximum(nodes[:, N_BUSY_UNTIL] - task[T_NOW], 0.0)
    extends = np.maximum(task[T_DURATION] - busy_for, 0.0)
    t1 = np.maximum(np.log1p(np.abs(extends + np.maximum(mem_spare, extends))), mem_spare - cpu_spare)
    t2 = np.log1p(np.abs(t1))
    return mem_spare * np.sign(t2) / np.maximum(np.abs(t2), 1e-09)
