"""What an evaluation produced (:class:`EvalResult`), and compiling a program into one's outcome.

Running and scoring are each problem's (:class:`aurora_evo.problem.Problem`): running executes the
program and yields raw decisions, inside the sandbox's jail; scoring checks those decisions and turns
them into metrics without running any program code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aurora_evo.contracts import Contract
from aurora_evo.outcome import EXCEPTION_OUTCOMES, Outcome
from aurora_evo.program_loading import CompiledProgram, ModuleBodyError, compile_program
from aurora_evo.program_text import ProgramError


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
