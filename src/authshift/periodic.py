"""Background jobs that run every few minutes for the life of the server (``app.BACKGROUND``).

``periodic(name, every_seconds, job)`` is a background starter: it runs ``job(state)`` now and then
every ``every_seconds``; a failing round is logged and retried at the next one; stopping the
server cancels the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from authshift.logs import get_logger

if TYPE_CHECKING:
    from authshift.state import AppState

log = get_logger("authshift.periodic")

Job = Callable[["AppState"], Awaitable[None]]
Stop = Callable[[], Awaitable[None]]


def periodic(name: str, every_seconds: float, job: Job) -> Callable[[AppState], Awaitable[Stop]]:
    async def start(state: AppState) -> Stop:
        async def loop() -> None:
            while True:
                try:
                    await job(state)
                except Exception as exc:  # noqa: BLE001 - retried at the next round
                    log.warning("a periodic job failed", job=name, error_type=type(exc).__name__)
                await asyncio.sleep(every_seconds)

        task = asyncio.create_task(loop(), name=name)

        async def stop() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        return stop

    return start
