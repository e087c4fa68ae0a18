"""The ``aurora-evo`` command: argument parsing only; every verb calls the library.

Exit status: 0 success, 1 the program under test failed (its outcome says why), 2 bad input (a
missing or malformed file, a bad option), each reported in one line without a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aurora_evo import __version__
from aurora_evo.domains import domain_names, get_problem, problem_of_domain
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


def _check_sandbox_options(args: argparse.Namespace) -> None:
    """Refuse a ``--timeout`` or ``--memory-mb`` the sandbox cannot keep, before any work."""
    from aurora_evo.config import ConfigError, check_sandbox_limits

    try:
        check_sandbox_limits(args.timeout, args.memory_mb)
    except ConfigError as exc:
        flags = {s: SETTING_FLAGS[s] for s in ("evaluation.timeout_s", "evaluation.memory_mb")}
        raise InputError(in_flag_terms(exc, flags, None)) from None


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


def _add_sandbox_options(parser: argparse.ArgumentParser, *, from_preset: bool = False) -> None:
    """``--timeout`` and ``--memory-mb``; with ``from_preset``, left out they keep the preset's values."""
    group = parser.add_argument_group("sandbox (every program runs in a jailed process)")
    source = "the preset's, 60 in the shipped ones" if from_preset else "60"
    group.add_argument(
        "--timeout", type=float, default=None if from_preset else 60.0, metavar="SECONDS",
        help=f"wall-clock limit of one evaluation (default: {source})",
    )  # fmt: skip
    source = "the preset's, 2048 in the shipped ones" if from_preset else "2048"
    group.add_argument(
        "--memory-mb", type=int, default=None if from_preset else 2048, metavar="MIB",
        help=f"memory allowance of one evaluation (default: {source})",
    )  # fmt: skip


#: Columns for output to a file or a pipe, which has no width of its own: wide enough for every table the
#: commands print at its natural width, so that a script reading the output finds no cell wrapped.
PIPED_WIDTH = 160


def output_width(stream) -> int:
    """Columns to lay ``stream``'s output out in: ``$COLUMNS`` when set, else the width of the terminal
    ``stream`` is, else :data:`PIPED_WIDTH`."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        width = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):  # not a terminal (a pipe, a file, a test's capture)
        width = 0
    return width or PIPED_WIDTH  # a pseudo-terminal nobody sized reports 0 columns


def make_console():
    """The rich console every command prints through (on stdout), as wide as :func:`output_width` says."""
    from rich.console import Console

    return Console(file=sys.stdout, width=output_width(sys.stdout), highlight=False)


def titled_table(title: str):
    """A rich table at least as wide as its title (plain text, never read as markup), up to the
    console's width. Rich wraps a title to the table's own width, its columns' (34 for three short
    ones), not the terminal's: the title broke over lines in any terminal."""
    from rich.cells import cell_len
    from rich.markup import escape
    from rich.table import Table

    return Table(title=escape(title), min_width=cell_len(title))


def _print_json(payload: dict) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=float) + "\n")


# --- score ------------------------------------------------------------------------------------------


def _cmd_score(args: argparse.Namespace) -> int:
    from aurora_evo.scenario import load_scenario

    _check_sandbox_options(args)
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
    problem = problem_of_domain(args.domain or "cloud")
    with _sandbox(args) as sandbox:
        result = sandbox.evaluate(problem, source, cases)

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
    from rich.markup import escape

    console = make_console()
    if not result.outcome.ok:
        # The path and the message are the user's and the program's text: never read as markup.
        console.print(
            f"[bold red]{escape(program)}: {result.outcome.value}[/]: {escape(result.message)}",
            soft_wrap=True,  # one line, however long: scripts and tests read it
        )
        return
    title = f"{program} (ran on the {'numba' if result.compiled else 'numpy'} path)"
    if domain == "binpacking":
        console.print(_binpacking_score_table(title, result.per_case))
        return
    console.print(_allocation_score_table(title, result.per_case))
    console.print(f"mean reward over {len(result.per_case)} scenario(s): [bold]{result.score:.4f}[/]")


