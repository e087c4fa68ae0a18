"""The language-model mutator: prompts a model with parents and their feedback, parses its answer.

Each proposal samples a model (by weight), a prompt mode (best-shot, diff, rewrite) and an instruction
from the evolving population of instructions (:mod:`~aurora_evo.mutators.llm.meta`), calls the model
with retries, and parses whatever comes back. A failed call, an answer without code or a diff that
does not apply is recorded and yields no candidate; it never stops the run. Every attempt becomes a
:class:`CallRecord` that the controller writes to the archive. :func:`build_llm_mutator` makes the
mutator of a run's settings, over the run's :class:`~aurora_evo.llm.connection.LLMConnection`.

The model's code is untrusted: it only goes to the sandbox, like every other candidate.
"""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from aurora_evo.config import LLMConfig
from aurora_evo.contracts import Contract
from aurora_evo.llm.backend import Backend, ChatRequest, Completion
from aurora_evo.llm.budget import CallBudget
from aurora_evo.llm.caller import CallFailure, CallRecord, LLMCaller
from aurora_evo.llm.connection import LLMConnection
from aurora_evo.llm.keys import KeyPool
from aurora_evo.llm.pricing import PriceTable
from aurora_evo.llm.retry import RetryPolicy
from aurora_evo.mutators.base import Mutator, Parent, Proposal
from aurora_evo.mutators.llm.meta import META_SYSTEM, InstructionPool
from aurora_evo.mutators.llm.parse import REASONING_CHARS, ParseStatus, parse_response
from aurora_evo.mutators.llm.prompts import DEFAULT_INSTRUCTIONS, Prompt, PromptMode, build_prompt

#: Recent failures quoted back to the model, so it does not repeat them.
FEEDBACK_FAILURES = 3

DEFAULT_RETRY = RetryPolicy()


