"""The registry of problems: a name, and where its :class:`~aurora_evo.problem.Problem` lives.

Adding a problem is a folder under ``aurora_evo/domains/`` and one line in :data:`PROBLEMS`. The classes
are imported only when a problem is asked for, so that this module stays light: the sandbox's supervisor
looks problems up here by the name a request carries, after it has installed its guards.
"""

from __future__ import annotations

import functools
import importlib
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aurora_evo.config import TaskConfig
    from aurora_evo.problem import Problem

#: Problem name -> ``"module:Class"``.
PROBLEMS: dict[str, str] = {
    "allocation": "aurora_evo.domains.allocation.problem:AllocationProblem",
    "binpacking": "aurora_evo.domains.binpacking.problem:BinPackingProblem",
    "vector_packing": "aurora_evo.domains.vector_packing.problem:VectorPackingProblem",
}


class UnknownProblem(KeyError):
    """No problem is registered under the name."""

    def __str__(self) -> str:
        return f"no problem named {self.args[0]!r}; registered: {', '.join(sorted(PROBLEMS))}"


def get_problem(name: str) -> Problem:
    """The problem registered as ``name`` (one instance per name)."""
    if name not in PROBLEMS:
        raise UnknownProblem(name)
    return problem_from_spec(PROBLEMS[name])


@functools.cache
def problem_from_spec(spec: str) -> Problem:
    """The problem whose class ``spec`` names as ``"module:Class"``, or ``"module:Class@FOLDER"`` for
    a module imported from ``FOLDER`` (see :func:`aurora_evo.sandbox.cases.problem_spec`); one instance
    per spec. The sandbox's supervisor finds a run's problem this way, registered or not."""
    location, _, folder = spec.partition("@")
    if folder and folder not in sys.path:
        sys.path.append(folder)
    module, _, attribute = location.partition(":")
    return getattr(importlib.import_module(module), attribute)()


def problem_names() -> tuple[str, ...]:
    return tuple(PROBLEMS)


#: The allocation problem's domains (:class:`aurora_evo.scenario.Domain`'s values), which a run's
#: ``task.domain`` names as well as the other problems' names.
ALLOCATION_DOMAINS = ("cloud", "edge", "network")


def domain_names() -> tuple[str, ...]:
    """What ``task.domain`` (``--domain``) may name: every registered problem but allocation, then the
    allocation domains."""
    return (*(name for name in PROBLEMS if name != "allocation"), *ALLOCATION_DOMAINS)


def problem_of_domain(domain: str) -> Problem:
    """The problem a run's ``task.domain`` names: a registered problem by its name, and the allocation
    problem for the allocation domains (``cloud``, ``edge``, ``network``)."""
    return get_problem("allocation" if domain in ALLOCATION_DOMAINS else domain)


#: What ``task.score`` may name for an allocation domain -> the problem scoring that way: the mean
#: reward, or the fitness against best fit
#: (:class:`~aurora_evo.domains.allocation.problem.AllocationFitnessProblem`).
ALLOCATION_SCORES: dict[str, str] = {
    "reward": PROBLEMS["allocation"],
    "fitness": "aurora_evo.domains.allocation.problem:AllocationFitnessProblem",
}


def problem_of_task(task: TaskConfig) -> Problem:
    """The problem a run's task settings name: :func:`problem_of_domain`, scored as ``task.score``
    says for an allocation domain (the other problems have one score each)."""
    if task.domain in ALLOCATION_DOMAINS:
        return problem_from_spec(ALLOCATION_SCORES[task.score])
    return problem_of_domain(task.domain)
