"""The program contracts, and turning a program's source into a callable priority function.

Three contracts exist (see ``shared/ARCHITECTURE.md``):

* :attr:`Contract.ALLOCATION`: ``priority(task: (TASK_FEATURES,), nodes: (n, NODE_FEATURES)) -> (n,)``;
* :attr:`Contract.BINPACKING`: FunSearch's ``priority(item: float, bins: (k,)) -> (k,)`` where ``bins``
  holds the remaining capacity of every bin the item fits in;
* :attr:`Contract.VECTOR_BINPACKING`: the same for d-dimensional items, ``priority(item: (d,),
  bins: (k, d)) -> (k,)``.

:func:`compile_program` executes the source it is given. Call it only inside the sandbox's worker, or on
programs that are already vetted (the shipped seeds and baselines); never on untrusted source in the
evolving process.
"""

from __future__ import annotations

import ast
import enum
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from aurora_evo import features
from aurora_evo.errors import one_line

#: Programs longer than this are refused before parsing (a 5 MB source takes ~20 s to parse).
MAX_SOURCE_CHARS = 64_000


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


class ProgramError(ValueError):
    """The source is not a usable program (syntax error, no ``priority`` function, too long...)."""


class ModuleBodyError(ProgramError):
    """The program's module-level code raised while it was being loaded.

    ``cause`` is the type of the exception it raised (``MemoryError`` and ``PermissionError`` have
    outcomes of their own).
    """

    def __init__(self, message: str, cause: type[BaseException] = Exception):
        super().__init__(message)
        self.cause = cause


def _numba_signature(contract: Contract):
    from numba import types

    if contract is Contract.ALLOCATION:
        # Read-only inputs: a program that writes to its task or nodes fails to compile and then fails
        # on the numpy path too, so it can never corrupt the simulator's own feature arrays.
        task = types.Array(types.float64, 1, "C", readonly=True)
        nodes = types.Array(types.float64, 2, "C", readonly=True)
        return types.float64[:](task, nodes)
    if contract is Contract.VECTOR_BINPACKING:
        return types.float64[:](types.float64[:], types.float64[:, :])
    return types.float64[:](types.float64, types.float64[:])


def function_type(contract: Contract):
    """The numba first-class function type of a compiled program (what the kernels take)."""
    from numba import types

    return types.FunctionType(_numba_signature(contract))


@dataclass(frozen=True)
class CompiledProgram:
    """A program ready to run.

    Attributes:
        source: the program text.
        contract: its calling convention.
        python: the plain Python function (always present; the numpy path calls it).
        jitted: the numba-compiled function, or ``None`` when numba could not compile it.
        jit_error: one line saying why numba could not compile it (``None`` when it could).
    """

    source: str
    contract: Contract
    python: Callable
    jitted: object | None
    jit_error: str | None

    @property
    def compiled(self) -> bool:
        return self.jitted is not None


def is_docstring(statement: ast.stmt) -> bool:
    """Whether a statement is a bare string (a docstring where it comes first)."""
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def parse_program(source: str, function_name: str = "priority") -> ast.Module:
    """Parse ``source`` and check that it defines ``function_name`` with two positional arguments."""
    if len(source) > MAX_SOURCE_CHARS:
        raise ProgramError(f"source is {len(source)} characters long; the limit is {MAX_SOURCE_CHARS}")
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        where = f" at line {exc.lineno}" if exc.lineno else ""
        raise ProgramError(f"syntax error{where}: {exc.msg}") from None
    except (ValueError, MemoryError, RecursionError) as exc:  # null bytes; nesting the parser cannot hold
        raise ProgramError(f"the source cannot be parsed ({one_line(exc)})") from None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function_name:
            if len(node.args.args) != 2:
                raise ProgramError(f"{function_name}() must take exactly two arguments")
            return tree
    raise ProgramError(f"no top-level function named {function_name}()")


def compile_program(
    source: str,
    contract: Contract,
    *,
    function_name: str = "priority",
    jit: bool = True,
    boundscheck: bool = False,
) -> CompiledProgram:
    """Execute ``source`` and return its priority function, numba-compiled when possible.

    The program's namespace holds ``np``, ``numpy``, ``math`` and the feature constants of
    :mod:`aurora_evo.features`, so that ``nodes[:, N_CPU_FREE]`` works without imports.

    ``boundscheck=True`` makes numba check every index (an out-of-bounds access raises ``IndexError``
    instead of reading garbage or corrupting memory); the sandbox sets it for untrusted programs.

    Raises:
        ProgramError: the source does not parse, is too long, or does not define the function.
    """
    import math

    parse_program(source, function_name)
    namespace: dict = {"np": np, "numpy": np, "math": math, **features.contract_globals()}
    try:
        code = compile(source, "<program>", "exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        raise ProgramError(f"the source cannot be compiled ({one_line(exc)})") from None
    try:
        # Vetted programs, or inside the sandbox's jail: see the module docstring.
        exec(code, namespace)
    except BaseException as exc:  # SystemExit too: loading a program must not end the evaluator
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise ModuleBodyError(f"running the module body failed: {one_line(exc)}", type(exc)) from None
    fn = namespace.get(function_name)
    if not callable(fn):
        raise ProgramError(f"{function_name} is not a function")
    jitted, jit_error = None, None
    if jit:
        jitted, jit_error = _try_jit(fn, contract, boundscheck)
    return CompiledProgram(source, contract, fn, jitted, jit_error)


def _try_jit(fn: Callable, contract: Contract, boundscheck: bool) -> tuple[object | None, str | None]:
    """numba's version of ``fn``, or why there is none.

    ``error_model="numpy"`` makes division by zero give inf or NaN as numpy does, instead of raising as
    Python does, so that both paths judge a program alike. A function whose every path raises
    compiles to one returning nothing, which would fail at its first call with a type error about
    itself rather than the program's own exception: it runs on the numpy path instead.
    """
    from numba import njit, types

    signature = _numba_signature(contract)
    options = {"cache": False, "nogil": True, "boundscheck": boundscheck, "error_model": "numpy"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            jitted = njit(signature, **options)(fn)
    except Exception as exc:
        return None, one_line(exc)
    compiled = jitted.overloads.get(signature.args)
    if compiled is not None and compiled.signature.return_type in (types.none, types.void):
        return None, "the function never returns an array"
    return jitted, None


def load_program_file(path, contract: Contract, *, jit: bool = True) -> CompiledProgram:
    """Read a program file and compile it (vetted programs only; see the module docstring)."""
    from pathlib import Path

    return compile_program(Path(path).read_text(encoding="utf-8"), contract, jit=jit)
