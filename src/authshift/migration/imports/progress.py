"""How far an import has come, by bytes of its file read: the percentage and the time left.

Bytes, not records, because the number of records is unknown until the file has been read
(a CSV's line count, a JSON array's length) while the file's size is known from the start. The
CLI's progress bar, ``authshift imports show`` and the console all show this one estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Estimate:
    percent: float | None  # None: the size is unknown (an empty or growing file)
    seconds_left: float | None  # None: too early to tell (nothing read yet)

    def as_json(self) -> dict[str, Any]:
        return {"percent": None if self.percent is None else round(self.percent, 1),
                "seconds_left": None if self.seconds_left is None else round(self.seconds_left)}


def estimate(bytes_read: int, bytes_total: int, elapsed_seconds: float, *, finished: bool = False) -> Estimate:
    """Share of ``bytes_total`` read, and the time left at the average rate so far."""
    if finished:
        return Estimate(100.0, 0.0)
    if bytes_total <= 0:
        return Estimate(None, None)
    done = min(max(bytes_read, 0), bytes_total)
    percent = 100.0 * done / bytes_total
    if done == 0 or elapsed_seconds <= 0:
        return Estimate(percent, None)
    return Estimate(percent, (bytes_total - done) * elapsed_seconds / done)


def job_estimate(row: Any, now: datetime) -> Estimate:
    """A job row's estimate: elapsed from its start to its last committed batch (or now when it runs)."""
    if row["state"] == "completed":
        return estimate(0, 0, 0, finished=True)
    started = row["started_at"]
    elapsed = ((row["updated_at"] or now) - started).total_seconds() if started else 0.0
    return estimate(row["bytes_read"], row["file_size"], elapsed)


def duration_text(seconds: float | None) -> str:
    """``1h 05m``, ``4m 10s``, ``12s``; ``?`` when unknown. Short: it has to fit 80 columns."""
    if seconds is None:
        return "?"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"
