"""The ``aurora-evo`` command: argument parsing only; every verb calls the library.

Exit status: 0 success, 1 the program under test failed (its outcome says why), 2 bad input (a
missing or malformed file, a bad option), each reported in one line without a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from aurora_evo import __version__
from aurora_evo.errors import InputError

EXIT_OK, EXIT_PROGRAM_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (argparse prints the usage block, then the error)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _read_program(path: str) -> str:
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{path}: no such program file" if not file.exists() else f"{path}: not a file")
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from None


def _load_datasets(specs: Sequence[str]) -> list:
    """Datasets named by path, or by a shipped name such as ``OR3`` or ``"Weibull 5k"``."""
    from aurora_evo.domains.binpacking import builtin_datasets, load_dataset

    builtin = builtin_datasets()
    return [builtin[spec] if spec in builtin else load_dataset(spec) for spec in specs]


@contextlib.contextmanager
def _sandbox(args: argparse.Namespace):
    """A sandbox for the programs named on the command line; a missing layer is noted once on stderr."""
    from aurora_evo.sandbox import Sandbox, SandboxConfig, SandboxWarning

    config = SandboxConfig(timeout_s=args.timeout, memory_mb=args.memory_mb, full_warm_up=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SandboxWarning)
        sandbox = Sandbox(config)
        sandbox.start()
    for warning in caught:
        sys.stderr.write(f"aurora-evo: note: {warning.message}\n")
    try:
        yield sandbox
    finally:
        sandbox.close()


def _add_sandbox_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("sandbox (the program runs in a jailed process)")
    group.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="wall-clock limit (60)")
    group.add_argument("--memory-mb", type=int, default=2048, metavar="MIB", help="memory allowance (2048)")


def _print_json(payload: dict) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=float) + "\n")


# --- score ------------------------------------------------------------------------------------------


def _cmd_score(args: argparse.Namespace) -> int:
    from aurora_evo.scenario import load_scenario

    if args.domain == "binpacking":
        if args.scenario:
            raise InputError("--scenario and --domain binpacking exclude each other; give --dataset instead")
        if not args.dataset:
            raise InputError(
                "--domain binpacking needs --dataset FILE (or a shipped name: OR3, 'Weibull 5k')"
            )
    elif not args.scenario:
        raise InputError("give --scenario FILE, or --domain binpacking --dataset FILE")
    elif args.dataset:
        raise InputError("--dataset goes with --domain binpacking")

    source = _read_program(args.program)
    cases = (
        _load_datasets(args.dataset)
        if args.domain == "binpacking"
        else [load_scenario(p) for p in args.scenario]
    )
    with _sandbox(args) as sandbox:
        if args.domain == "binpacking":
            result = sandbox.evaluate_binpacking(source, cases)
        else:
            result = sandbox.evaluate_allocation(source, cases)

    if args.json:
        _print_json({"program": args.program, "domain": args.domain or "allocation", **result.as_dict()})
    else:
        _print_score(args.program, args.domain, result)
    return EXIT_OK if result.outcome.ok else EXIT_PROGRAM_FAILED


_METRIC_ROWS = (
    ("reward (0-1)", "reward", "{:.4f}"),
    ("tasks placed", "n_placed", "{:d}"),
    ("tasks rejected", "n_rejected", "{:d}"),
    ("mean latency (s)", "mean_latency_s", "{:.4g}"),
    ("p95 latency (s)", "p95_latency_s", "{:.4g}"),
    ("p99 latency (s)", "p99_latency_s", "{:.4g}"),
    ("mean wait (s)", "mean_wait_s", "{:.4g}"),
    ("cpu utilisation", "cpu_utilization", "{:.1%}"),
    ("memory utilisation", "memory_utilization", "{:.1%}"),
    ("cost ($)", "cost_usd", "{:.4g}"),
    ("energy (kWh)", "energy_kwh", "{:.4g}"),
    ("SLA violations", "sla_violation_rate", "{:.1%}"),
    ("rejected (failure rate)", "failure_rate", "{:.1%}"),
    ("makespan (s)", "makespan_s", "{:.4g}"),
    ("fairness (Gini, 0 = fair)", "fairness_gini", "{:.3f}"),
)


def _print_score(program: str, domain: str | None, result) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    if not result.outcome.ok:
        # The path and the message are the user's and the program's text: never read as markup.
        console.print(
            f"[bold red]{escape(program)}: {result.outcome.value}[/]: {escape(result.message)}",
            highlight=False,
            soft_wrap=True,  # one line, however long: scripts and tests read it
        )
        return
    path = "numba" if result.compiled else "numpy"
    if domain == "binpacking":
        table = Table(title=f"{escape(program)} (ran on the {path} path)")
        for column in ("dataset", "instances", "mean bins", "mean L1 bound", "excess over L1"):
            table.add_column(column, justify="left" if column == "dataset" else "right")
        for name, case in result.per_case.items():
            n = len(case["bins"])
            table.add_row(escape(name), str(n), f"{sum(case['bins']) / n:.2f}", f"{sum(case['l1']) / n:.2f}",
                          f"{case['excess_percent']:.2f} %")  # fmt: skip
        console.print(table)
        return
    # Metrics down the side, one column per scenario: reads well in 80 columns for a few scenarios;
    # many scenarios get one row each with the headline metrics.
    cases = result.per_case
    if len(cases) <= 4:
        table = Table(title=f"{escape(program)} (ran on the {path} path)")
        table.add_column("metric")
        for name in cases:
            table.add_column(escape(name), justify="right")
        for label, key, fmt in _METRIC_ROWS:
            table.add_row(label, *(fmt.format(m[key]) for m in cases.values()))
    else:
        table = Table(title=f"{escape(program)} (ran on the {path} path)")
        for label in (
            "scenario",
            "reward",
            "p99 latency (s)",
            "cpu util",
            "cost ($)",
            "energy (kWh)",
            "rejected",
        ):
            table.add_column(label, justify="left" if label == "scenario" else "right")
        for name, m in cases.items():
            table.add_row(
                escape(name),
                f"{m['reward']:.4f}",
                f"{m['p99_latency_s']:.4g}",
                f"{m['cpu_utilization']:.1%}",
                f"{m['cost_usd']:.4g}",
                f"{m['energy_kwh']:.4g}",
                f"{m['failure_rate']:.1%}",
            )
    console.print(table)
    console.print(f"mean reward over {len(result.per_case)} scenario(s): [bold]{result.score:.4f}[/]")


# --- bench ------------------------------------------------------------------------------------------


def _bench_with_programs(args: argparse.Namespace, run_bench, cases, evaluate: str) -> list:
    """``run_bench(programs, cases, evaluate_source)``: the programs on the command line, if any, are
    evaluated by the sandbox's method named ``evaluate``."""
    programs = {Path(path).stem: _read_program(path) for path in args.programs}
    if not programs:
        return run_bench(None, cases)
    with _sandbox(args) as sandbox:
        return run_bench(programs, cases, getattr(sandbox, evaluate))


