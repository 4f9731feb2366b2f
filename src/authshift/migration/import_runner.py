"""The server's import runner: claims uploaded jobs (queued, or running with a dead lease after a
crash) and runs them one at a time in the background of ``authshift serve``.

Several processes sharing one PostgreSQL each run a runner; ``claim_next_job`` (FOR UPDATE SKIP
LOCKED) gives each job to one of them. On shutdown the job in progress stops after its current
batch and gives its lease back, so the next process (or the restarted one) resumes it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from authshift.errors import Conflict
from authshift.logs import get_logger
from authshift.migration import import_jobs as jobs
from authshift.migration.bulk_import import run_job
from authshift.migration.import_uploads import sweep_uploads
from authshift.state import AppState
from authshift.storage.db import reading

__all__ = ["discard_upload", "start_import_runner", "upload_dir", "wake_runner"]

log = get_logger("authshift.import.runner")
SWEEP_EVERY_SECONDS = 30.0
CRASH_PAUSE_POLLS = 10  # after a job's run crashed, wait this many poll intervals before claiming again
_wakeups: dict[int, asyncio.Event] = {}


def uploads_dir(state: AppState) -> Path:
    """Where uploaded import files wait for their job: ``[imports] data_dir`` or ``<data_dir>/imports``."""
    return state.settings.imports.data_dir or Path(state.settings.data_dir) / "imports"


def upload_dir(state: AppState, job_dir_name: str) -> Path:
    return uploads_dir(state) / job_dir_name


def discard_upload(state: AppState, row: Mapping[str, Any]) -> None:
    """Delete an uploaded job's files once the job is over (they hold password hashes)."""
    if row["origin"] != "api" or state.settings.imports.keep_uploads:
        return
    directory = Path(row["file_path"]).parent
    if directory.parent.resolve() == uploads_dir(state).resolve():
        shutil.rmtree(directory, ignore_errors=True)


async def sweep(state: AppState) -> int:
    """Delete the uploads of finished jobs and of dead uploads (``import_uploads``)."""
    return await sweep_uploads(state.engine, uploads_dir(state), keep_finished=state.settings.imports.keep_uploads)


def wake_runner(state: AppState) -> None:
    """Tell this process's runner a job was queued (other processes find it at their next poll)."""
    event = _wakeups.get(id(state))
    if event is not None:
        event.set()


async def _run_one(state: AppState, owner: str, stopping: asyncio.Event) -> bool:
    """Claim and run one job; False when there was none to claim."""
    cfg = state.settings.imports
    async with reading(state.engine) as probe:
        if not await jobs.any_claimable_job(probe):
            return False
    given_up: list[Mapping[str, Any]] = []
    async with state.engine.begin() as conn:
        row = await jobs.claim_next_job(conn, owner, cfg.lease_seconds, cfg.max_attempts, given_up)
    for failed in given_up:
        log.warning("import job failed: it crashed too many times in a row", job_id=str(failed["id"]))
        discard_upload(state, failed)
    if row is None:
        return False
    log.info("import job claimed", job_id=str(row["id"]), resume_after_line=row["last_line"])
    try:
        summary = await run_job(
            state.engine, state.accounts, row["id"], owner=owner, config=cfg, should_stop=stopping.is_set,
            claimed=True,
        )
    except (jobs.JobLost, Conflict) as exc:
        log.warning("import job given up", job_id=str(row["id"]), reason=str(exc))
        await sweep(state)  # cancelled between its claim and its run: its upload goes now
        return True
    if summary.state != "running":
        discard_upload(state, row)
    return True


async def start_import_runner(state: AppState) -> Callable[[], Awaitable[None]]:
    """``app.BACKGROUND`` starter: returns the function that stops the runner."""
    cfg = state.settings.imports
    stopping = asyncio.Event()
    wake = asyncio.Event()
    _wakeups[id(state)] = wake
    owner = jobs.lease_owner_id()

    async def loop() -> None:
        swept = 0.0
        while not stopping.is_set():
            try:
                jobs.ACTIVE_OWNERS.add(owner)
                ran = await _run_one(state, owner, stopping)
            except Exception as exc:  # noqa: BLE001 - keep serving; the job is retried, up to [imports] max_attempts
                log.error("import runner error", error_type=type(exc).__name__)
                # A pause before the retry, so that a short database outage does not use up the attempts.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=cfg.poll_seconds * CRASH_PAUSE_POLLS)
                continue
            if ran:
                continue
            if time.monotonic() - swept > SWEEP_EVERY_SECONDS:  # idle: jobs given up or cancelled meanwhile
                swept = time.monotonic()
                try:
                    await sweep(state)
                except Exception as exc:  # noqa: BLE001 - tried again at the next idle round
                    log.warning("sweeping import uploads failed", error_type=type(exc).__name__)
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=cfg.poll_seconds)

    task = asyncio.create_task(loop(), name="authshift-import-runner") if cfg.runner else None

    async def stop() -> None:
        stopping.set()
        wake.set()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        _wakeups.pop(id(state), None)
        jobs.ACTIVE_OWNERS.discard(owner)

    return stop
