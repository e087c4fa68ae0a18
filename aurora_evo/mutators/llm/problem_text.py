"""What a prompt says of the problem: what a program of a contract is given and returns, and how it is
scored. The allocation contract's feature columns and units are read from :mod:`aurora_evo.features`,
so that the prompt follows it."""

from __future__ import annotations

import inspect
import re

from aurora_evo import features
from aurora_evo.contracts import Contract
from aurora_evo.scenario.model import DEFAULT_WEIGHTS

__all__ = ["contract_description", "score_description"]


def _feature_rows(prefix: str) -> list[tuple[str, int, str]]:
    """``(name, column, comment)`` of the ``T_*`` or ``N_*`` columns, read from the features module so
    that the prompt follows it (the comment is the ``#:`` one on the constant's line)."""
    try:
        text = inspect.getsource(features)
    except (OSError, TypeError):  # no source shipped: names only
        text = ""
    pattern = re.compile(rf"^({prefix}_[A-Z0-9_]+) = (\d+)\s+#:\s*(.*?)\s*$", re.MULTILINE)
    rows = [(name, int(column), comment) for name, column, comment in pattern.findall(text)]
    if not rows:
        names = features.TASK_FEATURE_NAMES if prefix == "T" else features.NODE_FEATURE_NAMES
        constants = {v: k for k, v in vars(features).items() if k.startswith(prefix + "_") and k.isupper()}
        rows = [(constants.get(i, f"{prefix}_{n.upper()}"), i, n) for i, n in enumerate(names)]
    return rows


def _feature_table(prefix: str) -> str:
    rows = _feature_rows(prefix)
    width = max(len(f"{name} = {column}") for name, column, _ in rows)
    return "\n".join(f"    {f'{name} = {column}':<{width}}  # {comment}" for name, column, comment in rows)


def _units() -> str:
    match = re.search(r"^Units:(.*?)(?:\n\s*\n|\Z)", features.__doc__ or "", re.MULTILINE | re.DOTALL)
    return "Units: " + " ".join(match.group(1).split()) if match else ""


def contract_description(contract: Contract) -> str:
    """What a program of ``contract`` is given, what it returns and what is done with its scores."""
    if contract is Contract.ALLOCATION:
        return _allocation_description()
    if contract is Contract.VECTOR_BINPACKING:
        return _VECTOR_BINPACKING_DESCRIPTION
    return _BINPACKING_DESCRIPTION


_BINPACKING_DESCRIPTION = """\
Online one-dimensional bin packing, as in FunSearch. Items arrive one at a time and each one must be put \
into a bin at once, without knowing the items still to come. All bins have the same capacity. The goal \
is to use as few bins as possible.

    def priority(item: float, bins: np.ndarray) -> np.ndarray

- `item`: the size of the item to place (a positive float, in the same unit as the capacity).
- `bins`: 1-D float64 array of shape (k,): the remaining capacity of every bin the item fits in (every \
entry is >= item), in bin order. Unused bins are offered too, each with the full capacity, so opening a \
new bin is one of the choices and the largest entry is always the capacity.
- returns: a 1-D array of shape (k,), one finite score per entry of `bins`.

The item goes into the bin with the highest score (the first one on ties), whose remaining capacity then \
drops by `item`. For example, `return -(bins - item)` is best fit and `return np.zeros_like(bins)` is \
first fit. Instances of a dataset share their capacity and draw their item sizes from one distribution, \
so a heuristic may exploit regularities in the sizes. `np` and `math` are predefined when the program \
runs; importing them is fine too."""

_VECTOR_BINPACKING_DESCRIPTION = """\
Online vector bin packing. Each item has a size in each of d dimensions (for example cpu and memory) and \
fits in a bin when it fits in every dimension. Items arrive one at a time and each one must be put into \
a bin at once, without knowing the items still to come. All bins have the same capacities. The goal is \
to use as few bins as possible.

    def priority(item: np.ndarray, bins: np.ndarray) -> np.ndarray

- `item`: 1-D float64 array of shape (d,): the item's size in each dimension.
- `bins`: 2-D float64 array of shape (k, d): the remaining capacities of every bin the item fits in (in \
all dimensions), in bin order. Unused bins are offered too, each row holding the full capacities, so \
opening a new bin is one of the choices and the column maxima are the capacities.
- returns: a 1-D array of shape (k,), one finite score per row of `bins`.

The item goes into the bin with the highest score (the first one on ties), whose remaining capacities \
then drop by `item`. For example, `return np.zeros(bins.shape[0])` is first fit. `np` and `math` are \
predefined when the program runs; importing them is fine too."""


