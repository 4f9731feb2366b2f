"""Chart geometry for server-rendered SVG: the templates draw rectangles and polylines from what
these return. No script, no chart library; every chart has its numbers printed beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BAR_WIDTH = 240  # px of the longest bar
LINE_WIDTH, LINE_HEIGHT = 600, 180
COLUMN_HEIGHT = 120


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    width: int  # px, proportional to the largest value of the chart
    percent: float  # of the chart's total


def bars(items: Sequence[tuple[str, int]], *, max_width: int = BAR_WIDTH) -> list[Bar]:
    top = max((v for _, v in items), default=0)
    total = sum(v for _, v in items)
    return [Bar(label, value, round(max_width * value / top) if top else 0, round(100 * value / total, 1) if total else 0.0)
            for label, value in items]


@dataclass(frozen=True)
class Line:
    name: str
    points: str  # SVG polyline points
    last: int
    last_x: float
    last_y: float


def lines(series: dict[str, Sequence[int]], *, width: int = LINE_WIDTH, height: int = LINE_HEIGHT) -> tuple[list[Line], int]:
    """One polyline per series over the same days; returns them and the y axis maximum."""
    top = max((max(v) for v in series.values() if v), default=0) or 1
    out = []
    for name, values in series.items():
        n = len(values)
        step = width / (n - 1) if n > 1 else 0
        coords = [(round(i * step, 1), round(height - height * v / top, 1)) for i, v in enumerate(values)]
        if n == 1:  # one day: a flat line across, so it shows
            coords.append((float(width), coords[0][1]))
        points = " ".join(f"{x},{y}" for x, y in coords)
        out.append(Line(name, points, values[-1] if values else 0, coords[-1][0] if coords else 0, coords[-1][1] if coords else height))
    return out, top


@dataclass(frozen=True)
class Column:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


def columns(items: Sequence[tuple[str, int]], *, width: int = LINE_WIDTH, height: int = COLUMN_HEIGHT) -> list[Column]:
    top = max((v for _, v in items), default=0) or 1
    slot = width / max(1, len(items))
    out = []
    for i, (label, value) in enumerate(items):
        h = round(height * value / top, 1)
        out.append(Column(label, value, round(i * slot + 1, 1), round(height - h, 1), round(max(1.0, slot - 2), 1), h))
    return out
