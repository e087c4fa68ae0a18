"""What runs inside the jail: confine the forked process, take one job, evaluate it and report.

The supervisor forks a jail *before* it has a job for it (so that the fork and the confinement are
off the critical path); the jail confines itself, then waits on its job pipe. :func:`run_jail` never
returns: it writes one result frame (see :mod:`aurora_evo.sandbox.wire`) and leaves with
``os._exit``. The payload is raw int64 values: first 1 or 0 (did numba compile the program), then the
program's decisions (:meth:`aurora_evo.problem.Problem.run`): for allocation the node of every task of
every scenario (-1 when rejected), for bin packing the bin of every item of every instance. The
supervisor does not trust it; the client checks it by replaying it.
"""

from __future__ import annotations

import gc
import os
import resource
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from aurora_evo.domains import problem_from_spec
from aurora_evo.errors import one_line
from aurora_evo.evaluation import EvalResult
from aurora_evo.outcome import Outcome
from aurora_evo.sandbox import landlock, numba_guard, wire
from aurora_evo.sandbox import layers as jail_layers

#: Outcomes travel as their position in this tuple.
OUTCOME_CODES: tuple[Outcome, ...] = tuple(Outcome)
OK_CODE = OUTCOME_CODES.index(Outcome.OK)


@dataclass(frozen=True)
class JailLimits:
    """What a jail is confined by, fixed when it is forked.

    Attributes:
        memory_bytes: address-space allowance on top of what the process already maps.
        cpu_seconds: cpu-time limit (the wall-clock deadline is enforced by the supervisor).
        uid: the unprivileged uid (and gid) to become, when the supervisor is root.
    """

    memory_bytes: int
    cpu_seconds: int
    uid: int = jail_layers.JAIL_IDS[0]


@dataclass(frozen=True)
class Job:
    """One evaluation.

    Attributes:
        source: the candidate program.
        problem: where the problem's class is (``"module:Class"``, see
            :func:`aurora_evo.domains.problem_from_spec`); it runs the program on the cases.
        cases: the cases, from the supervisor's memory.
        jit: compile the candidate with numba (else it runs on the numpy path).
        boundscheck: compile the candidate with numba's index checks.
    """

    source: str
    problem: str
    cases: tuple
    jit: bool
    boundscheck: bool


def _mapped_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def confine(limits: JailLimits, keep_fds: tuple[int, ...], confinement: jail_layers.Confinement) -> None:
    """Apply every available layer to this (freshly forked) process; ``keep_fds`` stay open."""
    supervisor = os.getppid()
    layers = confinement.layers
    # A full collection would walk, and so copy, every page of the heap inherited from the supervisor
    # (150 ms in the middle of a numba compile); a jail lives for one evaluation under a memory limit.
    gc.disable()
    os.setsid()  # a new session and process group: no controlling terminal to type into
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    # Everything else goes, above all the supervisor's pipes to its client.
    close_all_but((*keep_fds, *confinement.kept_fds()))
    os.chdir("/")
    jail_layers.set_limits(_mapped_bytes() + limits.memory_bytes, limits.cpu_seconds)
    if layers.network_namespace:
        jail_layers.enter_namespaces(confinement.namespaces)
    for fd in confinement.namespaces or ():
        os.close(fd)
    if layers.uid_drop:
        jail_layers.drop_privileges(limits.uid)
    jail_layers.die_with_parent(supervisor)
    if layers.filesystem_view:
        landlock.restrict_self(confinement.ruleset_fd)
    if layers.seccomp and confinement.seccomp_program is not None:
        jail_layers.load_seccomp(confinement.seccomp_program)


def close_all_but(keep: tuple[int, ...]) -> None:
    """Close every file descriptor from 3 up, except ``keep`` (up to the hard limit on descriptors:
    no descriptor can be numbered above it; Linux closes a range in one call)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    top = 1 << 20 if hard == resource.RLIM_INFINITY else max(hard, 1 << 16)
    low = 3
    for fd in sorted(set(keep)):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, top)


def evaluate(job: Job) -> tuple[Outcome, str, np.ndarray | None]:
    """Compile and run the candidate on every case; ``(outcome, message, payload)``."""

    if job.boundscheck:
        numba_guard.check_indices()
    ran = problem_from_spec(job.problem).run(job.source, job.cases, jit=job.jit, boundscheck=job.boundscheck)
    if isinstance(ran, EvalResult):
        return ran.outcome, ran.message, None
    decisions, compiled = ran
    return Outcome.OK, "", np.concatenate([np.array([int(compiled)]), *decisions])


def _touch_memory(cases: Mapping[str, tuple[str, object]], likely: Job) -> None:
    """Evaluate a vetted trivial program the way the coming job probably will (same problem, same numba
    settings), on a small case (:meth:`~aurora_evo.problem.Problem.touch_case`).

    Straight after a fork, every page an evaluation touches is copied on first write: ~2.5 ms for a
    small evaluation, ~15-30 ms more for a numba compile. Doing it here, while the jail waits for its
    job (on the other core, as the supervisor forks the next jail while the current one runs), takes
    that off the evaluation's time. Jobs are compiled only when they are long enough for this to end
    before they come (see ``jit="auto"``).
    """
    sample = [case for spec, case in cases.values() if spec == likely.problem][:1]
    if sample:
        problem = problem_from_spec(likely.problem)
        touch = (problem.touch_case(sample[0]),)
        evaluate(Job(problem.trivial_program, likely.problem, touch, likely.jit, likely.boundscheck))


def run_jail(
    limits: JailLimits,
    confinement: jail_layers.Confinement,
    cases: Mapping[str, tuple[str, object]],
    likely: Job,
    job_fd: int,
    result_fd: int,
) -> None:
    """The child's whole life: confine, wait for the job, evaluate, write the result, exit.

    Never returns. ``cases`` are the supervisor's cases at the time of the fork; the job names some
    of them by key. ``likely`` (source and cases ignored) says how the coming job will probably be
    evaluated, to prepare for it.
    """
    outcome, message, payload = Outcome.NO_RESULT, "the jail ended without a result", None
    try:
        confine(limits, (job_fd, result_fd), confinement)
        try:
            _touch_memory(cases, likely)
        except Exception:  # only an optimisation
            pass
        try:
            request, _ = wire.receive_message(job_fd)
        except wire.FrameError:  # the supervisor dropped this jail unused
            os._exit(0)
        os.close(job_fd)
        job = Job(
            source=request["source"],
            problem=request["problem"],
            cases=tuple(cases[key][1] for key in request["keys"]),
            jit=bool(request["jit"]),
            boundscheck=bool(request["boundscheck"]),
        )
        outcome, message, payload = evaluate(job)
    except MemoryError as exc:
        outcome, message, payload = Outcome.MEMORY_LIMIT, one_line(exc), None
    except RecursionError as exc:
        outcome, message, payload = Outcome.RUNTIME_ERROR, one_line(exc), None
    except PermissionError as exc:  # refused while confining or loading: the program's doing
        outcome, message, payload = Outcome.FORBIDDEN, one_line(exc), None
    except BaseException as exc:  # SystemExit and KeyboardInterrupt included: the jail reports them all
        outcome, message, payload = Outcome.RUNTIME_ERROR, one_line(exc), None
    try:
        wire.write_all(result_fd, wire.encode_result(OUTCOME_CODES.index(outcome), message, payload))
    finally:
        os._exit(0)
