"""Errors that reach the user as one line (the CLI prints them and exits with status 2)."""

from __future__ import annotations

import re


class InputError(ValueError):
    """Bad user input: a missing or malformed file, a field breaking a rule, an unknown option.

    The message is one line naming the file, the field and the rule broken, e.g.
    ``seeds/x.json: tasks[3].cpu: 40 is outside 0.1-32 cores``.
    """

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class ClusterError(RuntimeError):
    """The cluster evaluations run on cannot be reached or stopped answering (one line). A run stopped
    by it resumes from its last committed iteration."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def one_line(exc: BaseException, limit: int = 300) -> str:
    """``"TypeName: first line of the message"``, without terminal colour codes, at most ``limit`` long."""
    lines = _ANSI_ESCAPE.sub("", str(exc)).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0].strip() if lines else ''}"[:limit]