def _cmd_bench_binpacking(args: argparse.Namespace) -> int:
    from aurora_evo.domains.binpacking import bench_table, bench_to_json, run_bench

    datasets = {d.name: d for d in _load_datasets(args.dataset)} if args.dataset else None
    rows = _bench_with_programs(args, run_bench, datasets, "evaluate_binpacking")
    if args.json:
        sys.stdout.write(bench_to_json(rows) + "\n")
    else:
        sys.stdout.write(bench_table(rows) + "\n")
    failed = any(not row.published and row.excess_percent is None for row in rows)
    return EXIT_PROGRAM_FAILED if failed else EXIT_OK


def _cmd_bench_allocation(args: argparse.Namespace) -> int:
    from aurora_evo.allocation_bench import allocation_table, allocation_to_json, run_allocation_bench
    from aurora_evo.config import TaskConfig

    task = TaskConfig(domain=args.domain, levels=tuple(_levels(args.levels)))
    rows = _bench_with_programs(args, run_allocation_bench, task, "evaluate_allocation")
    sys.stdout.write((allocation_to_json(rows) if args.json else allocation_table(rows)) + "\n")
    return EXIT_OK if all(row.status.ok for row in rows) else EXIT_PROGRAM_FAILED


def _levels(text: str) -> list[str]:
    from aurora_evo.seeds import LEVELS

    levels = [level.strip() for level in text.split(",") if level.strip()]
    unknown = [level for level in levels if level not in LEVELS]
    if unknown or not levels:
        raise InputError(f"--levels: expected a comma-separated list of {', '.join(LEVELS)}; got {text!r}")
    return levels


