"""Evaluate one program's source on scenarios or a bin-packing dataset, with a precise outcome.

These functions execute the program (see :func:`aurora_evo.policy.compile_program`): they are what runs
*inside* an isolated evaluation, and for vetted programs. Results are plain numbers, so they can cross a
process boundary without pickling.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from aurora_evo.outcome import Outcome, outcome_of_status
from aurora_evo.policy import CompiledProgram, Contract, ProgramError, compile_program
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


def _compile(source: str, contract: Contract) -> CompiledProgram | EvalResult:
    # Vector bin packing runs on the numpy path only, so numba's compile time would be wasted.
    try:
        return compile_program(source, contract, jit=contract is not Contract.VECTOR_BINPACKING)
    except ProgramError as exc:
        text = str(exc)
        outcome = (
            Outcome.SYNTAX_ERROR if not text.startswith("running the module body") else Outcome.RUNTIME_ERROR
        )
        return EvalResult(outcome, text)


def evaluate_allocation(source: str, scenarios: Sequence[Scenario]) -> EvalResult:
    """Simulate the program on every scenario; the score is the mean reward."""
    from aurora_evo.sim import simulate

    program = _compile(source, Contract.ALLOCATION)
    if isinstance(program, EvalResult):
        return program
    per_case: dict[str, dict] = {}
    for scenario in scenarios:
        result = simulate(scenario, program)
        if not result.ok:
            return EvalResult(
                outcome_of_status(result.status),
                f"{scenario.name}: {result.message}",
                compiled=result.compiled,
            )
        key, copy = scenario.name, 1
        while key in per_case:  # the same scenario given twice keeps both entries
            copy += 1
            key = f"{scenario.name}#{copy}"
        per_case[key] = result.metrics.as_dict()
    rewards = [case["reward"] for case in per_case.values()]
    return EvalResult(Outcome.OK, "", math.fsum(rewards) / len(rewards), per_case, program.compiled)


def evaluate_binpacking(source: str, datasets: Sequence) -> EvalResult:
    """Pack every instance of each dataset online; the score is minus the mean excess over L1 (%).

    The program follows FunSearch's contract, or the vector one for datasets of vector instances.
    """
    from aurora_evo.domains.binpacking import evaluate
    from aurora_evo.domains.binpacking.evaluate import contract_of

    programs: dict[Contract, CompiledProgram] = {}
    per_case: dict[str, dict] = {}
    compiled = True
    for dataset in datasets:
        contract = contract_of(dataset)
        if contract not in programs:
            program = _compile(source, contract)
            if isinstance(program, EvalResult):
                return program
            programs[contract] = program
        program = programs[contract]
        compiled = compiled and program.compiled
        result = evaluate(program, dataset)
        outcome = outcome_of_status(result.status)
        if not outcome.ok:
            return EvalResult(outcome, f"{dataset.name}: {result.message}", compiled=program.compiled)
        per_case[dataset.name] = {
            "excess_percent": result.excess_percent,
            "bins": list(result.bins),
            "l1": list(result.l1),
        }
    excess = [case["excess_percent"] for case in per_case.values()]
    return EvalResult(Outcome.OK, "", -math.fsum(excess) / len(excess), per_case, compiled)
