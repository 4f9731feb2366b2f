"""Tables on the terminal that never cut an id: whole ids are what people copy into the next command."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table

MIN_FOLDED = 5  # the narrowest a wrapped column may get before rows are shown one field a line


def print_table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, keep_whole: set[str]) -> None:
    """Print a table; the ``keep_whole`` columns (ids) are never wrapped or shortened.

    At 80 columns a UUID (36 characters) and a few other columns do not fit on one line: rich's
    default shortens the widest cells with an ellipsis, ids included. Here the other columns wrap;
    when even that does not fit, each row is printed as ``field value`` lines. Output that is not
    a terminal (and no ``COLUMNS`` set) is not wrapped at all: one row a line, for grep.
    """
    rows = [list(row) for row in rows]
    console = Console(soft_wrap=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(soft_wrap=False, width=10_000)
    widths = [max([len(name), *(len(row[i]) for row in rows)]) for i, name in enumerate(headers)]
    needed = sum(w if name in keep_whole else min(w, MIN_FOLDED) for name, w in zip(headers, widths, strict=False)) + 2 * (len(headers) - 1)
    if needed > console.width:
        _print_records(console, headers, rows)
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name, width in zip(headers, widths, strict=False):
        if name in keep_whole:
            table.add_column(name, no_wrap=True, min_width=width)
        else:
            table.add_column(name, overflow="fold", min_width=min(width, MIN_FOLDED))
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _print_records(console: Console, headers: Sequence[str], rows: list[list[str]]) -> None:
    label = max(len(name) for name in headers) + 2
    for number, row in enumerate(rows):
        if number:
            console.print()
        for name, value in zip(headers, row, strict=False):
            console.print(f"{name:<{label}}{value}", overflow="fold", highlight=False, markup=False)
