"""The command's exit status, and what goes wrong reported in one line without a traceback.

Exit status: 0 success, 1 the program under test failed (its outcome says why) or the cluster
evaluations ran on went away, 2 bad input (a missing or malformed file, a bad option), each reported in
one line without a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from aurora_evo.errors import ClusterError, InputError

EXIT_OK, EXIT_PROGRAM_FAILED, EXIT_BAD_INPUT = 0, 1, 2

#: The exit status of a command stopped by Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (argparse prints the usage block, then the error)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def run_handler(args: argparse.Namespace) -> int:
    """Run the handler the parsed command line chose: its exit status, or the status of what it raised
    (bad input: 2; Ctrl-C: 130; anything else, an internal error: 1), reported in one line on stderr."""
    try:
        return args.handler(args)
    except InputError as exc:
        sys.stderr.write(f"aurora-evo {args.verb}: error: {exc}\n")
        return EXIT_BAD_INPUT
    except ClusterError as exc:
        sys.stderr.write(f"aurora-evo {args.verb}: error: {exc}\n")
        return EXIT_PROGRAM_FAILED
    except KeyboardInterrupt:
        sys.stderr.write("aurora-evo: interrupted\n")
        return EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get("AURORA_EVO_DEBUG"):
            raise
        sys.stderr.write(
            f"aurora-evo {args.verb}: internal error: {type(exc).__name__}: {exc} "
            "(set AURORA_EVO_DEBUG=1 for the traceback, and please report it)\n"
        )
        return EXIT_PROGRAM_FAILED
