# aurora-evo evolved program
# domain: cloud (contract: priority(task, nodes); the highest score is chosen)
# run: tr-alibaba-2018-s0
# program: 1bc8b143bb70dc2d
# lineage: 1bc8b143bb70dc2d
# scores: train (mean reward) 0.743639, validation (mean reward) 0.742137
# made by: genetic programming (a random tree) [gp.random]
# what it does: Reads nodes.busy_until, nodes.cpu_cap, nodes.memory_cap, nodes.memory_free, task.duration,
#   task.memory, task.now, task.priority, task.wait through 8 named terms: cpu_cap (cpu capacity,
#   cores), task_priority (priority, 0-11), wait (time queued so far, s), mem_spare, busy_for,
#   extends, t1, t2. The score is computed from cpu_cap, task_priority, wait and t2.
# reasoning:
# random tree of depth 4 (no parent is a GP tree)
"""Evolved by genetic programming."""

import numpy as np

N_MEM_FREE = 2
N_CPU_CAP = 5
N_MEM_CAP = 6
N_BUSY_UNTIL = 17
T_MEM = 2
T_DURATION = 5
T_PRIORITY = 6
T_WAIT = 9
T_NOW = 10


def priority(task, nodes):
    """A tree of 14 nodes, depth 4: one score per node, shape (k,);
    the task goes to the highest-scoring node."""
    cpu_cap = nodes[:, N_CPU_CAP]  # cpu capacity, cores
    task_priority = task[T_PRIORITY]  # priority, 0-11
    wait = task[T_WAIT]  # time queued so far, s
    mem_spare = (nodes[:, N_MEM_FREE] - task[T_MEM]) / np.maximum(nodes[:, N_MEM_CAP], 1e-09)
    busy_for = np.maximum(nodes[:, N_BUSY_UNTIL] - task[T_NOW], 0.0)
    extends = np.maximum(task[T_DURATION] - busy_for, 0.0)
    t1 = np.log1p(np.abs(mem_spare))
    t2 = ((task_priority - extends) * np.sign(t1) / np.maximum(np.abs(t1), 1e-09)) ** 2
    return (cpu_cap * np.minimum(wait, task_priority) > 0.0) * 1.0 - t2