class LLMMutator(Mutator):
    """Candidates written by a language model.

    Args:
        contract: the programs' contract.
        backend: the wire-format client (:class:`OpenAIBackend`, :class:`GeminiBackend`).
        keys: the API keys, rotated within their limits.
        models: model names, sampled by ``model_weights`` (equal when empty).
        budget: the run's call and cost budget (shared by every LLM mutator).
        prices: what each model costs.
        modes, mode_weights: prompt modes and how often each is used.
        retry: the retry policy of one call.
        instructions: the population of prompt instructions.
        temperature, max_output_tokens, timeout_s: sent with each request.
        context: what the prompts say of the problem and its scoring (see
            :meth:`aurora_evo.problem.Problem.prompt_context`); ``None``: the contract's description.
    """

    name = "llm"
    #: Each proposal waits on a call: the controller runs several at once (see :meth:`ask`).
    concurrent = True
    #: The prompts quote the parents' metrics.
    reads_feedback = True

    def __init__(
        self,
        contract: Contract,
        backend: Backend,
        keys: KeyPool,
        models: Sequence[str],
        *,
        model_weights: Sequence[float] = (),
        budget: CallBudget | None = None,
        prices: PriceTable | None = None,
        modes: Sequence[str] = tuple(PromptMode),
        mode_weights: Sequence[float] = (),
        retry: RetryPolicy = DEFAULT_RETRY,
        instructions: InstructionPool | None = None,
        temperature: float = 0.8,
        max_output_tokens: int = 4096,
        timeout_s: float = 120.0,
        context: tuple[str, str] | None = None,
    ):
        self.contract = contract
        self.context = context
        self.models = list(models)
        self.model_p = _probabilities(model_weights, len(self.models))
        self.caller = LLMCaller(backend, keys, budget or CallBudget(), prices or PriceTable(), retry)
        self.modes = [PromptMode(m) for m in modes]
        self.mode_p = _probabilities(mode_weights, len(self.modes))
        self.instructions = instructions or InstructionPool(DEFAULT_INSTRUCTIONS)
        self.temperature, self.max_output_tokens, self.timeout_s = temperature, max_output_tokens, timeout_s
        self.failures: deque[str] = deque(maxlen=FEEDBACK_FAILURES)
        self._pending: list[tuple[str | None, str]] = []
        self._lock = threading.Lock()

    # --- proposals -------------------------------------------------------------------------------------

    def seeds(self, rng: np.random.Generator, n: int) -> list[Proposal]:
        """None: runs start from the shipped seed programs, and the model builds on them."""
        return []

    def propose(self, parents: Sequence[Parent], rng: np.random.Generator, n: int = 1) -> list[Proposal]:
        """At most one candidate (``n`` is capped at 1: each call costs money and time)."""
        if n < 1 or self.exhausted_reason:
            return []
        return self.ask(parents, rng)()

    def ask(self, parents: Sequence[Parent], rng: np.random.Generator) -> Callable[[], list[Proposal]]:
        """The prompt, built now from the instructions and the failures to quote (which change only in
        the controller's thread), and the call that answers it, to run on any thread."""
        if self.exhausted_reason:
            return list
        mode = self.modes[int(rng.choice(len(self.modes), p=self.mode_p))]
        model = self.models[int(rng.choice(len(self.models), p=self.model_p))]
        instruction = self.instructions.sample(rng)
        ranked = sorted(parents, key=lambda p: -np.inf if p.score is None else p.score, reverse=True)
        if mode is not PromptMode.BEST_SHOT and not ranked:
            mode = PromptMode.REWRITE
        prompt = build_prompt(
            mode, self.contract, ranked, instruction.text, failures=list(self.failures), context=self.context
        )
        request = ChatRequest(
            model, prompt.system, prompt.user, self.temperature, self.max_output_tokens, self.timeout_s
        )
        used = ranked[:1] if mode is not PromptMode.BEST_SHOT else ranked
        return functools.partial(self._answer, request, rng, mode, instruction.id, prompt, used)

    def _answer(
        self,
        request: ChatRequest,
        rng: np.random.Generator,
        mode: PromptMode,
        instruction: str,
        prompt: Prompt,
        used: Sequence[Parent],
    ) -> list[Proposal]:
        """Call the model with ``request`` and parse its answer into at most one proposal."""
        answer = self._call(request, rng, "program", mode.value, instruction)
        if answer is None:
            return []
        completion, record = answer
        parsed = parse_response(completion.text, mode, prompt.parent_source, version=prompt.version)
        self._record(replace(record, outcome=parsed.status.value, error=parsed.detail, source=parsed.source))
        if parsed.status is not ParseStatus.OK:
            self._judge_later(instruction, f"{parsed.status.value}: {parsed.detail}")
            return []
        extra = {"model": completion.model, "mode": mode.value, "instruction": instruction}
        return [
            Proposal(
                parsed.source,
                tuple(p.program_id for p in used),
                f"llm.{mode.value}",
                None,
                # A thinking model may keep its reasoning apart from the answer (thought summaries,
                # reasoning_content): it stands in when the answer explains nothing itself.
                parsed.reasoning or _shortened(completion.thoughts),
                extra,
            )
        ]

    # --- hooks the controller calls --------------------------------------------------------------------

    def prepare(self, rng: np.random.Generator, iteration: int) -> None:
        """Before an iteration's proposals: one step of the instructions' evolution when it is due."""
        if not self.instructions.due or self.exhausted_reason:
            return
        model = self.models[int(rng.choice(len(self.models), p=self.model_p))]

        def write(text: str) -> str | None:
            request = ChatRequest(model, META_SYSTEM, text, 1.0, 512, self.timeout_s)
            answer = self._call(request, rng, "instruction", "meta", None)
            if answer is None:
                return None
            completion, record = answer
            self._record(replace(record, outcome="instruction"))
            return completion.text

        self.instructions.step(rng, iteration, write)

    def observe(self, proposal: Proposal, improved: bool, message: str = "") -> None:
        """A candidate of this mutator was judged: ``improved`` on its best parent or not; ``message``
        says why it failed (sandbox outcome, duplicate), empty when it ran."""
        instruction = proposal.extra.get("instruction")
        if instruction:
            self.instructions.record(instruction, improved)
        if message:
            self.note_failure(message)

    def note_failure(self, message: str) -> None:
        """Remember a failure to quote in later prompts (controller's thread only)."""
        self.failures.append(" ".join(message.split())[:300])

    def take_calls(self) -> list[CallRecord]:
        """The attempts made since the last call (the controller stores them).

        Called from the controller's thread between iterations; answers that gave no candidate are
        judged against their instruction here, so that the instructions and the failures quoted in
        prompts change only between iterations, never while calls run.
        """
        calls = self.caller.take_calls()
        with self._lock:
            pending, self._pending = self._pending, []
        for instruction, message in pending:
            if instruction is not None:
                self.instructions.record(instruction, improved=False)
            self.note_failure(message)
        return calls

    def prompt_instructions(self) -> list[dict]:
        """The population of instructions, retired ones included (see :meth:`InstructionPool.state`)."""
        return self.instructions.state()["items"]

    def state(self) -> dict:
        return {"instructions": self.instructions.state(), "failures": list(self.failures)}

    def restore(self, saved: dict) -> None:
        self.instructions.restore(saved["instructions"])
        self.failures.extend(saved.get("failures", []))

    # --- calls -------------------------------------------------------------------------------------------

    @property
    def exhausted_reason(self) -> str | None:
        """Why no further call can be made (the run's budget or every key's quota), or ``None``."""
        return self.caller.exhausted_reason

    def close(self) -> None:
        """Stop: calls not yet started are skipped, and waits between retries end at once."""
        self.caller.close()

    def _call(
        self, request: ChatRequest, rng: np.random.Generator, purpose: str, mode: str, instruction: str | None
    ) -> tuple[Completion, CallRecord] | None:
        """The model's answer and the record of the attempt that gave it (for the caller to complete
        and store), or ``None`` (failed attempts are recorded by the caller)."""
        answer = self.caller.call(request, rng, purpose, mode, instruction)
        if isinstance(answer, CallFailure):
            # Transport failures are recorded in the archive, not quoted to the model: the prompt's
            # "recent failures" are for mistakes in answers.
            return None
        return answer

    def _record(self, call: CallRecord) -> None:
        self.caller.record(call)

    def _judge_later(self, instruction: str | None, message: str) -> None:
        """An attempt that gave no candidate; see :meth:`take_calls`."""
        with self._lock:
            self._pending.append((instruction, message))


def _shortened(text: str, limit: int = REASONING_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _probabilities(weights: Sequence[float], n: int) -> np.ndarray:
    w = np.asarray(weights if len(weights) else [1.0] * n, dtype=float)
    return w / w.sum()


def build_llm_mutator(
    config: LLMConfig,
    contract: Contract,
    budget: CallBudget,
    connection: LLMConnection,
    context: tuple[str, str] | None = None,
) -> LLMMutator:
    """The mutator for ``config``, spending from ``budget`` through ``connection``; its prompts say
    ``context`` of the problem (see :meth:`aurora_evo.problem.Problem.prompt_context`)."""
    return LLMMutator(
        contract,
        connection.backend,
        connection.keys,
        config.models,
        model_weights=config.model_weights,
        budget=budget,
        prices=connection.prices,
        modes=config.modes,
        mode_weights=config.mode_weights,
        retry=connection.retry,
        instructions=InstructionPool(DEFAULT_INSTRUCTIONS, config.instructions, config.meta_interval),
        temperature=config.temperature,
        max_output_tokens=config.max_output_tokens,
        timeout_s=config.timeout_s,
        context=context,
    )
