"""What runs inside the jail: confine the forked process, then evaluate the candidate and report.

:func:`run_jail` never returns: it writes one result frame (see :mod:`aurora_evo.sandbox.frames`) to
its pipe and leaves with ``os._exit``. The payload is raw int64 values: first 1 or 0 (did numba
compile the program), then for allocation the node of every task of every scenario (-1 when
rejected), for bin packing the bin of every item of every instance. The supervisor does not trust it;
the client checks it by replaying it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from aurora_evo.outcome import Outcome
from aurora_evo.sandbox import layers as jail_layers
from aurora_evo.sandbox.frames import encode_result

#: Outcomes travel as their position in this tuple.
OUTCOME_CODES: tuple[Outcome, ...] = tuple(Outcome)


@dataclass(frozen=True)
class JailSpec:
    """One evaluation, as the supervisor hands it to the child.

    Attributes:
        source: the candidate program.
        kind: ``"allocation"`` (cases are scenarios) or ``"binpacking"`` (cases are datasets).
        cases: the scenarios or datasets, already in the supervisor's memory.
        memory_bytes: address-space allowance on top of what the process already maps.
        cpu_seconds: cpu-time limit (the wall-clock deadline is enforced by the supervisor).
        boundscheck: compile the candidate with numba's index checks.
        layers: which confinement layers to apply.
    """

    source: str
    kind: str
    cases: tuple
    memory_bytes: int
    cpu_seconds: int
    boundscheck: bool
    layers: jail_layers.Layers


def _mapped_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def confine(spec: JailSpec, keep_fd: int, seccomp_filter) -> None:
    """Apply every available layer to this (freshly forked) process; ``keep_fd`` stays open."""
    os.setpgid(0, 0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    # Everything else goes, above all the supervisor's pipes to its client.
    os.closerange(3, keep_fd)
    os.closerange(keep_fd + 1, 1 << 16)
    os.chdir("/")
    jail_layers.set_limits(_mapped_bytes() + spec.memory_bytes, spec.cpu_seconds)
    if spec.layers.network_namespace:
        jail_layers.enter_network_namespace()
    if spec.layers.uid_drop:
        jail_layers.drop_privileges()
    if spec.layers.seccomp:
        jail_layers.load_seccomp(seccomp_filter)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


def evaluate(spec: JailSpec) -> tuple[Outcome, str, np.ndarray | None]:
    """Compile and run the candidate on every case; ``(outcome, message, payload)``."""
    from aurora_evo.evaluation import EvalResult, compile_outcome, run_allocation, run_binpacking
    from aurora_evo.policy import Contract

    if spec.kind == "allocation":
        program = compile_outcome(spec.source, Contract.ALLOCATION, boundscheck=spec.boundscheck)
        if isinstance(program, EvalResult):
            return program.outcome, program.message, None
        ran, compiled = run_allocation(program, spec.cases), program.compiled
    else:
        ran = run_binpacking(spec.source, spec.cases, boundscheck=spec.boundscheck)
        if not isinstance(ran, EvalResult):
            ran, compiled = ran
    if isinstance(ran, EvalResult):
        return ran.outcome, ran.message, None
    return Outcome.OK, "", np.concatenate([np.array([int(compiled)]), *ran])


def run_jail(spec: JailSpec, result_fd: int, seccomp_filter) -> None:
    """The child's whole life: confine, evaluate, write the result, exit. Never returns."""
    outcome, message, payload = Outcome.NO_RESULT, "the jail ended without a result", None
    try:
        confine(spec, result_fd, seccomp_filter)
        outcome, message, payload = evaluate(spec)
    except MemoryError as exc:
        outcome, message, payload = Outcome.MEMORY_LIMIT, _one_line(exc), None
    except RecursionError as exc:
        outcome, message, payload = Outcome.RUNTIME_ERROR, _one_line(exc), None
    except PermissionError as exc:
        outcome, message, payload = Outcome.FORBIDDEN, f"a forbidden operation: {_one_line(exc)}", None
    except BaseException as exc:  # SystemExit and KeyboardInterrupt included: the jail reports them all
        outcome, message, payload = Outcome.RUNTIME_ERROR, _one_line(exc), None
    try:
        frame = encode_result(OUTCOME_CODES.index(outcome), message, payload)
        view = memoryview(frame)
        while view:
            view = view[os.write(result_fd, view) :]
    finally:
        os._exit(0)
