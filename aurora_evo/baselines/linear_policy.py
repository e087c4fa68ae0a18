"""A linear scoring policy for the allocation contract: a node's score is a weighted sum of named terms.

The terms (:data:`TERMS`) are computed from the ``task`` vector and the ``nodes`` matrix alone, as any
program sees them (:mod:`aurora_evo.features`), by :func:`linear_terms`. Each is scale-free, so that a
weight means the same on a cluster of small nodes as on one of big ones: the spare resources a
placement leaves are shares of the node's capacity, and prices, powers, latencies and task counts are
shares of the largest over the ``nodes`` matrix (every node of the scenario, so these shares do not
change from one decision to the next, except the task counts).

:func:`linear_program_source` writes a policy as a program file: the body of :func:`linear_terms`
verbatim, then ``return w0 * term0 + w1 * term1 + ...`` with the weights as literals, so that the
file makes exactly the decisions :mod:`aurora_evo.baselines.linear_sim` makes in this process (the
same float operations in the same order). It needs only numpy, like an exported evolved program.
"""

from __future__ import annotations

import ast
import inspect
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aurora_evo.errors import InputError
from aurora_evo.export import constants_used
from aurora_evo.features import (
    N_BUSY_UNTIL,
    N_CPU_CAP,
    N_CPU_FREE,
    N_GPU_CAP,
    N_GPU_FREE,
    N_IDLE_W,
    N_LATENCY,
    N_MEM_CAP,
    N_MEM_FREE,
    N_NET_CAP,
    N_NET_FREE,
    N_PEAK_W,
    N_PRICE,
    N_RUNNING,
    NO_DEADLINE,
    T_CPU,
    T_DEADLINE,
    T_DURATION,
    T_GPU,
    T_MEM,
    T_NET,
    T_NOW,
)


@dataclass(frozen=True)
class Term:
    """One term of the policy: the variable :func:`linear_terms` computes, and what it is (units)."""

    name: str
    meaning: str


#: The terms, in the order of :func:`linear_terms`'s result and of a full weight vector.
TERMS = (
    Term("cpu_spare", "cpu left after placement / node's cpu"),
    Term("mem_spare", "memory left after placement / node's memory"),
    Term("gpu_spare", "gpus left after placement / node's gpus (0: none)"),
    Term("net_spare", "bandwidth left after placement / node's bandwidth"),
    Term("price", "price per hour / the dearest node's"),
    Term("idle_power", "idle watts / the largest"),
    Term("power_per_core", "(peak - idle) watts per core / the largest"),
    Term("latency", "network latency / the largest"),
    Term("latency_if_sla", "the latency term if the task has a deadline, else 0"),
    Term("load", "tasks running on the node / the busiest node's"),
    Term("empty", "1 if no task runs there (placing powers it on), else 0"),
    Term("extends", "share of the task's duration it keeps the node on longer"),
    Term("extra_cost", "extends times price: the powered-on cost it adds"),
)  # fmt: skip

TERM_NAMES = tuple(term.name for term in TERMS)


def linear_terms(task, nodes):
    """The terms of every node, in the order of :data:`TERMS`: a tuple of ``(n_nodes,)`` float64 arrays.

    ``task``: ``(TASK_FEATURES,)``, ``nodes``: ``(n_nodes, NODE_FEATURES)``, as the contract gives them.
    numba compiles it as it is (see :mod:`aurora_evo.baselines.linear_sim`), and its body is the body of
    the exported program (:func:`linear_program_source`): every line before ``return`` must read only
    ``task``, ``nodes``, ``np`` and the contract's constants.
    """
    cpu_spare = (nodes[:, N_CPU_FREE] - task[T_CPU]) / np.maximum(nodes[:, N_CPU_CAP], 1e-9)
    mem_spare = (nodes[:, N_MEM_FREE] - task[T_MEM]) / np.maximum(nodes[:, N_MEM_CAP], 1e-9)
    gpu_spare = (nodes[:, N_GPU_FREE] - task[T_GPU]) / np.maximum(nodes[:, N_GPU_CAP], 1e-9)
    net_spare = (nodes[:, N_NET_FREE] - task[T_NET]) / np.maximum(nodes[:, N_NET_CAP], 1e-9)
    price = nodes[:, N_PRICE] / max(np.max(nodes[:, N_PRICE]), 1e-9)
    idle_power = nodes[:, N_IDLE_W] / max(np.max(nodes[:, N_IDLE_W]), 1e-9)
    watts_per_core = (nodes[:, N_PEAK_W] - nodes[:, N_IDLE_W]) / np.maximum(nodes[:, N_CPU_CAP], 1e-9)
    power_per_core = watts_per_core / max(np.max(watts_per_core), 1e-9)
    latency = nodes[:, N_LATENCY] / max(np.max(nodes[:, N_LATENCY]), 1e-9)
    latency_if_sla = latency * (1.0 if task[T_DEADLINE] < NO_DEADLINE else 0.0)
    load = nodes[:, N_RUNNING] / max(np.max(nodes[:, N_RUNNING]), 1.0)
    empty = np.where(nodes[:, N_RUNNING] == 0.0, 1.0, 0.0)
    busy_for = np.maximum(nodes[:, N_BUSY_UNTIL] - task[T_NOW], 0.0)
    extends = np.maximum(task[T_DURATION] - busy_for, 0.0) / max(task[T_DURATION], 1e-9)
    extra_cost = extends * price
    return (
        cpu_spare, mem_spare, gpu_spare, net_spare, price, idle_power, power_per_core, latency,
        latency_if_sla, load, empty, extends, extra_cost,
    )  # fmt: skip


