"""One worker loop for every queue: poll, wake early when poked, stop gracefully.

A worker calls its ``round`` again and again: a round claims and runs what is due and says whether
there may be more right away (True: the next round starts at once). An idle worker waits
``poll_seconds``, or less when ``wake()`` is called (this process queued work; other processes find
it at their next poll). A round that raises is logged and retried after ``crash_pause_seconds``
(by default one poll): a worker outlives a bad moment of the database, and a pause keeps a
short outage from using up a job's attempts.

``stop(grace_seconds)``: the round in progress is asked to end (``stopping`` turns True, for rounds
that check it between batches) and given ``grace_seconds`` (None: as long as it takes; 0: none),
then cancelled. Work cancelled mid-way keeps its lease until the lease expires, and is then taken
over (``jobs.lease``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from authshift.logs import get_logger

__all__ = ["Round", "Worker"]

log = get_logger("authshift.jobs.worker")

Round = Callable[[], Awaitable[bool]]


class Worker:
    """The loop of one queue in this process. ``start()`` it once; ``stop()`` it once."""

    def __init__(
        self, name: str, round: Round, *, poll_seconds: float, crash_pause_seconds: float | None = None,
        grace_seconds: float | None = None,
    ) -> None:
        self.name = name
        self.round = round
        self.poll_seconds = poll_seconds
        self.crash_pause_seconds = poll_seconds if crash_pause_seconds is None else crash_pause_seconds
        self.grace_seconds = grace_seconds
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self.name)

    def wake(self) -> None:
        """Look for work now rather than at the next poll."""
        self._wake.set()

    async def stop(self, grace_seconds: float | None = -1.0) -> None:
        """Ask the loop to end; wait ``grace_seconds`` (default: the worker's) before cancelling it."""
        grace = self.grace_seconds if grace_seconds == -1.0 else grace_seconds
        self._stopping.set()
        self._wake.set()
        task, self._task = self._task, None
        if task is None:
            return
        if grace is not None and grace <= 0:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, grace)  # a timeout cancels the task

    async def _pause(self, seconds: float, *, wakeable: bool) -> None:
        waits = [asyncio.ensure_future(self._stopping.wait())]
        if wakeable:
            waits.append(asyncio.ensure_future(self._wake.wait()))
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()  # a wake() during the round makes the pause below return at once
            try:
                busy = await self.round()
            except Exception as exc:  # noqa: BLE001 - the worker must outlive a bad moment of the database
                log.error("a worker round failed; retrying", worker=self.name, error_type=type(exc).__name__,
                          error=str(exc)[:200])
                await self._pause(self.crash_pause_seconds, wakeable=False)
                continue
            if not busy:
                await self._pause(self.poll_seconds, wakeable=True)
