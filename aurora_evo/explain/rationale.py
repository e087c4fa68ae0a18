"""A language model's rationale for one decision, beside the offline explanation.

The model is shown the program and what :func:`~aurora_evo.explain.decision.explain` found (the rows
that led, every term on them, the deciding term and the sentence) and asked why, in a few sentences. It
is a second opinion in words, never an input to the offline explanation or its check. One call, on the
connection a run would use (:func:`aurora_evo.llm.connection.connect`), retried as a run's calls are.
"""

from __future__ import annotations

import numpy as np

from aurora_evo.explain.decision import Explanation
from aurora_evo.llm.backend import ChatRequest
from aurora_evo.llm.budget import CallBudget
from aurora_evo.llm.caller import CallFailure, LLMCaller
from aurora_evo.llm.connection import LLMConnection

SYSTEM = (
    "You explain the decisions of a scheduling heuristic to the operators who run it. Answer in at most "
    "four plain sentences, naming the quantities that mattered and their values; no code, no lists."
)
#: Tokens allowed for the answer.
MAX_TOKENS = 400


def rationale_prompt(source: str, explanation: Explanation) -> str:
    """The user message: the program, the decision, the terms on the rows that led, the offline sentence."""
    unit = explanation.unit
    rows = [f"{unit} {row} (score {score:.6g})" for row, score in explanation.top]
    code = source.strip().splitlines()
    while code and code[0].startswith("#"):  # an exported file's header: lineage and scores, not the policy
        code.pop(0)
    lines = [
        "The program (priority() scores every candidate; the highest score is chosen):",
        "```python",
        "\n".join(code).strip(),
        "```",
        "",
        f"The decision: {explanation.label}, with {', '.join(rows)} leading; the first was chosen.",
        f"Each term of the program on those {unit}s:",
    ]
    for term in explanation.terms:
        values = ", ".join(f"{value:.6g}" for value in term.values)
        note = f" ({term.note})" if term.note else ""
        decided = " <- decided" if term.name == explanation.deciding else ""
        lines.append(f"- {term.name}{note}: {values}{decided}")
    lines += [
        "",
        f"An automatic analysis says: {explanation.sentence}",
        f"Why did the program choose {unit} {explanation.chosen}? Say it for an operator.",
    ]
    return "\n".join(lines)


def ask_rationale(
    connection: LLMConnection, model: str, source: str, explanation: Explanation, *, timeout_s: float = 120.0
) -> tuple[str, str | None]:
    """``(rationale, None)``, or ``("", why there is none)`` when the call failed (one line)."""
    budget = CallBudget(None, None)  # one call, and its retries
    caller = LLMCaller(connection.backend, connection.keys, budget, connection.prices, connection.retry)
    request = ChatRequest(model, SYSTEM, rationale_prompt(source, explanation), 0.2, MAX_TOKENS, timeout_s)
    try:
        answer = caller.call(request, np.random.default_rng(0), "rationale", "explain")
    finally:
        caller.close()
    if isinstance(answer, CallFailure):
        return "", f"{answer.kind}: {answer.message}"
    completion, _ = answer
    return completion.text.strip(), None
