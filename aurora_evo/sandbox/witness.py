"""What runs inside a witness jail: load the candidate again and answer, round by round, what its
``priority`` scores for states the client rebuilt from the evaluation jail's decisions.

Why a witness: the evaluation jail runs the candidate and the simulator in one process, so code that
gets past the screen could write any decisions it likes to the result pipe. The client therefore
re-derives a random sample of those decisions (:mod:`aurora_evo.sandbox.verify`): it rebuilds the
arguments ``priority`` was called with at each sampled decision and asks a fresh witness, forked from a
host that never held the cases, for the scores. A witness sees a decision's state only after answering
every earlier one of the same case, so it cannot read the answer off a later state.

A witness jail also answers the calls of a small evaluation the client simulates itself (the job's
``"calls"`` is true, see :func:`_answer_calls`): it is then the only process that runs the program.

The job (one message): ``{"source", "jit", "boundscheck", "calls"}``. Each round: ``{"states": [[contract,
first_shape, head_shape, tail], ...]}`` with the arguments as float64 in the blob
(:func:`aurora_evo.sandbox.verify.encode`). Each answer: one result frame
(:mod:`aurora_evo.sandbox.wire`) holding, for every state of the round, the row of ``second`` the
simulator would pick with the scores ``priority`` gives (int64), or the outcome and message of the
first call that failed, after which the witness exits. The client checks the picks against the
decisions the evaluation jail reported.
"""

from __future__ import annotations

import math
import os

import numpy as np

from aurora_evo.contracts import Contract, OutputStatus, check_scores, exception_status
from aurora_evo.errors import one_line
from aurora_evo.evaluation import EvalResult, compile_outcome
from aurora_evo.features import N_FITS, NODE_FEATURES, TASK_FEATURES
from aurora_evo.outcome import Outcome, outcome_of_status
from aurora_evo.program_loading import CompiledProgram
from aurora_evo.sandbox import numba_guard, wire
from aurora_evo.sandbox.jail import OK_CODE, OUTCOME_CODES, JailLimits, confine
from aurora_evo.sandbox.layers import Confinement

# Bound when the host imports this module, before any candidate runs in its witnesses.
_ISFINITE, _ALL, _ARGMAX, _WHERE = np.isfinite, np.all, np.argmax, np.where


class _Failed(Exception):
    """A call (or the compilation) failed: the round's answer is this outcome and message."""

    def __init__(self, outcome: Outcome, message: str):
        super().__init__(message)
        self.outcome, self.message = outcome, message


class Answerer:
    """The candidate, compiled once per contract, answering states (trusted arguments, untrusted code).

    ``jit``: call numba's version (the evaluation jail's compiled path), else the Python function.
    """

    def __init__(self, source: str, *, jit: bool, boundscheck: bool):
        self.source, self.jit, self.boundscheck = source, jit, boundscheck
        self._programs: dict[Contract, CompiledProgram] = {}

    def program(self, contract: Contract) -> CompiledProgram:
        if contract not in self._programs:
            # Vector programs run on the numpy path in the evaluation jail too.
            jit = self.jit and contract is not Contract.VECTOR_BINPACKING
            program = compile_outcome(self.source, contract, jit=jit, boundscheck=self.boundscheck)
            if isinstance(program, EvalResult):
                raise _Failed(program.outcome, program.message)
            if jit and program.jitted is None:
                raise _Failed(
                    Outcome.RUNTIME_ERROR, f"numba could not compile the program: {program.jit_error}"
                )
            self._programs[contract] = program
        return self._programs[contract]

    def call(
        self, contract: Contract, first, second: np.ndarray
    ) -> tuple[OutputStatus, str, np.ndarray | None]:
        """``priority(first, second)``: ``(status, detail, scores)``, the scores checked for type and
        shape (``(len(second),)`` float64) and ``None`` unless the status is ``OK``; ``detail`` is
        the exception's line when the program raised."""
        program = self.program(contract)
        function = program.jitted if (program.jitted is not None and self.jit) else program.python
        try:
            raw = function(first, second)
        except BaseException as exc:  # the program's own failure
            return (*exception_status(exc), None)
        status, scores = check_scores(raw, second.shape[0])
        return status, "", scores

    def choose(self, contract: Contract, first, second: np.ndarray) -> int:
        """The row of ``second`` the simulator picks with ``priority(first, second)``: the highest
        score among the candidates the rules allow (an allocation program's nodes the task fits on,
        read before the call as the simulator reads them; every bin offered), lowest index on ties.

        The scores are checked as the evaluation jail checks them, and their finiteness again with
        numpy's functions as they were before the candidate's module ran (it may have replaced
        ``np.isfinite`` in this process, as it may have in the jail).
        """
        allowed = second[:, N_FITS] > 0.5 if contract is Contract.ALLOCATION else None
        status, detail, scores = self.call(contract, first, second)
        if status is OutputStatus.OK and not _ALL(_ISFINITE(scores)):
            status = OutputStatus.NOT_FINITE
        if status is not OutputStatus.OK:
            message = f"{status.describe()}: {detail}" if detail else status.describe()
            raise _Failed(outcome_of_status(status), message)
        return int(_ARGMAX(scores if allowed is None else _WHERE(allowed, scores, -np.inf)))

    def answer(self, states: list, blob: bytes) -> np.ndarray:
        """The row chosen for every state of a round, ``(len(states),)`` int64."""
        values = np.frombuffer(blob, dtype="<f8")
        offset, chosen = 0, []
        for name, first_shape, head_shape, tail in states:
            contract = Contract(name)
            first = values[offset : offset + math.prod(first_shape)].reshape(first_shape).copy()
            offset += first.size
            head = values[offset : offset + math.prod(head_shape)].reshape(head_shape)
            offset += head.size
            if tail:
                row = values[offset : offset + math.prod(head_shape[1:])].reshape(1, *head_shape[1:])
                offset += row.size
                head = np.concatenate([head, np.repeat(row, tail, axis=0)])
            second = np.array(head)
            if contract is Contract.ALLOCATION:
                first.flags.writeable = second.flags.writeable = False  # as the simulator shows them
            elif contract is Contract.BINPACKING:
                first = np.float64(first)  # FunSearch's item is a scalar
            chosen.append(self.choose(contract, first, second))
        return np.array(chosen, dtype=np.int64)


