"""Import job rows: creating, claiming (with a lease), progress, finishing, reading results.

A process runs a job only while it holds the job's lease (``lease_owner`` + ``lease_expires_at``).
Every batch renews the lease in the same transaction that writes the batch and its progress; a
batch whose progress update finds the lease gone (taken over, or the job cancelled) is rolled
back, so two processes can never both write the same records.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authshift.errors import Conflict, NotFound
from authshift.events.outbox import emit
from authshift.ids import uuid7
from authshift.jobs.lease import LeaseTable, release
from authshift.jobs.lease import renew as renew_lease
from authshift.migration.imports.dry_run import dry_run_view, stored_outcome
from authshift.migration.imports.progress import job_estimate
from authshift.migration.imports.tables import import_jobs, import_results
from authshift.storage.bulk import in_values
from authshift.storage.db import is_postgres
from authshift.storage.types import utcnow

__all__ = [
    "Counts",
    "JobLost",
    "RESULT_PAGE",
    "cancel_job",
    "claim_job",
    "claim_next_job",
    "commit_progress",
    "create_job",
    "finish_job",
    "find_resumable_job",
    "get_job",
    "held_job",
    "iter_result_lines",
    "iter_result_rows",
    "iter_results",
    "result_json",
    "result_line",
    "job_view",
    "list_jobs",
    "release_lease",
    "touched_users",
]

RESULT_PAGE = 5000
UNFINISHED = ("queued", "running")


class JobLost(Exception):
    """This process no longer holds the job (cancelled, or its lease was taken over)."""


@dataclass
class Counts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0

    def add(self, outcome: str) -> None:
        self.read += 1
        setattr(self, outcome, getattr(self, outcome) + 1)

    def merge(self, other: Counts) -> None:
        for name in ("read", "inserted", "updated", "skipped", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {"read": self.read, "inserted": self.inserted, "updated": self.updated,
                "skipped": self.skipped, "failed": self.failed}


LEASE = LeaseTable(import_jobs)


def _lease_free(row: Mapping[str, Any], now: datetime) -> bool:
    """Free to claim: expired, or its owner is known to be gone (``jobs.lease``): a killed
    process's job is resumed at once by the next process on its host."""
    return row["state"] == "running" and LEASE.free(row, now)


async def create_job(
    conn: AsyncConnection,
    *,
    origin: str,
    created_by: str,
    options: Mapping[str, Any],
    file_path: str,
    file_name: str,
    file_digest: str,
    file_size: int,
    job_id: uuid.UUID | None = None,
) -> uuid.UUID:
    job_id = job_id or uuid7()
    now = utcnow()
    await conn.execute(
        import_jobs.insert().values(
            id=job_id, state="queued", origin=origin, created_by=created_by, options=dict(options),
            file_path=file_path, file_name=file_name, file_digest=file_digest, file_size=file_size,
            records_read=0, inserted=0, updated=0, skipped=0, failed=0, last_index=0, last_line=0,
            created_at=now, updated_at=now,
        )
    )
    return job_id


async def get_job(conn: AsyncConnection, job_id: uuid.UUID) -> Mapping[str, Any]:
    row = (await conn.execute(sa.select(import_jobs).where(import_jobs.c.id == job_id))).mappings().first()
    if row is None:
        raise NotFound(f"no import job with id {job_id}")
    return row


# Options naming a file beside the main one: paths on this machine, not shown in a job's view.
SIDE_FILES = frozenset({"auth0_password_hashes", "fusionauth_webauthn"})


