"""Feature layout of the resource-allocation program contract, in one place.

A program is ``priority(task, nodes) -> scores``:

* ``task``: 1-D float64 array of length :data:`TASK_FEATURES`, indexed by the ``T_*`` constants;
* ``nodes``: 2-D float64 array of shape ``(n_nodes, NODE_FEATURES)``, one row per node of the
  scenario (every node, in scenario order), columns indexed by the ``N_*`` constants;
* returns one finite float64 score per node, shape ``(n_nodes,)``.

The simulator masks nodes the task does not fit on (column :data:`N_FITS` is 0 there) and places the
task on the highest-scoring feasible node; ties go to the lowest node index, so a constant priority is
first fit. Every domain (cloud, edge, network, bin packing) fills the same columns, so a program evolved
on one domain runs unchanged on another.

Units: cpu in cores, memory in GiB, gpu in devices, network bandwidth in Gbit/s, times in seconds,
latency in milliseconds, price in dollars per hour, power in watts.
"""

from __future__ import annotations

import numpy as np

#: Sentinel deadline (seconds) of a task without an SLA. Finite so that programs stay numeric-safe.
NO_DEADLINE = 1.0e9

#: Resources, in the order used by every demand/capacity array.
RESOURCES = ("cpu", "memory", "gpu", "network")
N_RESOURCES = len(RESOURCES)

# --- task features -----------------------------------------------------------------------------
T_INDEX = 0  #: position of the task in the scenario's task list
T_CPU = 1  #: cpu demand, cores
T_MEM = 2  #: memory demand, GiB
T_GPU = 3  #: gpu demand, devices
T_NET = 4  #: network bandwidth demand, Gbit/s
T_DURATION = 5  #: service time, s
T_PRIORITY = 6  #: priority, higher is more important (0-11, as in the Google trace)
T_DEADLINE = 7  #: SLA: latest acceptable latency after arrival, s (NO_DEADLINE when none)
T_ARRIVAL = 8  #: arrival time, s
T_WAIT = 9  #: time spent queued so far, s
T_NOW = 10  #: current simulation time, s
T_OWNER = 11  #: owner id (index into the scenario's owners)
TASK_FEATURES = 12

# --- node features ------------------------------------------------------------------------------
N_INDEX = 0  #: position of the node in the scenario's node list
N_CPU_FREE = 1  #: free cpu, cores
N_MEM_FREE = 2  #: free memory, GiB
N_GPU_FREE = 3  #: free gpus
N_NET_FREE = 4  #: free network bandwidth, Gbit/s
N_CPU_CAP = 5  #: cpu capacity, cores
N_MEM_CAP = 6  #: memory capacity, GiB
N_GPU_CAP = 7  #: gpu capacity
N_NET_CAP = 8  #: network bandwidth capacity, Gbit/s
N_PRICE = 9  #: price, $/hour while powered on
N_IDLE_W = 10  #: power drawn when on and idle, W
N_PEAK_W = 11  #: power drawn at full cpu utilisation, W
N_LATENCY = 12  #: network latency to the node, ms
N_ZONE = 13  #: zone id (index into the scenario's zones)
N_RUNNING = 14  #: tasks running on the node now
N_PLACED = 15  #: tasks placed on the node since the start (round robin uses it)
N_FITS = 16  #: 1.0 when the current task fits on the node, else 0.0
N_BUSY_UNTIL = 17  #: when the node's last running task ends, s (at most ``T_NOW`` when it runs none)
NODE_FEATURES = 18

#: Offsets of the free and capacity columns, so that ``N_FREE0 + r`` is the free column of resource r.
N_FREE0 = N_CPU_FREE
N_CAP0 = N_CPU_CAP
T_DEMAND0 = T_CPU

TASK_FEATURE_NAMES = (
    "index", "cpu", "memory", "gpu", "network", "duration", "priority", "deadline",
    "arrival", "wait", "now", "owner",
)  # fmt: skip
NODE_FEATURE_NAMES = (
    "index", "cpu_free", "memory_free", "gpu_free", "network_free", "cpu_cap", "memory_cap",
    "gpu_cap", "network_cap", "price", "idle_w", "peak_w", "latency_ms", "zone", "running",
    "placed", "fits", "busy_until",
)  # fmt: skip

assert len(TASK_FEATURE_NAMES) == TASK_FEATURES
assert len(NODE_FEATURE_NAMES) == NODE_FEATURES


def contract_globals() -> dict[str, float | int]:
    """The named constants a program may use without importing (``T_CPU``, ``N_MEM_FREE``, ...)."""
    return {
        name: value for name, value in globals().items() if name[:2] in ("T_", "N_") and name.isupper()
    } | {"NO_DEADLINE": NO_DEADLINE}


#: Slack on "fits": a demand up to this much above the free amount still fits, so that float drift in
#: free capacity never refuses an exact fit (the simulator's rule, :data:`aurora_evo.sim.engine.EPS`).
FIT_SLACK = 1e-9


