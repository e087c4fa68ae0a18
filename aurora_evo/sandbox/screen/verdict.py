"""The screen's verdict on a program, and the one-line messages it gives."""

from __future__ import annotations

from dataclasses import dataclass

from aurora_evo.outcome import Outcome

#: Names and code quoted in a message are cut to about this many characters.
MESSAGE_EXCERPT = 60


@dataclass(frozen=True)
class ScreenResult:
    """The verdict on one program.

    Attributes:
        ok: the program passed the screen.
        outcome: ``Outcome.OK``, ``Outcome.SYNTAX_ERROR`` or ``Outcome.FORBIDDEN``.
        message: one line, e.g. ``"line 4: attribute '__class__' is forbidden (...)"``; ``"ok"`` on success.
        lineno: the line of the violation, when there is one.
    """

    ok: bool
    outcome: Outcome
    message: str
    lineno: int | None


PASSED = ScreenResult(True, Outcome.OK, "ok", None)


def forbidden(lineno: int | None, message: str) -> ScreenResult:
    return ScreenResult(False, Outcome.FORBIDDEN, message, lineno)


def syntax_error(lineno: int | None, message: str) -> ScreenResult:
    return ScreenResult(False, Outcome.SYNTAX_ERROR, message, lineno)


def excerpt(text: str) -> str:
    """``text`` on one line and at most ~60 characters, for messages."""
    text = " ".join(str(text).split())
    return text if len(text) <= MESSAGE_EXCERPT else text[: MESSAGE_EXCERPT - 3] + "..."
