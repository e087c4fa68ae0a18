"""Where the commands print: a rich console as wide as the terminal, titled tables, and JSON."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # typing only: the problem seam imports numpy, which `aurora-evo --help` does without
    from aurora_evo.problem import ResultTable

#: Columns for output to a file or a pipe, which has no width of its own: wide enough for every table the
#: commands print at its natural width, so that a script reading the output finds no cell wrapped.
PIPED_WIDTH = 160


def output_width(stream) -> int:
    """Columns to lay ``stream``'s output out in: ``$COLUMNS`` when set, else the width of the terminal
    ``stream`` is, else :data:`PIPED_WIDTH`."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        width = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):  # not a terminal (a pipe, a file, a test's capture)
        width = 0
    return width or PIPED_WIDTH  # a pseudo-terminal nobody sized reports 0 columns


def make_console():
    """The rich console every command prints through (on stdout), as wide as :func:`output_width` says."""
    from rich.console import Console

    return Console(file=sys.stdout, width=output_width(sys.stdout), highlight=False)


def titled_table(title: str):
    """A rich table at least as wide as its title (plain text, never read as markup), up to the
    console's width. Rich wraps a title to the table's own width, its columns' (34 for three short
    ones), not the terminal's: the title broke over lines in any terminal."""
    from rich.cells import cell_len
    from rich.markup import escape
    from rich.table import Table

    return Table(title=escape(title), min_width=cell_len(title))


def print_result_table(console, title: str, result: ResultTable) -> None:
    """``result`` as a rich table titled ``title``, its first column left-aligned and the others (numbers)
    right-aligned, then its summary line, if any, with the value in bold. Every text is printed as
    text, never read as markup: case names are the user's."""
    from rich.markup import escape

    table = titled_table(title)
    for index, column in enumerate(result.columns):
        table.add_column(escape(column), justify="left" if index == 0 else "right")
    for row in result.rows:
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)
    if result.summary is not None:
        label, value = result.summary
        console.print(f"{escape(label)}: [bold]{escape(value)}[/]")


def print_json(payload: dict) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=float) + "\n")
