"""The ``aurora-evo`` command: argument parsing only; every verb calls the library.

One module per family of verbs (:mod:`.score`, :mod:`.evolve`, :mod:`.export`, :mod:`.report`,
:mod:`.bench`, :mod:`.evaluate`, :mod:`.explain`, :mod:`.scenarios`, :mod:`.suites`), each adding its
parser with ``add_parser(verbs)``; what they share is in :mod:`.console` (printing), :mod:`.programs`
(program files and the sandbox), :mod:`.flags` and :mod:`.exit_status`.

Exit status: 0 success, 1 the program under test failed (its outcome says why), 2 bad input (a
missing or malformed file, a bad option), each reported in one line without a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from aurora_evo import __version__
from aurora_evo.cli import bench, evaluate, evolve, explain, export, report, scenarios, score, suites
from aurora_evo.cli.exit_status import OneLineParser, run_handler

#: The verbs' modules, in the order ``aurora-evo --help`` lists them.
VERBS = (score, evolve, export, report, bench, evaluate, explain, scenarios, suites)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="aurora-evo",
        description="Evolve resource-allocation programs, and score them on scenarios and bin-packing sets.",
        epilog="aurora-evo VERB --help lists a verb's options. Exit status: 0 success, 1 a program (or a "
        "scenario file) failed, 2 bad input, each error in one line.",
    )
    parser.add_argument("--version", action="version", version=f"aurora-evo {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=OneLineParser)
    verbs.required = True
    for verb in VERBS:
        verb.add_parser(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return run_handler(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