# --- evolve / export -------------------------------------------------------------------------------


def _evolve_config(args: argparse.Namespace):
    from aurora_evo.config import load_preset, override, preset_path, read_config

    if args.resume:
        config = read_config(Path(args.resume) / "config.json")
    else:
        config = load_preset(args.preset or preset_path("default"))
    changes = {
        "task.domain": args.domain,
        "task.dataset": args.dataset,
        "islands.islands": args.islands,
        "stop.max_iterations": args.iterations,
        "stop.max_seconds": args.max_seconds,
        "seed": args.seed,
        "evaluation.workers": args.workers,
        "mutators.kinds": _names(args.mutators),
        "attacker.enabled": False if args.no_attacker else None,
        "mutators.weights": _numbers(args.mutator_weights, "--mutator-weights"),
        "stop.max_cost_usd": args.max_cost,
        "stop.max_calls": args.max_calls,
        **_llm_changes(args),
    }
    changes = {k: v for k, v in changes.items() if v is not None}
    resumable = {
        "stop.max_iterations",
        "stop.max_seconds",
        "evaluation.workers",
        "stop.max_cost_usd",
        "stop.max_calls",
        "llm.requests_per_minute",
        "llm.requests_per_day",
    }
    if args.resume and set(changes) - resumable:
        raise InputError("--resume continues a run with its own settings; only --iterations, --max-seconds, "
                         "--workers, --max-cost, --max-calls, --rpm and --rpd may change")  # fmt: skip
    if "mutators.kinds" in changes and "mutators.weights" not in changes:
        changes["mutators.weights"] = tuple(1.0 for _ in changes["mutators.kinds"])  # equal weights
    if "mutators.weights" in changes and "mutators.kinds" not in changes:
        raise InputError("--mutator-weights goes with --mutators (one weight per mutator)")
    return override(config, **changes) if changes else config


