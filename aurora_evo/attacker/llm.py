"""The LLM attacker: a language model writes scenario specifications for the defenders to train on.

The model is told the difficulty level, each gene's bounds and meaning, how the current best programs
fare (:class:`DefenderStats`), and why quality control refused its last proposal; it answers with a
JSON object holding every gene of :data:`~aurora_evo.attacker.genome.GENES` by name and a short
``"rationale"``, following a JSON Schema generated from the level's bounds (:func:`spec_schema`), sent
as the provider's structured-output option. One :meth:`LLMAttacker.propose`::

    for attempt in 1 .. attempts:
        answer = call the model (with retries, within the keys' limits and the run's budget)
        genes  = parse the JSON (fenced or bare), reject missing or unknown genes, clip to the bounds
        scenario = genome.to_scenario(rng, name); report = check_scenario(scenario, level, recent)
        if report.passed: return ScenarioProposal(scenario, genome, rationale, report)
        add the refusal reasons (report.feedback(), or the parse problem) to the next prompt
    return None

Every attempt at a call is recorded as a :class:`~aurora_evo.llm.caller.CallRecord` (purpose
``"scenario"``), with the outcome of its answer: ``ok`` (accepted), ``qc_refused``, ``bad_answer``, or
the transport error's kind; :meth:`LLMAttacker.take_calls` hands them to the controller to store. A
failed call or a refused scenario never raises: ``propose`` returns ``None`` and
:attr:`LLMAttacker.last_reasons` says why. :func:`build_llm_attacker` makes the attacker of a run's
settings, over the connection its LLM mutator uses too.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from aurora_evo.attacker.genome import DOMAINS, GENE_NAMES, GENES, ScenarioGenome, gene_bounds
from aurora_evo.config import LLMConfig
from aurora_evo.llm.backend import Backend, ChatRequest, Completion
from aurora_evo.llm.budget import CallBudget
from aurora_evo.llm.caller import CallFailure, CallRecord, LLMCaller
from aurora_evo.llm.connection import LLMConnection
from aurora_evo.llm.keys import KeyPool
from aurora_evo.llm.pricing import PriceTable
from aurora_evo.llm.retry import RetryPolicy
from aurora_evo.scenario import quality
from aurora_evo.scenario.levels import level as level_spec
from aurora_evo.scenario.model import Scenario

#: ``CallRecord.purpose`` and ``mode`` of the attacker's calls.
PURPOSE = "scenario"
MODE = "attacker"
#: The answer's free-text field.
RATIONALE = "rationale"
#: Longest rationale kept, in characters.
RATIONALE_CHARS = 600

SYSTEM_PROMPT = """\
You design test scenarios for cluster-scheduling programs that are being evolved. A scenario (tasks \
arriving over time, placed on a cluster of nodes) is drawn by a random generator from a few parameters, \
the genes; you choose the genes.

Aim for a scenario on which the current best programs succeed about half the time: one they all solve, \
or none can solve, teaches them nothing. Make it harder when they succeed too often, easier when they \
fail too often.

Your scenario must pass quality control: realistic sizes, deadlines that can be met, distributions that \
look like public cluster traces, not a near-copy of a recent scenario, and sizes and load within the \
difficulty level.

