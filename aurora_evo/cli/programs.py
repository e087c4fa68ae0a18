"""The programs named on the command line, and the sandbox they run in: their files, and the sandbox's
options ``--timeout`` and ``--memory-mb``."""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from pathlib import Path

from aurora_evo.cli.flags import SETTING_FLAGS, in_flag_terms
from aurora_evo.config import ConfigError, check_sandbox_limits
from aurora_evo.errors import InputError


def read_program(path: str) -> str:
    """The source of the program file at ``path``; :class:`InputError` if it cannot be read."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{path}: no such program file" if not file.exists() else f"{path}: not a file")
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from None


def add_sandbox_options(parser: argparse.ArgumentParser, *, from_preset: bool = False) -> None:
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


def check_sandbox_options(args: argparse.Namespace) -> None:
    """Refuse a ``--timeout`` or ``--memory-mb`` the sandbox cannot keep, before any work."""
    try:
        check_sandbox_limits(args.timeout, args.memory_mb)
    except ConfigError as exc:
        flags = {s: SETTING_FLAGS[s] for s in ("evaluation.timeout_s", "evaluation.memory_mb")}
        raise InputError(in_flag_terms(exc, flags, None)) from None


@contextlib.contextmanager
def open_sandbox(args: argparse.Namespace):
    """A sandbox for the programs named on the command line; a missing layer is noted once on stderr."""
    # heavy: the sandbox's client imports numpy
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
