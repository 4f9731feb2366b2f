"""Export jobs: the admin API queues an export, a background worker runs it with ``export_users``.

A job is claimed with the shared lease (``jobs.lease``: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
so several authshift processes can share the table; SQLite's writers are serialised anyway) and the
lease is renewed while the export runs; the worker loop is ``jobs.worker``. A job whose process
died is claimed again when its lease runs out and rerun from the start (the file only appears when an export succeeds, so a rerun is safe); after
``MAX_ATTEMPTS`` it is marked failed.

A completed job's files are removed ``[retention] export_files_days`` after it finished
(``expire_export_files``); the job stays, with no file references left, and reports its files
expired.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authshift.accounts.services import AccountServices
from authshift.errors import AuthshiftError, NotFound
from authshift.ids import uuid7
from authshift.jobs import lease
from authshift.jobs.worker import Worker
from authshift.logs import get_logger
from authshift.migration.exports.bulk import export_users
from authshift.migration.exports.options import PEER_FORMATS, ExportOptions, parse_export_options
from authshift.migration.exports.output import open_output
from authshift.migration.exports.tables import export_jobs
from authshift.migration.exports.writers import writer_for
from authshift.storage.db import is_postgres
from authshift.storage.pruning import BATCH_SIZE
from authshift.storage.types import utcnow

__all__ = [
    "LEASE_SECONDS", "MAX_ATTEMPTS", "create_export_job", "delete_export_job", "expire_export_files", "files_expired",
    "get_export_job", "job_view", "list_export_jobs", "run_one_job", "start_export_worker",
]

LEASE_SECONDS = 60.0
MAX_ATTEMPTS = 3
POLL_SECONDS = 2.0
log = get_logger("authshift.exports")
_workers: set[Worker] = set()
LEASE = lease.LeaseTable(export_jobs)


def exports_dir(state: AccountServices) -> Path:
    return Path(state.settings.data_dir) / "exports"


async def create_export_job(conn: AsyncConnection, options: ExportOptions, *, actor: str) -> uuid.UUID:
    job_id = uuid7()
    await conn.execute(
        export_jobs.insert().values(
            id=job_id, state="queued", options=options.as_dict(), actor=actor, created_at=utcnow(), attempts=0, users=0,
        )
    )
    return job_id


def wake_workers() -> None:
    """Tell this process's workers a job was queued (other processes find it on their next poll)."""
    for worker in _workers:
        worker.wake()


async def get_export_job(conn: AsyncConnection, job_id: uuid.UUID) -> dict[str, Any]:
    row = (await conn.execute(sa.select(export_jobs).where(export_jobs.c.id == job_id))).mappings().first()
    if row is None:
        raise NotFound(f"no export job with id {job_id}")
    return dict(row)


async def list_export_jobs(conn: AsyncConnection, *, limit: int = 50) -> list[dict[str, Any]]:
    """The most recent export jobs, newest first, as ``job_view`` shows them."""
    q = sa.select(export_jobs).order_by(export_jobs.c.created_at.desc()).limit(limit)
    return [job_view(dict(row)) for row in (await conn.execute(q)).mappings()]


async def delete_export_job(conn: AsyncConnection, job: dict[str, Any]) -> None:
    """Remove a finished job's files (they may hold password hashes) and its row."""
    for column in ("file_path", "report_path"):
        if job.get(column):
            Path(job[column]).unlink(missing_ok=True)
    await conn.execute(export_jobs.delete().where(export_jobs.c.id == job["id"]))


def files_expired(job: dict[str, Any]) -> bool:
    """A completed job whose files retention removed (a completed job otherwise always has its file)."""
    return job["state"] == "completed" and not job["file_path"]


def _remove_expired_files(root: Path, job_id: uuid.UUID, paths: list[str | None]) -> bool:
    """Remove an expired job's files if they lie inside ``root`` (one already missing is fine; one
    elsewhere is left in place); False when one could not be removed."""
    for path in filter(None, paths):
        resolved = Path(path).resolve()
        if not resolved.is_relative_to(root):
            log.warning("an expired export's file is outside the export directory; left in place",
                        job_id=str(job_id), path=path)
            continue
        try:
            resolved.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("an expired export's file could not be removed; retried at the next round",
                        job_id=str(job_id), error=exc.strerror)
            return False
    return True


async def expire_export_files(
    engine: AsyncEngine, directory: Path, *, finished_before: datetime, batch_size: int = BATCH_SIZE
) -> int:
    """Remove the files of exports completed before ``finished_before`` and clear the jobs' file
    references, ``batch_size`` jobs per transaction; returns how many jobs expired. Only files
    inside ``directory`` (the export directory) are removed."""
    root = directory.resolve()
    t = export_jobs.c
    expired = 0
    while True:
        async with engine.begin() as conn:
            q = sa.select(t.id, t.file_path, t.report_path).where(
                t.state == "completed", t.file_path.is_not(None), t.finished_at < finished_before,
            ).limit(batch_size)
            if is_postgres(conn):
                q = q.with_for_update(skip_locked=True)
            batch = (await conn.execute(q)).all()
            done = [job_id for job_id, *paths in batch if _remove_expired_files(root, job_id, paths)]
            if done:
                await conn.execute(export_jobs.update().where(t.id.in_(done)).values(file_path=None, report_path=None))
        expired += len(done)
        if len(batch) < batch_size or not done:
            return expired


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    """What the API shows of a job (never a path on the server)."""
    iso = lambda v: v.isoformat().replace("+00:00", "Z") if v else None  # noqa: E731
    summary = job.get("summary") or {}
    expired = files_expired(job)
    return {
        "id": str(job["id"]), "state": job["state"], "options": job["options"],
        "created_at": iso(job["created_at"]), "started_at": iso(job["started_at"]), "finished_at": iso(job["finished_at"]),
        "counts": {
            "total": job["total"], "users": job["users"], "written": summary.get("written"),
            "issues": summary.get("issues"), "withheld": summary.get("withheld", {}),
        },
        "bytes": summary.get("bytes"), "attempts": job["attempts"], "error": job["error"],
        "download": f"/api/admin/v1/exports/{job['id']}/download" if job["state"] == "completed" and not expired else None,
        "report": f"/api/admin/v1/exports/{job['id']}/report" if job.get("report_path") and job["state"] == "completed" else None,
        "files_expired": expired,
    }


