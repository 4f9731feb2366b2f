"""Tables on the terminal that never cut an id: whole ids are what people copy into the next command."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table


def print_table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, keep_whole: set[str]) -> None:
    """Print a table; the ``keep_whole`` columns are never wrapped or shortened, the others fold.

    At 80 columns a UUID (36 characters) and a few other columns do not fit on one line: rich's
    default shortens the widest cells with an ellipsis, ids included. Here the other columns wrap.
    """
    rows = [list(row) for row in rows]
    table = Table(box=None, pad_edge=False, header_style="bold")
    for i, name in enumerate(headers):
        if name in keep_whole:
            widest = max([len(name), *(len(row[i]) for row in rows)])
            table.add_column(name, no_wrap=True, overflow="ignore", min_width=widest)
        else:
            table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*row)
    Console(soft_wrap=False).print(table)
