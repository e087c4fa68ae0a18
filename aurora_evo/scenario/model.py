"""The scenario: nodes, tasks, domain and objective weights, stored as read-only column arrays.

Columns rather than one object per task, because expert scenarios hold 10^5 tasks and the simulator
reads arrays. Units: cpu in cores, memory in GiB, gpu in devices, network in Gbit/s, times in seconds,
latency in milliseconds, price in dollars per hour, power in watts.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from aurora_evo.features import NO_DEADLINE, RESOURCES


class Domain(enum.Enum):
    """Where a scenario comes from; it sets default objective weights and generators."""

    CLOUD = "cloud"
    EDGE = "edge"
    NETWORK = "network"
    BINPACKING = "binpacking"


#: Objective terms a reward can weigh, each scored in [0, 1] by :mod:`aurora_evo.sim.metrics`.
OBJECTIVES = ("latency", "utilization", "cost", "energy", "sla", "failure", "makespan", "fairness")

DEFAULT_WEIGHTS: Mapping[Domain, Mapping[str, float]] = MappingProxyType(
    {
        Domain.CLOUD: MappingProxyType(
            {"latency": 0.2, "utilization": 0.15, "cost": 0.25, "energy": 0.1, "sla": 0.15,
             "failure": 0.1, "makespan": 0.0, "fairness": 0.05}
        ),
        Domain.EDGE: MappingProxyType(
            {"latency": 0.35, "utilization": 0.05, "cost": 0.05, "energy": 0.1, "sla": 0.25,
             "failure": 0.15, "makespan": 0.0, "fairness": 0.05}
        ),
        Domain.NETWORK: MappingProxyType(
            {"latency": 0.3, "utilization": 0.15, "cost": 0.05, "energy": 0.0, "sla": 0.2,
             "failure": 0.2, "makespan": 0.0, "fairness": 0.1}
        ),
        Domain.BINPACKING: MappingProxyType(
            {"latency": 0.0, "utilization": 0.5, "cost": 0.5, "energy": 0.0, "sla": 0.0,
             "failure": 0.0, "makespan": 0.0, "fairness": 0.0}
        ),
    }
)  # fmt: skip


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _non_negative_finite(owner: str, name: str, values: np.ndarray) -> None:
    _check(bool(np.all(np.isfinite(values))), f"{owner}.{name} holds NaN or infinite values")
    _check(bool(np.all(values >= 0)), f"{owner}.{name} holds negative values")


def _frozen(values, dtype) -> np.ndarray:
    array = np.array(values, dtype=dtype)  # always a copy: callers cannot mutate the scenario after
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class Nodes:
    """The machines of a scenario; every array has shape ``(n_nodes,)``.

    ``capacity`` is the ``(n_nodes, 4)`` matrix of cpu, memory, gpu and network capacity in the order of
    :data:`aurora_evo.features.RESOURCES`. ``zone`` indexes ``zones``.
    """

    names: tuple[str, ...]
    capacity: np.ndarray
    price_per_hour: np.ndarray
    idle_watts: np.ndarray
    peak_watts: np.ndarray
    latency_ms: np.ndarray
    zone: np.ndarray
    zones: tuple[str, ...]

    def __post_init__(self) -> None:
        n = len(self.names)
        for name in ("price_per_hour", "idle_watts", "peak_watts", "latency_ms"):
            object.__setattr__(self, name, _frozen(getattr(self, name), np.float64))
        object.__setattr__(self, "capacity", _frozen(self.capacity, np.float64).reshape(n, len(RESOURCES)))
        object.__setattr__(self, "zone", _frozen(self.zone, np.int64))
        _check(n >= 1, "a scenario needs at least one node")
        for name in ("price_per_hour", "idle_watts", "peak_watts", "latency_ms", "zone"):
            _check(
                getattr(self, name).shape == (n,),
                f"nodes.{name} has shape {getattr(self, name).shape}, expected ({n},)",
            )
        for name in ("capacity", "price_per_hour", "idle_watts", "peak_watts", "latency_ms"):
            _non_negative_finite("nodes", name, getattr(self, name))
        _check(bool(np.all(self.peak_watts >= self.idle_watts)), "nodes.peak_watts is below idle_watts")
        _check(
            bool(np.all((self.zone >= 0) & (self.zone < len(self.zones)))), "nodes.zone indexes past zones"
        )

    def __len__(self) -> int:
        return len(self.names)


@dataclass(frozen=True, eq=False)
class Tasks:
    """The work of a scenario; every array has shape ``(n_tasks,)``.

    ``demand`` is the ``(n_tasks, 4)`` matrix of cpu, memory, gpu and network demand. ``deadline`` is the
    SLA on latency after arrival in seconds, :data:`~aurora_evo.features.NO_DEADLINE` when a task has none.
    ``owner`` indexes ``owners``.
    """

    arrival: np.ndarray
    duration: np.ndarray
    demand: np.ndarray
    priority: np.ndarray
    deadline: np.ndarray
    owner: np.ndarray
    owners: tuple[str, ...]

    def __post_init__(self) -> None:
        n = len(np.asarray(self.arrival))
        for name in ("arrival", "duration", "deadline"):
            object.__setattr__(self, name, _frozen(getattr(self, name), np.float64))
        object.__setattr__(self, "demand", _frozen(self.demand, np.float64).reshape(n, len(RESOURCES)))
        object.__setattr__(self, "priority", _frozen(self.priority, np.int64))
        object.__setattr__(self, "owner", _frozen(self.owner, np.int64))
        _check(n >= 1, "a scenario needs at least one task")
        for name in ("duration", "deadline", "priority", "owner"):
            _check(
                getattr(self, name).shape == (n,),
                f"tasks.{name} has shape {getattr(self, name).shape}, expected ({n},)",
            )
        for name in ("arrival", "duration", "demand", "deadline"):
            _non_negative_finite("tasks", name, getattr(self, name))
        _check(bool(np.all(self.duration > 0)), "tasks.duration must be positive")
        _check(bool(np.all(self.deadline > 0)), "tasks.deadline must be positive")
        _check(
            bool(np.all((self.owner >= 0) & (self.owner < len(self.owners)))),
            "tasks.owner indexes past owners",
        )

    def __len__(self) -> int:
        return len(self.arrival)

    @property
    def has_deadline(self) -> np.ndarray:
        """Boolean mask of the tasks that carry an SLA deadline."""
        return self.deadline < NO_DEADLINE


@dataclass(frozen=True, eq=False)
class Scenario:
    """One allocation problem: a set of nodes and a stream of tasks, with what "good" means.

    Attributes:
        name: identifier, unique within a seed set.
        domain: cloud, edge, network or binpacking.
        nodes, tasks: see :class:`Nodes` and :class:`Tasks`.
        objective: weight per term of :data:`OBJECTIVES` (non-negative; normalised by their sum).
        queue_timeout_s: a task still queued this long after arrival is rejected; ``None``: never.
        idle_nodes_sleep: empty nodes power down (no idle power, no billing) until a task arrives.
        level: difficulty label (easy, medium, hard, expert, beyond) or ``None``.
        description: free text.
        provenance: how the scenario was made (generator, seed, statistics used).
    """

    name: str
    domain: Domain
    nodes: Nodes
    tasks: Tasks
    objective: Mapping[str, float] = field(default_factory=dict)
    queue_timeout_s: float | None = None
    idle_nodes_sleep: bool = True
    level: str | None = None
    description: str = ""
    provenance: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        weights = dict(DEFAULT_WEIGHTS[self.domain])
        weights.update(self.objective)
        unknown = set(weights) - set(OBJECTIVES)
        _check(not unknown, f"unknown objective terms {sorted(unknown)}; known: {', '.join(OBJECTIVES)}")
        values = np.array([weights[k] for k in OBJECTIVES], dtype=np.float64)
        _check(
            bool(np.all(np.isfinite(values)) and np.all(values >= 0)),
            "objective weights must be finite and >= 0",
        )
        _check(bool(values.sum() > 0), "objective: at least one weight must be positive")
        if self.queue_timeout_s is not None:
            _check(
                math.isfinite(self.queue_timeout_s) and self.queue_timeout_s > 0,
                "queue_timeout_s must be > 0",
            )
        object.__setattr__(self, "objective", MappingProxyType({k: float(weights[k]) for k in OBJECTIVES}))
        object.__setattr__(self, "provenance", MappingProxyType(dict(self.provenance)))

    @property
    def weight_vector(self) -> np.ndarray:
        """Objective weights as an array in the order of :data:`OBJECTIVES`."""
        return np.array([self.objective[k] for k in OBJECTIVES], dtype=np.float64)

    def summary(self) -> str:
        return f"{self.name}: {self.domain.value}, {len(self.tasks)} tasks on {len(self.nodes)} nodes" + (
            f", level {self.level}" if self.level else ""
        )
