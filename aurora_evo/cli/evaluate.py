"""``aurora-evo evaluate``: programs against every baseline on a suite's split, objective by objective,
with paired statistics; writes ``report.md``, ``results.json`` and figures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aurora_evo.cli.exit_status import EXIT_OK, EXIT_PROGRAM_FAILED
from aurora_evo.cli.flags import comma_names, make_folder, out_folder
from aurora_evo.cli.programs import add_sandbox_options, check_sandbox_options, open_sandbox, read_program
from aurora_evo.errors import InputError

#: The baselines ``--baselines all`` names (:data:`aurora_evo.evaluate.run.BASELINES`, kept here so
#: that parsing the command line needs no numpy).
ALL_BASELINES = ("random_choice", "round_robin", "first_fit", "best_fit", "ga", "dqn", "ppo")
#: The studies of ``--study`` (:mod:`aurora_evo.studies`).
STUDIES = ("ablation", "scalability", "transfer", "continual")


def add_parser(verbs) -> None:
    command = verbs.add_parser(
        "evaluate",
        help="programs against every baseline on a suite's split, with paired statistics",
        description="Score the given allocation programs (in the sandbox) and the baselines (random, round "
        "robin, first fit, best fit; GA, DQN and PPO trained here on the suite's train split) on each "
        "scenario of a suite's split, and report for every objective the mean with a 95 %% bootstrap "
        "interval, the change against best fit and against DQN with paired t and Wilcoxon tests "
        "(Holm-corrected) and effect sizes, and the share of scenarios where each policy is "
        "Pareto-optimal. Writes report.md, results.json, objectives.png and learning_curves.png.",
    )
    command.add_argument("programs", nargs="*", metavar="PROGRAM.py", help="allocation programs to evaluate")
    command.add_argument(
        "--suite",
        metavar="NAME",
        help="google-2011, alibaba-2018, azure, synthetic (not with --study scalability or transfer)",
    )
    command.add_argument(
        "--split", default="test", metavar="SPLIT", help="train, validation or test (default)"
    )
    command.add_argument(
        "--baselines",
        default="all",
        metavar="LIST",
        help=f"comma-separated, or 'all' (default): {', '.join(ALL_BASELINES)}; best fit is always measured",
    )
    command.add_argument(
        "--profile",
        choices=("quick", "full"),
        default="full",
        help="budgets: quick (4 scenarios; DQN and PPO train for 3,000 decisions, the GA 8 x 3; for tests) "
        "or full (every scenario; 200,000 decisions, the GA 32 x 20; default)",
    )
    command.add_argument(
        "--study",
        choices=STUDIES,
        help="run a study instead, writing its section of the report: ablation (the full system against "
        "no attacker, no policy database and no curriculum, evolved on --suite's train split, scored on its "
        "test split, paired over run seeds), scalability (the seed baselines, DQN, PPO and the PROGRAMs, "
        "vetted ones: they run in this process, on generated scenarios of 10 to 1,000 tasks: quality, "
        "latency, memory; the simulator alone up to 100,000 tasks), transfer (evolved on cloud, scored on "
        "edge; edge on network; cloud on network: retention against a program evolved on the target) or "
        "continual (evolved on --suite, continued on --then carrying its islands over, beside a run on "
        "--then from scratch: what continuing forgets on --suite's test split and gains on --then's)",
    )
    command.add_argument(
        "--then", metavar="NAME", help="--study continual: the suite the search continues on (e.g. azure)"
    )
    command.add_argument(
        "--jobs",
        type=int,
        default=2,
        metavar="N",
        help="evolution runs at once in --study ablation, transfer and continual (default 2)",
    )
    command.add_argument("--seed", type=int, default=0, help="training and bootstrap seed (default 0)")
    command.add_argument("--out", required=True, metavar="DIR", help="folder for the report (created)")
    add_sandbox_options(command)
    command.set_defaults(handler=evaluate_command)


def evaluate_command(args: argparse.Namespace) -> int:
    check_sandbox_options(args)
    if args.study is not None:
        return study_command(args)
    if args.suite is None:
        raise InputError("--suite NAME is needed (google-2011, alibaba-2018, azure, synthetic)")
    baselines = ALL_BASELINES if args.baselines == "all" else tuple(comma_names(args.baselines))
    unknown = sorted(set(baselines) - set(ALL_BASELINES))
    if unknown:
        raise InputError(f"--baselines: unknown {', '.join(unknown)}; known: {', '.join(ALL_BASELINES)}, all")
    if args.seed < 0:
        raise InputError(f"--seed must be >= 0, not {args.seed}")
    out = out_folder(args.out)
    programs = {Path(path).stem: read_program(path) for path in args.programs}
    # heavy: the suites, the simulator, the statistics and (for GA, DQN, PPO) DEAP and torch
    from aurora_evo.domains import get_problem
    from aurora_evo.evaluate.study import evaluate_suite

    problem = get_problem("allocation")
    with open_sandbox(args) as sandbox:
        paths, failed = evaluate_suite(
            args.suite,
            args.split,
            programs,
            lambda source, cases: sandbox.evaluate(problem, source, cases),
            baselines,
            args.profile,
            args.seed,
            make_folder(out),
            say,
        )
    for path in paths:
        sys.stdout.write(f"{path}\n")
    return EXIT_PROGRAM_FAILED if failed else EXIT_OK


def say(line: str) -> None:
    sys.stderr.write(f"evaluate: {line}\n")


def study_command(args: argparse.Namespace) -> int:
    """``evaluate --study NAME``: the study's report (:mod:`aurora_evo.studies`)."""
    if args.seed < 0:
        raise InputError(f"--seed must be >= 0, not {args.seed}")
    if args.jobs < 1:
        raise InputError(f"--jobs must be at least 1, not {args.jobs}")
    on_suites = args.study in ("ablation", "continual")
    if on_suites and args.suite is None:
        raise InputError(
            f"--study {args.study} needs --suite NAME (google-2011, alibaba-2018, azure, synthetic)"
        )
    if not on_suites and args.suite is not None:
        raise InputError(f"--study {args.study} takes no --suite (it runs on generated and seed scenarios)")
    if (args.study == "continual") != (args.then is not None):
        raise InputError("--then NAME goes with --study continual, which needs it (the suite to continue on)")
    if args.then is not None and args.then == args.suite:
        raise InputError(f"--then names the suite the search continues on: another than --suite {args.suite}")
    if args.programs and args.study != "scalability":
        raise InputError(f"--study {args.study} evolves its own programs; PROGRAM.py goes with scalability")
    out = out_folder(args.out)
    programs = {Path(path).stem: read_program(path) for path in args.programs}
    if programs:
        # heavy: the scheduler's module imports numpy; it runs the programs given in this process
        from aurora_evo.scheduler import load_scheduler

        for path in args.programs:
            load_scheduler(path)  # a program that does not parse is one line, before the study
    # heavy: the studies evolve (the whole evolver) and train DQN and PPO (torch)
    from aurora_evo.studies.report import write_study
    from aurora_evo.studies.run import run_study

    if on_suites:
        # heavy: reading the suites names a missing one in one line, before any run starts
        from aurora_evo.domains.allocation.problem import load_suite_once

        for name in (args.suite, args.then):
            if name is not None:
                load_suite_once(name)
    suites = (args.suite, args.then)
    document = run_study(args.study, suites, programs, args.profile, args.seed, args.jobs, say)
    for path in write_study(document, make_folder(out)):
        sys.stdout.write(f"{path}\n")
    return EXIT_PROGRAM_FAILED if any(row["error"] for row in document.get("rows", ())) else EXIT_OK