def _binpacking_score_table(title: str, cases: dict):
    from rich.markup import escape

    table = titled_table(title)
    for column in ("dataset", "instances", "mean bins", "mean L1 bound", "excess over L1"):
        table.add_column(column, justify="left" if column == "dataset" else "right")
    for name, case in cases.items():
        n = len(case["bins"])
        table.add_row(escape(name), str(n), f"{sum(case['bins']) / n:.2f}", f"{sum(case['l1']) / n:.2f}",
                      f"{case['excess_percent']:.2f} %")  # fmt: skip
    return table


_SCENARIO_ROW_COLUMNS = (
    ("reward", "reward", "{:.4f}"),
    ("p99 latency (s)", "p99_latency_s", "{:.4g}"),
    ("cpu util", "cpu_utilization", "{:.1%}"),
    ("cost ($)", "cost_usd", "{:.4g}"),
    ("energy (kWh)", "energy_kwh", "{:.4g}"),
    ("rejected", "failure_rate", "{:.1%}"),
)


def _allocation_score_table(title: str, cases: dict):
    """Metrics down the side, one column per scenario, for a few scenarios; for many, a row each with
    the headline metrics."""
    from rich.markup import escape

    table = titled_table(title)
    if len(cases) <= 4:
        table.add_column("metric")
        for name in cases:
            table.add_column(escape(name), justify="right")
        for label, key, fmt in _METRIC_ROWS:
            table.add_row(label, *(fmt.format(m[key]) for m in cases.values()))
        return table
    table.add_column("scenario")
    for label, _, _ in _SCENARIO_ROW_COLUMNS:
        table.add_column(label, justify="right")
    for name, m in cases.items():
        table.add_row(escape(name), *(fmt.format(m[key]) for _, key, fmt in _SCENARIO_ROW_COLUMNS))
    return table


# --- bench ------------------------------------------------------------------------------------------


def _bench_with_programs(args: argparse.Namespace, run_bench, cases, problem) -> list:
    """``run_bench(programs, cases, evaluate_source)``: the programs on the command line, if any, are
    evaluated in the sandbox as programs of ``problem``."""
    _check_sandbox_options(args)
    programs = {Path(path).stem: _read_program(path) for path in args.programs}
    if not programs:
        return run_bench(None, cases)
    with _sandbox(args) as sandbox:
        return run_bench(programs, cases, lambda source, cases: sandbox.evaluate(problem, source, cases))


def _cmd_bench_binpacking(args: argparse.Namespace) -> int:
    from aurora_evo.domains.binpacking import bench_table, bench_to_json, run_bench

    datasets = {d.name: d for d in _load_datasets(args.dataset)} if args.dataset else None
    rows = _bench_with_programs(args, run_bench, datasets, get_problem("binpacking"))
    if args.json:
        sys.stdout.write(bench_to_json(rows) + "\n")
    else:
        sys.stdout.write(bench_table(rows) + "\n")
    failed = any(not row.published and row.excess_percent is None for row in rows)
    return EXIT_PROGRAM_FAILED if failed else EXIT_OK


def _cmd_bench_allocation(args: argparse.Namespace) -> int:
    from aurora_evo.config import TaskConfig
    from aurora_evo.domains.allocation.bench import allocation_table, allocation_to_json, run_allocation_bench

    task = TaskConfig(domain=args.domain, levels=tuple(_levels(args.levels)))
    rows = _bench_with_programs(args, run_allocation_bench, task, get_problem("allocation"))
    sys.stdout.write((allocation_to_json(rows) if args.json else allocation_table(rows)) + "\n")
    return EXIT_OK if all(row.status.ok for row in rows) else EXIT_PROGRAM_FAILED


def _levels(text: str) -> list[str]:
    from aurora_evo.seeds import SEED_LEVELS

    levels = list(_names(text))
    unknown = [level for level in levels if level not in SEED_LEVELS]
    if unknown or not levels:
        raise InputError(
            f"--levels: expected a comma-separated list of {', '.join(SEED_LEVELS)}; got {text!r}"
        )
    return levels


# --- evolve / export -------------------------------------------------------------------------------