def job_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """A job as the admin API and the CLI show it."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat().replace("+00:00", "Z") if value else None

    options = dict(row["options"])
    progress = job_estimate(row, utcnow())
    return {
        "id": str(row["id"]),
        "state": row["state"],
        "dry_run": bool(options.get("dry_run")),
        "options": {k: v for k, v in options.items() if not k.endswith("_file") and k not in SIDE_FILES},
        "file": {"name": row["file_name"], "size": row["file_size"], "sha256": row["file_digest"]},
        "counts": {"read": row["records_read"], "inserted": row["inserted"], "updated": row["updated"],
                   "skipped": row["skipped"], "failed": row["failed"]},
        "last_line": row["last_line"],
        "progress": {"bytes_read": row["file_size"] if row["state"] == "completed" else row["bytes_read"],
                     "bytes_total": row["file_size"], **progress.as_json()},
        "readiness": row["readiness_counts"],  # by readiness and by hash family, once finished
        "undone_at": iso(row["undone_at"]),
        "error": row["error"],
        "origin": row["origin"],
        "created_at": iso(row["created_at"]),
        "started_at": iso(row["started_at"]),
        "finished_at": iso(row["finished_at"]),
    }


async def list_jobs(conn: AsyncConnection, *, limit: int = 50) -> list[dict[str, Any]]:
    q = sa.select(import_jobs).order_by(import_jobs.c.created_at.desc()).limit(limit)
    return [job_view(row) for row in (await conn.execute(q)).mappings()]


async def find_resumable_job(
    conn: AsyncConnection, *, file_digest: str, options: Mapping[str, Any], origin: str = "cli"
) -> Mapping[str, Any] | None:
    """The unfinished job of the same file and options, if any (the most recent)."""
    q = (
        sa.select(import_jobs)
        .where(import_jobs.c.file_digest == file_digest, import_jobs.c.origin == origin,
               import_jobs.c.state.in_(UNFINISHED))
        .order_by(import_jobs.c.created_at.desc())
    )
    for row in (await conn.execute(q)).mappings():
        if dict(row["options"]) == dict(options):
            return row
    return None


def _crash_reason(row: Mapping[str, Any]) -> str:
    where = f"after line {row['last_line']}" if row["last_line"] else "at its first batch"
    last = f" (last error: {row['error']})" if row["error"] else " (the process running it stopped: crashed or killed)"
    return (f"the import stopped {row['attempts']} times in a row {where} without finishing a batch{last}; "
            f"the records from that point on were not imported")


async def _give_up(conn: AsyncConnection, row: Mapping[str, Any]) -> Mapping[str, Any]:
    return await finish_job(conn, row["id"], None, "failed", error=_crash_reason(row))


async def claim_job(
    conn: AsyncConnection, job_id: uuid.UUID, owner: str, lease_seconds: float, *, allow_failed: bool = False,
    max_attempts: int = 0,
) -> Mapping[str, Any]:
    """Take the lease of a job to run it; ``Conflict`` when another live process holds it.

    Each claim counts an attempt, and each committed batch resets the count (``commit_progress``):
    a job whose runs crashed ``max_attempts`` times in a row (0: no limit) is ended ``failed``
    with the reason instead of crashing again at every lease, forever: the row returned is then
    ``failed`` (the caller runs nothing). Re-running a failed job on purpose (``allow_failed``)
    starts the count again.
    """
    q = sa.select(import_jobs).where(import_jobs.c.id == job_id)
    if is_postgres(conn):
        q = q.with_for_update()
    row = (await conn.execute(q)).mappings().first()
    if row is None:
        raise NotFound(f"no import job with id {job_id}")
    now = utcnow()
    states = ("queued", "running", "failed") if allow_failed else UNFINISHED
    if row["state"] not in states:
        raise Conflict(f"import job {job_id} is {row['state']}; it cannot be run again")
    if row["state"] == "running" and not _lease_free(row, now):
        raise Conflict(
            f"import job {job_id} is being run by another process ({row['lease_owner']}) until "
            f"{row['lease_expires_at'].isoformat()}; try again when it has stopped"
        )
    attempts = 0 if row["state"] == "failed" else row["attempts"]
    if max_attempts and attempts >= max_attempts:
        return await _give_up(conn, row)
    await conn.execute(
        import_jobs.update().where(import_jobs.c.id == job_id).values(
            state="running", lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds),
            started_at=row["started_at"] or now, updated_at=now, finished_at=None, attempts=attempts + 1,
            error=row["error"] if row["state"] == "running" else None,  # the last crash's, for _crash_reason
        )
    )
    return await get_job(conn, job_id)


async def claim_next_job(conn: AsyncConnection, owner: str, lease_seconds: float, max_attempts: int = 0,
                         given_up: list[Mapping[str, Any]] | None = None) -> Mapping[str, Any] | None:
    """For the server's runner: claim the oldest uploaded job that is queued, or running with a dead
    lease (its process crashed). Rows another process is claiming are skipped (SKIP LOCKED); a job
    out of attempts is ended failed on the way (``claim_job``) and added to ``given_up``."""
    now = utcnow()
    q = _unfinished_api_jobs()
    if is_postgres(conn):
        q = q.with_for_update(skip_locked=True)
    for row in (await conn.execute(q)).mappings():
        if row["state"] == "queued" or _lease_free(row, now):
            claimed = await claim_job(conn, row["id"], owner, lease_seconds, max_attempts=max_attempts)
            if claimed["state"] == "running":
                return claimed
            if given_up is not None:
                given_up.append(claimed)
    return None


def _unfinished_api_jobs() -> sa.Select[Any]:
    return (
        sa.select(import_jobs)
        .where(import_jobs.c.origin == "api", import_jobs.c.state.in_(UNFINISHED))
        .order_by(import_jobs.c.created_at)
        .limit(20)
    )


async def any_claimable_job(conn: AsyncConnection) -> bool:
    """A read-only look before claiming, so an idle runner never takes SQLite's write lock."""
    now = utcnow()
    return any(row["state"] == "queued" or _lease_free(row, now) for row in (await conn.execute(_unfinished_api_jobs())).mappings())