def _allocation_description() -> str:
    task, node = features.TASK_FEATURES, features.NODE_FEATURES
    parts = [
        "Online resource allocation in a simulated cluster: choose the node each arriving task runs on.",
        "    def priority(task: np.ndarray, nodes: np.ndarray) -> np.ndarray",
        f"- `task`: 1-D float64 array of {task} features of the task to place, indexed by the T_* "
        "constants below.\n"
        f"- `nodes`: 2-D float64 array of shape (n_nodes, {node}), one row per node of the cluster (every "
        "node, always in the same order), columns indexed by the N_* constants below. Both arrays are "
        "read-only.\n"
        "- returns: a 1-D float64 array of shape (n_nodes,), one finite score per node.",
        "Tasks arrive over time and wait in a queue in arrival order. Whenever a queued task fits on at "
        "least one node, `priority(task, nodes)` is called with every node; the scores of nodes the task "
        "does not fit on (N_FITS == 0) are ignored, and the task is placed on the feasible node with the "
        "highest score (the lowest index on ties, so a constant score is first fit). The program cannot "
        "hold back a task that fits; it only chooses where it goes. The task then uses its demands on the "
        "node for its duration. Queued tasks are retried whenever resources free up (a later task may go "
        "ahead of an earlier one that still does not fit), and a task queued longer than the scenario's "
        "timeout is rejected. Where idle nodes sleep, an empty node costs nothing and draws no power until "
        "a task is placed on it.",
        _units(),
        f"Task features, `task[T_...]`:\n{_feature_table('T')}",
        f"Node features, `nodes[:, N_...]`:\n{_feature_table('N')}",
        f"A task without an SLA has deadline NO_DEADLINE = {features.NO_DEADLINE:g}. These constants, `np` "
        "and `math` are predefined when the program runs; a program may also define the constants it uses "
        "itself.",
    ]
    return "\n\n".join(part for part in parts if part)


def score_description(contract: Contract) -> str:
    """How a program of ``contract`` is scored (higher is better) and what its metrics mean."""
    if contract is Contract.ALLOCATION:
        return _allocation_scoring()
    bound = "ceil(sum(items) / capacity)"
    if contract is Contract.VECTOR_BINPACKING:
        bound = "the largest over the dimensions of ceil(sum(items) / capacity)"
    return (
        "Each program packs every instance of the training datasets. Its score is minus the excess, in "
        f"percent, of the bins it uses over the L1 lower bound {bound}: 100 * (mean bins used - mean "
        "bound) / mean bound over a dataset's instances, averaged over the datasets (FunSearch's measure). "
        "Higher is better: 0 would match the lower bound, which no packing can beat, and a score of -3.5 "
        "means 3.5% more bins than the bound. The metric `excess_percent` is the same number with the "
        "sign flipped."
    )


def _allocation_scoring() -> str:
    weights = []
    for domain, terms in DEFAULT_WEIGHTS.items():
        used = sorted(((w, t) for t, w in terms.items() if w > 0), key=lambda wt: (-wt[0], wt[1]))
        weights.append(f"- {domain.value}: " + ", ".join(f"{t} {w:g}" for w, t in used))
    return "\n".join(
        [
            "Each program is simulated on every training scenario. Its score is the mean over the scenarios "
            "of the scenario's reward, in [0, 1]; higher is better. The reward is a weighted mean of eight "
            "terms, each in [0, 1] with 1 best:",
            "- latency: mean of duration / latency over placed tasks, where latency = wait in the queue + "
            "duration + the node's network latency;",
            "- utilization: mean cpu and memory utilisation of the nodes while they are on;",
            "- cost: the share of cost saved against every node on for the whole run (a node costs its "
            "price while on);",
            "- energy: the share of energy saved against every node on, at peak power, for the whole run;",
            "- sla: one minus the share of tasks with a deadline that were rejected or finished late;",
            "- failure: one minus the share of tasks rejected (timed out in the queue, or larger than every "
            "node);",
            "- makespan: its lower bound (the latest arrival + duration) over its value;",
            "- fairness: one minus the Gini coefficient of the owners' mean slowdown (latency / duration).",
            "",
            "Each scenario carries its weights; the defaults per domain are:",
            *weights,
            "",
            "The metrics shown with a program are averaged over the training scenarios: `reward` is its "
            "score, and the others are the raw measures behind the terms (e.g. `sla_violation_rate`, "
            "`cpu_utilization`, `cost_usd`, `mean_latency_s`).",
        ]
    )
