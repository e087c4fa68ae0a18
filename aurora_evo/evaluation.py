"""Evaluate one program's source on scenarios or bin-packing datasets, with a precise outcome.

Split in two halves so that the sandbox can put a process boundary between them:

* *running* (:func:`run_allocation`, :func:`run_binpacking`) executes the program and yields raw
  decisions: the node of every task, the bin of every item. Inside the sandbox this happens in the jail.
* *scoring* (:func:`score_allocation`, :func:`score_binpacking`) turns raw decisions into metrics. It
  runs no program code and checks the decisions first (a replay of the simulator, a capacity check), so
  it can take numbers from an untrusted process.

:func:`evaluate_allocation` and :func:`evaluate_binpacking` do both in this process: use them only for
vetted programs (the sandbox's :class:`~aurora_evo.sandbox.Sandbox` has the same methods for the rest).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from aurora_evo.contracts import Contract
from aurora_evo.outcome import EXCEPTION_OUTCOMES, Outcome, outcome_of_status
from aurora_evo.program_loading import CompiledProgram, ModuleBodyError, compile_program
from aurora_evo.program_text import ProgramError
from aurora_evo.scenario.model import Scenario


@dataclass(frozen=True)
class EvalResult:
    """What an evaluation produced.

    Attributes:
        outcome: ``Outcome.OK`` or why it failed.
        message: one line for people and mutators (empty when OK).
        score: the number evolution maximises: mean reward over scenarios in [0, 1], or minus the
            excess over L1 in percent for bin packing; ``None`` unless OK.
        per_case: per scenario (or dataset) name, its metrics as plain numbers.
        compiled: True when numba compiled the program (False: it ran on the numpy path).
    """

    outcome: Outcome
    message: str = ""
    score: float | None = None
    per_case: dict[str, dict] = field(default_factory=dict)
    compiled: bool = False

    def as_dict(self) -> dict:
        return {
            "outcome": self.outcome.value,
            "message": self.message,
            "score": self.score,
            "compiled": self.compiled,
            "cases": self.per_case,
        }


def compile_outcome(
    source: str, contract: Contract, *, jit: bool = True, boundscheck: bool = False
) -> CompiledProgram | EvalResult:
    """Compile ``source``, or say why it cannot be (syntax error, module body raising)."""
    try:
        return compile_program(source, contract, jit=jit, boundscheck=boundscheck)
    except ModuleBodyError as exc:
        outcome = next(
            (o for kind, o in EXCEPTION_OUTCOMES if issubclass(exc.cause, kind)), Outcome.RUNTIME_ERROR
        )
        return EvalResult(outcome, str(exc))
    except ProgramError as exc:
        return EvalResult(Outcome.SYNTAX_ERROR, str(exc))


#: Below this many placement decisions of a resource-allocation evaluation, the numpy path finishes
#: before numba would have compiled the program (~0.1 s against ~30,000 decisions a second), so
#: ``jit="auto"`` does not compile.
JIT_MIN_DECISIONS = 5_000

#: The same for bin packing, in items: the numpy path packs an item of a 120-item OR instance in
#: ~16 us and numba in ~1 us after compiling for ~0.2 s, so compiling pays from ~15,000 items
#: (``benchmarks/jit_threshold.py``; larger instances have more bins per item and favour numba sooner).
JIT_MIN_ITEMS = 20_000

JitMode = Literal["auto", "always", "never"]


def use_jit(mode: JitMode, cases: Sequence) -> bool:
    """Whether to compile with numba for an evaluation on ``cases`` (scenarios or bin-packing datasets):
    ``"always"``, ``"never"``, or ``"auto"``: when the evaluation makes enough decisions to repay the
    compilation (:data:`JIT_MIN_DECISIONS` tasks, :data:`JIT_MIN_ITEMS` items)."""
    if mode not in ("auto", "always", "never"):
        raise ValueError(f"jit mode {mode!r}; use 'auto', 'always' or 'never'")
    if mode != "auto":
        return mode == "always"
    binpacking = any(not isinstance(c, Scenario) for c in cases)
    return decisions_of(cases) >= (JIT_MIN_ITEMS if binpacking else JIT_MIN_DECISIONS)


def decisions_of(cases: Sequence) -> int:
    """Placement decisions an evaluation makes: tasks of scenarios, items of bin-packing datasets."""
    return sum(
        len(c.tasks) if isinstance(c, Scenario) else sum(len(i.items) for i in c.instances) for c in cases
    )


def _vector(contract: Contract) -> bool:
    return contract is Contract.VECTOR_BINPACKING


def _unique_names(names: Sequence[str]) -> list[str]:
    """The names, with ``#2``, ``#3``... appended to repeats so that each case keeps its entry."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return unique