async def held_job(conn: AsyncConnection, job_id: uuid.UUID, owner: str) -> Mapping[str, Any]:
    """A job this process has claimed already; ``JobLost`` when it no longer holds it."""
    row = await get_job(conn, job_id)
    if row["state"] != "running" or row["lease_owner"] != owner:
        raise JobLost(f"import job {job_id} is not held by this process")
    return row


async def commit_progress(
    conn: AsyncConnection,
    job_id: uuid.UUID,
    owner: str,
    lease_seconds: float,
    *,
    counts: Counts,
    last_index: int,
    last_line: int,
    bytes_read: int = 0,
) -> None:
    """Add a batch's counts and move the resume point, in the batch's transaction; renew the lease.
    ``bytes_read``: how much of the file the reader had read (the job's percentage and time left)."""
    now = utcnow()
    c = import_jobs.c
    progress = {
        "records_read": c.records_read + counts.read, "inserted": c.inserted + counts.inserted,
        "updated": c.updated + counts.updated, "skipped": c.skipped + counts.skipped, "failed": c.failed + counts.failed,
        "last_index": last_index, "last_line": last_line, "bytes_read": bytes_read, "updated_at": now, "attempts": 0,
        "error": None,
    }
    if not await renew_lease(conn, LEASE, job_id, owner, lease_seconds, values=progress, now=now):
        raise JobLost(f"import job {job_id} was cancelled or taken over by another process")


async def release_lease(conn: AsyncConnection, job_id: uuid.UUID, owner: str, *, crashed: str | None = None) -> None:
    """Give a running job back: another process may resume it at once. A process stopping on
    purpose does not count the attempt; ``crashed`` (what went wrong, without data) does."""
    c = import_jobs.c
    values: dict[str, Any] = {"lease_expires_at": utcnow()}
    if crashed is None:
        values["attempts"] = sa.case((c.attempts > 0, c.attempts - 1), else_=0)
    else:
        values["error"] = crashed
    await release(conn, LEASE, job_id, owner, values=values)


async def finish_job(
    conn: AsyncConnection, job_id: uuid.UUID, owner: str | None, state: str, *, error: str | None = None
) -> Mapping[str, Any]:
    """Mark the job completed or failed (releasing the lease) and emit ``import.completed`` / ``import.failed``."""
    now = utcnow()
    c = import_jobs.c
    cond = [c.id == job_id, c.state == "running"]
    if owner is not None:
        cond.append(c.lease_owner == owner)
    result = await conn.execute(
        import_jobs.update().where(*cond).values(
            state=state, error=error, finished_at=now, updated_at=now, lease_owner=None, lease_expires_at=None
        )
    )
    if result.rowcount != 1:
        raise JobLost(f"import job {job_id} was cancelled or taken over by another process")
    from authshift.migration.readiness.report import job_counts

    await conn.execute(import_jobs.update().where(c.id == job_id).values(readiness_counts=await job_counts(conn, job_id)))
    row = await get_job(conn, job_id)
    view = job_view(row)
    data = {k: view[k] for k in ("id", "state", "dry_run", "options", "file", "counts", "readiness", "error")}
    await emit(conn, "import.completed" if state == "completed" else "import.failed", data, subject=view["id"])
    return row


