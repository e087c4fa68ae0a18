"""Small helpers for reading a model's answer: line endings, blank lines, indentation, one-line messages,
and whether a piece of code parses."""

from __future__ import annotations

import ast

from aurora_evo.program_text import ProgramError, parse_source


def newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def try_parse(code: str) -> tuple[ast.Module | None, str]:
    """The tree of ``code``, or ``None`` and ``"line N: message"``."""
    try:
        return parse_source(code), ""
    except ProgramError as exc:
        error = exc.parser_error
    if isinstance(error, SyntaxError):
        where = f"line {error.lineno}: " if error.lineno else ""
        return None, f"{where}{error.msg}"
    return None, " ".join(str(error).split())[:200] or type(error).__name__


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def trim(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]