def task_rows(scenario, indices: np.ndarray) -> np.ndarray:
    """The ``task`` vectors of tasks ``indices`` of ``scenario`` (positions in ``scenario.tasks``),
    without the clock: shape ``(len(indices), TASK_FEATURES)``, float64, ``T_WAIT`` and ``T_NOW`` 0 (the
    simulator sets them at each decision)."""
    tasks = scenario.tasks
    rows = np.zeros((len(indices), TASK_FEATURES))
    rows[:, T_INDEX] = indices
    rows[:, T_DEMAND0 : T_DEMAND0 + N_RESOURCES] = tasks.demand[indices]
    rows[:, T_DURATION] = tasks.duration[indices]
    rows[:, T_PRIORITY] = tasks.priority[indices]
    rows[:, T_DEADLINE] = tasks.deadline[indices]
    rows[:, T_ARRIVAL] = tasks.arrival[indices]
    rows[:, T_OWNER] = tasks.owner[indices]
    return rows


def task_vector(scenario, index: int, now: float | None = None) -> np.ndarray:
    """The ``task`` argument ``priority`` gets for task ``index`` of ``scenario`` (its position in
    ``scenario.tasks``), as the simulator builds it at time ``now`` in seconds (default: the task's
    arrival, so ``T_WAIT`` is 0). Shape ``(TASK_FEATURES,)``, float64, indexed by the ``T_*`` constants."""
    if not 0 <= index < len(scenario.tasks):
        raise IndexError(f"task {index} of a scenario with {len(scenario.tasks)} tasks")
    row = task_rows(scenario, np.array([index]))[0]
    now = row[T_ARRIVAL] if now is None else float(now)
    row[T_WAIT] = now - row[T_ARRIVAL]
    row[T_NOW] = now
    return row


def node_rows(scenario, free: np.ndarray | None = None) -> np.ndarray:
    """The ``nodes`` matrix of ``scenario`` without its per-moment counts: shape ``(n_nodes,
    NODE_FEATURES)``, float64, free resources ``free`` (default: every node empty), ``N_RUNNING``,
    ``N_PLACED``, ``N_FITS`` and ``N_BUSY_UNTIL`` 0 (the simulator sets them at each decision)."""
    nodes = scenario.nodes
    capacity = np.asarray(nodes.capacity, dtype=np.float64)
    rows = np.zeros((len(nodes), NODE_FEATURES))
    rows[:, N_INDEX] = np.arange(len(nodes))
    rows[:, N_FREE0 : N_FREE0 + N_RESOURCES] = capacity if free is None else free
    rows[:, N_CAP0 : N_CAP0 + N_RESOURCES] = capacity
    rows[:, N_PRICE] = nodes.price_per_hour
    rows[:, N_IDLE_W] = nodes.idle_watts
    rows[:, N_PEAK_W] = nodes.peak_watts
    rows[:, N_LATENCY] = nodes.latency_ms
    rows[:, N_ZONE] = nodes.zone
    return rows


def node_matrix(
    scenario,
    task: np.ndarray,
    *,
    free: np.ndarray | None = None,
    running: np.ndarray | None = None,
    placed: np.ndarray | None = None,
    busy_until: np.ndarray | None = None,
) -> np.ndarray:
    """The ``nodes`` argument ``priority`` gets when placing ``task`` (a :func:`task_vector`): one row
    per node of ``scenario``, shape ``(n_nodes, NODE_FEATURES)``, float64, indexed by the ``N_*``
    constants.

    By default the cluster is as the simulation starts, every node empty; ``free`` (``(n_nodes, 4)``:
    cpu cores, memory GiB, gpus, Gbit/s, in the order of :data:`RESOURCES`), ``running`` and
    ``placed`` (``(n_nodes,)`` task counts) and ``busy_until`` (``(n_nodes,)`` s, when each node's last
    running task ends) describe another moment. ``N_FITS`` is 1.0 on the nodes
    whose free resources hold the task's demand (within :data:`FIT_SLACK`), as in the simulator.
    """
    n = len(scenario.nodes)
    free = None if free is None else np.asarray(free, dtype=np.float64).reshape(n, N_RESOURCES)
    matrix = node_rows(scenario, free)
    matrix[:, N_RUNNING] = 0.0 if running is None else running
    matrix[:, N_PLACED] = 0.0 if placed is None else placed
    matrix[:, N_BUSY_UNTIL] = 0.0 if busy_until is None else busy_until
    demand = np.asarray(task, dtype=np.float64)[T_DEMAND0 : T_DEMAND0 + N_RESOURCES]
    free_now = matrix[:, N_FREE0 : N_FREE0 + N_RESOURCES]
    matrix[:, N_FITS] = np.all(demand <= free_now + FIT_SLACK, axis=1)
    return matrix
