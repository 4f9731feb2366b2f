"""The Exports page (issue 16): start an export (format, fields, filters; with secrets only where
the server allows operators to: ``[console] allow_secret_exports``), watch it, download it,
delete it. The same jobs and worker as the admin API's exports; audited under the operator."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, RedirectResponse, Response

from authshift.console.access import CurrentOperator
from authshift.console.changes import ChangeForm, audit_change
from authshift.console.rendering import render
from authshift.errors import AuthshiftError, Conflict, Forbidden, NotFound
from authshift.http.account_templates import PAGE_HEADERS
from authshift.http.admin.exports import finished_file
from authshift.migration.exports.jobs import (
    create_export_job,
    delete_export_job,
    get_export_job,
    job_view,
    list_export_jobs,
    wake_workers,
)
from authshift.migration.exports.options import EXPORT_FORMATS, FILTER_KEYS, parse_export_options
from authshift.migration.exports.writers import writer_for
from authshift.storage.db import reading

router = APIRouter(include_in_schema=False)


def export_uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound(f"no export job with id {text}") from None


def secrets_allowed(request: Request) -> bool:
    return bool(request.app.state.authshift.settings.console.allow_secret_exports)


def _check_secrets(request: Request, job: dict[str, Any]) -> None:
    if job["options"].get("include_secrets") and not secrets_allowed(request):
        raise Forbidden("exports with secrets are not available in the console ([console] allow_secret_exports)")


async def _page(request: Request, operator: Any, *, error: str | None = None, status: int = 200) -> Response:
    async with reading(request.app.state.authshift.engine) as conn:
        views = await list_export_jobs(conn, limit=100)
    return render(request, "exports.html", operator=operator, title="Exports", active="exports", exports=views,
                  formats=EXPORT_FORMATS, filter_keys=FILTER_KEYS, secrets_allowed=secrets_allowed(request),
                  error=error, status=status, notice=request.query_params.get("notice"))


@router.get("/console/exports")
async def exports_page(request: Request, operator: CurrentOperator) -> Response:
    return await _page(request, operator)


@router.post("/console/exports")
async def start_export(request: Request, operator: CurrentOperator, form: ChangeForm) -> Response:
    filters = {key: str(form.get(f"filter_{key}") or "").strip() for key in FILTER_KEYS}
    fields = str(form.get("fields") or "").strip()
    wants_secrets = form.get("include_secrets") == "true"
    try:
        if wants_secrets and not secrets_allowed(request):
            raise Forbidden("exports with secrets are not available in the console ([console] allow_secret_exports)")
        options = parse_export_options(format=str(form.get("format") or "ndjson"), fields=fields or None,
                                       filters={k: v for k, v in filters.items() if v}, include_secrets=wants_secrets)
    except AuthshiftError as exc:
        return await _page(request, operator, status=exc.status,
                           error=exc.detail + "".join(f"; {e.path}: {e.message}" for e in exc.errors))
    async with request.app.state.authshift.engine.begin() as conn:
        job_id = await create_export_job(conn, options, actor=operator.actor)
        await audit_change(conn, operator, "users.export.queued", target=str(job_id),
                           details={"format": options.format, "include_secrets": options.include_secrets})
    wake_workers()
    return RedirectResponse(f"/console/exports/{job_id}", status_code=303, headers=PAGE_HEADERS)


@router.get("/console/exports/{job_id}")
async def export_page(request: Request, job_id: str, operator: CurrentOperator) -> Response:
    async with reading(request.app.state.authshift.engine) as conn:
        view = job_view(await get_export_job(conn, export_uuid(job_id)))
    return render(request, "export_job.html", operator=operator, title=f"Export {view['options']['format']}",
                  active="exports", job=view, notice=request.query_params.get("notice"))


@router.get("/console/exports/{job_id}/download")
async def download(request: Request, job_id: str, operator: CurrentOperator) -> Response:
    async with request.app.state.authshift.engine.begin() as conn:
        job = await get_export_job(conn, export_uuid(job_id))
        _check_secrets(request, job)
        path = finished_file(job, "file_path")
        options = job["options"]
        await audit_change(conn, operator, "users.export.download", target=job_id,
                           details={"include_secrets": options.get("include_secrets"),
                                    "encrypted": bool(options.get("encrypt_to"))})
    media = "application/octet-stream" if options.get("encrypt_to") else writer_for(options["format"], None).media_type
    return FileResponse(path, media_type=media, filename=f"authshift-export-{job_id}{''.join(path.suffixes)}",
                        headers=PAGE_HEADERS)


@router.post("/console/exports/{job_id}/delete")
async def delete(request: Request, job_id: str, operator: CurrentOperator, form: ChangeForm) -> Response:
    async with request.app.state.authshift.engine.begin() as conn:
        job = await get_export_job(conn, export_uuid(job_id))
        _check_secrets(request, job)
        if job["state"] in ("queued", "running"):
            raise Conflict(f"the export is {job['state']}; delete it once it has finished", state=job["state"])
        await delete_export_job(conn, job)
        await audit_change(conn, operator, "users.export.delete", target=job_id)
    return RedirectResponse("/console/exports?notice=deleted", status_code=303, headers=PAGE_HEADERS)
