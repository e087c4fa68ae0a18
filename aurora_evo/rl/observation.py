"""What a reinforcement-learning policy sees of one placement decision: the task and every node, as one
flat float32 vector of scale-free numbers, the nodes padded to a fixed count.

A program sees ``task`` and ``nodes`` in the contract's units (cores, GiB, seconds, dollars); a neural
network learns poorly from numbers that span 0.001 to 10^9, so each feature is taken relative to the
scenario's own nodes (a node's free cpu over its capacity, its price over the dearest node's) or
log-compressed (times). The layout, ``TASK_OBS + max_nodes * NODE_OBS`` values:

* the task (:data:`TASK_OBS`): its cpu, memory, gpu and bandwidth demand over the largest node's
  capacity of each; ``log1p`` of its duration, wait and deadline slack (deadline minus duration minus
  wait, 0 without a deadline) over :data:`LOG_SCALE`; its priority over 11; whether it has a deadline;
* each node (:data:`NODE_OBS`, in scenario order, then zero rows up to ``max_nodes``): free over
  capacity and spare after placing the task over capacity, per resource (0 where the node has none);
  its cpu, memory and gpu capacity over the largest node's; price, idle watts, dynamic watts (peak minus
  idle) and latency over the largest of the scenario's nodes; running tasks over the busiest node's;
  the share of the task's duration by which it would keep the node on longer (1 on an idle node, 0 on
  one busy beyond the task's end); whether it is empty; whether it is a real node and the task fits
  on it (:data:`FEASIBLE`, the action mask, also part of the observation so that a Q-network can mask
  itself).
"""

from __future__ import annotations

import numpy as np

from aurora_evo import features as F

#: Values describing the task.
TASK_OBS = 9
#: Values describing each node.
NODE_OBS = 19
#: Index, within a node's values, of "a real node the task fits on" (the action mask).
FEASIBLE = NODE_OBS - 1
#: Times are ``log1p(seconds) / LOG_SCALE``: about 1 for a day.
LOG_SCALE = 12.0
#: Priorities run 0-11 (as in the Google trace).
MAX_PRIORITY = 11.0
#: Every value is clipped to ``[LOW, HIGH]``: the shares lie in [-1, 1] (a spare share below -1 is a
#: task larger than the node: it does not fit either way), the log-times under 2 up to 30 years.
LOW, HIGH = -1.0, 4.0


def observation_size(max_nodes: int) -> int:
    """Length of an observation with room for ``max_nodes`` nodes."""
    return TASK_OBS + max_nodes * NODE_OBS


def _share(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` where the denominator is positive, else 0."""
    den = np.asarray(denominator, dtype=np.float64)
    return np.divide(numerator, den, out=np.zeros(np.broadcast(numerator, den).shape), where=den > 0)


def encode(task: np.ndarray, nodes: np.ndarray, max_nodes: int) -> np.ndarray:
    """The observation of one decision.

    Args:
        task: ``(TASK_FEATURES,)`` the task vector of the program contract (:mod:`aurora_evo.features`).
        nodes: ``(m, NODE_FEATURES)`` the node matrix, ``m <= max_nodes``, column ``N_FITS`` set.
        max_nodes: the padded node count.

    Returns:
        ``(observation_size(max_nodes),)`` float32 in ``[LOW, HIGH]``.
    """
    m = nodes.shape[0]
    free = nodes[:, F.N_FREE0 : F.N_FREE0 + F.N_RESOURCES]
    cap = nodes[:, F.N_CAP0 : F.N_CAP0 + F.N_RESOURCES]
    demand = task[F.T_DEMAND0 : F.T_DEMAND0 + F.N_RESOURCES]
    largest = cap.max(axis=0)
    has_deadline = task[F.T_DEADLINE] < F.NO_DEADLINE
    slack = task[F.T_DEADLINE] - task[F.T_DURATION] - task[F.T_WAIT] if has_deadline else 0.0
    task_values = np.concatenate(
        [
            _share(demand, largest),
            np.log1p(np.maximum([task[F.T_DURATION], task[F.T_WAIT], max(slack, 0.0)], 0.0)) / LOG_SCALE,
            [task[F.T_PRIORITY] / MAX_PRIORITY, float(has_deadline)],
        ]
    )
    dynamic = nodes[:, F.N_PEAK_W] - nodes[:, F.N_IDLE_W]
    running = nodes[:, F.N_RUNNING]
    busy_for = np.maximum(nodes[:, F.N_BUSY_UNTIL] - task[F.T_NOW], 0.0)
    extends = np.maximum(task[F.T_DURATION] - busy_for, 0.0)
    node_values = np.column_stack(
        [
            _share(free, cap),
            _share(free - demand, cap),
            _share(cap[:, :3], largest[:3]),
            _share(nodes[:, F.N_PRICE], nodes[:, F.N_PRICE].max()),
            _share(nodes[:, F.N_IDLE_W], nodes[:, F.N_IDLE_W].max()),
            _share(dynamic, dynamic.max()),
            _share(nodes[:, F.N_LATENCY], nodes[:, F.N_LATENCY].max()),
            _share(running, running.max()),
            _share(extends, task[F.T_DURATION]) if task[F.T_DURATION] > 0 else (running == 0),
            running == 0,
            nodes[:, F.N_FITS] > 0.5,
        ]
    )
    padded = np.zeros((max_nodes, NODE_OBS))
    padded[:m] = node_values
    return np.clip(np.concatenate([task_values, padded.ravel()]), LOW, HIGH).astype(np.float32)


def action_mask(observation: np.ndarray, max_nodes: int) -> np.ndarray:
    """``(..., max_nodes)`` bool: the nodes a decision may choose, read back from observations
    ``(..., observation_size(max_nodes))``."""
    nodes = observation[..., TASK_OBS:].reshape(*observation.shape[:-1], max_nodes, NODE_OBS)
    return nodes[..., FEASIBLE] > 0.5
