"""Admin API: exports. ``POST`` queues one (same options as ``authshift export``), ``GET`` shows its
state and counts, ``/download`` streams the finished file (410 Gone once ``[retention]`` removed
it). Secrets (password hashes, TOTP secrets) need a key with the ``secrets:export`` scope, to ask
for them and to download them."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Body, Query, Response
from fastapi.responses import FileResponse

from authshift.audit import record_audit
from authshift.errors import Conflict, FieldError, Forbidden, Gone, InvalidInput, NotFound
from authshift.http.admin.schemas import export_body
from authshift.http.deps import Admin, Conn, State
from authshift.http.openapi import problems
from authshift.migration.exports.jobs import (
    create_export_job,
    delete_export_job,
    files_expired,
    get_export_job,
    job_view,
    list_export_jobs,
    wake_workers,
)
from authshift.migration.exports.options import parse_export_options
from authshift.migration.exports.writers import writer_for
from authshift.security.admin_keys import SCOPE_EXPORT_SECRETS, AdminKey

router = APIRouter(prefix="/api/admin/v1/exports", tags=["exports"])

_OPTION_KEYS = ("format", "fields", "filters", "include_secrets", "encrypt_to")
EXAMPLE_BODY = {
    "format": "ndjson", "fields": None, "filters": {"migration_state": "imported", "role": "admin"},
    "include_secrets": False, "encrypt_to": [],
}


def actor_of(key: AdminKey) -> str:
    return f"admin_key:{key.id}"


def _require_secrets_scope(key: AdminKey) -> None:
    if not key.allows(SCOPE_EXPORT_SECRETS):
        raise Forbidden("exports with secrets need an admin key with the secrets:export scope "
                        "(authshift admin-keys create --allow-secrets)")


_BODY = export_body()
_BODY["requestBody"]["content"]["application/json"]["example"] = EXAMPLE_BODY
_FILE_TYPES = {media: {"schema": {"type": "string", "format": "binary"}}
               for media in ("application/x-ndjson", "text/csv", "application/json", "application/octet-stream")}


@router.post("", status_code=202, summary="Queue an export", openapi_extra=_BODY)
async def create_export(key: Admin, state: State, body: Any = Body(...)) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object", errors=[FieldError("body", "expected an object")])
    unknown = sorted(set(body) - set(_OPTION_KEYS))
    if unknown:
        raise InvalidInput("the export options are not valid",
                           errors=[FieldError(k, f"unknown option (known: {', '.join(_OPTION_KEYS)})") for k in unknown])
    options = parse_export_options(**{k: body[k] for k in _OPTION_KEYS if k in body and body[k] is not None})
    if options.include_secrets:
        _require_secrets_scope(key)
    async with state.engine.begin() as conn:  # committed before a worker is woken to look for it
        job_id = await create_export_job(conn, options, actor=actor_of(key))
    wake_workers()
    return {"id": str(job_id), "state": "queued", "status_url": f"/api/admin/v1/exports/{job_id}"}


@router.get("", summary="Recent exports, newest first")
async def list_exports(_: Admin, conn: Conn, limit: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
    return {"exports": await list_export_jobs(conn, limit=limit)}


@router.get("/{job_id}", summary="State and counts of an export")
async def get_export(_: Admin, conn: Conn, job_id: uuid.UUID) -> dict[str, Any]:
    return job_view(await get_export_job(conn, job_id))


async def _finished_file(key: AdminKey, conn: Any, job_id: uuid.UUID, column: str) -> tuple[dict[str, Any], Path]:
    job = await get_export_job(conn, job_id)
    if job["options"].get("include_secrets"):
        _require_secrets_scope(key)
    return job, finished_file(job, column)


def finished_file(job: dict[str, Any], column: str) -> Path:
    """The file of a completed export (``file_path`` or ``report_path``); the reason it cannot be
    had otherwise (not completed: 409, expired: 410, none: 404). The console downloads through it too."""
    if job["state"] != "completed":
        raise Conflict(f"the export is {job['state']}, not completed", state=job["state"])
    if files_expired(job):
        raise Gone("the export's files were removed when its retention ended ([retention] export_files_days); "
                   "queue the export again")
    if not job.get(column):
        raise NotFound("this export has no such file")
    path = Path(job[column])
    if not path.is_file():
        raise NotFound("the export file is no longer on this server")
    return path


@router.get("/{job_id}/download", summary="Download the finished export (streamed)", response_class=FileResponse,
            responses={200: {"description": "The export file (encrypted: application/octet-stream)", "content": _FILE_TYPES},
                       **problems(409, 410)})
async def download_export(key: Admin, conn: Conn, job_id: uuid.UUID) -> FileResponse:
    job, path = await _finished_file(key, conn, job_id, "file_path")
    options = job["options"]
    await record_audit(conn, actor=actor_of(key), action="users.export.download", target=str(job_id),
                       details={"include_secrets": options.get("include_secrets"), "encrypted": bool(options.get("encrypt_to"))})
    encrypted = bool(options.get("encrypt_to"))
    media_type = "application/octet-stream" if encrypted else writer_for(options["format"], None).media_type
    return FileResponse(path, media_type=media_type, filename=f"authshift-export-{job_id}{''.join(path.suffixes)}")


@router.get("/{job_id}/report", summary="What could not be exported, per user (NDJSON)", response_class=FileResponse,
            responses={200: {"description": "One JSON object a line", "content": {"application/x-ndjson": _FILE_TYPES[
                "application/x-ndjson"]}}, **problems(409, 410)})
async def download_report(key: Admin, conn: Conn, job_id: uuid.UUID) -> FileResponse:
    _, path = await _finished_file(key, conn, job_id, "report_path")
    return FileResponse(path, media_type="application/x-ndjson", filename=f"authshift-export-{job_id}.report.ndjson")


@router.delete("/{job_id}", status_code=204, summary="Delete a finished export and its files from the server",
               responses=problems(409))
async def delete_export(key: Admin, conn: Conn, job_id: uuid.UUID) -> Response:
    job = await get_export_job(conn, job_id)
    if job["options"].get("include_secrets"):
        _require_secrets_scope(key)
    if job["state"] in ("queued", "running"):
        raise Conflict(f"the export is {job['state']}; delete it once it has finished", state=job["state"])
    await delete_export_job(conn, job)
    await record_audit(conn, actor=actor_of(key), action="users.export.delete", target=str(job_id), details={})
    return Response(status_code=204)
