"""The client side of the sandbox: start the supervisor, hand it cases, check what comes back.

Untrusted programs (anything an LLM or GP produced, or a file a user asks to score) are evaluated
only through :class:`Sandbox`: screened here, run in a jail forked by the supervisor, and their raw
decisions replayed and scored here without running any of their code. A small resource-allocation
evaluation is simulated here instead, a witness jail answering each call of ``priority`` with its
scores (:class:`_Calls`). Either way a witness re-derives a sample of the decisions.
"""

from __future__ import annotations

import os
import re
import secrets
import select
import subprocess
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np

from aurora_evo.contracts import CallFailed, Contract, OutputStatus, choose_node
from aurora_evo.evaluation import EvalResult
from aurora_evo.features import N_FITS
from aurora_evo.outcome import Outcome
from aurora_evo.problem import JitMode, Problem
from aurora_evo.program_loading import CompiledProgram
from aurora_evo.sandbox import verify, wire
from aurora_evo.sandbox.cases import case_key, problem_spec
from aurora_evo.sandbox.layers import Layers
from aurora_evo.sandbox.screen import screen_program

#: Environment variables the supervisor keeps; everything else (API keys above all) is dropped.
_KEPT_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "TZ", "NUMBA_CACHE_DIR", "NUMBA_OPT")
_FIXED_ENVIRONMENT = {
    "HOME": "/nonexistent",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    # One thread everywhere: a jail may not create threads, and threads would not survive its fork.
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
    # malloc asks for transparent huge pages (where the kernel grants them on request): the heap numba
    # and LLVM leave behind then takes a tenth of the page-table entries, which every fork copies.
    "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1",
}
MAX_MESSAGE_CHARS = 300
#: How long past an evaluation's timeout the client waits for the witness host before giving it up.
_HOST_MARGIN_S = 30.0


class SandboxWarning(UserWarning):
    """Some confinement layer is unavailable on this machine."""


class SandboxError(RuntimeError):
    """The supervisor could not be started or stopped answering."""


@dataclass(frozen=True)
class SandboxConfig:
    """How evaluations are confined.

    Attributes:
        timeout_s: wall-clock limit of one evaluation (all its cases), seconds; the process group is
            killed when it passes. Where this process simulates and a jail answers the calls, the
            limit is on the jail's time (loading the program, answering the calls).
        memory_mb: address space a jail may map beyond what it inherits from the supervisor, MiB.
        jit: compile candidates with numba: ``"always"``, ``"never"`` (they run on the numpy path,
            which makes the same decisions), or ``"auto"``: only when the evaluation makes at least
            the problem's :attr:`~aurora_evo.problem.Problem.jit_min_decisions` decisions (5,000 tasks;
            20,000 items for bin packing), below which the numpy path finishes before numba would have
            compiled the program.
        boundscheck: compile candidates with numba's index checks (out-of-bounds access raises
            ``IndexError`` instead of reading garbage or corrupting memory).
        full_warm_up: compile common numpy functions in the supervisor before it forks the first jail
            that compiles a program, so that each such jail finds them ready; worth its seconds
            (about 10 s of cpu, once) when many evaluations use numba.
        prefork: fork and confine the next jail while the client scores the last result, so that an
            evaluation does not wait for it; the spare jail idles, confined, until its job comes.
        witness_samples: decisions of every successful evaluation re-derived by a witness jail (see
            :mod:`aurora_evo.sandbox.verify`); a result whose decisions are not the program's own on
            a fraction ``f`` of them passes with probability at most ``(1 - f) ** witness_samples``.
        simulate_here_max_tasks: a resource-allocation evaluation on the numpy path with at most this
            many tasks in all is simulated by the client itself, which asks a witness jail for
            ``priority``'s scores at each decision (a round trip each) instead of having an
            evaluation jail run it and a witness check it: the same results, sooner below about 15
            tasks (``benchmarks/sandbox_small_evaluations.py``, BENCHMARKS.md). 0 turns it off.
    """

    timeout_s: float = 60.0
    memory_mb: int = 2048
    jit: JitMode = "auto"
    boundscheck: bool = True
    full_warm_up: bool = True
    prefork: bool = True
    witness_samples: int = 32
    simulate_here_max_tasks: int = 16

    def __post_init__(self):
        if self.witness_samples < 1:
            raise ValueError(f"witness_samples is {self.witness_samples}; at least 1 decision is re-derived")
        if self.simulate_here_max_tasks < 0:
            raise ValueError(f"simulate_here_max_tasks is {self.simulate_here_max_tasks}; 0 turns it off")