#: The setting each flag gives, for the flags of ``evolve`` and the sandbox's: an error about a setting a
#: flag gave names the flag the user typed, not the setting.
SETTING_FLAGS = {
    "task.domain": "--domain",
    "task.dataset": "--dataset",
    "islands.islands": "--islands",
    "stop.max_iterations": "--iterations",
    "stop.max_seconds": "--max-seconds",
    "seed": "--seed",
    "evaluation.workers": "--workers",
    "evaluation.timeout_s": "--timeout",
    "evaluation.memory_mb": "--memory-mb",
    "mutators.kinds": "--mutators",
    "mutators.weights": "--mutator-weights",
    "attacker.enabled": "--no-attacker",
    "stop.max_cost_usd": "--max-cost",
    "stop.max_calls": "--max-calls",
    "llm.backend": "--mutator",
    "llm.models": "--model",
    "llm.model_weights": "--model-weights",
    "llm.base_url": "--base-url",
    "llm.modes": "--prompt-modes",
    "llm.requests_per_minute": "--rpm",
    "llm.requests_per_day": "--rpd",
    "llm.prices": "--price",
}

#: The settings ``--resume`` may change: limits of this invocation, not the run's own search.
RESUMABLE_SETTINGS = (
    "stop.max_iterations",
    "stop.max_seconds",
    "evaluation.workers",
    "stop.max_cost_usd",
    "stop.max_calls",
    "llm.requests_per_minute",
    "llm.requests_per_day",
)


def in_flag_terms(error, flags: dict[str, str], source: str | None) -> str:
    """A :class:`~aurora_evo.config.ConfigError` in the user's words: each setting that ``flags`` (setting
    -> flag typed) gave is named by its flag; an error about any other setting is about a file, named
    first (``source``: the preset, or the resumed run's config.json)."""
    message = str(error)
    if error.setting in flags and message.startswith(error.setting):
        message = flags[error.setting] + message[len(error.setting) :]
    for setting, flag in flags.items():
        if "." in setting:  # a dotted name cannot be mistaken for a word of the message
            message = re.sub(rf"(?<![\w.-]){re.escape(setting)}(?![\w])", flag, message)
    if error.setting in flags or source is None:
        return message
    return f"{source}: {message}"


def _evolve_config(args: argparse.Namespace):
    from aurora_evo.config import ConfigError, override

    config, source = _base_config(args)
    typed = _typed_settings(args)
    if args.resume and set(typed) - set(RESUMABLE_SETTINGS):
        *others, last = (SETTING_FLAGS[setting] for setting in RESUMABLE_SETTINGS)
        raise InputError(
            f"--resume continues a run with its own settings; only {', '.join(others)} and {last} may change"
        )
    if "mutators.weights" in typed and "mutators.kinds" not in typed:
        raise InputError("--mutator-weights goes with --mutators (one weight per mutator)")
    implied = _implied_settings(args, typed)
    flags = {setting: SETTING_FLAGS[setting] for setting in typed} | {s: f for s, (_, f) in implied.items()}
    changes = typed | {setting: value for setting, (value, _) in implied.items()}
    try:
        return override(config, **changes) if changes else config
    except ConfigError as exc:
        raise InputError(in_flag_terms(exc, flags, source)) from None


#: Caps the iterations of every run ``evolve`` starts or resumes; the test that runs the README's
#: commands sets it, so that they finish in seconds.
ITERATIONS_CAP = "AURORA_EVO_ITERATIONS"


def _capped(config):
    """``config`` with at most ``$AURORA_EVO_ITERATIONS`` iterations, when that is set."""
    from aurora_evo.config import override

    text = os.environ.get(ITERATIONS_CAP, "").strip()
    if not text:
        return config
    if not text.isdigit() or int(text) < 1:
        raise InputError(f"{ITERATIONS_CAP}={text!r} in the environment: give a whole number of at least 1")
    current = config.stop.max_iterations
    return override(config, **{"stop.max_iterations": min(current or int(text), int(text))})