def term_indices(names: Sequence[str]) -> tuple[int, ...]:
    """The positions in :data:`TERMS` of the terms ``names`` (distinct, known), in the order given.

    Raises:
        InputError: an unknown or repeated name, or none at all.
    """
    names = tuple(names)
    unknown = [name for name in names if name not in TERM_NAMES]
    if unknown:
        raise InputError(f"unknown linear term {unknown[0]!r}; the terms are {', '.join(TERM_NAMES)}")
    if len(set(names)) != len(names) or not names:
        raise InputError(f"linear terms must be distinct and at least one, got {list(names)}")
    return tuple(TERM_NAMES.index(name) for name in names)


def full_weights(weights: Sequence[float], names: Sequence[str] = TERM_NAMES) -> np.ndarray:
    """``(len(TERMS),)`` float64: ``weights[i]`` at the position of term ``names[i]``, 0 elsewhere.

    Raises:
        InputError: bad names (see :func:`term_indices`), a count that differs from theirs, or a weight
            that is not a finite number.
    """
    indices = term_indices(names)
    try:
        values = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"linear weights must be numbers, got {weights!r}") from None
    if values.shape != (len(indices),):
        raise InputError(f"{values.size} linear weight(s) for {len(indices)} term(s) {', '.join(names)}")
    if not np.all(np.isfinite(values)):
        raise InputError(f"linear weights must be finite, got {values.tolist()}")
    full = np.zeros(len(TERMS))
    full[list(indices)] = values
    return full


def _terms_body() -> str:
    """The statements of :func:`linear_terms` before its ``return``, with their comments, at 4 spaces."""
    source = textwrap.dedent(inspect.getsource(linear_terms))
    function = ast.parse(source).body[0]
    statements = [s for s in function.body if not isinstance(s, ast.Return)][1:]  # after the docstring
    lines = source.splitlines()[statements[0].lineno - 1 : statements[-1].end_lineno]
    return textwrap.indent(textwrap.dedent("\n".join(lines)), "    ")


PROGRAM_DOCSTRING = '''"""A linear scoring policy: each node's score is a weighted sum of the terms below.

The task goes to the highest-scoring node it fits on. Spare resources are shares of the node's
capacity; prices, powers, latencies and task counts are shares of the largest over all nodes.
"""'''


CONSTANTS_COMMENT = "# Feature columns of the allocation contract (aurora_evo/features.py)."


def linear_program_source(weights: Sequence[float], names: Sequence[str] = TERM_NAMES) -> str:
    """The program file of the policy scoring a node ``sum(weights[i] * term names[i])``.

    ``names`` (default: every term, in :data:`TERMS` order) says which term each weight multiplies.
    The sum is written in :data:`TERMS` order whatever the order of ``names``, the order in which
    :func:`aurora_evo.baselines.linear_sim.simulate_linear` adds the terms up, so that both give
    the same floats. Every weight is written as ``repr`` writes it, which reads back to the same
    float. Terms left out of ``names`` are still computed (the body is :func:`linear_terms`'s) but
    weigh nothing.

    Raises:
        InputError: see :func:`full_weights`.
    """
    full = full_weights(weights, names)
    used = sorted(term_indices(names))
    parts = []
    for position, index in enumerate(used):
        weight, term = float(full[index]), TERMS[index]
        if position == 0:
            text = f"{weight!r} * {term.name}"
        else:  # a - b * t is a + (-b) * t exactly, and reads better
            text = f"{'-' if math.copysign(1.0, weight) < 0 else '+'} {abs(weight)!r} * {term.name}"
        parts.append(f"        {text}  # {term.meaning}")
    body = _terms_body()
    code = "def priority(task, nodes):\n" + body + "\n    return (\n" + "\n".join(parts) + "\n    )\n"
    constants = [f"{name} = {value!r}" for name, value in constants_used(code).items()]
    header = [PROGRAM_DOCSTRING, "", "import numpy as np", "", CONSTANTS_COMMENT, *constants]
    return "\n".join(header) + "\n\n\n" + code
