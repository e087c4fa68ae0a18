"""Building a run from its configuration: the problem, the mutators, the executor, the archive and the
attacker, handed to an :class:`~aurora_evo.evolver.Evolver` (what ``aurora-evo evolve`` does)."""

from __future__ import annotations

import time
from pathlib import Path

from aurora_evo.attacker.llm import build_llm_attacker
from aurora_evo.config import ConfigError, RunConfig
from aurora_evo.domains import problem_of_task
from aurora_evo.evolver.coevolution import Coevolution
from aurora_evo.evolver.evolver import Evolver
from aurora_evo.executor import Executor, SandboxExecutor
from aurora_evo.llm import DAY_S, CallBudget, LLMConnection, api_keys, connect
from aurora_evo.mutators import EditMutator, GPMutator, Mutator
from aurora_evo.mutators.llm import build_llm_mutator
from aurora_evo.mutators.primitives import has_language
from aurora_evo.problem import Problem
from aurora_evo.run_folder import RunFolder
from aurora_evo.sandbox import SandboxConfig


def make_mutators(
    config: RunConfig, problem: Problem, budget: CallBudget, connection: LLMConnection | None = None
) -> dict[str, Mutator]:
    """The run's mutators by kind; the LLM one spends from ``budget`` through ``connection``."""
    mutators: dict[str, Mutator] = {}
    for kind in config.mutators.kinds:
        if kind == "llm":
            context = problem.prompt_context()
            mutators[kind] = build_llm_mutator(config.llm, problem.contract, budget, connection, context)
        elif kind == "gp":
            mutators[kind] = GPMutator(problem.contract, **config.mutators.gp_settings())
        else:
            mutators[kind] = EditMutator(problem.contract)
    return mutators


def check_mutators(config: RunConfig, problem: Problem) -> None:
    """Refuse, before a run folder is made, mutators that cannot work on ``problem``'s programs."""
    if "gp" in config.mutators.kinds and not has_language(problem.contract):
        raise ConfigError(
            f"mutators.kinds: genetic programming has no language for the {problem.name} problem's "
            f"programs ({problem.contract.value}); use --mutators edit (or llm)"
        )


def make_coevolution(
    config: RunConfig, problem: Problem, budget: CallBudget, connection: LLMConnection | None = None
) -> Coevolution | None:
    """The problem's attacker in the run (``None`` when the problem has none, or with
    ``--no-attacker``); it asks the language model too when the run has a ``connection`` to one."""
    writer = (lambda: build_llm_attacker(config.llm, budget, connection)) if connection is not None else None
    attacker = problem.make_attacker(config, writer)
    if attacker is None:
        return None
    return Coevolution(attacker, config.attacker.interval, config.attacker.elites)


def sandbox_executor(config: RunConfig) -> Executor:
    """Sandboxes with the run's limits: on ``evaluation.cluster`` when it is set, else ``evaluation.workers``
    at once here."""
    evaluation = config.evaluation
    sandbox = SandboxConfig(
        timeout_s=evaluation.timeout_s,
        memory_mb=evaluation.memory_mb,
        jit=evaluation.jit,
        full_warm_up=evaluation.full_warm_up,
    )
    if evaluation.cluster is not None:
        from aurora_evo.cluster import cluster_executor  # heavy: the engine, only when a run asks for it

        return cluster_executor(evaluation.cluster, sandbox)
    return SandboxExecutor(sandbox, evaluation.workers, evaluation.backend)


def build_evolver(
    config: RunConfig,
    run_dir: str | Path,
    *,
    executor: Executor | None = None,
    resume: bool = False,
    evolving: bool = True,
) -> Evolver:
    """A run of ``config`` in ``run_dir``: a new one (the folder must not hold a run), or, with
    ``resume``, the one there, from its last committed iteration.

    Args:
        executor: evaluates candidates (default: sandboxes, ``config.evaluation.workers`` at once).
        evolving: ``False`` to only read or validate the run (``export --validate``): no mutator is
            built, so a run that used a language model needs no API key.
    """
    folder = RunFolder(run_dir)
    uses_llm = evolving and "llm" in config.mutators.kinds
    if uses_llm:
        api_keys(config.llm)  # a missing key is a one-line error before anything is written
    problem = problem_of_task(config.task)
    check_mutators(config, problem)
    cases = problem.cases(config.task, config.seed)  # a case that cannot be had is an error before the folder
    if config.islands.seed_run is not None and not resume:
        RunFolder(config.islands.seed_run).require_run()  # likewise a run to carry programs over from
    if not resume:
        folder.create(config)
    archive = folder.open_archive()
    run_id = folder.run_id(archive)
    calls, spent = archive.ledger.llm_spending(run_id)
    budget = CallBudget(config.stop.max_calls, config.stop.max_cost_usd, calls=calls, cost_usd=spent)
    connection = None
    if uses_llm:
        # A day of the keys' history, so a resumed run stays within their per-day limits.
        connection = connect(config.llm, key_history=archive.ledger.key_history(run_id, time.time() - DAY_S))
    mutators = make_mutators(config, problem, budget, connection) if evolving else {}
    return Evolver(
        problem,
        mutators,
        executor or sandbox_executor(config),
        archive,
        folder,
        config,
        make_coevolution(config, problem, budget, connection),
        budget=budget,
        cases=cases,
    )
