"""What the admin API, the CLI (``authshift import`` and ``authshift imports``) and the console do
with an import job: create it (audited), find the unfinished job of the same file and options to
resume it instead, show it (with its warnings), cancel it (audited, its upload discarded) and resume
an upload. One place, so the three show the same view and a job is created, deduplicated and
recorded the same way whoever asked."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authshift.accounts.services import AccountServices
from authshift.audit import record_audit
from authshift.errors import Conflict, InvalidInput
from authshift.migration.imports import jobs
from authshift.migration.imports.runner import discard_upload, wake_runner
from authshift.migration.imports.source import ImportOptions
from authshift.migration.imports.tables import import_jobs
from authshift.migration.readiness.report import lazy_warning
from authshift.storage.types import utcnow

__all__ = [
    "JobFile",
    "StartedJob",
    "cancel_import",
    "create_import_job",
    "file_digest",
    "import_status",
    "resume_import",
    "resume_problem",
    "start_or_resume",
]


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read in chunks (how a re-run of the same file is recognised)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class JobFile:
    """The file a job imports: where it is, the name shown, its SHA-256 and size."""

    path: Path
    name: str
    sha256: str
    size: int

    @classmethod
    def of(cls, path: Path) -> JobFile:
        """A file on this machine (``authshift import FILE``), hashed here."""
        return cls(path=path, name=path.name, sha256=file_digest(path), size=path.stat().st_size)


@dataclass(frozen=True)
class StartedJob:
    """The job to run: ``explicit`` when it was named to be resumed (a failed job then runs again)."""

    id: uuid.UUID
    row: Mapping[str, Any]
    explicit: bool = False


async def create_import_job(conn: AsyncConnection, source: JobFile, options: ImportOptions, *, origin: str,
                            actor: str, audit_details: dict[str, Any] | None = None,
                            job_id: uuid.UUID | None = None) -> Mapping[str, Any]:
    """Queue a job for ``source`` and record ``import.created`` under ``actor``, in the caller's
    transaction (an upload's job is created where its files are received); the job's row."""
    job_id = await jobs.create_job(
        conn, job_id=job_id, origin=origin, created_by=actor, options=options.as_json(), file_path=str(source.path),
        file_name=source.name, file_digest=source.sha256, file_size=source.size,
    )
    await record_audit(
        conn, actor=actor, action="import.created", target=str(job_id),
        details={**(audit_details or {}), "file": source.name, "size": source.size, "format": options.format,
                 "mode": options.mode, "identifier": options.identifier, "dry_run": options.dry_run,
                 "source": options.source},
    )
    return await jobs.get_job(conn, job_id)


async def start_or_resume(engine: AsyncEngine, source: JobFile, options: ImportOptions, *, actor: str,
                          resume: uuid.UUID | None = None) -> StartedJob:
    """The job ``authshift import`` runs: the one named by ``resume`` (it must be the same file; a
    failed one is run again, audited ``import.resumed``), else the unfinished job of the same file
    and options (a re-run resumes where it stopped and imports nothing twice), else a new one
    (audited ``import.created``)."""
    async with engine.begin() as conn:
        if resume is not None:
            row = await jobs.get_job(conn, resume)
            if row["file_digest"] != source.sha256:
                raise InvalidInput(f"{source.path} is not the file job {resume} was importing (its content differs)")
            if row["state"] == "failed":  # a finished job runs again: recorded as the API's resume is
                await record_audit(conn, actor=actor, action="import.resumed", target=str(resume),
                                   details={"after_line": row["last_line"]})
            return StartedJob(resume, row, explicit=True)
        found = await jobs.find_resumable_job(conn, file_digest=source.sha256, options=options.as_json())
        if found is not None:
            return StartedJob(found["id"], found)
        row = await create_import_job(conn, source, options, origin="cli", actor=actor)
        return StartedJob(row["id"], row)


async def import_status(state: AccountServices, job_id: uuid.UUID) -> dict[str, Any]:
    """The job's view (state, counts, progress) and its ``warnings``; ``NotFound`` for an unknown id."""
    async with state.engine.connect() as conn:
        view = jobs.job_view(await jobs.get_job(conn, job_id))
    verify_configured = state.settings.migration.legacy.verify_url is not None
    view["warnings"] = [w for w in [lazy_warning(view["readiness"], verify_configured)] if w]
    return view


async def cancel_import(state: AccountServices, job_id: uuid.UUID, *, actor: str,
                        audit_details: dict[str, Any] | None = None) -> dict[str, Any]:
    """Stop a queued or running job (committed batches stay) and audit it under ``actor``.

    ``NotFound`` for an unknown id, ``Conflict`` for a job already over. The process running the
    job notices at its next batch, which is rolled back."""
    async with state.engine.begin() as conn:
        before = await jobs.get_job(conn, job_id)
        row = await jobs.cancel_job(conn, job_id)
        await record_audit(conn, actor=actor, action="import.cancelled", target=str(job_id), details=audit_details)
    if before["state"] == "queued":
        discard_upload(state, row)
    return jobs.job_view(row)


def resume_problem(row: Mapping[str, Any]) -> str | None:
    """Why an uploaded job cannot be resumed from where it stopped, or ``None`` when it can."""
    if row["state"] not in ("failed", "cancelled"):
        return f"the job is {row['state']}; only a failed or cancelled job is resumed"
    if row["origin"] != "api":
        return (f"the job was run by `authshift import`: run `authshift import FILE --resume {row['id']}` "
                "where the file is")
    if dict(row["options"]).get("dry_run"):
        return "a dry run is not resumed: upload the file again"
    if row["undone_at"] is not None:
        return "the job was undone"
    if not Path(row["file_path"]).is_file():
        return ("its uploaded file was deleted when the job ended (they hold password hashes; "
                "[imports] keep_uploads keeps them): upload the file again")
    return None


async def resume_import(state: AccountServices, job_id: uuid.UUID, *, actor: str,
                        audit_details: dict[str, Any] | None = None) -> dict[str, Any]:
    """Queue a failed or cancelled upload again: the server's runner resumes it after its last
    committed batch (``last_index``), so nothing is imported twice. ``Conflict`` with the reason
    when it cannot be (``resume_problem``)."""
    async with state.engine.begin() as conn:
        row = await jobs.get_job(conn, job_id)
        problem = resume_problem(row)
        if problem is not None:
            raise Conflict(f"import job {job_id} cannot be resumed: {problem}")
        c = import_jobs.c
        await conn.execute(import_jobs.update().where(c.id == job_id).values(
            state="queued", finished_at=None, error=None, attempts=0, lease_owner=None, lease_expires_at=None,
            updated_at=utcnow()))
        await record_audit(conn, actor=actor, action="import.resumed", target=str(job_id),
                           details={**(audit_details or {}), "after_line": row["last_line"]})
        view = jobs.job_view(await jobs.get_job(conn, job_id))
    wake_runner(state)
    return view