def _base_config(args: argparse.Namespace):
    """The configuration the flags change, and the file it came from: the preset, or a run's own."""
    from aurora_evo.config import ConfigError
    from aurora_evo.config_files import load_preset, preset_path, read_config, resolve_preset
    from aurora_evo.run_folder import RunFolder

    if args.resume:
        path = RunFolder(args.resume).config_path
        return read_config(path), str(path)
    try:
        path = resolve_preset(args.preset) if args.preset else preset_path("default")
    except ConfigError as exc:
        raise InputError(f"--preset {exc}") from None
    return load_preset(path), str(path)


def _typed_settings(args: argparse.Namespace) -> dict:
    """The settings the flags typed on the command line give (a flag left out gives none)."""
    settings = {}
    for setting, flag in SETTING_FLAGS.items():
        value = getattr(args, flag.removeprefix("--").replace("-", "_"))
        value = _FLAG_VALUES[flag](value, flag) if flag in _FLAG_VALUES and value is not None else value
        if value is not None:
            settings[setting] = value
    if args.mutator is None and {"llm.models", "llm.base_url", "llm.model_weights"} & set(settings):
        raise InputError(
            "--model, --model-weights and --base-url go with --mutator gemini or --mutator openai"
        )
    return settings


def _names(text: str, flag: str = "") -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _numbers(text: str, flag: str) -> tuple[float, ...]:
    try:
        return tuple(float(value) for value in text.split(","))
    except ValueError:
        raise InputError(f"{flag}: expected comma-separated numbers, got {text!r}") from None


#: How the text of a flag becomes its setting's value, where argparse's value is not it already.
_FLAG_VALUES = {
    "--mutators": _names,
    "--prompt-modes": _names,
    "--mutator-weights": _numbers,
    "--model-weights": _numbers,
    "--model": lambda values, _: tuple(values),
    "--price": lambda values, _: tuple(values),
    "--no-attacker": lambda given, _: False if given else None,  # given: the attacker is off
}


#: The model a backend uses when none is named.
DEFAULT_MODELS = {"gemini": ("gemini-2.5-flash",)}


def _implied_settings(args: argparse.Namespace, typed: dict) -> dict[str, tuple[object, str]]:
    """Settings that follow from the typed ones, each with the flag that implies it: equal weights for
    ``--mutators`` and ``--prompt-modes`` alone, and ``--mutator NAME`` alone makes the language model
    the only mutator, with the backend's default model."""
    implied: dict[str, tuple[object, str]] = {}
    if "mutators.kinds" in typed and "mutators.weights" not in typed:
        implied["mutators.weights"] = (tuple(1.0 for _ in typed["mutators.kinds"]), "--mutators")
    if "llm.modes" in typed:
        implied["llm.mode_weights"] = (tuple(1.0 for _ in typed["llm.modes"]), "--prompt-modes")
    if args.mutator is not None:
        if "mutators.kinds" not in typed:
            implied["mutators.kinds"] = (("llm",), "--mutator")
            implied["mutators.weights"] = ((1.0,), "--mutator")
        if "llm.models" not in typed and args.mutator in DEFAULT_MODELS:
            implied["llm.models"] = (DEFAULT_MODELS[args.mutator], "--mutator")
    return implied


def _cmd_evolve(args: argparse.Namespace) -> int:
    import time

    from aurora_evo.progress import ProgressDisplay, announce_run
    from aurora_evo.run_folder import RunFolder

    config = _capped(_evolve_config(args))
    if args.resume:
        run_dir = Path(args.resume)
        RunFolder(run_dir).require_config()
    else:
        name = f"{config.task.domain}-{time.strftime('%Y%m%d-%H%M%S')}"
        run_dir = Path(args.run_dir) if args.run_dir else Path("runs") / name
        RunFolder(run_dir).require_new()
    if "llm" in config.mutators.kinds:  # a missing key is the one line printed, before anything else
        from aurora_evo.llm import api_keys

        api_keys(config.llm)
    announce_run(run_dir, resumed=bool(args.resume))
    from aurora_evo.evolver import build_evolver  # seconds of imports: after the run folder is announced

    evolution = build_evolver(config, run_dir, resume=bool(args.resume))
    display = ProgressDisplay(evolution, enabled=not args.no_progress)
    try:
        with display:
            reason = evolution.run(on_iteration=display.update)
        display.summary(reason)
    finally:
        evolution.close()
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from aurora_evo.export import export_run
    from aurora_evo.run_folder import RunFolder

    run_dir = Path(args.run_dir)
    folder = RunFolder(run_dir)
    if args.top < 1:
        raise InputError(f"--top must be at least 1, got {args.top}")
    if args.validate < 0:
        raise InputError(f"--validate must be >= 0, got {args.validate}")
    folder.require_run()
    if args.validate:
        from aurora_evo.evolver import build_evolver

        evolution = build_evolver(folder.read_config(), run_dir, resume=True, evolving=False)
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