def _names(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(name.strip() for name in text.split(",") if name.strip())


def _numbers(text: str | None, flag: str) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        return tuple(float(value) for value in text.split(","))
    except ValueError:
        raise InputError(f"{flag}: expected comma-separated numbers, got {text!r}") from None


#: The model a backend uses when none is named.
DEFAULT_MODELS = {"gemini": ("gemini-2.5-flash",)}


def _llm_changes(args: argparse.Namespace) -> dict:
    """Settings of the LLM mutator from the flags; ``--mutator NAME`` alone makes it the only mutator."""
    changes: dict = {
        "llm.backend": args.mutator,
        "llm.models": tuple(args.model) if args.model else None,
        "llm.model_weights": _numbers(args.model_weights, "--model-weights"),
        "llm.base_url": args.base_url,
        "llm.modes": _names(args.prompt_modes),
        "llm.requests_per_minute": args.rpm,
        "llm.requests_per_day": args.rpd,
        "llm.prices": tuple(args.price) if args.price else None,
    }
    if args.mutator is not None:
        if not args.mutators:
            changes["mutators.kinds"], changes["mutators.weights"] = ("llm",), (1.0,)
        if not args.model:
            changes["llm.models"] = DEFAULT_MODELS.get(args.mutator)
    elif any(changes[k] is not None for k in ("llm.models", "llm.base_url", "llm.model_weights")):
        raise InputError(
            "--model, --model-weights and --base-url go with --mutator gemini or --mutator openai"
        )
    if changes["llm.modes"] is not None:
        changes["llm.mode_weights"] = tuple(1.0 for _ in changes["llm.modes"])
    return changes


def _cmd_evolve(args: argparse.Namespace) -> int:
    import time

    from aurora_evo.evolve import ARCHIVE_FILE, CONFIG_FILE, Evolution
    from aurora_evo.progress import ProgressDisplay

    config = _evolve_config(args)
    if args.resume:
        run_dir = Path(args.resume)
        if not (run_dir / CONFIG_FILE).exists():
            raise InputError(f"{run_dir}: no {CONFIG_FILE} here; is it a run folder?")
    else:
        name = f"{config.task.domain}-{time.strftime('%Y%m%d-%H%M%S')}"
        run_dir = Path(args.run_dir) if args.run_dir else Path("runs") / name
        if (run_dir / CONFIG_FILE).exists() or (run_dir / ARCHIVE_FILE).exists():
            raise InputError(f"{run_dir}: already holds a run; resume it with --resume {run_dir}")
    evolution = Evolution(config, run_dir, resume=bool(args.resume))
    display = ProgressDisplay(evolution, enabled=not args.no_progress)
    try:
        with display:
            reason = evolution.run(on_iteration=display.update)
        display.summary(reason)
    finally:
        evolution.close()
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from aurora_evo.evolve import ARCHIVE_FILE, CONFIG_FILE
    from aurora_evo.export import export_run

    run_dir = Path(args.run_dir)
    if args.top < 1:
        raise InputError(f"--top must be at least 1, got {args.top}")
    if args.validate < 0:
        raise InputError(f"--validate must be >= 0, got {args.validate}")
    if not (run_dir / ARCHIVE_FILE).exists() or not (run_dir / CONFIG_FILE).exists():
        raise InputError(f"{run_dir}: not a run folder (no {ARCHIVE_FILE} or {CONFIG_FILE})")
    if args.validate:
        from aurora_evo.config import read_config
        from aurora_evo.evolve import Evolution

        evolution = Evolution(read_config(run_dir / CONFIG_FILE), run_dir, resume=True, evolving=False)
        try:
            count = evolution.validate_more(args.validate)
        finally:
            evolution.close()
        sys.stderr.write(f"scored {count} more program(s) on the held-out cases\n")
    written = export_run(run_dir, args.top, Path(args.out))
    if not written:
        raise InputError(f"{run_dir}: no program ran successfully; nothing to export")
    for path in written:
        sys.stdout.write(f"{path}\n")
    return EXIT_OK


# --- report ---------------------------------------------------------------------------------------


def _cmd_report(args: argparse.Namespace) -> int:
    from aurora_evo.analysis.report import write_report

    run_dir = Path(args.run_dir)
    out = Path(args.out) if args.out else run_dir / "report"
    for path in write_report(run_dir, out):
        sys.stdout.write(f"{path}\n")
    return EXIT_OK


# --- scenarios ------------------------------------------------------------------------------------


def _cmd_scenarios_validate(args: argparse.Namespace) -> int:
    """Run the five quality-control layers on each file; diversity compares with the files before it."""
    from collections import Counter

    from aurora_evo.scenario import load_scenario
    from aurora_evo.scenario.levels import level
    from aurora_evo.scenario.quality import Layer, check_scenario

    if args.level is not None:
        level(args.level)  # an unknown level is bad input: one line, exit 2
    scenarios = [(path, load_scenario(path)) for path in args.files]  # every file loads before any check
    recent: list = []
    results = []
    for path, scenario in scenarios:
        report = check_scenario(scenario, level=args.level, recent=recent)
        if report.passed:  # diversity is measured against the scenarios accepted before
            recent.append(report.features)
        results.append((path, report))

    refused = [(path, report) for path, report in results if not report.passed]
    counts = Counter(layer for _, report in refused for layer in report.refused_layers)
    layers = sorted(counts, key=lambda layer: (-counts[layer], list(Layer).index(layer)))
    if args.json:
        _print_json(
            {
                "files": [{"file": path, **report.as_dict()} for path, report in results],
                "checked": len(results),
                "refused": len(refused),
                "refused_by_layer": {layer.value: counts.get(layer, 0) for layer in Layer},
            }
        )
    else:
        for path, report in results:
            for verdict in report.verdicts:
                if verdict.passed:
                    note = verdict.details.get("note")
                    sys.stdout.write(f"{path}: {verdict.layer} ok" + (f" ({note})" if note else "") + "\n")
                else:
                    sys.stdout.write(f"{path}: {verdict.layer} REFUSED: {verdict.message}\n")
        if refused:
            names = ", ".join(layer.value for layer in layers)
            sys.stdout.write(f"{len(refused)} of {len(results)} files refused ({names})\n")
        else:
            sys.stdout.write(f"{len(results)} of {len(results)} files passed\n")
    return EXIT_PROGRAM_FAILED if refused else EXIT_OK


def _cmd_scenarios_generate(args: argparse.Namespace) -> int:
    """Draw random genomes of a level, keep the scenarios that pass quality control, write N of them."""
    import numpy as np

    from aurora_evo.attacker.generate import generate_scenarios
    from aurora_evo.scenario import save_scenario
    from aurora_evo.scenario.generate import offered_load
    from aurora_evo.scenario.levels import level

    level(args.level)  # an unknown level is bad input: one line, exit 2
    if args.n < 1:
        raise InputError(f"-n must be at least 1, got {args.n}")
    if args.seed < 0:
        raise InputError(f"--seed must be >= 0, got {args.seed}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    rng = np.random.default_rng(args.seed)
    accepted = generate_scenarios(args.level, args.n, rng, max_attempts=args.max_attempts, domain=args.domain)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out}: cannot create the folder ({exc.strerror or exc})") from None
    for scenario, _report in accepted:
        path = save_scenario(scenario, out / f"{scenario.name}.json")
        sys.stdout.write(f"{path}: {scenario.summary()}, offered load {offered_load(scenario):.2f}\n")
    return EXIT_OK


# --- parser -----------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="aurora-evo",
        description="Evolve resource-allocation programs, and score them on scenarios and bin-packing sets.",
    )
    parser.add_argument("--version", action="version", version=f"aurora-evo {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    verbs.required = True

    score = verbs.add_parser(
        "score",
        help="score a program file on scenarios or a bin-packing dataset",
        description="Run PROGRAM.py's priority() on scenarios (allocation contract) or on a bin-packing "
        "dataset (FunSearch's priority(item, bins) contract) and print its metrics. The program runs in "
        "the sandbox: a jailed process with no network, no file writes and limited memory and time.",
    )
    score.add_argument("program", metavar="PROGRAM.py")
    score.add_argument("--scenario", action="append", metavar="FILE", help="scenario JSON file (repeatable)")
    score.add_argument(
        "--domain", choices=["binpacking"], help="score a bin-packing program (needs --dataset)"
    )
    score.add_argument(
        "--dataset", action="append", metavar="FILE",
        help="bin-packing dataset: FunSearch .json, OR-Library .txt, or a shipped name (OR3, 'Weibull 5k'); "
        "repeatable",
    )  # fmt: skip
    score.add_argument(
        "--json", action="store_true", help="print one JSON object (field 'outcome' says if it ran)"
    )
    _add_sandbox_options(score)
    score.set_defaults(handler=_cmd_score)

    evolve = verbs.add_parser(
        "evolve",
        help="evolve programs (offline mutators by default: no API key needed)",
        description="Evolve priority functions on islands of programs, every candidate evaluated in the "
        "sandbox, into an archive under runs/. Settings come from a preset (islands/default.toml), "
        "overridden by the flags below.",
    )
    evolve.add_argument("--preset", metavar="TOML", help="settings preset (default: islands/default.toml)")
    evolve.add_argument("--domain", choices=["binpacking", "cloud", "edge", "network"])
    evolve.add_argument("--dataset", choices=["weibull", "or"], help="bin-packing instances to train on")
    evolve.add_argument("--islands", type=int, metavar="N", help="island populations")
    evolve.add_argument("--iterations", type=int, metavar="N", help="stop after N iterations")
    evolve.add_argument("--max-seconds", type=float, metavar="S", help="stop after S seconds")
    evolve.add_argument("--seed", type=int, help="random seed (same seed and one worker: same archive)")
    evolve.add_argument("--workers", type=int, metavar="N", help="evaluations at once")
    evolve.add_argument(
        "--mutators", metavar="LIST", help="comma-separated mix of gp, edit, llm (default: gp,edit; offline)"
    )
    evolve.add_argument("--mutator-weights", metavar="LIST", help="how often each of --mutators is used")
    evolve.add_argument(
        "--no-attacker",
        action="store_true",
        help="train on the seed scenarios only (by default an attacker co-evolves scenarios for allocation "
        "domains, climbing a curriculum from easy to beyond)",
    )
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
    llm.add_argument("--rpm", type=int, metavar="N", help="requests per minute allowed per API key")
    llm.add_argument("--rpd", type=int, metavar="N", help="requests per day allowed per API key")
    llm.add_argument(
        "--price",
        action="append",
        metavar="MODEL=IN/OUT",
        help="a model's price in dollars per million input/output tokens (replaces the preset's llm.prices; "
        "built-in list prices cover common Gemini and OpenAI models)",
    )
    llm.add_argument("--max-cost", type=float, metavar="USD", help="stop before spending more on LLM calls")
    llm.add_argument("--max-calls", type=int, metavar="N", help="stop after N LLM calls")
    where = evolve.add_mutually_exclusive_group()
    where.add_argument("--run-dir", metavar="DIR", help="run folder (default: runs/DOMAIN-TIME)")
    where.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR")
    evolve.add_argument("--no-progress", action="store_true", help="plain lines instead of the live display")
    evolve.set_defaults(handler=_cmd_evolve)

    export = verbs.add_parser(
        "export",
        help="write a run's best programs as standalone .py files",
        description="Write the best programs of a run as standalone files needing only numpy, each with a "
        "header giving its domain, scores, run and lineage.",
    )
    export.add_argument("run_dir", metavar="RUN_DIR")
    export.add_argument("--top", type=int, default=1, metavar="K", help="how many (default 1)")
    export.add_argument("--out", default="programs", metavar="DIR", help="folder (default programs/)")
    export.add_argument(
        "--validate",
        type=int,
        default=0,
        metavar="N",
        help="first score on the held-out cases (in the sandbox) the N best training scores not scored "
        "there yet, one program each (the smallest); the run itself scores only its successive bests",
    )
    export.set_defaults(handler=_cmd_export)

    report = verbs.add_parser(
        "report",
        help="draw a run's figures (PNG) and a Markdown summary",
        description="Draw the figures of a run (scores per island, Elo ratings, the MAP-Elites grid, the "
        "best program's lineage, sandbox outcomes, scenarios or attacker progress, LLM use) as PNG files, "
        "with report.md summarising the run and linking them. Changes no row of the archive.",
    )
    report.add_argument("run_dir", metavar="RUN_DIR")
    report.add_argument("--out", metavar="DIR", help="folder for the report (default: RUN_DIR/report)")
    report.set_defaults(handler=_cmd_report)

    bench = verbs.add_parser("bench", help="benchmarks against published results")
    benches = bench.add_subparsers(dest="bench", metavar="BENCHMARK", parser_class=_Parser)
    benches.required = True
    binpacking = benches.add_parser(
        "binpacking",
        help="First Fit, Best Fit and your programs on FunSearch's OR3 and Weibull 5k sets",
        description="Pack FunSearch's released OR3 and Weibull 5k test sets online with First Fit, Best Fit "
        "and the given programs, next to FunSearch's published figures (excess bins over the L1 bound).",
    )
    binpacking.add_argument("programs", nargs="*", metavar="PROGRAM.py", help="bin-packing programs to add")
    binpacking.add_argument("--dataset", action="append", metavar="FILE", help="use these datasets instead")
    binpacking.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_sandbox_options(binpacking)
    binpacking.set_defaults(handler=_cmd_bench_binpacking)
    allocation = benches.add_parser(
        "allocation",
        help="First Fit, Best Fit and your programs on the training and held-out seed scenarios",
        description="Score First Fit, Best Fit and the given allocation programs on a domain's seed "
        "scenarios, split into training and held-out sets exactly as `aurora-evo evolve` splits them "
        "(every third seed, in name order, is held out). Prints mean reward (0-1, higher is better).",
    )
    allocation.add_argument("programs", nargs="*", metavar="PROGRAM.py", help="allocation programs to add")
    allocation.add_argument("--domain", choices=("cloud", "edge", "network"), default="cloud")
    allocation.add_argument(
        "--levels", default="easy,medium,hard", metavar="LIST", help="seed levels (default easy,medium,hard)"
    )
    allocation.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_sandbox_options(allocation)
    allocation.set_defaults(handler=_cmd_bench_allocation)

    scenarios = verbs.add_parser("scenarios", help="work with scenario files (validate, generate)")
    scenario_verbs = scenarios.add_subparsers(dest="scenarios_verb", metavar="ACTION", parser_class=_Parser)
    scenario_verbs.required = True
    validate = scenario_verbs.add_parser(
        "validate",
        help="run the five quality-control layers on scenario files",
        description="Check each scenario file with the quality-control layers: bounds (realistic ranges), "
        "feasibility (a clairvoyant packing meets the SLAs), realism (distributions against the shipped "
        "Google 2011 and Alibaba 2017 samples), diversity (against the files given before it) and "
        "complexity (the difficulty level's ranges). Prints one line per layer; exits 0 when every file "
        "passes, 1 when any is refused, 2 on bad input.",
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="scenario JSON files")
    validate.add_argument(
        "--level",
        metavar="LEVEL",
        help="check against this level (easy ... beyond) instead of each file's own",
    )
    validate.add_argument("--json", action="store_true", help="print one JSON object with every verdict")
    validate.set_defaults(handler=_cmd_scenarios_validate)
    generate = scenario_verbs.add_parser(
        "generate",
        help="write N fresh scenarios of a level that pass quality control",
        description="Draw random scenario genomes of a difficulty level (aurora_evo.attacker), generate a "
        "scenario from each, keep those that pass the quality-control layers (diversity against those "
        "kept before), and write N of them as DIR/LEVEL-DOMAIN-gen-NNN.json, printing one line per file. "
        "Same seed, same files.",
    )
    generate.add_argument(
        "--level", required=True, metavar="LEVEL", help="easy, medium, hard, expert or beyond"
    )
    generate.add_argument("-n", type=int, default=1, metavar="N", help="how many scenarios (default 1)")
    generate.add_argument("--out", required=True, metavar="DIR", help="folder for the files (created)")
    generate.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    generate.add_argument(
        "--domain", choices=("cloud", "edge", "network"), help="one domain (default: drawn per scenario)"
    )
    generate.add_argument(
        "--max-attempts", type=int, metavar="M", help="scenarios to try at most (default 10 N + 10)"
    )
    generate.set_defaults(handler=_cmd_scenarios_generate)
    # more `scenarios` actions (e.g. `generate`): one scenario_verbs.add_parser(...) each, here
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except InputError as exc:
        sys.stderr.write(f"aurora-evo {args.verb}: error: {exc}\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("aurora-evo: interrupted\n")
        return 130
    except Exception as exc:
        if os.environ.get("AURORA_EVO_DEBUG"):
            raise
        sys.stderr.write(
            f"aurora-evo {args.verb}: internal error: {type(exc).__name__}: {exc} "
            "(set AURORA_EVO_DEBUG=1 for the traceback, and please report it)\n"
        )
        return EXIT_PROGRAM_FAILED


if __name__ == "__main__":
    sys.exit(main())