async def cancel_job(conn: AsyncConnection, job_id: uuid.UUID) -> Mapping[str, Any]:
    """Stop a queued or running job: the batch in flight is rolled back, committed batches stay."""
    row = await get_job(conn, job_id)
    if row["state"] not in UNFINISHED:
        raise Conflict(f"import job {job_id} is already {row['state']}")
    now = utcnow()
    await conn.execute(
        import_jobs.update().where(import_jobs.c.id == job_id).values(
            state="cancelled", finished_at=now, updated_at=now, lease_owner=None, lease_expires_at=None
        )
    )
    return await get_job(conn, job_id)


async def touched_users(conn: AsyncConnection, job_id: uuid.UUID, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Which of ``user_ids`` this job already inserted, updated or skipped, with the line that did it."""
    if not user_ids:
        return {}
    r = import_results.c
    q = sa.select(r.user_id, r.line).where(
        r.job_id == job_id, in_values(conn.dialect, r.user_id, user_ids), r.outcome.in_(("inserted", "updated", "skipped"))
    )
    return {uid: line for uid, line in (await conn.execute(q)).all()}


def result_json(row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "line": row["line"], "index": row["seq"], "outcome": row["outcome"],
        "user_id": str(row["user_id"]) if row["user_id"] else None,
        "errors": row["errors"] or [], "warnings": row["warnings"] or [],
    }
    if row["reason"]:
        out["reason"] = row["reason"]
    if row["readiness"] is not None:
        out["readiness"], out["hash_family"] = row["readiness"], row["hash_family"]
    if row["record"] is not None:
        out["record"] = row["record"]
    return out


def result_line(row: Mapping[str, Any]) -> str:
    """One outcome as an NDJSON line (without the newline); the common case is formatted directly."""
    if row["errors"] is None and row["warnings"] is None and row["reason"] is None and row["record"] is None:
        user = f'"{row["user_id"]}"' if row["user_id"] else "null"
        ready = "" if row["readiness"] is None else \
            f',"readiness":"{row["readiness"]}","hash_family":{json.dumps(row["hash_family"])}'
        return (f'{{"line":{row["line"]},"index":{row["seq"]},"outcome":"{row["outcome"]}",'
                f'"user_id":{user},"errors":[],"warnings":[]{ready}}}')
    return json.dumps(result_json(row), ensure_ascii=False, separators=(",", ":"))


async def iter_result_rows(
    engine: AsyncEngine, job_id: uuid.UUID, *, outcome: str | None = None, page: int = RESULT_PAGE
) -> AsyncIterator[list[Mapping[str, Any]]]:
    """Every outcome row of a job in file order, a page at a time (one short read transaction each)."""
    r = import_results.c
    after = 0
    while True:
        q = sa.select(import_results).where(r.job_id == job_id, r.seq > after).order_by(r.seq).limit(page)
        if outcome:
            q = q.where(r.outcome == outcome)
        async with engine.connect() as conn:
            conn = await conn.execution_options(readonly=True)
            async with conn.begin():
                rows = list((await conn.execute(q)).mappings())
        if rows:
            yield rows
        if len(rows) < page:
            return
        after = rows[-1]["seq"]


async def iter_results(
    engine: AsyncEngine, job_id: uuid.UUID, *, outcome: str | None = None, page: int = RESULT_PAGE
) -> AsyncIterator[dict[str, Any]]:
    """Every outcome of a job in file order, as dicts."""
    async for rows in iter_result_rows(engine, job_id, outcome=outcome, page=page):
        for row in rows:
            yield result_json(row)


async def iter_result_lines(
    engine: AsyncEngine, job_id: uuid.UUID, *, outcome: str | None = None, page: int = RESULT_PAGE,
    dry_run: bool = False,
) -> AsyncIterator[str]:
    """Every outcome of a job as NDJSON text, a page of lines at a time (the report, the results API).

    A dry run's lines say what would happen (``migration.imports.dry_run``); ``outcome`` may use either name."""
    if outcome:
        outcome = stored_outcome(outcome)
    async for rows in iter_result_rows(engine, job_id, outcome=outcome, page=page):
        if dry_run:
            yield "".join(json.dumps(dry_run_view(result_json(row)), ensure_ascii=False, separators=(",", ":")) + "\n"
                          for row in rows)
        else:
            yield "".join(result_line(row) + "\n" for row in rows)
