# aurora-evo evolved program
# domain: cloud (contract: priority(task, nodes); the highest score is chosen)
# run: cloud-long
# program: 219c6aaefe103a33
# lineage: 219c6aaefe103a33 <- cbdc874d89822630 <- 11363e96a48b624a <- 6ae01bbc8af31813 <- c5adfe1b056d536f
#   <- 2885ab0c3d95b8c0 <- 8fe749c7a8c9617b <- ba1b878afcc662a1 <- d3bc7992d51f5668 <-
#   77d153a6358fe88a <- 1e6672565363d3c9 <- 74b81fbdebdb3a6d <- 4f182a140f14d387 <- 3f3b740a6f6e32d9
#   <- 4572bf1f8ae6a621 <- 8e11aafac712c89a <- 1925962835c62965 <- d9dee6aef9cadcdd <-
#   2d8ead93c98129e8 <- b559c478dbf415f6 <- 59e0cd6df0938aa5 <- 1f89f2427ba1a66e <- 94195b8fe3847d97
#   <- 4e59c3c0f14afb16 <- 8d5b1b85ca7afed5 <- 1fc306c179d1b4ef <- f819e986f2458b07 <-
#   9ea79b43862b6f2f <- 07d42daf234f7a84 <- 76064c8f91a6bbb1 <- f5e39ac197a0ed58
# scores: train (mean reward) 0.801583, validation (mean reward) 0.773158
# what it does: Reads nodes.cpu_cap, nodes.cpu_free, nodes.gpu_free, nodes.idle_w, nodes.memory_cap,
#   nodes.memory_free, nodes.network_free, task.cpu, task.duration, task.memory, task.priority
#   through 13 named terms: gpu_free (free gpus), net_free (free bandwidth, Gbit/s), idle_w (idle
#   power, W), task_mem (memory demand, GiB), duration (service time, s), task_priority (priority,
#   0-11), cpu_spare, mem_spare, t1, t2, t3, t4, t5. The score is computed from t4 and t5.
# reasoning:
# subtree mutation at depth 6 of parent cbdc874d89822630: replaced a 1-node Vec subtree by a
# 3-node one (div_vv(gpu_free, mem_spare))
"""Evolved by genetic programming."""

import numpy as np

N_CPU_FREE = 1
N_MEM_FREE = 2
N_GPU_FREE = 3
N_NET_FREE = 4
N_CPU_CAP = 5
N_MEM_CAP = 6
N_IDLE_W = 10
T_CPU = 1
T_MEM = 2
T_DURATION = 5
T_PRIORITY = 6


def priority(task, nodes):
    """A tree of 32 nodes, depth 8: one score per node, shape (k,);
    the task goes to the highest-scoring node."""
    gpu_free = nodes[:, N_GPU_FREE]  # free gpus
    net_free = nodes[:, N_NET_FREE]  # free bandwidth, Gbit/s
    idle_w = nodes[:, N_IDLE_W]  # idle power, W
    task_mem = task[T_MEM]  # memory demand, GiB
    duration = task[T_DURATION]  # service time, s
    task_priority = task[T_PRIORITY]  # priority, 0-11
    cpu_spare = (nodes[:, N_CPU_FREE] - task[T_CPU]) / np.maximum(nodes[:, N_CPU_CAP], 1e-09)
    mem_spare = (nodes[:, N_MEM_FREE] - task[T_MEM]) / np.maximum(nodes[:, N_MEM_CAP], 1e-09)
    t1 = -task_priority + (duration - np.log1p(np.abs(duration - 3.98)))
    t2 = np.maximum(net_free, gpu_free * np.sign(mem_spare) / np.maximum(np.abs(mem_spare), 1e-09))
    t3 = np.where(cpu_spare <= t1, np.maximum(np.sqrt(np.abs(cpu_spare)), idle_w), np.log1p(np.abs(t2)))
    t4 = np.where(cpu_spare <= task_priority, np.where(cpu_spare <= 0.347, net_free, t3), idle_w)
    t5 = -task_mem
    return t4 * np.sign(t5) / np.maximum(np.abs(t5), 1e-09)
