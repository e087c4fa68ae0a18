"""Why a candidate program's evaluation ended: one enum shared by the evaluator, sandbox and archive."""

from __future__ import annotations

import enum

from aurora_evo.contracts import OutputStatus


class Outcome(enum.StrEnum):
    """The outcome of evaluating one program; stored with the program and fed back to mutators."""

    OK = "ok"
    SYNTAX_ERROR = "syntax_error"  #: the source does not parse or lacks ``priority``
    FORBIDDEN = "forbidden"  #: refused by the static screen
    TIMEOUT = "timeout"  #: killed at the wall-clock deadline
    MEMORY_LIMIT = "memory_limit"  #: ran out of its memory allowance
    CRASHED = "crashed"  #: the process died (signal, native crash)
    INVALID_OUTPUT = "invalid_output"  #: scores of the wrong type or shape, NaN or infinite
    RUNTIME_ERROR = "runtime_error"  #: the program raised an exception
    NO_RESULT = "no_result"  #: the evaluation ended without a usable result

    @property
    def ok(self) -> bool:
        return self is Outcome.OK


#: Outcomes of exceptions with a meaning of their own, raised by a program or its module body.
EXCEPTION_OUTCOMES: tuple[tuple[type[BaseException], Outcome], ...] = (
    (MemoryError, Outcome.MEMORY_LIMIT),
    (PermissionError, Outcome.FORBIDDEN),
)


def outcome_of_status(status: OutputStatus) -> Outcome:
    """Map a simulator's verdict on the program's scores to an outcome."""
    if status is OutputStatus.OK:
        return Outcome.OK
    if status is OutputStatus.RAISED:
        return Outcome.RUNTIME_ERROR
    if status is OutputStatus.OUT_OF_MEMORY:
        return Outcome.MEMORY_LIMIT
    if status is OutputStatus.REFUSED:
        return Outcome.FORBIDDEN
    return Outcome.INVALID_OUTPUT
