"""Run configuration: one frozen dataclass per component, nested under :class:`RunConfig`, built from
(nested) dicts of settings with each value's type checked.

The rules each value must follow are in :mod:`aurora_evo.config_checks`; presets (TOML files in
``islands/``) and a run folder's ``config.json`` are read and written by :mod:`aurora_evo.config_files`.
Command-line flags override single fields (:func:`override`).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any

from aurora_evo.config_checks import PROMPT_MODES, run_config_checks, sandbox_limit_checks
from aurora_evo.errors import InputError


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
        elite_share: the share of proposals whose parents come from the policy database instead of the
            island: the MAP-Elites archive's elites (one per cell, from every island), drawn by a softmax
            over their Elo ratings. 0 keeps selection on the islands alone.
        seed_run: a run folder whose islands' programs (as its last iteration left them) join this
            run's first iteration, each on the island it lived on (modulo this run's islands), beside
            the baselines: continuing a search on new cases (another suite, a later window). They are
            evaluated on this run's cases like any candidate. ``None``: start afresh.
    """

    islands: int = 8
    population: int = 12
    migration_interval: int = 10
    migrants: int = 1
    reset_interval: int = 60
    temperature: float = 0.15
    novelty_bonus: float = 0.1
    parents: int = 2
    elite_share: float = 0.0
    seed_run: str | None = None


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
        suite: a named suite of scenarios (:mod:`aurora_evo.suites`, e.g. ``google-2011``) for an
            allocation domain, replacing the seeds: its train split trains, its validation split is
            held out (what export chooses by) and its test split is what the run reports at the end;
            ``None``: the seeds of ``levels``.
        suite_scenarios: with ``suite``, only the first this many scenarios of each of its splits (a
            quicker run on part of a suite: the studies' quick profiles); ``None``: all of them.
        score: what an allocation run maximises and chooses by: ``"reward"``, the mean reward (0-1),
            or ``"fitness"``, the mean fitness against best fit on each scenario (0 is best fit; what
            ``aurora-evo evaluate`` judges by; :mod:`aurora_evo.sim.fitness`).
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
    suite: str | None = None
    suite_scenarios: int | None = None
    score: str = "reward"


@dataclass(frozen=True)
class EvalConfig:
    """How candidates are evaluated.

    Attributes:
        workers: evaluations run at once on this machine (each in its own sandbox).
        backend: for ``workers > 1``, ``loky`` (worker processes, each with its sandboxes) or ``threading``
            (threads of the controller, each with a sandbox).
        cluster: evaluate on a cluster instead (:mod:`aurora_evo.cluster`): Dask's ``local:N`` (N worker
            processes started here) or ``tcp://HOST:PORT`` (a running scheduler); Ray's ``ray:local:N``,
            ``ray:HOST:PORT`` or ``ray://HOST:PORT``; ``None``: this machine.
        mode: ``"batch"`` (an iteration's candidates evaluated together, then told: the same seed gives
            the same archive), ``"steady"`` (evaluations kept in flight and told as they come back;
            see :mod:`aurora_evo.evolver.steady`), or ``"auto"``: steady when a language model proposes
            (its answers are not reproducible anyway, and waiting on them in batches idles the
            workers), batches otherwise.
        in_flight: evaluations the steady state keeps submitted (default: two per worker).
        timeout_s: wall-clock limit of one evaluation.
        memory_mb: memory allowance of one evaluation.
        jit: numba use (``auto``, ``always``, ``never``), see :class:`aurora_evo.sandbox.SandboxConfig`.
        full_warm_up: warm numba's numpy functions up in each sandbox (seconds once, then faster
            compiles); see :class:`aurora_evo.sandbox.SandboxConfig`.
    """

    workers: int = 1
    backend: str = "loky"
    cluster: str | None = None
    mode: str = "auto"
    in_flight: int | None = None
    timeout_s: float = 60.0
    memory_mb: int = 2048
    jit: str = "auto"
    full_warm_up: bool = True


def check_sandbox_limits(timeout_s: float, memory_mb: int) -> None:
    """Raise :class:`ConfigError` on the first rule of
    :func:`~aurora_evo.config_checks.sandbox_limit_checks` broken."""
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
        """Check the values (:func:`~aurora_evo.config_checks.run_config_checks`); raises
        :class:`ConfigError` with one line naming the field."""
        for ok, message in run_config_checks(self):
            if not ok:
                raise ConfigError(message)
        return self

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
