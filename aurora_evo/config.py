"""Run configuration: one frozen dataclass per component, nested under :class:`RunConfig`.

Presets are TOML files in ``islands/`` (``islands/default.toml`` is the default); command-line flags
override single fields. A run folder keeps the resolved configuration as ``config.json`` so that
``aurora-evo evolve --resume`` continues with exactly the same settings.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aurora_evo.errors import InputError

DOMAINS = ("binpacking", "cloud", "edge", "network")
DATASETS = ("weibull", "or")
MUTATORS = ("gp", "edit", "llm")
LLM_BACKENDS = ("openai", "gemini")
PROMPT_MODES = ("best_shot", "diff", "rewrite")


#: The longest wall-clock limit of one evaluation, in seconds: the sandbox's clocks overflow far beyond it.
MAX_TIMEOUT_S = 86_400.0


class ConfigError(InputError):
    """A preset or flag that does not make a valid configuration; one line.

    ``setting`` is the dotted setting the message is about (``"islands.islands"``), when there is one:
    the message then begins with it (after the file's name, if any), so that the command line can name
    the flag that gave the value instead.
    """

    def __init__(self, message: str, setting: str | None = None):
        super().__init__(message)
        leading = str(message).split(" ", 1)[0].rstrip(":,")
        self.setting = setting or (leading if leading in setting_names() else None)


@dataclass(frozen=True)
class IslandConfig:
    """The island model.

    Attributes:
        islands: number of island populations.
        population: programs an island keeps (its best, one per behaviour signature).
        migration_interval: iterations between ring migrations (island i sends to i + 1).
        migrants: programs each island sends at a migration.
        reset_interval: iterations between resets of the weakest half of the islands, each restarted
            from the best program of a randomly chosen surviving island (FunSearch's reset).
        temperature: softmax temperature of parent selection over scores normalised to [0, 1] within
            the island; lower is greedier.
        novelty_bonus: added to a normalised score times the program's code novelty in the island.
        parents: programs handed to a mutator per proposal (2 allows crossover).
    """

    islands: int = 8
    population: int = 12
    migration_interval: int = 10
    migrants: int = 1
    reset_interval: int = 60
    temperature: float = 0.15
    novelty_bonus: float = 0.1
    parents: int = 2


@dataclass(frozen=True)
class MutatorConfig:
    """Which mutators propose candidates, and how often each is picked: ``gp`` (genetic programming),
    ``edit`` (source edits) and ``llm`` (a language model, see :class:`LLMConfig`).

    ``gp_leave_out`` names primitives and leaves of the GP language to do without (e.g. ``n``, the
    number of bins offered, which grows with a bin-packing instance's length). ``gp_constants`` are
    the round values half the GP's fresh constants are drawn from (empty: its defaults, see
    :data:`~aurora_evo.mutators.gp.NICE_CONSTANTS`), and ``gp_p_constant`` the chance that a new scalar
    leaf is a fresh constant rather than a named one such as ``item`` (``None``: the GP's default).
    ``gp_rule_weight`` is the GP's weight for adding a rule to a program (see
    :func:`~aurora_evo.mutators.gp.mut_add_rule`), against 1.0 for its other mutations together.
    """

    kinds: tuple[str, ...] = ("gp", "edit")
    weights: tuple[float, ...] = (0.75, 0.25)
    gp_leave_out: tuple[str, ...] = ()
    gp_constants: tuple[float, ...] = ()
    gp_p_constant: float | None = None
    gp_rule_weight: float = 0.0

    def gp_settings(self) -> dict[str, Any]:
        """The :class:`~aurora_evo.mutators.gp.GPConfig` fields these settings override."""
        settings: dict[str, Any] = {"leave_out": self.gp_leave_out}
        if self.gp_constants:
            settings["constants"] = tuple(float(c) for c in self.gp_constants)
        if self.gp_p_constant is not None:
            settings["p_constant"] = float(self.gp_p_constant)
        if self.gp_rule_weight:
            settings["w_rule"] = float(self.gp_rule_weight)
        return settings


@dataclass(frozen=True)
class StopConfig:
    """When a run ends (the first criterion met); ``None`` turns a criterion off.

    Attributes:
        max_iterations: iterations of the controller (each evaluates one batch).
        max_seconds: wall-clock budget of this invocation (a resumed run gets it afresh).
        max_cost_usd: spending budget of the LLM mutators, in US dollars over the whole run (a call
            is not started unless its largest possible cost fits).
        max_calls: LLM calls (attempts included) over the whole run.
        patience: iterations without any improvement of the best training score.
        window, min_improvement: stop when the best score improved by less than ``min_improvement``
            (relative to its magnitude) over the last ``window`` iterations.
        target_score: stop once the best training score reaches it.
        curriculum_level: stop once the defender masters this curriculum level (the best program
            succeeds on ``attacker.advance_share`` of its scenarios), with the attacker on; the
            default is the last level.
    """

    max_iterations: int | None = 100
    max_seconds: float | None = None
    max_cost_usd: float | None = None
    max_calls: int | None = None
    patience: int | None = 50
    window: int | None = 100
    min_improvement: float = 0.01
    target_score: float | None = None
    curriculum_level: str | None = "beyond"


@dataclass(frozen=True)
class LLMConfig:
    """The language-model mutator (used when ``mutators.kinds`` includes ``llm``).

    Attributes:
        backend: ``gemini`` (Google's google-genai SDK) or ``openai`` (any OpenAI-compatible server:
            OpenAI, vLLM, llama.cpp's server, Ollama).
        models: model names; each call samples one by ``model_weights``.
        model_weights: one per model (empty: equal weights).
        base_url: the server's URL, e.g. ``http://127.0.0.1:8000/v1`` (empty: the provider's own).
        modes: prompt modes sampled per call: ``best_shot`` (FunSearch: k parents sorted by score),
            ``diff`` (AlphaEvolve SEARCH/REPLACE blocks), ``rewrite`` (a whole new program).
        mode_weights: one per mode.
        temperature, max_output_tokens: sampling settings sent with each call.
        timeout_s: a call slower than this fails (and is retried).
        attempts: tries per call (429, 5xx, timeouts and unreadable answers are retried with exponential
            backoff and jitter, honouring the server's Retry-After).
        backoff_s, max_backoff_s: the first backoff, doubling to at most this.
        concurrency: calls in flight at once.
        requests_per_minute, requests_per_day: limits per API key (0: none); several keys rotate.
        instructions: size of the population of prompt instructions (meta-prompt evolution).
        meta_interval: children judged between two steps of the instructions' evolution.
        prices: ``"model=input/output"`` in US dollars per million tokens, added to (and overriding)
            the built-in table; a model with no price costs nothing (a local server).
    """

    backend: str = "openai"
    models: tuple[str, ...] = ()
    model_weights: tuple[float, ...] = ()
    base_url: str = ""
    modes: tuple[str, ...] = PROMPT_MODES
    mode_weights: tuple[float, ...] = (0.4, 0.4, 0.2)
    temperature: float = 0.8
    max_output_tokens: int = 4096
    timeout_s: float = 120.0
    attempts: int = 4
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    concurrency: int = 4
    requests_per_minute: int = 0
    requests_per_day: int = 0
    instructions: int = 6
    meta_interval: int = 24
    prices: tuple[str, ...] = ()


@dataclass(frozen=True)
class AttackerConfig:
    """Co-evolution of the training scenarios (allocation domains; bin packing trains on its fixed
    generated instances).

    Attributes:
        enabled: co-evolve scenarios (``--no-attacker`` turns it off).
        interval: iterations between attacker steps.
        population: scenario genomes kept.
        candidates: new scenarios proposed (and quality-checked) per step.
        elites: the defender programs scored on each candidate: the islands' best programs, best first.
        active: attacker scenarios in the training set at once (beside the seed scenarios).
        start_level: the curriculum's first level (easy, medium, hard, expert, beyond).
        top_level: the curriculum's last level: mastering it moves the attacker no further (the
            shipped default stops at ``hard``, the seed levels, to end in about two minutes; the
            ``coevolution`` preset climbs to ``beyond``).
        advance_share: the best program's success share on the level's training scenarios that moves
            the curriculum to the next level.
        margin: a program succeeds on a scenario when its reward (0-1) is at least best fit's on it
            plus this (a tie succeeds at 0) ...
        max_sla_violation_rate: ... and at most this share of its deadline tasks is late or rejected.
        sweet_spot, width: learnability is highest when the elites succeed on this share, falling
            off over about ``width``.
        weight: the share of a program's training score carried by the attacker's scenarios
            together (the seed scenarios carry the rest); 0.1 measured best of the two tried
            (BENCHMARKS.md, ablation).
    """

    enabled: bool = True
    interval: int = 10
    population: int = 8
    candidates: int = 4
    elites: int = 3
    active: int = 4
    start_level: str = "easy"
    top_level: str = "beyond"
    advance_share: float = 0.7
    margin: float = 0.0
    max_sla_violation_rate: float = 0.1
    sweet_spot: float = 0.5
    width: float = 0.25
    weight: float = 0.1


@dataclass(frozen=True)
class ArchiveConfig:
    """The MAP-Elites grid and the Elo matches.

    Attributes:
        descriptors: names from :data:`aurora_evo.archive.map_elites.DESCRIPTORS`: by default the
            program's size (``complexity``) and the share of its operations that are not plain
            arithmetic (``nonlinearity``), which spread programs over the map; ``specialisation``
            (the spread of a program's scores over the cases) hardly varies between programs.
        bins: cells per descriptor.
        elo_opponents: archived programs each new program plays (on their shared cases).
        elo_k: Elo's K factor.
        duplicate_novelty: candidates whose code novelty against their island is below this are
            rejected before evaluation as near-duplicates.
    """

    descriptors: tuple[str, ...] = ("complexity", "nonlinearity")
    bins: tuple[int, ...] = (10, 10)
    elo_opponents: int = 3
    elo_k: float = 16.0
    duplicate_novelty: float = 0.01


@dataclass(frozen=True)
class TaskConfig:
    """What is evolved and on which cases.

    Attributes:
        domain: ``binpacking`` (FunSearch's contract) or an allocation domain (cloud, edge, network).
        dataset: for bin packing, ``weibull`` (capacity 100) or ``or`` (capacity 150) instances.
        train_instances, train_items: generated training instances (bin packing).
        train_cases: cases the training instances are dealt into, in order (bin packing): a program gets
            one score per case (its behaviour signature and its Elo matches use them); 0 means one case
            per instance. Many small instances score a program with less noise, and grouping them keeps
            the per-case records few.
        train_score_items: when set (bin packing), score training instances by the excess over L1
            expected on instances of this many items, from their settled bins and their excess at the
            end (:func:`~aurora_evo.domains.binpacking.evaluate.extrapolated_excess`), rather than by
            the excess measured. Validation always measures.
        validation_instances, validation_items: generated validation instances (bin packing).
        levels: seed levels used for allocation domains; every third seed of them is held out.
    """

    domain: str = "cloud"
    dataset: str = "weibull"
    train_instances: int = 4
    train_items: int = 1000
    train_cases: int = 0
    train_score_items: int | None = None
    validation_instances: int = 4
    validation_items: int = 5000
    levels: tuple[str, ...] = ("easy", "medium", "hard")


@dataclass(frozen=True)
class EvalConfig:
    """How candidates are evaluated.

    Attributes:
        workers: evaluations run at once (each in its own sandbox).
        backend: joblib backend for ``workers > 1``.
        timeout_s: wall-clock limit of one evaluation.
        memory_mb: memory allowance of one evaluation.
        jit: numba use (``auto``, ``always``, ``never``), see :class:`aurora_evo.sandbox.SandboxConfig`.
        full_warm_up: warm numba's numpy functions up in each sandbox (seconds once, then faster
            compiles); see :class:`aurora_evo.sandbox.SandboxConfig`.
    """

    workers: int = 1
    backend: str = "loky"
    timeout_s: float = 60.0
    memory_mb: int = 2048
    jit: str = "auto"
    full_warm_up: bool = True


def _usable_weights(weights: tuple[float, ...]) -> bool:
    """Sampling weights: finite, none negative, not all zero."""
    return all(math.isfinite(w) and w >= 0 for w in weights) and sum(weights) > 0


def sandbox_limit_checks(timeout_s: float, memory_mb: int) -> list[tuple[bool, str]]:
    """The rules of an evaluation's limits, as ``(ok, message)`` pairs (``evaluation.timeout_s`` and
    ``evaluation.memory_mb``; ``--timeout`` and ``--memory-mb`` on the command line)."""
    return [
        (math.isfinite(timeout_s) and 0 < timeout_s <= MAX_TIMEOUT_S,
         f"evaluation.timeout_s must be positive and at most {MAX_TIMEOUT_S:g} seconds"),
        (memory_mb >= 1, "evaluation.memory_mb must be at least 1 (MiB)"),
    ]  # fmt: skip


def check_sandbox_limits(timeout_s: float, memory_mb: int) -> None:
    """Raise :class:`ConfigError` on the first rule of :func:`sandbox_limit_checks` broken."""
    for ok, message in sandbox_limit_checks(timeout_s, memory_mb):
        if not ok:
            raise ConfigError(message)


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs; ``seed`` makes it reproducible with one worker."""

    seed: int = 0
    batch: int | None = None
    islands: IslandConfig = field(default_factory=IslandConfig)
    mutators: MutatorConfig = field(default_factory=MutatorConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    attacker: AttackerConfig = field(default_factory=AttackerConfig)
    stop: StopConfig = field(default_factory=StopConfig)
    archive: ArchiveConfig = field(default_factory=ArchiveConfig)
    task: TaskConfig = field(default_factory=TaskConfig)
    evaluation: EvalConfig = field(default_factory=EvalConfig)

    @property
    def batch_size(self) -> int:
        """Candidates per iteration: one per island unless set."""
        return self.batch or self.islands.islands

    def validate(self) -> RunConfig:
        """Check the values; raises :class:`ConfigError` with one line naming the field."""
        from aurora_evo.archive import DESCRIPTORS
        from aurora_evo.seeds import SEED_LEVELS

        stop = self.stop
        islands = self.islands
        checks = [
            (self.seed >= 0, "seed must be >= 0"),
            (self.batch is None or self.batch >= 1, "batch must be at least 1 (or unset: one per island)"),
            (self.task.domain in DOMAINS, f"task.domain must be one of {', '.join(DOMAINS)}"),
            (self.task.dataset in DATASETS, f"task.dataset must be one of {', '.join(DATASETS)}"),
            (self.islands.islands >= 1, "islands.islands must be at least 1"),
            (self.islands.population >= 1, "islands.population must be at least 1"),
            (self.islands.temperature > 0, "islands.temperature must be positive"),
            (islands.parents >= 1, "islands.parents must be at least 1"),
            (islands.migrants >= 0, "islands.migrants must be >= 0"),
            (islands.migration_interval >= 0, "islands.migration_interval must be >= 0 (0: never)"),
            (islands.reset_interval >= 0, "islands.reset_interval must be >= 0 (0: never)"),
            (islands.novelty_bonus >= 0, "islands.novelty_bonus must be >= 0"),
            (stop.max_iterations is None or stop.max_iterations >= 1,
             "stop.max_iterations must be at least 1"),
            (stop.max_seconds is None or stop.max_seconds > 0, "stop.max_seconds must be positive"),
            (stop.max_cost_usd is None or stop.max_cost_usd >= 0, "stop.max_cost_usd must be >= 0"),
            (stop.max_calls is None or stop.max_calls >= 0, "stop.max_calls must be >= 0"),
            (stop.patience is None or stop.patience >= 1, "stop.patience must be at least 1"),
            (stop.window is None or stop.window >= 1, "stop.window must be at least 1"),
            (stop.min_improvement >= 0, "stop.min_improvement must be >= 0"),
            (min(self.task.train_instances, self.task.train_items, self.task.validation_instances,
                 self.task.validation_items) >= 1,
             "task.train_instances, train_items, validation_instances and validation_items must be >= 1"),
            (self.task.train_score_items is None or self.task.train_score_items >= 1,
             "task.train_score_items must be >= 1"),
            (0 <= self.task.train_cases <= self.task.train_instances,
             "task.train_cases must be between 0 (one case per instance) and task.train_instances"),
            (set(self.task.levels) <= set(SEED_LEVELS) and len(self.task.levels) > 0,
             f"task.levels must be among {', '.join(SEED_LEVELS)}"),
            (set(self.archive.descriptors) <= set(DESCRIPTORS),
             f"archive.descriptors must be among {', '.join(DESCRIPTORS)}"),
            (all(b >= 1 for b in self.archive.bins), "archive.bins must be at least 1 each"),
            (self.archive.elo_opponents >= 0, "archive.elo_opponents must be >= 0"),
            (set(self.mutators.kinds) <= set(MUTATORS) and len(self.mutators.kinds) > 0,
             f"mutators.kinds must be among {', '.join(MUTATORS)} (at least one)"),
            (len(self.mutators.kinds) == len(self.mutators.weights),
             "mutators.weights: one per mutator in mutators.kinds"),
            (_usable_weights(self.mutators.weights),
             "mutators.weights must be finite and >= 0 with a positive sum"),
            (len(self.archive.descriptors) == len(self.archive.bins), "archive.bins: one per descriptor"),
            *self._llm_checks(),
            *self._attacker_checks(),
            *self._gp_checks(),
            (self.evaluation.workers >= 1, "evaluation.workers must be at least 1"),
            *sandbox_limit_checks(self.evaluation.timeout_s, self.evaluation.memory_mb),
            (self.evaluation.backend in ("loky", "threading"), "evaluation.backend: loky or threading"),
            (self.evaluation.jit in ("auto", "always", "never"), "evaluation.jit: auto, always or never"),
        ]  # fmt: skip
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)
        return self

    def _gp_checks(self) -> list[tuple[bool, str]]:
        mutators = self.mutators
        p_constant = mutators.gp_p_constant
        checks = [
            (p_constant is None or 0 <= p_constant <= 1, "mutators.gp_p_constant must be within [0, 1]"),
            (all(math.isfinite(c) for c in mutators.gp_constants), "mutators.gp_constants must be finite"),
            (0 <= mutators.gp_rule_weight < math.inf, "mutators.gp_rule_weight must be finite and >= 0"),
        ]
        if not mutators.gp_leave_out:
            return checks
        from aurora_evo.contracts import Contract
        from aurora_evo.mutators.primitives import primitive_set

        binpacking = self.task.domain == "binpacking"
        try:
            primitive_set(
                Contract.BINPACKING if binpacking else Contract.ALLOCATION, self.mutators.gp_leave_out
            )
        except ValueError as exc:
            return [*checks, (False, f"mutators.gp_leave_out: {exc}")]
        return checks

    def _llm_checks(self) -> list[tuple[bool, str]]:
        from aurora_evo.mutators.llm.pricing import PriceTable, parse_prices

        llm = self.llm
        used = "llm" in self.mutators.kinds
        try:
            extra = parse_prices(llm.prices)
        except InputError as exc:
            return [(False, str(exc))]
        table = PriceTable(extra)
        unpriced = [m for m in llm.models if table.rates(m) == (0.0, 0.0) and m not in extra]
        first = unpriced[0] if unpriced else "MODEL"
        return [
            # A budget cannot hold a call whose price is unknown; a local model is priced 0/0 explicitly.
            (not (used and self.stop.max_cost_usd is not None and unpriced),
             f"stop.max_cost_usd needs a price for model {first!r}: give it with "
             f"--price {first}=INPUT/OUTPUT (dollars per million tokens; 0/0 for a local model)"),
            (llm.backend in LLM_BACKENDS, f"llm.backend must be one of {', '.join(LLM_BACKENDS)}"),
            (not used or len(llm.models) > 0, "llm.models: name at least one model (--model NAME)"),
            (not llm.model_weights or len(llm.model_weights) == len(llm.models),
             "llm.model_weights: one per model in llm.models"),
            (not llm.model_weights or _usable_weights(llm.model_weights),
             "llm.model_weights must be finite and >= 0 with a positive sum"),
            (len(llm.modes) > 0 and set(llm.modes) <= set(PROMPT_MODES),
             f"llm.modes must be among {', '.join(PROMPT_MODES)}"),
            (len(llm.mode_weights) == len(llm.modes), "llm.mode_weights: one per mode"),
            (_usable_weights(llm.mode_weights),
             "llm.mode_weights must be finite and >= 0 with a positive sum"),
            (llm.temperature >= 0, "llm.temperature must be >= 0"),
            (llm.max_output_tokens >= 1, "llm.max_output_tokens must be at least 1"),
            (llm.timeout_s > 0, "llm.timeout_s must be positive"),
            (llm.attempts >= 1, "llm.attempts must be at least 1"),
            (llm.backoff_s >= 0, "llm.backoff_s must be >= 0"),
            (llm.max_backoff_s >= 0, "llm.max_backoff_s must be >= 0"),
            (llm.concurrency >= 1, "llm.concurrency must be at least 1"),
            (llm.requests_per_minute >= 0, "llm.requests_per_minute must be >= 0 (0: no limit)"),
            (llm.requests_per_day >= 0, "llm.requests_per_day must be >= 0 (0: no limit)"),
            (llm.instructions >= 1, "llm.instructions must be at least 1"),
            (llm.meta_interval >= 1, "llm.meta_interval must be at least 1"),
            (llm.base_url == "" or llm.base_url.startswith(("http://", "https://")),
             f"llm.base_url must start with http:// or https://, got {llm.base_url!r}"),
        ]  # fmt: skip

    def _attacker_checks(self) -> list[tuple[bool, str]]:
        from aurora_evo.scenario.levels import LEVEL_NAMES

        a = self.attacker
        return [
            (a.interval >= 1, "attacker.interval must be at least 1"),
            (a.population >= 2, "attacker.population must be at least 2"),
            (a.candidates >= 1, "attacker.candidates must be at least 1"),
            (a.elites >= 1, "attacker.elites must be at least 1"),
            (a.active >= 1, "attacker.active must be at least 1"),
            (a.start_level in LEVEL_NAMES, f"attacker.start_level must be one of {', '.join(LEVEL_NAMES)}"),
            (a.top_level in LEVEL_NAMES, f"attacker.top_level must be one of {', '.join(LEVEL_NAMES)}"),
            (a.top_level not in LEVEL_NAMES or a.start_level not in LEVEL_NAMES
             or LEVEL_NAMES.index(a.top_level) >= LEVEL_NAMES.index(a.start_level),
             "attacker.top_level must not come before attacker.start_level"),
            (self.stop.curriculum_level in (None, *LEVEL_NAMES),
             f"stop.curriculum_level must be one of {', '.join(LEVEL_NAMES)}"),
            (0 < a.advance_share <= 1, "attacker.advance_share must be in (0, 1]"),
            (0 <= a.margin < 1, "attacker.margin must be in [0, 1)"),
            (0 <= a.max_sla_violation_rate <= 1, "attacker.max_sla_violation_rate must be in [0, 1]"),
            (0 < a.sweet_spot < 1, "attacker.sweet_spot must be in (0, 1)"),
            (a.width > 0, "attacker.width must be positive"),
            (0 <= a.weight <= 1, "attacker.weight must be in [0, 1]"),
        ]  # fmt: skip

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


_SECTIONS = {
    cls.__name__: cls
    for cls in (IslandConfig, MutatorConfig, StopConfig, LLMConfig, AttackerConfig, ArchiveConfig,
                TaskConfig, EvalConfig)
}  # fmt: skip


def _section(kind: Any) -> type | None:
    """The dataclass of a nested table of settings (``[islands]``), or ``None`` for a plain value."""
    return _SECTIONS.get(kind if isinstance(kind, str) else getattr(kind, "__name__", ""))


@functools.cache
def setting_names() -> frozenset[str]:
    """Every setting's dotted name: ``seed``, ``islands.islands``, ``stop.max_iterations``, ..."""
    names = set()
    for top in dataclasses.fields(RunConfig):
        section = _section(top.type)
        if section is None:
            names.add(top.name)
        else:
            names.update(f"{top.name}.{f.name}" for f in dataclasses.fields(section))
    return frozenset(names)


def _located(source: str | None, message: str) -> str:
    return f"{source}: {message}" if source else message


def _build(cls, data: dict, source: str | None, prefix: str = ""):
    """A dataclass from a (nested) dict, refusing unknown keys and wrong types with the setting's name
    (``prefix`` is the dotted name of the table being built, e.g. ``"islands."``)."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(data) - set(fields)
    if unknown:
        name = f"{prefix}{sorted(unknown)[0]}"
        raise ConfigError(_located(source, f"unknown setting {name!r} (known: {', '.join(fields)})"))
    values: dict[str, Any] = {}
    for name, value in data.items():
        kind, dotted = fields[name].type, f"{prefix}{name}"
        section = _section(kind)
        if section is not None:
            if not isinstance(value, dict):
                raise ConfigError(_located(source, f"{dotted}: must be a table of settings"))
            values[name] = _build(section, value, source, f"{dotted}.")
        else:
            value = tuple(value) if isinstance(value, list) else value
            problem = _type_problem(value, kind)
            if problem:
                raise ConfigError(_located(source, f"{dotted}: {problem}"), setting=dotted)
            values[name] = value
    return cls(**values)


_TYPES = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,)}


def _type_problem(value: Any, kind: Any) -> str | None:
    """Why a value has the wrong type for its setting (e.g. ``islands = "8"``), or ``None``."""
    text = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    optional = text.endswith(" | None")
    base = text.removesuffix(" | None")
    if value is None:
        return None if optional else "must be set (got null)"
    if base.startswith("tuple["):
        item = base[len("tuple[") :].split(",")[0]
        ok = isinstance(value, tuple) and all(_is(v, item) for v in value)
        expected = f"list of {item}"
    else:
        ok, expected = _is(value, base), base
    return None if ok else f"must be {'an' if expected[0] in 'aeiou' else 'a'} {expected}, got {value!r}"


def _is(value: Any, type_name: str) -> bool:
    types = _TYPES.get(type_name)
    if types is None:
        return True
    # bool is an int to Python, never to a config file.
    return isinstance(value, types) and (type_name == "bool" or not isinstance(value, bool))


def config_from_dict(data: dict, source: str | None = None) -> RunConfig:
    """A validated configuration; errors begin with ``source`` (the file it came from), when given."""
    config = _build(RunConfig, data, source)
    try:
        return config.validate()
    except ConfigError as exc:
        if source is None:
            raise
        raise ConfigError(_located(source, str(exc)), setting=exc.setting) from None


def load_preset(path: str | Path) -> RunConfig:
    """Read a TOML preset (see ``islands/default.toml``)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such preset") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None
    return config_from_dict(data, str(path))


def override(config: RunConfig, **changes: Any) -> RunConfig:
    """A copy with dotted settings changed, e.g. ``override(c, **{"islands.islands": 4})``."""
    data = config.to_dict()
    for dotted, value in changes.items():
        target = data
        *parents, leaf = dotted.split(".")
        for key in parents:
            target = target[key]
        target[leaf] = value
    return config_from_dict(data)


def save_config(config: RunConfig, path: Path) -> None:
    path.write_text(json.dumps(config.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_config(path: Path) -> RunConfig:
    try:
        return config_from_dict(json.loads(path.read_text(encoding="utf-8")), str(path))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (is this a run folder?)") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: invalid JSON ({exc.msg})") from None


def presets_dir() -> Path:
    """The folder of presets: ``islands/`` of the repository, or its copy inside a wheel."""
    packaged = Path(__file__).parent / "_islands"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "islands"


def preset_names() -> list[str]:
    """The shipped presets' names, e.g. ``["binpacking-or", ..., "default"]``."""
    return sorted(path.stem for path in presets_dir().glob("*.toml"))


def preset_path(name: str) -> Path:
    """A shipped preset by name, e.g. ``default`` or ``binpacking-weibull``."""
    return presets_dir() / f"{name}.toml"


def resolve_preset(spec: str) -> Path:
    """The preset file ``spec`` names, from any working directory: a file path (``./my.toml``), or a
    shipped preset by name (``coevolution``, ``coevolution.toml``, or the README's
    ``islands/coevolution.toml`` when there is no such file here).

    Raises:
        ConfigError: one line listing the shipped names, when ``spec`` is neither.
    """
    path = Path(spec)
    if path.exists():
        return path
    name = path.name.removesuffix(".toml")
    shipped_here = path.parent in (Path(), Path("islands"))  # "coevolution" or "islands/coevolution.toml"
    if shipped_here and name in preset_names():
        return preset_path(name)
    raise ConfigError(
        f"{spec}: no such preset file, and no shipped preset of that name "
        f"(shipped: {', '.join(preset_names())})"
    )
