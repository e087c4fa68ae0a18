"""``aurora-evo report``: a run's figures (PNG) and a Markdown summary linking them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aurora_evo.cli.exit_status import EXIT_OK


def add_parser(verbs) -> None:
    report = verbs.add_parser(
        "report",
        help="draw a run's figures (PNG) and a Markdown summary",
        description="Draw the figures of a run (scores per island, Elo ratings, the MAP-Elites grid, the "
        "best program's lineage, sandbox outcomes, scenarios or attacker progress, LLM use) as PNG files, "
        "with report.md summarising the run and linking them. Changes no row of the archive.",
    )
    report.add_argument("run_dir", metavar="RUN_DIR")
    report.add_argument("--out", metavar="DIR", help="folder for the report (default: RUN_DIR/report)")
    report.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    # heavy: the report draws with matplotlib
    from aurora_evo.analysis.report import write_report

    run_dir = Path(args.run_dir)
    out = Path(args.out) if args.out else run_dir / "report"
    for path in write_report(run_dir, out):
        sys.stdout.write(f"{path}\n")
    return EXIT_OK
