"""One housekeeping schedule: named jobs, each at its own interval, run by one loop per process.

Pruning expired tokens, retention, token-exchange claims, the console's snapshots... each used to
be its own loop. Here each is an ``Every`` (a name, an interval read from the settings, the job,
whether it runs at start-up or only after one interval) and one ``Schedule`` runs them in turn:
the jobs are short, bounded deletes or aggregates, so one at a time is enough and keeps them from
competing for SQLite's write lock. A failing job is logged and tried again at its next time; the
others are unaffected. Stopping cancels the loop (a job cut short is redone at the next start).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from authshift.logs import get_logger

__all__ = ["Every", "Schedule", "housekeeping"]

log = get_logger("authshift.jobs.schedule")

S = TypeVar("S")
"""What the jobs are given: the process's state (``AppState``), which this package never imports."""
Stop = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Every(Generic[S]):
    """``job(state)`` every ``seconds(state)``; first at start-up unless ``at_start`` is False."""

    name: str
    seconds: Callable[[S], float]
    job: Callable[[S], Awaitable[None]]
    at_start: bool = True


class Schedule(Generic[S]):
    """Runs the due jobs, then sleeps until the next is due. ``clock``: for tests."""

    def __init__(self, state: S, jobs: Sequence[Every[S]], *, clock: Callable[[], float] = time.monotonic) -> None:
        self.state = state
        self.jobs = list(jobs)
        self.clock = clock
        now = clock()
        self.next_at = {j.name: now if j.at_start else now + j.seconds(state) for j in self.jobs}

    async def run_due(self) -> float:
        """Run every job that is due; returns the seconds until the next one is."""
        for job in self.jobs:
            if self.clock() < self.next_at[job.name]:
                continue
            try:
                await job.job(self.state)
            except Exception as exc:  # noqa: BLE001 - retried at its next time
                log.warning("a housekeeping job failed", job=job.name, error_type=type(exc).__name__)
            self.next_at[job.name] = self.clock() + job.seconds(self.state)
        return max(0.0, min(self.next_at.values(), default=self.clock() + 3600.0) - self.clock())

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(await self.run_due())


def housekeeping(jobs: Sequence[Every[S]]) -> Callable[[S], Awaitable[Stop]]:
    """A background starter (``app.BACKGROUND``) that runs ``jobs`` on one schedule."""

    async def start(state: S) -> Stop:
        task = asyncio.create_task(Schedule(state, jobs).run_forever(), name="authshift-housekeeping")

        async def stop() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        return stop

    return start