# --- allocation ------------------------------------------------------------------------------------


def run_allocation(program: CompiledProgram, scenarios: Sequence[Scenario]) -> EvalResult | list[np.ndarray]:
    """Simulate the program on every scenario: the node of each task per scenario, or the failure."""
    from aurora_evo.sim import simulate

    nodes = []
    for scenario in scenarios:
        result = simulate(scenario, program)
        if not result.ok:
            return EvalResult(
                outcome_of_status(result.status),
                f"{scenario.name}: {result.message}",
                compiled=result.compiled,
            )
        nodes.append(result.placement.node)
    return nodes


def score_allocation(
    scenarios: Sequence[Scenario], nodes: Sequence[np.ndarray], compiled: bool
) -> EvalResult:
    """Metrics of the given decisions, after replaying them through the simulator to check them."""
    from aurora_evo.sim import compute_metrics
    from aurora_evo.sim.simulate import replay

    per_case: dict[str, dict] = {}
    for key, scenario, node in zip(_unique_names([s.name for s in scenarios]), scenarios, nodes, strict=True):
        placement = replay(scenario, node)
        if placement is None:
            return EvalResult(Outcome.INVALID_OUTPUT, f"{scenario.name}: the placement failed verification")
        per_case[key] = compute_metrics(scenario, placement).as_dict()
    rewards = [case["reward"] for case in per_case.values()]
    return EvalResult(Outcome.OK, "", math.fsum(rewards) / len(rewards), per_case, compiled)


def evaluate_allocation(source: str, scenarios: Sequence[Scenario], *, jit: JitMode = "auto") -> EvalResult:
    """Run and score in this process (vetted programs only); the score is the mean reward."""
    program = compile_outcome(source, Contract.ALLOCATION, jit=use_jit(jit, scenarios))
    if isinstance(program, EvalResult):
        return program
    nodes = run_allocation(program, scenarios)
    if isinstance(nodes, EvalResult):
        return nodes
    return score_allocation(scenarios, nodes, program.compiled)


# --- bin packing -----------------------------------------------------------------------------------


def run_binpacking(
    source: str, datasets: Sequence, *, jit: bool = True, boundscheck: bool = False
) -> EvalResult | tuple[list[np.ndarray], bool]:
    """Pack every instance online: the bin of each item per instance and whether numba compiled the
    program, or the failure. The program follows FunSearch's contract, or the vector one for datasets
    of vector instances (those run on the numpy path, so numba is not asked to compile them)."""
    from aurora_evo.domains.binpacking import pack
    from aurora_evo.domains.binpacking.evaluate import contract_of

    programs: dict[Contract, CompiledProgram] = {}
    assignments = []
    compiled = True
    for dataset in datasets:
        contract = contract_of(dataset)
        if contract not in programs:
            program = compile_outcome(
                source, contract, jit=jit and not _vector(contract), boundscheck=boundscheck
            )
            if isinstance(program, EvalResult):
                return program
            programs[contract] = program
        program = programs[contract]
        compiled = compiled and program.compiled
        for instance in dataset.instances:
            result = pack(program, instance)
            outcome = outcome_of_status(result.status)
            if not outcome.ok:
                return EvalResult(outcome, f"{dataset.name}: {result.message}", compiled=program.compiled)
            assignments.append(result.assignment)
    return assignments, compiled


