"""The one-line progress display of ``authshift import``: share of the file read, time left, counts.

Built for the width it is given, so it never wraps nor collapses: the percentage and the time left
always show, then the counts, then the file's name (shortened), and the bar takes what is left
(and disappears below ``MIN_BAR`` cells). rich's stock columns shrink evenly instead, so at 80
columns or less the bar, then the percentage, were the first to go.
"""

from __future__ import annotations

import time

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from authshift.migration.imports.progress import duration_text, estimate

MIN_BAR, MAX_BAR = 10, 30  # bar cells, brackets not counted
MIN_NAME, MAX_NAME = 8, 24


def _fit(name: str, width: int) -> str:
    return name if len(name) <= width else name[: max(width - 3, 1)] + "..."


def progress_line(name: str, bytes_read: int, bytes_total: int, elapsed: float, counts: str, width: int,
                  *, finished: bool = False) -> str:
    """The line for ``width`` columns (never longer): ``NAME [####----]  45% 4m 10s left  COUNTS``."""
    guess = estimate(bytes_read, bytes_total, elapsed, finished=finished)
    percent = "?%" if guess.percent is None else f"{guess.percent:.0f}%"
    core = f"{percent:>4} " + ("done" if finished else f"{duration_text(guess.seconds_left)} left")
    room = width - len(core)
    tail = f"  {counts}" if counts and room >= len(counts) + 2 else ""
    room -= len(tail)
    bar_room = MIN_BAR + 3  # "[" cells "] "
    head = ""
    if room >= bar_room + min(MIN_NAME, len(name)) + 1:
        shown = _fit(name, min(MAX_NAME, room - bar_room - 1))
        cells = min(MAX_BAR, room - len(shown) - 1 - 3)
        filled = int(round(cells * (guess.percent or 0.0) / 100))
        head = f"{shown} [{'#' * filled}{'-' * (cells - filled)}] "
    elif room >= MIN_NAME + 1:
        head = _fit(name, min(MAX_NAME, room - 1)) + " "
    return (head + core + tail)[:width]


class ProgressLine:
    """A rich renderable of ``progress_line`` at the console's width (re-rendered on resize)."""

    def __init__(self, name: str, total: int) -> None:
        self.name, self.total = name, total
        self.bytes_read, self.counts, self.finished = 0, "", False
        self.started = time.monotonic()
        self.elapsed = 0.0  # up to the last update: the rate is that of committed batches

    def update(self, bytes_read: int, counts: str) -> None:
        self.bytes_read, self.counts = bytes_read, counts
        self.elapsed = time.monotonic() - self.started

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(progress_line(self.name, self.bytes_read, self.total, self.elapsed, self.counts,
                                 options.max_width, finished=self.finished), no_wrap=True, overflow="crop")

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"ProgressLine({self.name!r}, {self.bytes_read}/{self.total})"