_VETTED = "def priority(task, nodes):\n    return nodes[:, 0] * 0.0\n"


def _warm_pages() -> None:
    """Answer a state for a vetted trivial program while the spare waits for its job: the pages a
    witness touches are copied from the host on first write, off the critical path this way."""
    try:
        task, nodes = np.zeros(TASK_FEATURES), np.zeros((2, NODE_FEATURES))
        Answerer(_VETTED, jit=False, boundscheck=False).choose(Contract.ALLOCATION, task, nodes)
        wire.encode_result(OK_CODE, "", np.zeros(1))
    except Exception:  # only an optimisation
        pass


class _Views:
    """The arrays a simulation shows ``priority``, as the numpy path shows them: one read-only view of
    the task row and one of the node matrix per case, the same objects at every call, their values
    rewritten in place before each (a program that keeps a reference sees it change, as it would in
    the simulator)."""

    def __init__(self):
        self.case: int | None = None
        self._bases: tuple[np.ndarray, np.ndarray] | None = None
        self.views: tuple[np.ndarray, np.ndarray] | None = None

    def fill(self, case: int, task_shape: list, nodes_shape: list, values: np.ndarray) -> tuple:
        size = math.prod(task_shape)
        if case != self.case or self._bases is None or self._bases[1].shape != tuple(nodes_shape):
            self.case = case
            self._bases = (np.empty(task_shape), np.empty(nodes_shape))
            self.views = tuple(base.view() for base in self._bases)
            for view in self.views:
                view.flags.writeable = False
        task, nodes = self._bases
        task[...] = values[:size].reshape(task_shape)
        nodes[...] = values[size:].reshape(nodes_shape)
        return self.views


def _answer_calls(answerer: Answerer, job_fd: int, result_fd: int) -> None:
    """Answer the calls of a simulation the client runs itself (small evaluations, see
    :meth:`aurora_evo.sandbox.Sandbox.evaluate`, allocation only): first whether the program loads (an ok
    frame, or the outcome of its failure), then for each call ``{"call": [task_shape, nodes_shape],
    "case": index}`` with the arguments as float64 in the blob, an ok frame whose values are the
    status (:class:`~aurora_evo.contracts.OutputStatus`) then the scores' float64 bits, with the
    exception's line as the message when the program raised. Never returns."""
    answerer.program(Contract.ALLOCATION)
    wire.write_all(result_fd, wire.encode_result(OK_CODE, ""))
    views = _Views()
    while True:
        try:
            header, blob = wire.receive_message(job_fd)
        except wire.FrameError:  # the simulation is over
            os._exit(0)
        (task_shape, nodes_shape), case = header["call"], int(header["case"])
        task, nodes = views.fill(case, task_shape, nodes_shape, np.frombuffer(blob, dtype="<f8"))
        status, detail, scores = answerer.call(Contract.ALLOCATION, task, nodes)
        payload = np.array([int(status)], dtype=np.int64)
        if scores is not None:
            payload = np.concatenate([payload, scores.astype("<f8").view("<i8")])
        wire.write_all(result_fd, wire.encode_result(OK_CODE, detail, payload))


def run_witness(limits: JailLimits, confinement: Confinement, job_fd: int, result_fd: int) -> None:
    """The witness's whole life: confine, load the candidate, answer rounds until the pipe closes.

    Never returns.
    """
    code, message, payload = Outcome.NO_RESULT, "the witness ended without an answer", None
    try:
        confine(limits, (job_fd, result_fd), confinement)
        _warm_pages()
        try:
            job, _ = wire.receive_message(job_fd)
        except wire.FrameError:  # dropped unused
            os._exit(0)
        if job["boundscheck"]:
            numba_guard.check_indices()
        answerer = Answerer(job["source"], jit=bool(job["jit"]), boundscheck=bool(job["boundscheck"]))
        if job.get("calls"):
            _answer_calls(answerer, job_fd, result_fd)
        while True:
            try:
                header, blob = wire.receive_message(job_fd)
            except wire.FrameError:  # no more rounds
                os._exit(0)
            chosen = answerer.answer(header["states"], blob)
            wire.write_all(result_fd, wire.encode_result(OK_CODE, "", chosen))
    except _Failed as failure:
        code, message = failure.outcome, failure.message
    except MemoryError as exc:
        code, message = Outcome.MEMORY_LIMIT, one_line(exc)
    except PermissionError as exc:
        code, message = Outcome.FORBIDDEN, one_line(exc)
    except BaseException as exc:  # the module body's exits and interrupts included
        code, message = Outcome.RUNTIME_ERROR, one_line(exc)
    try:
        wire.write_all(result_fd, wire.encode_result(OUTCOME_CODES.index(code), message, payload))
    finally:
        os._exit(0)
