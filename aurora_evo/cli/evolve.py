"""``aurora-evo evolve``: start a run, or resume one, with a live display of its progress."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from aurora_evo.cli.evolve_settings import capped, evolve_config
from aurora_evo.cli.exit_status import EXIT_OK
from aurora_evo.cli.programs import add_sandbox_options
from aurora_evo.config_files import preset_names
from aurora_evo.domains import domain_names
from aurora_evo.progress import ProgressDisplay, announce_run
from aurora_evo.run_folder import RunFolder


def add_parser(verbs) -> None:
    evolve = verbs.add_parser(
        "evolve",
        help="evolve programs (offline mutators by default: no API key needed)",
        description="Evolve priority functions on islands of programs, every candidate evaluated in the "
        "sandbox, into an archive under runs/. Settings come from a preset, the shipped 'default' (the "
        "defaults below are its values) unless --preset names another, and the flags below override "
        "them; every setting is documented in aurora_evo/config.py.",
    )
    evolve.add_argument(
        "--preset",
        metavar="NAME|FILE",
        help=f"settings preset: a shipped one by name ({', '.join(preset_names())}) or a TOML file "
        "(default: default)",
    )
    add_task_options(evolve)
    evolve.add_argument("--islands", type=int, metavar="N", help="island populations (default: 8)")
    evolve.add_argument("--iterations", type=int, metavar="N", help="stop after N iterations (default: 100)")
    evolve.add_argument("--max-seconds", type=float, metavar="S", help="stop after S seconds")
    evolve.add_argument("--seed", type=int, help="random seed (same seed and one worker: same archive)")
    evolve.add_argument("--workers", type=int, metavar="N", help="evaluations at once (default: 1)")
    evolve.add_argument(
        "--cluster",
        metavar="WHERE",
        help="evaluate on a cluster: Dask's local:N (N worker processes here) or tcp://HOST:PORT (a running "
        "scheduler), Ray's ray:local:N, ray:HOST:PORT or ray://HOST:PORT; needs the dask or ray extra",
    )
    evolve.add_argument(
        "--evaluation-mode",
        choices=["auto", "batch", "steady"],
        help="batch: an iteration's candidates evaluated together, then told (the same seed gives the same "
        "archive); steady: evaluations kept in flight and told as they come back (not reproducible); "
        "auto (default): steady when a language model proposes, batch otherwise",
    )
    evolve.add_argument(
        "--in-flight",
        type=int,
        metavar="N",
        help="evaluations the steady state keeps going (default: 2 per worker)",
    )
    evolve.add_argument(
        "--mutators", metavar="LIST", help="comma-separated mix of gp, edit, llm (default: gp,edit; offline)"
    )
    evolve.add_argument(
        "--mutator-weights", metavar="LIST", help="how often each of --mutators is used (default: equally)"
    )
    evolve.add_argument(
        "--no-attacker",
        action="store_true",
        help="train on the seed scenarios only (by default an attacker co-evolves scenarios for allocation "
        "domains, climbing a curriculum from easy to beyond)",
    )
    add_language_model_options(evolve)
    add_sandbox_options(evolve, from_preset=True)
    where = evolve.add_mutually_exclusive_group()
    where.add_argument("--run-dir", metavar="DIR", help="run folder (default: runs/DOMAIN-TIME)")
    where.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR")
    evolve.add_argument("--no-progress", action="store_true", help="plain lines instead of the live display")
    evolve.set_defaults(handler=run_evolve)


def add_task_options(evolve: argparse.ArgumentParser) -> None:
    """What a run evolves programs for: the domain, its cases, how they are scored, and a run to carry on."""
    evolve.add_argument(
        "--domain",
        choices=domain_names(),
        help="what to schedule: an allocation domain or another problem (default: cloud)",
    )
    evolve.add_argument("--dataset", choices=["weibull", "or"], help="bin-packing instances to train on")
    evolve.add_argument(
        "--suite",
        metavar="NAME",
        help="an allocation domain's scenarios from a named suite (google-2011, alibaba-2018, azure, "
        "synthetic) instead of the seeds: train on its train split, choose on its validation split, and "
        "report the chosen program on its test split at the end",
    )
    evolve.add_argument(
        "--score",
        choices=["reward", "fitness"],
        help="what an allocation run maximises and chooses by: the mean reward (0-1, the default) or the "
        "fitness against best fit on each scenario (0 = best fit), what evaluate judges programs by",
    )
    evolve.add_argument(
        "--seed-run",
        metavar="RUN_DIR",
        help="carry over the programs on the islands of the run in RUN_DIR into this new run, each to its "
        "island, rescored on this run's cases: continue a search on another suite or a later window",
    )


def add_language_model_options(evolve: argparse.ArgumentParser) -> None:
    """The options of the LLM mutator: backend, models, server, prompt modes, rate limits and budget."""
    llm = evolve.add_argument_group(
        "language models",
        "--mutator gemini uses Gemini through google-genai (key in GEMINI_API_KEY or GOOGLE_API_KEY; "
        "GEMINI_API_KEYS=k1,k2 rotates several); --mutator openai uses any OpenAI-compatible server "
        "(OpenAI with OPENAI_API_KEY, or vLLM, llama.cpp's server, Ollama with --base-url). Alone it is "
        "the only mutator; mix it with --mutators llm,gp,edit.",
    )
    llm.add_argument("--mutator", choices=["gemini", "openai"], help="the LLM backend")
    llm.add_argument("--model", action="append", metavar="NAME", help="model name; repeat to mix several")
    llm.add_argument("--model-weights", metavar="LIST", help="sampling weight of each --model")
    llm.add_argument("--base-url", metavar="URL", help="server URL, e.g. http://127.0.0.1:8000/v1")
    llm.add_argument("--prompt-modes", metavar="LIST", help="comma-separated: best_shot, diff, rewrite")
    llm.add_argument("--rpm", type=int, metavar="N", help="requests per minute allowed per API key (0: any)")
    llm.add_argument("--rpd", type=int, metavar="N", help="requests per day allowed per API key (0: any)")
    llm.add_argument(
        "--price",
        action="append",
        metavar="MODEL=IN/OUT",
        help="a model's price in dollars per million input/output tokens (replaces the preset's llm.prices; "
        "built-in list prices cover common Gemini and OpenAI models)",
    )
    llm.add_argument("--max-cost", type=float, metavar="USD", help="stop before spending more on LLM calls")
    llm.add_argument("--max-calls", type=int, metavar="N", help="stop after N LLM calls")


def run_evolve(args: argparse.Namespace) -> int:
    config = capped(evolve_config(args))
    if args.resume:
        run_dir = Path(args.resume)
        RunFolder(run_dir).require_config()
    else:
        name = f"{config.task.domain}-{time.strftime('%Y%m%d-%H%M%S')}"
        run_dir = Path(args.run_dir) if args.run_dir else Path("runs") / name
        RunFolder(run_dir).require_new()
        if config.islands.seed_run is not None:  # a run to carry programs from is checked before it begins
            RunFolder(config.islands.seed_run).require_run()
        if config.task.suite is not None:  # a suite the run cannot have is one line, before the run begins
            # heavy: the allocation problem imports the simulator (numba); it keeps the suite for the run
            from aurora_evo.domains.allocation.problem import load_suite_once

            load_suite_once(config.task.suite)
    if "llm" in config.mutators.kinds:  # a missing key is the one line printed, before anything else
        # heavy: the LLM client imports numpy
        from aurora_evo.llm import api_keys

        api_keys(config.llm)
    announce_run(run_dir, resumed=bool(args.resume))
    # heavy: seconds of imports (the controller, the mutators, the simulator): after the run is announced
    from aurora_evo.evolver import build_evolver

    evolution = build_evolver(config, run_dir, resume=bool(args.resume))
    display = ProgressDisplay(evolution, enabled=not args.no_progress)
    try:
        with display:
            reason = evolution.run(on_iteration=display.update)
        display.summary(reason)
    finally:
        evolution.close()
    return EXIT_OK
