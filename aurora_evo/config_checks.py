"""The rules of a run's configuration: the values each setting may take, as ``(ok, message)`` pairs.

:meth:`~aurora_evo.config.RunConfig.validate` raises the first message whose rule is broken. Some rules
need a component's vocabulary (the archive's descriptors, the GP's primitives, the curriculum's levels, the
LLM price table): the rules that need one import its component, not the top of this module, so that
reading a preset stays quick (those components import pandas, deap and numpy).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from aurora_evo.cluster.spec import parse_cluster
from aurora_evo.domains import ALLOCATION_DOMAINS, ALLOCATION_SCORES, domain_names
from aurora_evo.errors import InputError

if TYPE_CHECKING:
    from aurora_evo.config import RunConfig

#: The values of ``task.domain``, ``task.dataset``, ``mutators.kinds``, ``llm.backend`` and ``llm.modes``.
DOMAINS = domain_names()
DATASETS = ("weibull", "or")
MUTATORS = ("gp", "edit", "llm")
LLM_BACKENDS = ("openai", "gemini")
PROMPT_MODES = ("best_shot", "diff", "rewrite")


#: The longest wall-clock limit of one evaluation, in seconds: the sandbox's clocks overflow far beyond it.
MAX_TIMEOUT_S = 86_400.0


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


def run_config_checks(config: RunConfig) -> list[tuple[bool, str]]:
    """The rules of a configuration, as ``(ok, message)`` pairs in the order they are reported: the
    message of the first rule broken is the one line :meth:`~aurora_evo.config.RunConfig.validate`
    raises."""
    # heavy: the archive's package imports pandas and sqlite_utils, and seeds the scenario package.
    from aurora_evo.archive import DESCRIPTORS
    from aurora_evo.seeds import SEED_LEVELS

    stop = config.stop
    islands = config.islands
    return [
        (config.seed >= 0, "seed must be >= 0"),
        (config.batch is None or config.batch >= 1, "batch must be at least 1 (or unset: one per island)"),
        (config.task.domain in DOMAINS, f"task.domain must be one of {', '.join(DOMAINS)}"),
        (config.task.dataset in DATASETS, f"task.dataset must be one of {', '.join(DATASETS)}"),
        (config.islands.islands >= 1, "islands.islands must be at least 1"),
        (config.islands.population >= 1, "islands.population must be at least 1"),
        (config.islands.temperature > 0, "islands.temperature must be positive"),
        (islands.parents >= 1, "islands.parents must be at least 1"),
        (islands.migrants >= 0, "islands.migrants must be >= 0"),
        (islands.migration_interval >= 0, "islands.migration_interval must be >= 0 (0: never)"),
        (islands.reset_interval >= 0, "islands.reset_interval must be >= 0 (0: never)"),
        (islands.novelty_bonus >= 0, "islands.novelty_bonus must be >= 0"),
        (0 <= islands.elite_share <= 1, "islands.elite_share must be between 0 and 1"),
        (stop.max_iterations is None or stop.max_iterations >= 1,
         "stop.max_iterations must be at least 1"),
        (stop.max_seconds is None or stop.max_seconds > 0, "stop.max_seconds must be positive"),
        (stop.max_cost_usd is None or stop.max_cost_usd >= 0, "stop.max_cost_usd must be >= 0"),
        (stop.max_calls is None or stop.max_calls >= 0, "stop.max_calls must be >= 0"),
        (stop.patience is None or stop.patience >= 1, "stop.patience must be at least 1"),
        (stop.window is None or stop.window >= 1, "stop.window must be at least 1"),
        (stop.min_improvement >= 0, "stop.min_improvement must be >= 0"),
        (min(config.task.train_instances, config.task.train_items, config.task.validation_instances,
             config.task.validation_items) >= 1,
         "task.train_instances, train_items, validation_instances and validation_items must be >= 1"),
        (config.task.train_score_items is None or config.task.train_score_items >= 1,
         "task.train_score_items must be >= 1"),
        (0 <= config.task.train_cases <= config.task.train_instances,
         "task.train_cases must be between 0 (one case per instance) and task.train_instances"),
        (set(config.task.levels) <= set(SEED_LEVELS) and len(config.task.levels) > 0,
         f"task.levels must be among {', '.join(SEED_LEVELS)}"),
        # Which suites exist is load_suite's to say, when the run's cases are made (before its folder is).
        (config.task.suite is None or config.task.domain in ALLOCATION_DOMAINS,
         f"task.suite goes with an allocation domain ({', '.join(ALLOCATION_DOMAINS)}), "
         f"not task.domain {config.task.domain}"),
        (config.task.suite_scenarios is None or config.task.suite_scenarios >= 1,
         "task.suite_scenarios must be at least 1 (or unset: every scenario of the suite)"),
        (config.task.score in ALLOCATION_SCORES, f"task.score must be one of {', '.join(ALLOCATION_SCORES)}"),
        (config.task.score == "reward" or config.task.domain in ALLOCATION_DOMAINS,
         f"task.score {config.task.score!r} goes with an allocation domain "
         f"({', '.join(ALLOCATION_DOMAINS)}); task.domain {config.task.domain} has one score"),
        (set(config.archive.descriptors) <= set(DESCRIPTORS),
         f"archive.descriptors must be among {', '.join(DESCRIPTORS)}"),
        (all(b >= 1 for b in config.archive.bins), "archive.bins must be at least 1 each"),
        (config.archive.elo_opponents >= 0, "archive.elo_opponents must be >= 0"),
        (set(config.mutators.kinds) <= set(MUTATORS) and len(config.mutators.kinds) > 0,
         f"mutators.kinds must be among {', '.join(MUTATORS)} (at least one)"),
        (len(config.mutators.kinds) == len(config.mutators.weights),
         "mutators.weights: one per mutator in mutators.kinds"),
        (_usable_weights(config.mutators.weights),
         "mutators.weights must be finite and >= 0 with a positive sum"),
        (len(config.archive.descriptors) == len(config.archive.bins), "archive.bins: one per descriptor"),
        *_llm_checks(config),
        *_attacker_checks(config),
        *_gp_checks(config),
        (config.evaluation.workers >= 1, "evaluation.workers must be at least 1"),
        *_cluster_checks(config),
        (config.evaluation.mode in ("auto", "batch", "steady"), "evaluation.mode: auto, batch or steady"),
        (config.evaluation.in_flight is None or config.evaluation.in_flight >= 1,
         "evaluation.in_flight must be at least 1"),
        *sandbox_limit_checks(config.evaluation.timeout_s, config.evaluation.memory_mb),
        (config.evaluation.backend in ("loky", "threading"), "evaluation.backend: loky or threading"),
        (config.evaluation.jit in ("auto", "always", "never"), "evaluation.jit: auto, always or never"),
    ]  # fmt: skip


def _cluster_checks(config: RunConfig) -> list[tuple[bool, str]]:
    cluster = config.evaluation.cluster
    if cluster is None:
        return []
    kind, why = parse_cluster(cluster) if isinstance(cluster, str) else (None, "a text")
    return [
        (kind is not None, f"evaluation.cluster {cluster!r}: {why}"),
        (config.evaluation.workers == 1,
         "evaluation.workers counts evaluations on this machine; with evaluation.cluster the cluster's "
         "workers evaluate (leave evaluation.workers at 1)"),
    ]  # fmt: skip


def _gp_checks(config: RunConfig) -> list[tuple[bool, str]]:
    """The GP's settings; the primitives left out must leave a usable language."""
    mutators = config.mutators
    p_constant = mutators.gp_p_constant
    checks = [
        (p_constant is None or 0 <= p_constant <= 1, "mutators.gp_p_constant must be within [0, 1]"),
        (all(math.isfinite(c) for c in mutators.gp_constants), "mutators.gp_constants must be finite"),
        (0 <= mutators.gp_rule_weight < math.inf, "mutators.gp_rule_weight must be finite and >= 0"),
    ]
    if not mutators.gp_leave_out:
        return checks
    # heavy: the mutators' package imports deap, and a problem's module numpy and numba.
    from aurora_evo.domains import problem_of_domain
    from aurora_evo.mutators.primitives import primitive_set

    try:
        primitive_set(problem_of_domain(config.task.domain).contract, config.mutators.gp_leave_out)
    except ValueError as exc:
        return [*checks, (False, f"mutators.gp_leave_out: {exc}")]
    return checks


