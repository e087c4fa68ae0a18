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
        help="First Fit, Best Fit and your programs on the training and held-out seed scenarios",
        description="Score First Fit, Best Fit and the given allocation programs on a domain's seed "
        "scenarios of --levels, split into training and held-out sets exactly as `aurora-evo evolve` "
        "splits them (every third seed, in name order, is held out), and on the seeds of the other levels "
        "(unseen). Prints mean reward (0-1, higher is better).",
    )
    allocation.add_argument("programs", nargs="*", metavar="PROGRAM.py", help="allocation programs to add")
    allocation.add_argument("--domain", choices=ALLOCATION_DOMAINS, default="cloud")
    allocation.add_argument(
        "--levels", default="easy,medium,hard", metavar="LIST", help="seed levels (default easy,medium,hard)"
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
    # heavy: the benchmark imports the simulator (numba)
    from aurora_evo.domains.allocation.bench import allocation_table, allocation_to_json, run_allocation_bench

    task = TaskConfig(domain=args.domain, levels=tuple(seed_levels(args.levels)))
    rows = bench_with_programs(args, run_allocation_bench, task, get_problem("allocation"))
    sys.stdout.write((allocation_to_json(rows) if args.json else allocation_table(rows)) + "\n")
    return EXIT_OK if all(row.status.ok for row in rows) else EXIT_PROGRAM_FAILED


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
