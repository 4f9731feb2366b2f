"""The server's import runner: claims uploaded jobs (queued, or running with a dead lease after a
crash) and runs them one at a time in the background of ``authshift serve``.

Several processes sharing one PostgreSQL each run a runner; ``claim_next_job`` (FOR UPDATE SKIP
LOCKED) gives each job to one of them. On shutdown the job in progress stops after its current
batch and gives its lease back, so the next process (or the restarted one) resumes it at once.
The loop is the shared ``jobs.worker.Worker``; sweeping finished jobs' uploads is housekeeping
(``sweep_idle_uploads`` in ``app.HOUSEKEEPING``).
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from authshift.accounts.services import AccountServices
from authshift.errors import Conflict
from authshift.jobs.lease import LIVE_OWNERS, owner_id
from authshift.jobs.worker import Worker
from authshift.logs import get_logger
from authshift.migration.imports import jobs
from authshift.migration.imports.bulk import run_job
from authshift.migration.imports.uploads import sweep_uploads
from authshift.storage.db import reading

__all__ = ["discard_upload", "start_import_runner", "sweep_idle_uploads", "upload_dir", "wake_runner"]

log = get_logger("authshift.import.runner")
SWEEP_EVERY_SECONDS = 30.0
CRASH_PAUSE_POLLS = 10  # after a job's run crashed, wait this many poll intervals before claiming again
_workers: dict[int, Worker] = {}


def uploads_dir(state: AccountServices) -> Path:
    """Where uploaded import files wait for their job: ``[imports] data_dir`` or ``<data_dir>/imports``."""
    return state.settings.imports.data_dir or Path(state.settings.data_dir) / "imports"


def upload_dir(state: AccountServices, job_dir_name: str) -> Path:
    return uploads_dir(state) / job_dir_name


def discard_upload(state: AccountServices, row: Mapping[str, Any]) -> None:
    """Delete an uploaded job's files once the job is over (they hold password hashes)."""
    if row["origin"] != "api" or state.settings.imports.keep_uploads:
        return
    directory = Path(row["file_path"]).parent
    if directory.parent.resolve() == uploads_dir(state).resolve():
        shutil.rmtree(directory, ignore_errors=True)


async def sweep(state: AccountServices) -> int:
    """Delete the uploads of finished jobs and of dead uploads (``import_uploads``)."""
    return await sweep_uploads(state.engine, uploads_dir(state), keep_finished=state.settings.imports.keep_uploads)


async def sweep_idle_uploads(state: AccountServices) -> None:
    """Housekeeping every ``SWEEP_EVERY_SECONDS`` where a runner runs: the uploads of jobs given up or
    cancelled meanwhile go."""
    if state.settings.imports.runner:
        await sweep(state)


def wake_runner(state: AccountServices) -> None:
    """Tell this process's runner a job was queued (other processes find it at their next poll)."""
    worker = _workers.get(id(state))
    if worker is not None:
        worker.wake()


async def _run_one(state: AccountServices, owner: str, should_stop: Callable[[], bool]) -> bool:
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
            state.engine, state.accounts, row["id"], owner=owner, config=cfg, should_stop=should_stop, claimed=True,
        )
    except (jobs.JobLost, Conflict) as exc:
        log.warning("import job given up", job_id=str(row["id"]), reason=str(exc))
        await sweep(state)  # cancelled between its claim and its run: its upload goes now
        return True
    if summary.state != "running":
        discard_upload(state, row)
    return True


async def start_import_runner(state: AccountServices) -> Callable[[], Awaitable[None]]:
    """``app.BACKGROUND`` starter: returns the function that stops the runner. A crashed round
    pauses ``CRASH_PAUSE_POLLS`` polls, so that a short database outage does not use up the
    job's attempts (``[imports] max_attempts``)."""
    cfg = state.settings.imports
    owner = owner_id()

    async def round() -> bool:
        LIVE_OWNERS.add(owner)
        return await _run_one(state, owner, lambda: worker.stopping)

    worker = Worker("authshift-import-runner", round, poll_seconds=cfg.poll_seconds,
                    crash_pause_seconds=cfg.poll_seconds * CRASH_PAUSE_POLLS, grace_seconds=None)
    _workers[id(state)] = worker
    if cfg.runner:
        worker.start()

    async def stop() -> None:
        await worker.stop()
        _workers.pop(id(state), None)
        LIVE_OWNERS.discard(owner)

    return stop
