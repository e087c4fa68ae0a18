"""Making LLM calls for one role (the mutator, the attacker): budget, keys, retries, and a record of
every attempt.

A call starts only when the run's :class:`~aurora_evo.llm.budget.CallBudget` can pay for the
most it might cost and a key has room (:class:`~aurora_evo.llm.keys.KeyPool`); failures are
retried by :func:`~aurora_evo.llm.retry.call_with_retries`; every attempt becomes a
:class:`CallRecord` that the controller writes to the archive. A failed call never raises: it is a
:class:`CallFailure`, ``final`` when no further call can be made (the budget or every key is used up).
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from aurora_evo.llm.backend import Backend, BackendError, ChatRequest, Completion, ErrorKind
from aurora_evo.llm.budget import BudgetExhausted, CallBudget
from aurora_evo.llm.keys import KeyPool, QuotaExhausted
from aurora_evo.llm.pricing import PriceTable
from aurora_evo.llm.retry import RetryPolicy, call_with_retries

#: Characters per token, to bound the cost of a prompt before it is sent.
CHARS_PER_TOKEN = 3.0


@dataclass(frozen=True)
class CallRecord:
    """One attempt at an LLM call, as the archive stores it.

    Attributes:
        purpose: ``program`` (asks for a candidate), ``instruction`` (meta-prompt evolution) or
            ``scenario`` (the attacker).
        outcome: ``ok``, what the caller made of the answer (``no_code``, ``diff_not_applied``,
            ``qc_refused``...), or the error kind (``rate_limited``, ``timeout``, ``quota``, ``budget``...).
        source: the candidate program it produced, if any (to link the call to the program).
    """

    backend: str
    model: str
    purpose: str
    mode: str
    instruction_id: str | None
    attempt: int
    key_index: int | None
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    cost_usd: float
    outcome: str
    error: str = ""
    source: str | None = None
    when: float = field(default_factory=time.time)

    def as_row(self) -> dict:
        row = asdict(self)
        row.pop("source")
        return row


@dataclass(frozen=True)
class CallFailure:
    """Why a call gave no answer: the error ``kind`` and ``message``; ``final`` when no further call
    can be made (the run's budget or every key's quota is used up)."""

    kind: str
    message: str
    final: bool = False


class _Stop(Exception):
    def __init__(self, kind: str, message: str, *, final: bool):
        super().__init__(message)
        self.kind, self.message, self.final = kind, message, final


class LLMCaller:
    """Calls a model for one role; safe to use from several threads.

    Args:
        backend, keys, budget, prices, retry: the wire-format client, the API keys, the run's budget
            (shared by every role), what each model costs, and the retry policy of one call.
    """

    def __init__(
        self, backend: Backend, keys: KeyPool, budget: CallBudget, prices: PriceTable, retry: RetryPolicy
    ):
        self.backend, self.keys, self.budget, self.prices, self.retry = backend, keys, budget, prices, retry
        #: Set when the budget or the keys allow no further call.
        self.exhausted_reason: str | None = None
        self._calls: list[CallRecord] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()

    def call(
        self,
        request: ChatRequest,
        rng: np.random.Generator,
        purpose: str,
        mode: str,
        instruction: str | None = None,
    ) -> tuple[Completion, CallRecord] | CallFailure:
        """The model's answer and the record of the attempt that gave it (for the caller to complete
        with what it made of the answer, and :meth:`record`), or why there is none (failed attempts are
        recorded here; a final failure sets :attr:`exhausted_reason`)."""
        if self.exhausted_reason:
            return CallFailure("exhausted", self.exhausted_reason, final=True)
        prompt_tokens = int((len(request.system) + len(request.user)) / CHARS_PER_TOKEN) + 1
        worst = self.cost(request.model, None, prompt_tokens, request.max_output_tokens)
        key_index: list[int | None] = [None]

        def attempt(number: int) -> Completion:
            if self._closing.is_set():
                raise _Stop("interrupted", "the run is stopping", final=False)
            try:
                self.budget.start(worst)
            except BudgetExhausted as exc:
                raise _Stop("budget", str(exc), final=exc.final) from None
            try:
                # A key that must rest longer than a retry would wait is as good as gone for now.
                key_index[0], key = self.keys.acquire(max_wait_s=self.retry.max_retry_after_s)
            except QuotaExhausted as exc:
                self.budget.release(worst)
                raise _Stop("quota", str(exc), final=True) from None
            cost = 0.0
            try:
                completion = self.backend.complete(request, key)
                cost = self.cost(
                    request.model, completion.model, completion.prompt_tokens, completion.completion_tokens
                )
                return completion
            except BackendError as error:
                if error.usage is not None:  # an answer came back, without usable text: it is billed
                    cost = self.cost(request.model, error.model, *error.usage)
                if error.kind is ErrorKind.AUTH:
                    self.keys.refuse(key_index[0])
                elif error.retry_after is not None:
                    self.keys.penalise(key_index[0], error.retry_after)
                raise
            finally:
                self.budget.finish(worst, cost)

        succeeded: list[CallRecord] = []

        def on_attempt(number: int, result: Completion | None, error: BackendError | None, seconds: float):
            usage = (result.prompt_tokens, result.completion_tokens) if result else (error.usage or (0, 0))
            model = (result.model if result else error.model) or request.model
            record = CallRecord(
                self.backend.name, model, purpose, mode, instruction, number, key_index[0],
                usage[0], usage[1], round(seconds, 4), self.cost(request.model, model, *usage),
                "ok" if error is None else error.kind.value, "" if error is None else str(error),
            )  # fmt: skip
            if error is None:
                succeeded.append(record)
            else:
                self.record(record)

        try:
            completion = call_with_retries(
                attempt, self.retry, rng, on_attempt=on_attempt, sleep=self._closing.wait
            )
            return completion, succeeded[0]
        except BackendError as error:
            return CallFailure(error.kind.value, str(error))
        except _Stop as stop:
            if stop.final:
                self.exhausted_reason = stop.message
                no_attempt, no_tokens = 0, 0  # no request was sent
                self.record(
                    CallRecord(self.backend.name, request.model, purpose, mode, instruction, no_attempt, None,
                               no_tokens, no_tokens, 0.0, 0.0, stop.kind, stop.message)
                )  # fmt: skip
            return CallFailure(stop.kind, stop.message, stop.final)

    def cost(self, requested: str, reported: str | None, prompt_tokens: int, completion_tokens: int) -> float:
        """Dollars of a call, at the higher of the prices of the model asked for and of the model the
        server says answered (``None`` before the call)."""
        names = [requested] + ([reported] if reported else [])
        rate_in, rate_out = max((self.prices.rates(name) for name in names), key=lambda r: (r[0] + r[1], r))
        return (prompt_tokens * rate_in + completion_tokens * rate_out) / 1e6

    def record(self, call: CallRecord) -> None:
        with self._lock:
            self._calls.append(call)

    def take_calls(self) -> list[CallRecord]:
        """The attempts recorded since the last time (the controller stores them)."""
        with self._lock:
            calls, self._calls = self._calls, []
        return calls

    def close(self) -> None:
        """Stop: calls not yet started are skipped, and waits between retries end at once."""
        self._closing.set()