#: The check a file fails when it is no valid scenario (malformed JSON, a field outside the format's
#: range): reported like the quality-control layers, before them, so a batch goes on past it.
FORMAT_CHECK = "format"


@dataclasses.dataclass(frozen=True)
class _FileCheck:
    """One file of ``scenarios validate``: its quality report, or why it is no scenario (``problem``,
    refused by the format check), or why it could not be read at all (``unreadable``)."""

    path: str
    report: Any = None  # QualityReport
    problem: str = ""
    unreadable: str = ""

    @property
    def refused_checks(self) -> tuple[str, ...]:
        if self.report is not None:
            return tuple(layer.value for layer in self.report.refused_layers)
        return (FORMAT_CHECK,) if self.problem else ()

    def lines(self) -> list[str]:
        if self.report is None:
            return [f"{self.path}: {FORMAT_CHECK} REFUSED: {self.problem}"]
        lines = []
        for verdict in self.report.verdicts:
            if verdict.passed:
                note = verdict.details.get("note")
                lines.append(f"{self.path}: {verdict.layer} ok" + (f" ({note})" if note else ""))
            else:
                lines.append(f"{self.path}: {verdict.layer} REFUSED: {verdict.message}")
        return lines

    def as_dict(self) -> dict:
        if self.report is not None:
            return {"file": self.path, **self.report.as_dict()}
        entry = {"file": self.path, "scenario": None, "passed": False}
        if self.unreadable:
            return entry | {"refused_by": None, "error": self.unreadable, "verdicts": []}
        verdict = {"layer": FORMAT_CHECK, "passed": False, "reason": f"{FORMAT_CHECK}: {self.problem}"}
        return entry | {"refused_by": FORMAT_CHECK, "verdicts": [verdict | {"details": {}}]}


def _why_unreadable(path: str) -> str:
    """Why the file cannot be read at all (missing, a folder, no permission), or ``""``."""
    from aurora_evo.textfiles import unreadable

    try:
        with open(path, "rb"):
            return ""
    except OSError as exc:
        return unreadable(path, exc)


def _check_scenario_files(paths: Sequence[str], level: str | None) -> list[_FileCheck]:
    """Every file checked, whatever the others hold; diversity compares with the files passed before."""
    from aurora_evo.scenario import ScenarioError, load_scenario
    from aurora_evo.scenario.quality import check_scenario

    recent: list = []
    checks = []
    for path in paths:
        unreadable = _why_unreadable(path)
        if unreadable:
            checks.append(_FileCheck(path, unreadable=unreadable))
            continue
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            # The loader names the file as a Path does (``./x.json`` as ``x.json``).
            checks.append(_FileCheck(path, problem=str(exc).removeprefix(f"{Path(path)}: ")))
            continue
        report = check_scenario(scenario, level=level, recent=recent)
        if report.passed:
            recent.append(report.features)
        checks.append(_FileCheck(path, report=report))
    return checks


