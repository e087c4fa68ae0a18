# aurora-evo evolved program
# domain: cloud (contract: priority(task, nodes); the highest score is chosen)
# run: tr-azure-s0
# program: 8db6aee26fba52ef
# lineage: 8db6aee26fba52ef <- 451c090d113c8c6a <- 17cf2b81244f594c <- 35e4e5b37e3e0a4c <- 0a802377ce460f53
#   <- 183ef801b322b68f <- 4a275fc780de8562 <- 02a3f9b138e6b5fd <- 083ccd4508c39f23 <-
#   76d8533b8e9ac303 <- 22bc668edd140cf4 <- d66bcac55ce92463
# scores: train (mean reward) 0.824632, validation (mean reward) 0.745636
# made by: a source edit (an expression taken from another program) [edit.crossover]
# simplified: constants folded and identities removed, same decisions (the archive keeps the source as
#   evaluated)
# what it does: Reads nodes.busy_until, nodes.cpu_free, nodes.peak_w, nodes.running, task.cpu, task.duration,
#   task.network, task.now through 9 named terms: cpu_free (free cpu, cores), peak_w (peak power,
#   W), running (tasks running now), task_cpu (cpu demand, cores), task_net (bandwidth demand,
#   Gbit/s), busy_for, extends, t2, t3. The score is computed from cpu_free, running, task_net,
#   extends, t2 and t3.
# reasoning:
# parent 451c090d113c8c6a: 'np.log1p(np.abs(nodes[:, N_BUSY_UNTIL]))' at line 36 replaced by
# 'nodes[:, N_BUSY_UNTIL] - task[T_NOW]' of parent 17cf2b81244f594c
"""Made by a source edit (an expression taken from another program) from a program evolved by genetic
programming."""

import numpy as np

N_CPU_FREE = 1
N_PEAK_W = 11
N_RUNNING = 14
N_BUSY_UNTIL = 17
T_CPU = 1
T_NET = 4
T_DURATION = 5
T_NOW = 10


def priority(task, nodes):
    """A tree of 27 nodes, depth 6: one score per node, shape (k,);
    the task goes to the highest-scoring node."""
    cpu_free = nodes[:, N_CPU_FREE]  # free cpu, cores
    peak_w = nodes[:, N_PEAK_W]  # peak power, W
    running = nodes[:, N_RUNNING]  # tasks running now
    task_cpu = task[T_CPU]  # cpu demand, cores
    task_net = task[T_NET]  # bandwidth demand, Gbit/s
    busy_for = np.maximum(nodes[:, N_BUSY_UNTIL] + task[T_NOW], 0.0)
    extends = np.maximum(task[T_DURATION] - busy_for, 0.0)
    t2 = nodes[:, N_BUSY_UNTIL] - task[T_NOW]
    t3 = np.sqrt(np.abs(np.maximum(1.0 + task_cpu, np.max(peak_w))))
    return t3 - t2 * (running + task_net + (extends + cpu_free))