Answer with one JSON object and nothing else: every gene by name with one number within its bounds \
(whole numbers where asked), and "rationale": one or two sentences on why the scenario should be hard \
but solvable."""


@dataclass(frozen=True)
class ScenarioResult:
    """How the defenders fared on one recent scenario: its ``genes`` (by name), the elites' mean
    ``success_rate`` on it, and its ``learnability`` (see :mod:`aurora_evo.attacker.learnability`)."""

    genes: Mapping[str, float]
    success_rate: float
    learnability: float


@dataclass(frozen=True)
class DefenderStats:
    """What the attacker is told about the defenders.

    Attributes:
        level: the level the statistics were measured at.
        success_rate: the elites' mean success rate over the current training scenarios, in [0, 1].
        recent: results on recent scenarios, newest last (:class:`ScenarioResult` or plain
            ``(genes, success_rate, learnability)`` tuples).
    """

    level: str
    success_rate: float
    recent: Sequence[ScenarioResult | tuple[Mapping[str, float], float, float]] = ()


@dataclass(frozen=True)
class LLMAttackerConfig:
    """Settings of the LLM attacker.

    Attributes:
        attempts: answers asked for per :meth:`LLMAttacker.propose` at most: a refused or unreadable
            answer is asked again, with the reasons (transport retries are ``retry``'s, and do not count).
        target_success: the defenders' success rate the scenario should give (the learnability sweet spot).
        recent_shown: how many of :attr:`DefenderStats.recent` the prompt quotes (the newest).
        temperature, max_output_tokens, timeout_s: sent with each request.
        retry: the retry policy of one call.
    """

    attempts: int = 3
    target_success: float = 0.5
    recent_shown: int = 8
    temperature: float = 0.7
    max_output_tokens: int = 2048
    timeout_s: float = 120.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"LLMAttackerConfig.attempts must be >= 1, got {self.attempts}")
        if not 0.0 < self.target_success < 1.0:
            raise ValueError(f"LLMAttackerConfig.target_success must be in (0, 1), got {self.target_success}")
        if self.recent_shown < 0:
            raise ValueError(f"LLMAttackerConfig.recent_shown must be >= 0, got {self.recent_shown}")


@dataclass(frozen=True)
class ScenarioProposal:
    """A scenario the model wrote that passed quality control.

    Attributes:
        scenario: the scenario drawn from ``genome``.
        genome: the model's genes, clipped to the level's bounds.
        rationale: the model's reason for it.
        report: its quality-control report (passed).
        notes: what was changed in the answer (genes clipped or rounded), one line each.
        model: the model as the server named it.
        attempts: answers it took (1: the first was accepted).
    """

    scenario: Scenario
    genome: ScenarioGenome
    rationale: str
    report: quality.QualityReport
    notes: tuple[str, ...] = ()
    model: str = ""
    attempts: int = 1


class AnswerError(ValueError):
    """An answer that is not a usable scenario specification (one line, quoted back to the model)."""


# --- the specification ----------------------------------------------------------------------------


def spec_schema(level_name: str) -> dict:
    """The JSON Schema of an answer at ``level_name``: every gene (``integer`` or ``number``, with its
    level's ``minimum`` and ``maximum``) and the rationale, all required, nothing else."""
    properties: dict[str, Any] = {}
    for gene, (low, high) in zip(GENES, gene_bounds(level_name), strict=True):
        kind, cast = ("integer", int) if gene.integer else ("number", float)
        properties[gene.name] = {
            "type": kind,
            "minimum": cast(low),
            "maximum": cast(high),
            "description": gene.doc,
        }
    properties[RATIONALE] = {"type": "string", "description": "why this scenario is hard but solvable"}
    return {
        "title": "scenario_spec",
        "type": "object",
        "properties": properties,
        "required": [*GENE_NAMES, RATIONALE],
        "additionalProperties": False,
    }


_FENCE = re.compile(r"```[A-Za-z]*[ \t]*\n?(.*?)```", re.DOTALL)


def parse_spec(text: str, level_name: str) -> tuple[ScenarioGenome, str, tuple[str, ...]]:
    """The genome, rationale and notes (genes clipped or rounded) of an answer.

    Accepts a bare JSON object, one inside a fenced block (```json ... ```), or one with text around it.

    Raises:
        AnswerError: not a JSON object, a gene missing or unknown, a value that is not a finite number.
    """
    data = _json_object(text)
    unknown = sorted(set(data) - set(GENE_NAMES) - {RATIONALE})
    missing = [name for name in GENE_NAMES if name not in data]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"missing genes: {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown keys: {', '.join(unknown)}")
        raise AnswerError("; ".join(problems) + f" (give exactly {', '.join(GENE_NAMES)} and {RATIONALE})")
    genes, notes = [], []
    for gene, (low, high) in zip(GENES, gene_bounds(level_name), strict=True):
        value = data[gene.name]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise AnswerError(f"gene {gene.name} must be a number, not {json.dumps(value)[:40]}")
        value = float(value)
        if gene.integer and value != round(value):
            notes.append(f"{gene.name} {value:g} rounded to {round(value):g} (a whole number)")
            value = float(round(value))
        if not low <= value <= high:
            clipped = min(max(value, low), high)
            notes.append(
                f"{gene.name} {value:g} clipped to {clipped:g} ({level_name} allows {low:g}-{high:g})"
            )
            value = clipped
        genes.append(value)
    rationale = data.get(RATIONALE, "")
    rationale = " ".join(rationale.split())[:RATIONALE_CHARS] if isinstance(rationale, str) else ""
    return ScenarioGenome(level_name, tuple(genes)), rationale, tuple(notes)


def _json_object(text: str) -> dict:
    candidates = [match.group(1) for match in _FENCE.finditer(text)] + [text]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            data = json.loads(candidate.strip())
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    shown = " ".join(text.split())[:80]
    raise AnswerError(f"the answer is not one JSON object with the genes (it began: {shown!r})")


# --- the prompt -----------------------------------------------------------------------------------


def build_user_prompt(
    level_name: str,
    stats: DefenderStats,
    *,
    target_success: float = 0.5,
    recent_shown: int = 8,
    last_refusal: str = "",
    previous: Sequence[tuple[str, str]] = (),
) -> str:
    """The user message: level, genes with bounds, the defenders' results, the last refusal, and the
    answers refused earlier in this proposal (``(answer, reasons)`` pairs). Deterministic."""
    spec = level_spec(level_name)
    lines = [
        f"Difficulty level: {level_name} (tasks {_range(spec.tasks)}, nodes {_range(spec.nodes)}, "
        f"offered load {_range(spec.load)}, share of tasks with a deadline {_range(spec.deadline_share)}).",
        "",
        "Genes (name: bounds at this level; meaning):",
    ]
    for gene, (low, high) in zip(GENES, gene_bounds(level_name), strict=True):
        whole = "whole number " if gene.integer else ""
        doc = gene.doc
        if gene.name == "domain":
            doc = "the domain: " + ", ".join(f"{i} {d.value}" for i, d in enumerate(DOMAINS))
        lines.append(f"- {gene.name}: {whole}{low:g} to {high:g}; {doc}")
    lines += [
        "",
        "Most of the difficulty comes from the node count (more nodes, easier), the task count, node "
        "heterogeneity (node_types), size_scale and batch_mean (bigger tasks and batches, harder), and "
        "the domain; at high levels the deadline genes too.",
        "",
        f"Defenders: the current best programs succeed on {stats.success_rate:.0%} of their training "
        f"scenarios at level {stats.level}; the target is {target_success:.0%}. "
        + _direction(stats, target_success),
    ]
    shown = list(stats.recent)[-recent_shown:] if recent_shown else []
    if shown:
        lines.append("Recent scenarios, newest last (success rate, learnability: 1 is best; genes):")
        for item in shown:
            result = item if isinstance(item, ScenarioResult) else ScenarioResult(*item)
            genes = json.dumps({name: _short(value) for name, value in result.genes.items()})
            lines.append(
                f"- success {result.success_rate:.2f}, learnability {result.learnability:.2f}: {genes}"
            )
    if last_refusal:
        lines += ["", "Quality control refused your last scenario:", last_refusal]
    for number, (answer, reasons) in enumerate(previous, start=1):
        lines += [
            "",
            f"Your answer {number} to this request was refused:",
            " ".join(answer.split())[:2000],
            "Reasons:",
            reasons,
        ]
    if previous:
        lines += ["", "Change the genes to fix these problems."]
    lines += ["", f'Answer with the JSON object only: every gene of the list above, and "{RATIONALE}".']
    return "\n".join(lines)


def _range(bounds: tuple[float, float]) -> str:
    return f"{bounds[0]:g}-{bounds[1]:g}"


def _short(value: float) -> float | int:
    value = float(value)
    return int(value) if value == round(value) and abs(value) < 1e15 else round(value, 4)


def _direction(stats: DefenderStats, target: float) -> str:
    if stats.success_rate > target + 0.1:
        return "Make the scenario harder."
    if stats.success_rate < target - 0.1:
        return "Make the scenario easier."
    return "Keep the difficulty, but vary the scenario."


# --- the attacker ---------------------------------------------------------------------------------


class LLMAttacker:
    """Scenarios written by a language model, kept when quality control accepts them.

    Args:
        backend: the wire-format client (:class:`OpenAIBackend`, :class:`GeminiBackend`).
        keys: the API keys, rotated within their limits.
        model: the model asked.
        config: the attacker's settings.
        budget: the run's call and cost budget (shared with the LLM mutators).
        prices: what each model costs.
        quality_config: quality-control thresholds (default: quality control's own).
    """

    name = "llm_attacker"

    def __init__(
        self,
        backend: Backend,
        keys: KeyPool,
        model: str,
        *,
        config: LLMAttackerConfig | None = None,
        budget: CallBudget | None = None,
        prices: PriceTable | None = None,
        quality_config: Any = None,
    ):
        self.model = model
        self.config = config or LLMAttackerConfig()
        self.caller = LLMCaller(
            backend, keys, budget or CallBudget(), prices or PriceTable(), self.config.retry
        )
        self.quality_config = quality_config
        #: Quality control's feedback on the last refused scenario, quoted in the next prompt.
        self.last_refusal = ""
        #: Why the last :meth:`propose` gave no scenario (or what was refused before it gave one).
        self.last_reasons: tuple[str, ...] = ()
        self.accepted = 0

    def propose(
        self,
        level_name: str,
        stats: DefenderStats,
        rng: np.random.Generator,
        *,
        recent: Sequence[np.ndarray] = (),
        name: str | None = None,
    ) -> ScenarioProposal | None:
        """A scenario of ``level_name`` that passes quality control, or ``None``.

        ``recent``: feature vectors of recently accepted scenarios (quality control's diversity layer);
        ``name``: the scenario's name (default ``{level}-{domain}-llm-{n:03d}``). The scenario is drawn
        from ``rng``, which also jitters retry waits.
        """
        self.last_reasons = ()
        if self.exhausted_reason:
            self.last_reasons = (self.exhausted_reason,)
            return None
        schema = spec_schema(level_name)
        last_refusal = self.last_refusal  # the previous proposal's; this one's refusals are in `previous`
        previous: list[tuple[str, str]] = []
        reasons: list[str] = []
        for number in range(1, self.config.attempts + 1):
            user = build_user_prompt(
                level_name,
                stats,
                target_success=self.config.target_success,
                recent_shown=self.config.recent_shown,
                last_refusal=last_refusal,
                previous=previous,
            )
            request = ChatRequest(
                self.model,
                SYSTEM_PROMPT,
                user,
                self.config.temperature,
                self.config.max_output_tokens,
                self.config.timeout_s,
                json_schema=schema,
            )
            answer = self._call(request, rng, number)
            if isinstance(answer, str):
                reasons.append(answer)
                break
            completion, record = answer
            try:
                genome, rationale, notes = parse_spec(completion.text, level_name)
                scenario_name = name or f"{level_name}-{genome.domain.value}-llm-{self.accepted + 1:03d}"
                try:
                    scenario = genome.to_scenario(rng, scenario_name)
                except ValueError as error:  # a combination the generator cannot draw
                    raise AnswerError(f"the generator cannot draw this scenario: {error}") from None
            except AnswerError as error:
                self._record(replace(record, outcome="bad_answer", error=str(error)))
                reasons.append(f"answer {number}: {error}")
                previous.append((completion.text, str(error)))
                continue
            options = {} if self.quality_config is None else {"config": self.quality_config}
            report = quality.check_scenario(scenario, level=level_name, recent=tuple(recent), **options)
            if report.passed:
                self._record(replace(record, error="; ".join(notes)))
                self.accepted += 1
                self.last_refusal = ""
                self.last_reasons = tuple(reasons)
                return ScenarioProposal(scenario, genome, rationale, report, notes, completion.model, number)
            feedback = report.feedback()
            self._record(replace(record, outcome="qc_refused", error=" | ".join(feedback.splitlines())))
            self.last_refusal = feedback
            reasons.append(f"answer {number}: " + " | ".join(feedback.splitlines()))
            note = "".join(f"\n(note: {n})" for n in notes)
            previous.append((completion.text, feedback + note))
        self.last_reasons = tuple(reasons)
        return None

    # --- hooks the controller calls ------------------------------------------------------------------

    @property
    def exhausted_reason(self) -> str | None:
        """Set when the budget or the keys allow no further call: ``propose`` returns ``None`` at once."""
        return self.caller.exhausted_reason

    def take_calls(self) -> list[CallRecord]:
        """The attempts made since the last call (the controller stores them)."""
        return self.caller.take_calls()

    def state(self) -> dict:
        return {"last_refusal": self.last_refusal, "accepted": self.accepted}

    def restore(self, state: dict) -> None:
        self.last_refusal = state.get("last_refusal", "")
        self.accepted = int(state.get("accepted", 0))

    def close(self) -> None:
        """Stop: calls not yet started are skipped, and waits between retries end at once."""
        self.caller.close()

    # --- calls -----------------------------------------------------------------------------------------

    def _call(
        self, request: ChatRequest, rng: np.random.Generator, answer: int
    ) -> tuple[Completion, CallRecord] | str:
        """The model's answer and the record of the attempt that gave it (for the caller to complete and
        store), or why there is none (failed attempts are recorded by the caller)."""
        result = self.caller.call(request, rng, PURPOSE, MODE)
        if isinstance(result, CallFailure):
            if result.kind in ("budget", "quota", "interrupted", "exhausted"):
                return f"answer {answer}: no call made ({result.kind}: {result.message})"
            return f"answer {answer}: the call failed ({result.kind}: {result.message})"
        return result

    def _record(self, call: CallRecord) -> None:
        self.caller.record(call)


def build_llm_attacker(config: LLMConfig, budget: CallBudget, connection: LLMConnection) -> LLMAttacker:
    """The LLM attacker of a run whose mutators include the language model: the same connection, the
    first model, and the run's budget."""
    return LLMAttacker(
        connection.backend,
        connection.keys,
        config.models[0],
        config=LLMAttackerConfig(timeout_s=config.timeout_s, retry=connection.retry),
        budget=budget,
        prices=connection.prices,
    )