async def _claim(engine: AsyncEngine, owner: str) -> dict[str, Any] | None:
    """Lease the oldest claimable job to ``owner``; on the way, jobs whose process stopped
    ``MAX_ATTEMPTS`` times are given up (failed)."""
    async with engine.connect() as probe:  # a read-only look first: no write lock while idle
        probe = await probe.execution_options(readonly=True)
        if not await lease.any_claimable(probe, LEASE):
            return None
    now = utcnow()
    t = export_jobs.c
    async with engine.begin() as conn:
        await conn.execute(
            export_jobs.update().where(LEASE.claimable(now), t.attempts >= MAX_ATTEMPTS).values(
                state="failed", finished_at=now, lease_owner=None,
                error=sa.literal("gave up after ") + sa.cast(t.attempts, sa.String)
                + sa.literal(" attempts (the process running it stopped each time)"),
            )
        )
        rows = await lease.claim(conn, LEASE, owner, LEASE_SECONDS, where=[t.attempts < MAX_ATTEMPTS],
                                 order_by=[t.created_at], values={"started_at": now, "attempts": t.attempts + 1, "users": 0},
                                 now=now)
    return dict(rows[0]) if rows else None


async def _finish(engine: AsyncEngine, job_id: uuid.UUID, owner: str, /, **values: Any) -> None:
    """Store the job's outcome and end ``owner``'s lease (nothing, if another worker took it over)."""
    async with engine.begin() as conn:
        await lease.release(conn, LEASE, job_id, owner, values={**values, "lease_owner": None, "lease_expires_at": None})


async def _run(state: AccountServices, job: dict[str, Any], owner: str) -> None:
    raw = job["options"]
    options = parse_export_options(
        format=raw["format"], fields=raw["fields"], filters=raw["filters"], include_secrets=raw["include_secrets"],
        encrypt_to=raw["encrypt_to"] or None,
    )
    directory = exports_dir(state)
    directory.mkdir(parents=True, exist_ok=True)
    suffix = writer_for(options.format, options.fields).suffix + (".age" if options.encrypted else "")
    path = directory / f"{job['id']}{suffix}"
    report_path = directory / f"{job['id']}.report.ndjson" if options.format in PEER_FORMATS else None
    progress = {"done": 0, "total": None}

    def on_progress(done: int, total: int) -> None:
        progress["done"], progress["total"] = done, total

    async def heartbeat() -> None:
        while True:
            await asyncio.sleep(LEASE_SECONDS / 4)
            async with state.engine.begin() as conn:
                await lease.renew(conn, LEASE, job["id"], owner, LEASE_SECONDS,
                                  values={"users": progress["done"], "total": progress["total"]})

    beat = asyncio.create_task(heartbeat())
    try:
        summary = await export_users(
            state.engine, options, open_output(path, options.recipients), ctx=state.accounts, actor=job["actor"],
            report=open_output(report_path) if report_path else None, progress=on_progress,
        )
    finally:
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat
    await _finish(
        state.engine, job["id"], owner, state="completed", finished_at=utcnow(), users=summary.users, total=progress["total"],
        summary=summary.as_dict(), file_path=str(path), report_path=str(report_path) if report_path else None,
    )


async def run_one_job(state: AccountServices, owner: str | None = None) -> bool:
    """Claim and run one job; False when there was none. Failures are recorded on the job."""
    owner = owner or lease.owner_id()
    job = await _claim(state.engine, owner)
    if job is None:
        return False
    try:
        await _run(state, job, owner)
    except asyncio.CancelledError:
        raise  # the process is stopping: the lease runs out and another worker takes the job
    except Exception as exc:  # noqa: BLE001 - every failure ends up on the job, not in the void
        log.error("export job failed", job_id=str(job["id"]), error_type=type(exc).__name__)
        # Only our own errors' messages are shown: a driver's error can quote query parameters.
        reason = exc.detail if isinstance(exc, AuthshiftError) else f"{type(exc).__name__} (details in the server log)"
        await _finish(state.engine, job["id"], owner, state="failed", finished_at=utcnow(), error=reason[:500])
    return True


async def start_export_worker(state: AccountServices) -> Callable[[], Awaitable[None]]:
    """The background worker (registered in ``app.BACKGROUND``); returns its stop function. Stopping
    cancels an export under way: its lease runs out and a worker (here or elsewhere) reruns it."""
    owner = lease.owner_id()

    async def round() -> bool:
        return await run_one_job(state, owner)

    worker = Worker("authshift-export-worker", round, poll_seconds=POLL_SECONDS, grace_seconds=0)
    _workers.add(worker)
    worker.start()

    async def stop() -> None:
        _workers.discard(worker)
        await worker.stop()

    return stop
