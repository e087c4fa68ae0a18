"""Two-dimensional vector bin packing as a :class:`~aurora_evo.problem.Problem`.

Programs follow :attr:`~aurora_evo.contracts.Contract.VECTOR_BINPACKING`: ``priority(item, bins)`` with
``item`` the machine's ``(2,)`` demand (cores, GiB) and ``bins`` the ``(k, 2)`` remaining capacity of
every host it fits on, empty hosts included; it goes to the highest score, the lowest index on ties.
Packing, checking and scoring (minus the excess of hosts over the L1 bound, the larger of the two
dimensions' bounds) are bin packing's, which handles vector instances already; what is this problem's
own is its cases and test set (:mod:`.instances`), its baselines, the files ``score`` reads and what a
prompt says of it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aurora_evo.config import TaskConfig
from aurora_evo.contracts import Contract
from aurora_evo.domains.binpacking.baselines import VECTOR_BASELINE_SOURCES
from aurora_evo.domains.binpacking.datasets import Dataset, DatasetError, VectorInstance, load_dataset
from aurora_evo.domains.binpacking.problem import BinPackingProblem
from aurora_evo.domains.vector_packing.instances import HOST, vm_dataset
from aurora_evo.problem import Cases

#: Resources of a machine and a host: cores, GiB.
DIMENSIONS = 2


PROMPT_PROBLEM = f"""\
Placing virtual machines on hosts, online. Every host has {HOST[0]:g} cpu cores and {HOST[1]:g} GiB of \
memory. Machines arrive one at a time and each one must be put on a host at once, without knowing the \
machines still to come; a machine fits on a host when both its cores and its memory fit. The goal is to \
use as few hosts as possible. Machines come in a few flavours: 2 to 16 cores with 2, 4 or 8 GiB per \
core (compute-optimised, general purpose, memory-optimised), small ones the most common, so a host can \
run out of cores with memory to spare, or the other way round.

    def priority(item: np.ndarray, bins: np.ndarray) -> np.ndarray

- `item`: 1-D float64 array of shape (2,): the machine's cores and GiB.
- `bins`: 2-D float64 array of shape (k, 2): the cores and GiB left on every host the machine fits on, in \
host order. Unused hosts are offered too, each row holding the full ({HOST[0]:g}, {HOST[1]:g}), so \
opening a new host is one of the choices.
- returns: a 1-D array of shape (k,), one finite score per row of `bins`.

The machine goes on the host with the highest score (the first one on ties), whose room then drops by \
`item`. For example, `return np.zeros(bins.shape[0])` is first fit. `np` and `math` are predefined when \
the program runs; importing them is fine too."""

PROMPT_SCORING = """\
Each program places the machines of every training instance. Its score is minus the excess, in percent, \
of the hosts it uses over the lower bound: the larger of ceil(total cores / cores per host) and \
ceil(total GiB / GiB per host). Higher is better: 0 would match the bound, which no placement can \
beat, and -3.5 means 3.5% more hosts than the bound. The metric `excess_percent` is the same number \
with the sign flipped."""

#: The entropy of the test instances' stream (runs draw theirs from streams spawned from their seed).
TEST_SEED = 20261205


class VectorPackingProblem(BinPackingProblem):
    """Pack virtual machines onto as few hosts as possible; the score is minus the excess over L1 (%)."""

    name = "vector_packing"
    contract = Contract.VECTOR_BINPACKING
    score_label = "excess hosts over L1"
    # Vector programs run on the numpy path only (the vector packer has no numba kernel).
    jit_min_decisions = 2**62
    trivial_program = "def priority(item, bins):\n    return -(bins - item).sum(axis=1)\n"
    case_file_hint = "FILE (a .vbp file of two-dimensional items)"

    def cases(self, task: TaskConfig, seed: int) -> Cases:
        """``task.train_instances`` x ``task.train_items`` generated machines to train on, one case per
        instance, and ``task.validation_instances`` x ``task.validation_items`` to validate on; each
        from its own stream of ``seed``."""
        train_rng, validation_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
        train = vm_dataset(train_rng, task.train_instances, task.train_items, "train-vm")
        cases = tuple(
            Dataset(f"{train.name}/{instance.name}", (instance,), train.source)
            for instance in train.instances
        )
        validation = vm_dataset(
            validation_rng, task.validation_instances, task.validation_items, "validation-vm"
        )
        description = (
            f"vector packing (cores, GiB): train on {task.train_instances} x {task.train_items} generated "
            f"machines, validate on {task.validation_instances} x {task.validation_items}"
        )
        return Cases(cases, (validation,), description)

    def load_cases(self, specs: Sequence[str]) -> list[Dataset]:
        """The vector bin-packing files (``.vbp``) at ``specs``, in order; a file of one-dimensional
        items, or of items of another number of dimensions than two (cores, GiB), is refused."""
        datasets = [load_dataset(spec) for spec in specs]
        for spec, dataset in zip(specs, datasets, strict=True):
            instance = dataset.instances[0]
            if not isinstance(instance, VectorInstance):
                raise DatasetError(f"{spec}: holds one-dimensional items; vector packing needs a .vbp file")
            if instance.capacities.shape != (DIMENSIONS,):
                raise DatasetError(
                    f"{spec}: items of {instance.capacities.shape[0]} dimensions; "
                    f"vector packing's have {DIMENSIONS} (cores, GiB)"
                )
        return datasets

    def test_cases(self, task: TaskConfig) -> tuple:
        """Five instances of ``task.validation_items`` machines drawn from a stream of their own
        (:data:`TEST_SEED`), the same for every run."""
        rng = np.random.default_rng(np.random.SeedSequence(TEST_SEED))
        return (vm_dataset(rng, 5, task.validation_items, "test-vm"),)

    def prompt_context(self) -> tuple[str, str]:
        """The prompt's problem: virtual machines onto hosts; its scoring: hosts over the L1 bound."""
        return PROMPT_PROBLEM, PROMPT_SCORING

    def run_label(self, task: TaskConfig) -> str:
        return task.domain

    def training_note(self, task: TaskConfig) -> str:
        return ""

    def baselines(self) -> dict[str, str]:
        """First fit and best fit for vector items."""
        return dict(VECTOR_BASELINE_SOURCES)
