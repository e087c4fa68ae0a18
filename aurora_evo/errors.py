"""Errors that reach the user as one line (the CLI prints them and exits with status 2)."""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input: a missing or malformed file, a field breaking a rule, an unknown option.

    The message is one line naming the file, the field and the rule broken, e.g.
    ``seeds/x.json: tasks[3].cpu: 40 is outside 0.1-32 cores``.
    """

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))