def _llm_checks(config: RunConfig) -> list[tuple[bool, str]]:
    """The language model's settings; a spending budget needs a price for every model."""
    # heavy: the mutators' package imports deap; cycle: its llm package imports config (the factory).
    from aurora_evo.llm.pricing import PriceTable, parse_prices

    llm = config.llm
    used = "llm" in config.mutators.kinds
    try:
        extra = parse_prices(llm.prices)
    except InputError as exc:
        return [(False, str(exc))]
    table = PriceTable(extra)
    unpriced = [m for m in llm.models if table.rates(m) == (0.0, 0.0) and m not in extra]
    first = unpriced[0] if unpriced else "MODEL"
    return [
        # A budget cannot hold a call whose price is unknown; a local model is priced 0/0 explicitly.
        (not (used and config.stop.max_cost_usd is not None and unpriced),
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


def _attacker_checks(config: RunConfig) -> list[tuple[bool, str]]:
    """The attacker's settings and the curriculum's levels."""
    # heavy: the scenario package imports numpy and the generator.
    from aurora_evo.scenario.levels import LEVEL_NAMES

    a = config.attacker
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
        (config.stop.curriculum_level in (None, *LEVEL_NAMES),
         f"stop.curriculum_level must be one of {', '.join(LEVEL_NAMES)}"),
        (0 < a.advance_share <= 1, "attacker.advance_share must be in (0, 1]"),
        (0 <= a.margin < 1, "attacker.margin must be in [0, 1)"),
        (0 <= a.max_sla_violation_rate <= 1, "attacker.max_sla_violation_rate must be in [0, 1]"),
        (0 < a.sweet_spot < 1, "attacker.sweet_spot must be in (0, 1)"),
        (a.width > 0, "attacker.width must be positive"),
        (0 <= a.weight <= 1, "attacker.weight must be in [0, 1]"),
    ]  # fmt: skip