def scrubbed_environment() -> dict[str, str]:
    """The supervisor's environment: a few harmless variables, nothing inherited beyond them."""
    kept = {name: os.environ[name] for name in _KEPT_ENVIRONMENT if name in os.environ}
    return kept | _FIXED_ENVIRONMENT


def _unpredictable() -> np.random.Generator:
    """A generator for the decisions to re-derive, seeded from the operating system's entropy: the jail
    must not be able to predict it. An honest program passes whatever is drawn, so no number a run
    reports depends on it (and the run's own seed stays untouched)."""
    return np.random.default_rng(secrets.randbits(128))


def _clean_message(text: str) -> str:
    """One printable line, capped: the jail wrote it, so it is shown, never interpreted."""
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)  # terminal colour codes (numba's errors carry them)
    line = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return line[:MAX_MESSAGE_CHARS]


def _host_outcome(reply: dict) -> Outcome:
    """The outcome a witness host's reply names (``no_result`` for a name it should not have sent)."""
    known = {o.value for o in Outcome}
    return Outcome(reply["outcome"]) if reply.get("outcome") in known else Outcome.NO_RESULT


class _Calls:
    """A witness jail answering the calls of ``priority(task, nodes)`` (the allocation contract) in a
    simulation this process runs.

    ``ended`` is ``None`` while it answers; once the program failed to load, or the jail ended without
    answering a call (it crashed, ran out of time, wrote something malformed), it is the evaluation's
    result.
    """

    def __init__(self, sandbox: Sandbox, source: str, timeout: float):
        self._sandbox, self._source, self._timeout = sandbox, source, timeout
        self.ended: EvalResult | None = None
        self.error: SandboxError | None = None
        self.queries: list[verify.Query] = []
        request = {
            "op": "open_calls",
            "source": source,
            "jit": False,
            "boundscheck": sandbox.config.boundscheck,
            "timeout_s": timeout,
            "memory_mb": sandbox.config.memory_mb,
        }
        reply, _ = sandbox._host_call(request, b"", timeout)
        self._end_if_failed(reply)

    def _end_if_failed(self, reply: dict) -> bool:
        if reply.get("outcome", "ok") == "ok":
            return False
        self.ended = EvalResult(_host_outcome(reply), _clean_message(str(reply.get("message", ""))))
        return True

    def program(self, case: int, label: str) -> CompiledProgram:
        """The program as the simulator calls it on scenario number ``case`` of the evaluation (named
        ``label``); every call it answers is kept in ``queries`` for the witness."""
        step = iter(range(1 << 62))

        def priority(task: np.ndarray, nodes: np.ndarray) -> np.ndarray:
            fits = nodes[:, N_FITS] > 0.5  # read before the call, as the simulator reads it
            scores = self._call(case, task, nodes)
            if fits.any() and scores.size == len(nodes):
                chosen = choose_node(fits, scores)
                self.queries.append(
                    verify.Query(case, next(step), label, Contract.ALLOCATION, task.copy(), nodes.copy(),
                                 np.arange(len(nodes)), fits, chosen)
                )  # fmt: skip
            return scores

        return CompiledProgram(self._source, Contract.ALLOCATION, priority, None, None)

    def _call(self, case: int, task: np.ndarray, nodes: np.ndarray) -> np.ndarray:
        if self.ended is not None:
            raise CallFailed(OutputStatus.RAISED, "the jail answering the calls has ended")
        request = {"op": "call", "call": [list(task.shape), list(nodes.shape)], "case": case}
        blob = np.ascontiguousarray(task, "<f8").tobytes() + np.ascontiguousarray(nodes, "<f8").tobytes()
        try:
            reply, data = self._sandbox._host_call(request, blob, self._timeout)
        except SandboxError as exc:  # ours, not the program's: raised again once the simulator stops
            self.error = exc
            raise CallFailed(OutputStatus.RAISED, str(exc)) from None
        if self._end_if_failed(reply):
            raise CallFailed(OutputStatus.RAISED, self.ended.message)
        values = np.frombuffer(data, dtype="<i8")
        if values.size == 0 or values[0] not in set(OutputStatus):
            raise CallFailed(OutputStatus.WRONG_TYPE, "")  # the jail wrote no status it could have
        status = OutputStatus(int(values[0]))
        if status is not OutputStatus.OK:
            raise CallFailed(status, str(reply.get("detail", "")))
        return values[1:].view("<f8")

    def close(self) -> None:
        if self.ended is None and self._sandbox._host is not None:
            self._sandbox._host_call({"op": "close_calls"}, b"", self._timeout)


