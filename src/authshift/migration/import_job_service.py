"""What the admin API, the CLI (``authshift imports``) and the console do with an import job:
show it (with its warnings) and cancel it (audited, its upload discarded). One place, so the three
show the same view and a cancel is recorded the same way whoever asked."""

from __future__ import annotations

import uuid
from typing import Any

from authshift.audit import record_audit
from authshift.migration import import_jobs as jobs
from authshift.migration.import_runner import discard_upload
from authshift.migration.readiness_report import lazy_warning
from authshift.state import AppState

__all__ = ["cancel_import", "import_status"]


async def import_status(state: AppState, job_id: uuid.UUID) -> dict[str, Any]:
    """The job's view (state, counts, progress) and its ``warnings``; ``NotFound`` for an unknown id."""
    async with state.engine.connect() as conn:
        view = jobs.job_view(await jobs.get_job(conn, job_id))
    verify_configured = state.settings.migration.legacy.verify_url is not None
    view["warnings"] = [w for w in [lazy_warning(view["readiness"], verify_configured)] if w]
    return view


async def cancel_import(state: AppState, job_id: uuid.UUID, *, actor: str,
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
