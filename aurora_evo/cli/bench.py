"""``aurora-evo bench``: baselines and the programs given against published results, per problem."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aurora_evo.cli.exit_status import EXIT_OK, EXIT_PROGRAM_FAILED, OneLineParser
from aurora_evo.cli.flags import comma_names
from aurora_evo.cli.programs import add_sandbox_options, check_sandbox_options, open_sandbox, read_program
from aurora_evo.config import TaskConfig
from aurora_evo.domains import ALLOCATION_DOMAINS, get_problem
from aurora_evo.errors import InputError


def add_parser(verbs) -> None:
    bench = verbs.add_parser("bench", help="benchmarks against published results")
    benches = bench.add_subparsers(dest="bench", metavar="BENCHMARK", parser_class=OneLineParser)
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
    add_sandbox_options(binpacking)
    binpacking.set_defaults(handler=bench_binpacking)
    allocation = benches.add_parser(
        "allocation",
        help="baselines and your programs on the seed scenarios, a folder of scenarios or a suite",
        description="Without --scenarios or --suite: score First Fit, Best Fit and the given allocation "
        "programs on a domain's seed scenarios of --levels, split into training and held-out sets exactly "
        "as `aurora-evo evolve` splits them (every third seed, in name order, is held out), and on the "
        "seeds of the other levels (unseen), and print mean reward (0-1, higher is better). With "
        "--scenarios DIR or --suite NAME: score random, round robin, first fit, best fit, the shipped "
        "evolved program (programs/cloud.py) and the given programs on those scenarios and print every "
        "objective (reward, latency, SLA violations, utilisation, cost, energy, rejections, fairness), each "
        "a mean over the scenarios. Seed baselines run in this process, every other program in the sandbox.",
    )
    allocation.add_argument("programs", nargs="*", metavar="PROGRAM.py", help="allocation programs to add")
    allocation.add_argument(
        "--domain", choices=ALLOCATION_DOMAINS, help="seed scenarios' domain (default cloud)"
    )
    allocation.add_argument("--levels", metavar="LIST", help="seed levels (default easy,medium,hard)")
    allocation.add_argument(
        "--scenarios",
        metavar="DIR",
        help="every scenario file (*.json) in DIR, in name order, instead of seeds",
    )
    allocation.add_argument(
        "--suite",
        metavar="NAME",
        help="a named suite's scenarios (google-2011, alibaba-2018, azure, synthetic)",
    )
    allocation.add_argument(
        "--split", metavar="SPLIT", help="the suite's split: train, validation or test (default test)"
    )
    allocation.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_sandbox_options(allocation)
    allocation.set_defaults(handler=bench_allocation)


def bench_with_programs(args: argparse.Namespace, run_bench, cases, problem) -> list:
    """``run_bench(programs, cases, evaluate_source)``: the programs on the command line, if any, are
    evaluated in the sandbox as programs of ``problem``."""
    check_sandbox_options(args)
    programs = {Path(path).stem: read_program(path) for path in args.programs}
    if not programs:
        return run_bench(None, cases)
    with open_sandbox(args) as sandbox:
        return run_bench(programs, cases, lambda source, cases: sandbox.evaluate(problem, source, cases))


def bench_binpacking(args: argparse.Namespace) -> int:
    # heavy: the benchmark imports numpy and the packer
    from aurora_evo.domains.binpacking import bench_table, bench_to_json, run_bench

    problem = get_problem("binpacking")
    datasets = {d.name: d for d in problem.load_cases(args.dataset)} if args.dataset else None
    rows = bench_with_programs(args, run_bench, datasets, problem)
    if args.json:
        sys.stdout.write(bench_to_json(rows) + "\n")
    else:
        sys.stdout.write(bench_table(rows) + "\n")
    failed = any(not row.published and row.excess_percent is None for row in rows)
    return EXIT_PROGRAM_FAILED if failed else EXIT_OK


def bench_allocation(args: argparse.Namespace) -> int:
    if args.scenarios is not None or args.suite is not None:
        return bench_scenarios(args)
    if args.split is not None:
        raise InputError("--split goes with --suite")
    # heavy: the benchmark imports the simulator (numba)
    from aurora_evo.domains.allocation.bench import allocation_table, allocation_to_json, run_allocation_bench

    levels = seed_levels(args.levels or "easy,medium,hard")
    task = TaskConfig(domain=args.domain or "cloud", levels=tuple(levels))
    rows = bench_with_programs(args, run_allocation_bench, task, get_problem("allocation"))
    sys.stdout.write((allocation_to_json(rows) if args.json else allocation_table(rows)) + "\n")
    return EXIT_OK if all(row.status.ok for row in rows) else EXIT_PROGRAM_FAILED


def bench_scenarios(args: argparse.Namespace) -> int:
    """``bench allocation --scenarios DIR`` or ``--suite NAME [--split SPLIT]``: every objective of the
    baselines, the shipped evolved program and the given programs, averaged over those scenarios."""
    refuse_mixed_sources(args)
    check_sandbox_options(args)
    programs = {Path(path).stem: read_program(path) for path in args.programs}
    label, scenarios = scenario_set(args)
    # heavy: the benchmark imports the simulator (numba)
    from aurora_evo.domains.allocation.scenario_bench import (
        run_scenario_bench,
        scenario_bench_table,
        scenario_bench_to_json,
    )

    problem = get_problem("allocation")
    with open_sandbox(args) as sandbox:
        bench = run_scenario_bench(
            label, scenarios, lambda source, cases: sandbox.evaluate(problem, source, cases), programs
        )
    sys.stdout.write((scenario_bench_to_json(bench) if args.json else scenario_bench_table(bench)) + "\n")
    return EXIT_OK if bench.ok else EXIT_PROGRAM_FAILED


def refuse_mixed_sources(args: argparse.Namespace) -> None:
    """One source of scenarios: ``--scenarios`` or ``--suite``, never with each other or with the seed
    options ``--levels`` and ``--domain``; ``--split`` only with ``--suite``."""
    source = "--scenarios" if args.scenarios is not None else "--suite"
    if args.scenarios is not None and args.suite is not None:
        raise InputError("--scenarios and --suite exclude each other")
    for flag, value in (("--levels", args.levels), ("--domain", args.domain)):
        if value is not None:
            raise InputError(f"{source} and {flag} exclude each other ({flag} picks seed scenarios)")
    if args.split is not None and args.suite is None:
        raise InputError("--split goes with --suite")


def scenario_set(args: argparse.Namespace) -> tuple[str, list]:
    """What the scenarios are (for the heading) and the scenarios: a suite's split, or the scenario
    files of a folder in name order."""
    if args.suite is not None:
        # heavy: a suite loads its scenarios (numpy)
        from aurora_evo.suites import load_suite

        suite = load_suite(args.suite)
        split = args.split or "test"
        return f"suite {suite.name}, split {split}", list(suite.split(split))
    # heavy: the scenario package imports numpy
    from aurora_evo.scenario import load_scenario

    folder = Path(args.scenarios)
    if not folder.is_dir():
        raise InputError(f"--scenarios {folder}: {'not a folder' if folder.exists() else 'no such folder'}")
    files = sorted(folder.glob("*.json"))
    if not files:
        raise InputError(f"--scenarios {folder}: no scenario files (*.json) in it")
    return f"folder {folder}", [load_scenario(path) for path in files]


def seed_levels(text: str) -> list[str]:
    """The seed levels of ``--levels``' comma-separated list."""
    # heavy: the seeds' module imports numpy
    from aurora_evo.seeds import SEED_LEVELS

    levels = list(comma_names(text))
    unknown = [level for level in levels if level not in SEED_LEVELS]
    if unknown or not levels:
        raise InputError(
            f"--levels: expected a comma-separated list of {', '.join(SEED_LEVELS)}; got {text!r}"
        )
    return levels