class Sandbox:
    """Evaluate untrusted programs in jailed processes.

    Usage::

        with Sandbox() as sandbox:
            result = sandbox.evaluate(get_problem("allocation"), source, scenarios)

    The supervisor starts on first use. ``layers`` says which confinement layers are in force; when
    one is missing a :class:`SandboxWarning` says so, once per sandbox.
    """

    def __init__(self, config: SandboxConfig | None = None):
        self.config = config or SandboxConfig()
        self._process: subprocess.Popen | None = None
        self._host: tuple[int, int] | None = None  # pipes to and from the witness host
        self._log = None
        self._loaded: set[str] = set()
        self._keys: dict[int, tuple[object, str]] = {}
        self._lock = threading.Lock()
        self.layers: Layers | None = None

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        if self._process is not None:
            return
        package_root = str(Path(__file__).resolve().parents[2])
        bootstrap = (
            f"import sys; sys.path.insert(0, {package_root!r}); "
            "from aurora_evo.sandbox.supervisor import main; main()"
        )
        env = scrubbed_environment()
        if not self.config.full_warm_up:
            env["AURORA_EVO_WARM_UP"] = "minimal"
        self._log = tempfile.TemporaryFile()
        # The witness host, which the supervisor forks, answers on pipes of its own.
        to_host, from_host = os.pipe(), os.pipe()
        host_ends = (to_host[0], from_host[1])
        # Ours from here: close() closes them, whether the supervisor starts or not.
        self._host = (to_host[1], from_host[0])
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-c", bootstrap, *map(str, host_ends)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log,
                env=env,
                close_fds=True,
                pass_fds=host_ends,
                cwd="/",
            )
        except OSError as exc:
            self.close()
            raise SandboxError(f"the sandbox supervisor did not start: {exc}") from None
        finally:
            for fd in host_ends:
                os.close(fd)
        try:
            ready, _ = wire.receive_message(self._process.stdout.fileno())
            host_ready, _ = wire.receive_message(self._host[1])
        except (wire.FrameError, OSError, ValueError) as exc:
            tail = self._log_tail() or exc
            self.close()
            raise SandboxError(f"the sandbox supervisor did not start: {tail}") from None
        self.layers = Layers(**{k: (tuple(v) if k == "reasons" else v) for k, v in ready["layers"].items()})
        self.supervisor_pid = int(ready["pid"])
        self.witness_host_pid = int(host_ready["pid"])
        self.witness_zygote_pid = int(host_ready["zygote"])
        if self.layers.missing():
            warnings.warn(self.layers.describe(), SandboxWarning, stacklevel=2)

    def close(self) -> None:
        process, self._process = self._process, None
        host, self._host = self._host, None
        for fd in host or ():
            os.close(fd)  # the host sees its pipe close and ends
        if process is None:
            if self._log is not None:
                self._log.close()
            return
        try:
            wire.send_message(process.stdin.fileno(), {"op": "stop"})
        except OSError:
            pass
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            stream.close()
        self._log.close()
        self._loaded.clear()
        self._keys.clear()

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):  # a forgotten sandbox must not leave a supervisor behind
        try:
            self.close()
        except Exception:
            pass

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # --- evaluation ------------------------------------------------------------------------------

    def evaluate(
        self, problem: Problem, source: str, cases: Sequence, timeout_s: float | None = None
    ) -> EvalResult:
        """Screen ``source``, run it in a jail on ``cases`` of ``problem``, check its decisions (a replay
        by the problem's rules, and a witness re-deriving a sample of them) and score them; or, for a
        small evaluation of a problem that allows it, simulate here with a jail answering the program's
        calls."""
        jit = problem.use_jit(self.config.jit, cases)
        sizes = [n for case in cases for n in problem.decision_counts(case)]
        if problem.calls_here and not jit and sum(sizes) <= self.config.simulate_here_max_tasks:
            return self._simulate_here(problem, source, cases, timeout_s)
        reply = self._evaluate(problem, source, cases, timeout_s, jit, sum(sizes))
        if isinstance(reply, EvalResult):
            return reply
        compiled, values, timeout = reply
        split = np.split(values, np.cumsum(sizes)[:-1])
        queries = problem.queries(cases, split, self.config.witness_samples, _unpredictable())
        return self._verified(
            lambda: problem.score(cases, split, compiled), problem, source, queries, timeout
        )

    def _simulate_here(
        self, problem: Problem, source: str, cases: Sequence, timeout_s: float | None
    ) -> EvalResult:
        """Simulate ``cases`` in this process on the numpy path, every call of ``priority`` answered
        by one witness jail (:class:`_Calls`). Nothing the jail says is a decision: it only gives
        scores for states this process built, so nothing needs replaying. A sample of the calls is
        still asked again of a fresh witness, as the evaluation jail's decisions are: a program whose
        answers a fresh process does not reproduce (random, or keeping state between calls) is
        refused whichever way it was evaluated."""
        screened = screen_program(source)
        if not screened.ok:
            return EvalResult(screened.outcome, screened.message)
        timeout = self.config.timeout_s if timeout_s is None else timeout_s
        nodes = []
        with self._lock:
            self.start()
            calls = _Calls(self, source, timeout)
            try:
                if calls.ended is not None:
                    return calls.ended
                for index, case in enumerate(cases):
                    ran = problem.run_program(calls.program(index, case.name), [case])
                    if calls.error is not None:
                        raise calls.error
                    if calls.ended is not None:
                        return calls.ended
                    if isinstance(ran, EvalResult):
                        return EvalResult(ran.outcome, _clean_message(ran.message))
                    nodes += ran
            finally:
                calls.close()
        queries = verify.sample(calls.queries, self.config.witness_samples, _unpredictable())
        return self._verified(lambda: problem.score(cases, nodes, False), problem, source, queries, timeout)

    def _host_call(self, request: dict, blob: bytes, timeout: float) -> tuple[dict, bytes]:
        """One request to the witness host and its reply. Interrupted in between, the sandbox closes
        (the next reply would be taken for another request's) and starts afresh on next use."""
        try:
            self._to_host(request, blob)
            return self._host_reply(timeout)
        except BaseException:
            if self._host is not None:
                self.close()
            raise

    def _evaluate(
        self,
        problem: Problem,
        source: str,
        cases: Sequence,
        timeout_s: float | None,
        jit: bool,
        decisions: int,
    ):
        """The jail's raw result (``decisions`` values after the compiled flag, numba used as ``jit``
        says): ``(compiled, decisions, timeout)``, or the failure as a result."""
        screened = screen_program(source)
        if not screened.ok:
            return EvalResult(screened.outcome, screened.message)
        timeout = self.config.timeout_s if timeout_s is None else timeout_s
        spec = problem_spec(problem)
        with self._lock:
            self.start()
            keys = [self._load(problem, spec, case) for case in cases]
            request = {
                "op": "eval",
                "source": source,
                "problem": spec,
                "keys": keys,
                "timeout_s": timeout,
                "memory_mb": self.config.memory_mb,
                "jit": jit,
                "boundscheck": self.config.boundscheck,
                "prefork": self.config.prefork,
            }
            reply, blob = self._call(request)
        if "error" in reply:
            raise SandboxError(f"the supervisor refused the request: {reply['error']}")
        outcome = Outcome(reply["outcome"])
        if not outcome.ok:
            return EvalResult(outcome, _clean_message(reply["message"]))
        values = np.frombuffer(blob, dtype="<i8").astype(np.int64)
        expected = 1 + decisions
        if values.size != expected or values[0] not in (0, int(jit)):
            return EvalResult(
                Outcome.INVALID_OUTPUT,
                f"the jail returned {values.size} values, expected {expected} (compiled flag {values[0]})",
            )
        return bool(values[0]), values[1:], timeout

    def _verified(
        self,
        score: Callable[[], EvalResult],
        problem: Problem,
        source: str,
        queries: list | None,
        timeout: float,
    ) -> EvalResult:
        """``score()``, or why the result cannot be credited to the program (see :mod:`.verify`).

        The witness is asked first and the result scored while it works. It runs the program on the
        numpy path; where numba compiled it in the jail and the two paths disagree (they round some
        functions differently), a fresh witness is asked on numba's. A decision the witness's pick
        contradicts makes the result ``invalid_output``; a witness that fails (the program loops,
        allocates, crashes or raises only when asked again) gives its own outcome.
        """
        if queries is None:  # the decisions fail the rules: scoring says how
            return score()
        rounds = verify.rounds(queries)
        with self._lock:
            asked = self._ask_witness(source, rounds, timeout, jit=False)
            try:
                result = score()
            finally:  # the host's reply is read whatever happens, or the next one would be taken for it
                reply = self._host_reply(timeout) if asked else None
        refusal = None if reply is None else self._witness_verdict(rounds, problem.decision_noun, *reply)
        if not result.outcome.ok:
            return result
        if refusal is not None and result.compiled:
            with self._lock:
                self._ask_witness(source, rounds, timeout, jit=True)
                refusal = self._witness_verdict(rounds, problem.decision_noun, *self._host_reply(timeout))
        return result if refusal is None else EvalResult(refusal[0], _clean_message(refusal[1]))

    def _ask_witness(self, source: str, rounds: list, timeout: float, *, jit: bool) -> bool:
        """Send the witness host a request about ``rounds`` (False: nothing to ask)."""
        if not rounds:
            return False
        shapes, blob = verify.encode(rounds)
        request = {
            "op": "witness",
            "source": source,
            "jit": jit,
            "boundscheck": self.config.boundscheck,
            "timeout_s": timeout,
            "memory_mb": self.config.memory_mb,
            "rounds": shapes,
        }
        self._to_host(request, blob)
        return True

    @staticmethod
    def _witness_verdict(rounds: list, noun: str, reply: dict, answers: bytes) -> tuple[Outcome, str] | None:
        """``None`` when the witness confirmed every decision, else the outcome and message of the
        refusal."""
        picks = np.frombuffer(answers, dtype="<i8")
        answered = rounds[: reply.get("answered", 0)]
        ok = reply.get("outcome") == Outcome.OK.value
        if sum(len(r) for r in answered) != picks.size or (ok and len(answered) != len(rounds)):
            raise SandboxError("the witness host answered a wrong number of states")
        mismatch = verify.first_mismatch(answered, picks)
        if mismatch is not None:
            return Outcome.INVALID_OUTPUT, verify.describe_mismatch(*mismatch, noun)
        if not ok:
            query = rounds[len(answered)][0]
            return _host_outcome(reply), (
                f"{query.label}: asked again about decision {query.step}, the program failed where the "
                f"jail reported it had not ({reply.get('message')}): the result is not this program's"
            )
        return None

    def _to_host(self, request: dict, blob: bytes = b"") -> None:
        try:
            wire.send_message(self._host[0], request, blob)
        except (OSError, TypeError) as exc:
            self._host_failed(exc)

    def _host_reply(self, timeout: float) -> tuple[dict, bytes]:
        """The witness host's reply, which must start within ``timeout`` plus a margin (the host bounds
        every witness by ``timeout`` itself; this only guards against the host hanging)."""
        try:
            if not select.select([self._host[1]], [], [], timeout + _HOST_MARGIN_S)[0]:
                raise OSError(f"no answer within {timeout + _HOST_MARGIN_S:g} s")
            reply = wire.receive_message(self._host[1])
        except (wire.FrameError, OSError, TypeError) as exc:
            self._host_failed(exc)
        if "error" in reply[0]:
            raise SandboxError(f"the witness host refused the request: {reply[0]['error']}")
        return reply

    def _host_failed(self, exc: Exception) -> NoReturn:
        tail = self._log_tail()
        self.close()
        raise SandboxError(f"the sandbox's witness host stopped answering: {tail or exc}") from None

    def _load(self, problem: Problem, spec: str, case) -> str:
        # Cases are immutable, so the key of an object already sent is remembered (with the object,
        # so that its id cannot be reused by another).
        known = self._keys.get(id(case))
        if known is not None and known[0] is case and known[1] in self._loaded:
            return known[1]
        document = problem.case_to_document(case)
        key = case_key(spec, document)
        if key not in self._loaded:
            self._call({"op": "load", "key": key, "problem": spec, "data": document})
            self._loaded.add(key)
        self._keys[id(case)] = (case, key)
        return key

    def ping(self) -> frozenset[int]:
        """Return once the supervisor and the witness host are idle, with every finished jail reaped;
        the pids of the jails that remain: a spare jail and spare witnesses, waiting confined for
        the next job (see ``SandboxConfig.prefork``)."""
        with self._lock:
            self.start()
            reply, _ = self._call({"op": "ping"})
            host_reply, _ = self._host_call({"op": "ping"}, b"", self.config.timeout_s)
        return frozenset(map(int, [*reply["spares"], *host_reply["spares"]]))

    def _call(self, request: dict) -> tuple[dict, bytes]:
        try:
            wire.send_message(self._process.stdin.fileno(), request)
            return wire.receive_message(self._process.stdout.fileno())
        except (wire.FrameError, OSError) as exc:
            tail = self._log_tail()
            self.close()
            raise SandboxError(f"the sandbox supervisor stopped answering: {tail or exc}") from None

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        lines = self._log.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else ""
