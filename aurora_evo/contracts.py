"""The program contracts: how a priority function is called, and how what it returns is judged.

Three contracts exist:

* :attr:`Contract.ALLOCATION`: ``priority(task: (TASK_FEATURES,), nodes: (n, NODE_FEATURES)) -> (n,)``
  (the feature columns are in :mod:`aurora_evo.features`);
* :attr:`Contract.BINPACKING`: FunSearch's ``priority(item: float, bins: (k,)) -> (k,)`` where ``bins``
  holds the remaining capacity of every bin the item fits in;
* :attr:`Contract.VECTOR_BINPACKING`: the same for d-dimensional items, ``priority(item: (d,),
  bins: (k, d)) -> (k,)``.

A call's result is judged by :func:`check_scores` (an :class:`OutputStatus`), an exception it raised by
:func:`exception_status`. Turning a source into a callable is :mod:`aurora_evo.program_loading`'s job.
"""

from __future__ import annotations

import enum

import numpy as np

from aurora_evo.errors import one_line


class Contract(enum.Enum):
    """Which calling convention a program follows."""

    ALLOCATION = "allocation"
    BINPACKING = "binpacking"
    VECTOR_BINPACKING = "vector_binpacking"


class OutputStatus(enum.IntEnum):
    """How a program's scores were judged during a run (returned as an int by the numba kernels)."""

    OK = 0
    WRONG_SHAPE = 1  #: not a 1-D array with one score per node/bin
    NOT_FINITE = 2  #: a score was NaN or infinite
    WRONG_TYPE = 3  #: not an array of real numbers (numpy path only)
    RAISED = 4  #: the program raised an exception
    OUT_OF_MEMORY = 5  #: the program ran out of memory (raised MemoryError)
    REFUSED = 6  #: the program tried an operation the system refused (raised PermissionError)

    def describe(self) -> str:
        return {
            OutputStatus.OK: "ok",
            OutputStatus.WRONG_SHAPE: "priority() returned an array of the wrong shape",
            OutputStatus.NOT_FINITE: "priority() returned a NaN or infinite score",
            OutputStatus.WRONG_TYPE: "priority() did not return an array of real numbers",
            OutputStatus.RAISED: "priority() raised an exception",
            OutputStatus.OUT_OF_MEMORY: "priority() ran out of memory",
            OutputStatus.REFUSED: "priority() tried an operation that is not permitted",
        }[self]


class CallFailed(Exception):
    """A call of ``priority`` that failed in another process (the sandbox's jail that answers the calls
    of a simulation the client runs itself), with the status and detail it failed with there."""

    def __init__(self, status: OutputStatus, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


def exception_status(exc: BaseException) -> tuple[OutputStatus, str]:
    """The status and one-line message of an exception a program raised while being called.

    Every exception is the program's own failure, ``SystemExit`` included (a program must not end the
    evaluator); only a ``KeyboardInterrupt`` is re-raised, since it is the user's. A
    :class:`CallFailed` is the failure it carries (never a success, whoever raised it).
    """
    if isinstance(exc, KeyboardInterrupt):
        raise exc
    if isinstance(exc, CallFailed) and type(exc.status) is OutputStatus and exc.status is not OutputStatus.OK:
        return exc.status, str(exc.detail)
    if isinstance(exc, MemoryError):
        return OutputStatus.OUT_OF_MEMORY, one_line(exc)
    if isinstance(exc, PermissionError):
        return OutputStatus.REFUSED, one_line(exc)
    return OutputStatus.RAISED, one_line(exc)


def choose_node(fits: np.ndarray, scores: np.ndarray) -> int:
    """The node a task goes to on the numpy path: the highest of ``scores`` (``(n_nodes,)``, checked)
    among the nodes it ``fits`` on (``(n_nodes,)`` bool, read before the program was called), the lowest
    index on ties (the simulator's rule)."""
    return int(np.argmax(np.where(fits, scores, -np.inf)))


def check_scores(scores: object, expected: int) -> tuple[OutputStatus, np.ndarray | None]:
    """Validate what a Python priority function returned; shape ``(expected,)`` float64 on success.

    Only a plain ``numpy.ndarray`` is accepted: a subclass (a masked array, a matrix) can hide values
    or change how they compare.
    """
    if type(scores) is not np.ndarray or scores.dtype.kind not in "fiub":
        return OutputStatus.WRONG_TYPE, None
    if scores.ndim != 1 or scores.shape[0] != expected:
        return OutputStatus.WRONG_SHAPE, None
    scores = scores.astype(np.float64, copy=False)
    if not np.isfinite(scores).all():
        return OutputStatus.NOT_FINITE, None
    return OutputStatus.OK, scores