def _cmd_scenarios_validate(args: argparse.Namespace) -> int:
    """Check each file: the format, then the five quality-control layers. Exit status: 2 when a file
    could not be read at all, else 1 when any file was refused by a check, else 0."""
    from collections import Counter

    from aurora_evo.scenario.levels import level
    from aurora_evo.scenario.quality import Layer

    if args.level is not None:
        level(args.level)  # an unknown level is bad input: one line, exit 2
    files = _check_scenario_files(args.files, args.level)
    unreadable = [file for file in files if file.unreadable]
    checked = [file for file in files if not file.unreadable]
    refused = [file for file in checked if file.refused_checks]
    counts = Counter(check for file in refused for check in file.refused_checks)
    order = [FORMAT_CHECK, *(layer.value for layer in Layer)]
    for file in unreadable:
        sys.stderr.write(f"aurora-evo {args.verb}: error: {file.unreadable}\n")
    if args.json:
        _print_json(
            {
                "files": [file.as_dict() for file in files],
                "checked": len(checked),
                "refused": len(refused),
                "unreadable": len(unreadable),
                "refused_by_layer": {check: counts.get(check, 0) for check in order},
            }
        )
    elif checked:
        for file in checked:
            sys.stdout.write("".join(f"{line}\n" for line in file.lines()))
        sys.stdout.write(_validate_summary(len(checked), len(refused), counts, order, len(unreadable)) + "\n")
    if unreadable:
        return EXIT_BAD_INPUT
    return EXIT_PROGRAM_FAILED if refused else EXIT_OK


def _validate_summary(checked: int, refused: int, counts, order: list[str], unreadable: int) -> str:
    if refused:
        names = sorted(counts, key=lambda check: (-counts[check], order.index(check)))
        line = f"{refused} of {checked} files refused ({', '.join(names)})"
    else:
        line = f"{checked} of {checked} files passed"
    return line + (f"; {unreadable} more could not be read" if unreadable else "")


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
    from aurora_evo.config_files import preset_names

    parser = _Parser(
        prog="aurora-evo",
        description="Evolve resource-allocation programs, and score them on scenarios and bin-packing sets.",
        epilog="aurora-evo VERB --help lists a verb's options. Exit status: 0 success, 1 a program (or a "
        "scenario file) failed, 2 bad input, each error in one line.",
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
    evolve.add_argument(
        "--domain",
        choices=domain_names(),
        help="what to schedule: an allocation domain or another problem (default: cloud)",
    )
    evolve.add_argument("--dataset", choices=["weibull", "or"], help="bin-packing instances to train on")
    evolve.add_argument("--islands", type=int, metavar="N", help="island populations (default: 8)")
    evolve.add_argument("--iterations", type=int, metavar="N", help="stop after N iterations (default: 100)")
    evolve.add_argument("--max-seconds", type=float, metavar="S", help="stop after S seconds")
    evolve.add_argument("--seed", type=int, help="random seed (same seed and one worker: same archive)")
    evolve.add_argument("--workers", type=int, metavar="N", help="evaluations at once (default: 1)")
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
    _add_sandbox_options(evolve, from_preset=True)
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
    binpacking.add_argument(
        "--dataset", action="append", metavar="FILE",
        help="a dataset file or shipped name to use instead of OR3 and Weibull 5k; repeatable",
    )  # fmt: skip
    binpacking.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_sandbox_options(binpacking)
    binpacking.set_defaults(handler=_cmd_bench_binpacking)
    allocation = benches.add_parser(
        "allocation",
        help="First Fit, Best Fit and your programs on the training and held-out seed scenarios",
        description="Score First Fit, Best Fit and the given allocation programs on a domain's seed "
        "scenarios of --levels, split into training and held-out sets exactly as `aurora-evo evolve` "
        "splits them (every third seed, in name order, is held out), and on the seeds of the other levels "
        "(unseen). Prints mean reward (0-1, higher is better).",
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
        description="Check each scenario file, every file of the batch whatever the others hold: first "
        "its format (valid JSON, every field within the scenario format's ranges), then the "
        "quality-control layers: bounds (realistic ranges), feasibility (a clairvoyant packing meets the "
        "SLAs), realism (distributions against the shipped Google 2011 and Alibaba 2017 samples), "
        "diversity (against the files passed before it) and complexity (the difficulty level's ranges). "
        "Prints one line per layer (one 'format REFUSED' line for a file that is no valid scenario) and a "
        "summary. Exits 0 when every file passes, 1 when any is refused, 2 when a file cannot be read at "
        "all (missing, a folder, no permission: one error line each, the others still checked) or the "
        "command line is wrong.",
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