def _bins_used(instance, assignment: np.ndarray) -> int | None:
    """Bins of a packing after checking it: every item in a bin, no bin over capacity."""
    from aurora_evo.domains.binpacking import VectorInstance

    n = len(instance.items)
    if assignment.shape != (n,) or (n and (assignment.min() < 0 or assignment.max() >= n)):
        return None
    if isinstance(instance, VectorInstance):
        loads = np.zeros((n, instance.items.shape[1]))
        np.add.at(loads, assignment, instance.items)
        fits = np.all(loads <= instance.capacities + 1e-9)
    else:
        fits = np.all(
            np.bincount(assignment, weights=instance.items, minlength=n) <= instance.capacity + 1e-9
        )
    return int(np.unique(assignment).size) if fits else None


def case_excess(metrics: dict) -> float:
    """The excess (percent) a bin-packing case scores a program by: the one expected at the case's
    ``score_items`` when it has them, else the one measured."""
    return float(metrics.get("scored_excess_percent", metrics["excess_percent"]))


def score_binpacking(datasets: Sequence, assignments: Sequence[np.ndarray], compiled: bool) -> EvalResult:
    """Excess over L1 of the given packings, after checking each one; the score is minus its mean over
    the datasets (each dataset's excess extrapolated to its ``score_items`` when it has them)."""
    from aurora_evo.domains.binpacking import excess_percent, extrapolated_excess, l1_bound, settled_bins

    instances = [(d, i) for d in datasets for i in d.instances]
    if len(assignments) != len(instances):
        return EvalResult(
            Outcome.INVALID_OUTPUT, f"{len(assignments)} packings for {len(instances)} instances"
        )
    # Per dataset name, per instance: bins used and, for datasets scored at a length, settled bins.
    packed: dict[str, list[tuple[int, tuple[int, float] | None]]] = {}
    for (dataset, instance), assignment in zip(instances, assignments, strict=True):
        used = _bins_used(instance, assignment)
        if used is None:
            return EvalResult(
                Outcome.INVALID_OUTPUT, f"{dataset.name}: packing of {instance.name} failed verification"
            )
        settled = settled_bins(instance, assignment) if dataset.score_items is not None else None
        packed.setdefault(dataset.name, []).append((used, settled))
    per_case: dict[str, dict] = {}
    for key, dataset in zip(_unique_names([d.name for d in datasets]), datasets, strict=True):
        mine = packed[dataset.name][: len(dataset.instances)]
        del packed[dataset.name][: len(dataset.instances)]
        used = [bins for bins, _ in mine]
        l1 = [l1_bound(instance) for instance in dataset.instances]
        per_case[key] = {"excess_percent": excess_percent(used, l1), "bins": used, "l1": l1}
        if dataset.score_items is not None:
            settled = (sum(s[0] for _, s in mine), sum(s[1] for _, s in mine))
            per_case[key]["score_items"] = dataset.score_items
            per_case[key]["scored_excess_percent"] = extrapolated_excess(
                per_case[key]["excess_percent"],
                settled,
                np.mean([len(instance.items) for instance in dataset.instances]),
                dataset.score_items,
            )
    excess = [case_excess(case) for case in per_case.values()]
    return EvalResult(Outcome.OK, "", -math.fsum(excess) / len(excess), per_case, compiled)


def evaluate_binpacking(source: str, datasets: Sequence, *, jit: JitMode = "auto") -> EvalResult:
    """Run and score in this process (vetted programs only)."""
    ran = run_binpacking(source, datasets, jit=use_jit(jit, datasets))
    if isinstance(ran, EvalResult):
        return ran
    assignments, compiled = ran
    return score_binpacking(datasets, assignments, compiled)
