"""``aurora-evo export``: a run's best programs as standalone files, after scoring more of them on the
held-out cases if asked."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aurora_evo.cli.exit_status import EXIT_OK
from aurora_evo.errors import InputError
from aurora_evo.run_folder import RunFolder


def add_parser(verbs) -> None:
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
    export.add_argument(
        "--rank",
        choices=("held-out", "elo"),
        default="held-out",
        help="held-out: by the held-out score, as the run chose its bests (default); elo: by Elo rating, "
        "from the case-by-case matches of the policy database",
    )
    export.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    # heavy: export imports numpy and the sandbox
    from aurora_evo.export import export_run

    run_dir = Path(args.run_dir)
    folder = RunFolder(run_dir)
    if args.top < 1:
        raise InputError(f"--top must be at least 1, got {args.top}")
    if args.validate < 0:
        raise InputError(f"--validate must be >= 0, got {args.validate}")
    folder.require_run()
    if args.validate:
        # heavy: seconds of imports (the controller, the mutators, the simulator)
        from aurora_evo.evolver import build_evolver

        evolution = build_evolver(folder.read_config(), run_dir, resume=True, evolving=False)
        try:
            count = evolution.validate_more(args.validate)
        finally:
            evolution.close()
        sys.stderr.write(f"scored {count} more program(s) on the held-out cases\n")
    written = export_run(run_dir, args.top, Path(args.out), args.rank)
    if not written:
        raise InputError(f"{run_dir}: no program ran successfully; nothing to export")
    for path in written:
        sys.stdout.write(f"{path}\n")
    return EXIT_OK
