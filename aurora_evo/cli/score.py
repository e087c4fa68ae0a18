"""``aurora-evo score``: run a program file on cases of its problem, in the sandbox, and print its
metrics (a table, or one JSON object)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from aurora_evo.cli.console import make_console, print_json, print_result_table
from aurora_evo.cli.exit_status import EXIT_OK, EXIT_PROGRAM_FAILED
from aurora_evo.cli.programs import add_sandbox_options, check_sandbox_options, open_sandbox, read_program
from aurora_evo.domains import domain_names, problem_of_domain
from aurora_evo.errors import InputError

if TYPE_CHECKING:  # typing only: the problem seam imports numpy, which `aurora-evo --help` does without
    from aurora_evo.evaluation import EvalResult
    from aurora_evo.problem import Problem

#: The problem ``score`` runs a program of when ``--domain`` is left out (an allocation domain).
DEFAULT_DOMAIN = "cloud"

#: The kinds of case files ``score`` reads, each with its option (``--scenario``, ``--dataset``).
CASE_FILE_KINDS = ("scenario", "dataset")


def add_parser(verbs) -> None:
    score = verbs.add_parser(
        "score",
        help="score a program file on scenarios or a bin-packing dataset",
        description="Run PROGRAM.py's priority() on the cases of a problem: scenarios for an allocation "
        "domain (priority(task, nodes)), dataset files for the packing problems (FunSearch's "
        "priority(item, bins), items of one dimension or more), and print its metrics. The program runs in "
        "the sandbox: a jailed process with no network, no file writes and limited memory and time.",
    )
    score.add_argument("program", metavar="PROGRAM.py")
    score.add_argument("--scenario", action="append", metavar="FILE", help="scenario JSON file (repeatable)")
    score.add_argument(
        "--domain",
        choices=domain_names(),
        help="the problem PROGRAM.py is for: the allocation domains read --scenario, the other problems "
        "--dataset (default: cloud)",
    )
    score.add_argument(
        "--dataset", action="append", metavar="FILE",
        help="dataset: FunSearch .json, OR-Library .txt, .vbp (vector items), or a shipped name (OR3, "
        "'Weibull 5k'); repeatable",
    )  # fmt: skip
    score.add_argument(
        "--json", action="store_true", help="print one JSON object (field 'outcome' says if it ran)"
    )
    add_sandbox_options(score)
    score.set_defaults(handler=run_score)


def run_score(args: argparse.Namespace) -> int:
    check_sandbox_options(args)
    problem = problem_of_domain(args.domain or DEFAULT_DOMAIN)
    specs = case_files(args, problem)
    source = read_program(args.program)
    cases = problem.load_cases(specs)
    with open_sandbox(args) as sandbox:
        result = sandbox.evaluate(problem, source, cases)

    if args.json:
        print_json({"program": args.program, "domain": args.domain or "allocation", **result.as_dict()})
    else:
        print_score(args.program, problem, result)
    return EXIT_OK if result.outcome.ok else EXIT_PROGRAM_FAILED


def case_files(args: argparse.Namespace, problem: Problem) -> list[str]:
    """The case files given with the option of ``problem``'s kind (``--scenario``, ``--dataset``), after
    refusing none, or any given with the other option."""
    kind = problem.case_file_kind
    given = getattr(args, kind)
    (other,) = (k for k in CASE_FILE_KINDS if k != kind)
    if args.domain is None and not given:
        raise InputError("give --scenario FILE, or --domain binpacking --dataset FILE")
    if getattr(args, other):
        if args.domain is None:  # the files of another problem: say which
            takers = [d for d in domain_names() if problem_of_domain(d).case_file_kind == other]
            raise InputError(f"--{other} goes with --domain {' or '.join(takers)}")
        raise InputError(f"--{other} and --domain {args.domain} exclude each other; give --{kind} instead")
    if not given:
        raise InputError(f"--domain {args.domain} needs --{kind} {problem.case_file_hint}")
    return given


def print_score(program: str, problem: Problem, result: EvalResult) -> None:
    """The table of ``result``'s metrics (titled with ``program``), or the one line saying why it did not
    run."""
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
    print_result_table(console, title, problem.result_table(result))
