"""The shared worker loop (``jobs.worker``) and housekeeping schedule (``jobs.schedule``)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from authshift.jobs.schedule import Every, Schedule
from authshift.jobs.worker import Worker


async def test_an_idle_worker_polls_and_wakes_early() -> None:
    rounds: list[float] = []

    async def round() -> bool:
        rounds.append(time.monotonic())
        return False

    worker = Worker("test", round, poll_seconds=30)
    worker.start()
    await asyncio.sleep(0.05)
    assert len(rounds) == 1, "one round, then it waits for the poll"
    worker.wake()
    await asyncio.sleep(0.05)
    assert len(rounds) == 2, "wake() starts a round at once"
    await asyncio.wait_for(worker.stop(), 1)


async def test_a_busy_worker_goes_on_at_once_and_a_failing_round_is_retried() -> None:
    script = [True, True, RuntimeError("database down"), False]
    done = asyncio.Event()

    async def round() -> bool:
        step = script.pop(0) if script else False
        if not script:
            done.set()
        if isinstance(step, Exception):
            raise step
        return bool(step)

    worker = Worker("test", round, poll_seconds=30, crash_pause_seconds=0.01)
    worker.start()
    await asyncio.wait_for(done.wait(), 2)
    await worker.stop()


async def test_stop_lets_the_round_finish_within_the_grace_then_cancels() -> None:
    seen: list[str] = []

    async def polite() -> bool:
        while not worker.stopping:
            await asyncio.sleep(0.01)
        seen.append("finished")
        return False

    worker = Worker("test", polite, poll_seconds=30, grace_seconds=None)
    worker.start()
    await asyncio.sleep(0.02)
    await asyncio.wait_for(worker.stop(), 1)
    assert seen == ["finished"]

    async def stuck() -> bool:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        return False

    worker = Worker("test", stuck, poll_seconds=30, grace_seconds=0.05)
    worker.start()
    await asyncio.sleep(0.02)
    started = time.monotonic()
    await worker.stop()
    assert seen[-1] == "cancelled" and time.monotonic() - started < 1


async def test_the_schedule_runs_each_job_at_its_interval_and_survives_a_failure() -> None:
    now = [0.0]
    ran: list[str] = []

    async def ok(_: Any) -> None:
        ran.append("ok")

    async def bad(_: Any) -> None:
        ran.append("bad")
        raise RuntimeError("nope")

    schedule = Schedule(None, [Every("ok", lambda _: 10, ok), Every("bad", lambda _: 25, bad, at_start=False)],  # type: ignore[arg-type]
                        clock=lambda: now[0])
    assert await schedule.run_due() == 10 and ran == ["ok"]
    now[0] = 10
    assert await schedule.run_due() == 10 and ran == ["ok", "ok"]
    now[0] = 25
    assert await schedule.run_due() == 10 and ran == ["ok", "ok", "ok", "bad"], "a failure waits for its next time"
