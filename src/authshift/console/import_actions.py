"""The Imports page's actions on one job: download its report, cancel it, resume it, undo it
(after a preview). The same services as the admin API and ``authshift imports``; audited under the operator."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from authshift.console.access import CurrentOperator
from authshift.console.changes import ChangeForm
from authshift.console.imports_pages import job_uuid
from authshift.console.rendering import render
from authshift.errors import Conflict
from authshift.http.account_templates import PAGE_HEADERS
from authshift.migration.imports import jobs
from authshift.migration.imports.service import cancel_import, import_status, resume_import
from authshift.migration.imports.undo_service import preview_undo, undo_job
from authshift.storage.db import reading

router = APIRouter(include_in_schema=False)


@router.get("/console/imports/{job_id}/report")
async def report(request: Request, job_id: str, operator: CurrentOperator) -> Response:
    """Every record's outcome as NDJSON, the file ``authshift import --report`` writes."""
    jid = job_uuid(job_id)
    engine = request.app.state.authshift.engine
    async with reading(engine) as conn:
        dry_run = bool((await jobs.get_job(conn, jid))["options"].get("dry_run"))

    async def body() -> AsyncIterator[bytes]:
        async for text in jobs.iter_result_lines(engine, jid, page=1000, dry_run=dry_run):
            yield text.encode()

    return StreamingResponse(body(), media_type="application/x-ndjson", headers={
        **PAGE_HEADERS, "Content-Disposition": f'attachment; filename="import-{jid}.report.ndjson"'})


@router.post("/console/imports/{job_id}/cancel")
async def cancel(request: Request, job_id: str, operator: CurrentOperator, form: ChangeForm) -> Response:
    jid = job_uuid(job_id)
    try:
        await cancel_import(request.app.state.authshift, jid, actor=operator.actor,
                            audit_details={"operator_id": str(operator.user_id)})
    except Conflict:
        return RedirectResponse(f"/console/imports/{jid}?notice=finished", status_code=303, headers=PAGE_HEADERS)
    return RedirectResponse(f"/console/imports/{jid}?notice=cancelled", status_code=303, headers=PAGE_HEADERS)


@router.post("/console/imports/{job_id}/resume")
async def resume(request: Request, job_id: str, operator: CurrentOperator, form: ChangeForm) -> Response:
    """Queue a failed or cancelled upload again; the runner goes on after its last committed batch."""
    jid = job_uuid(job_id)
    view = await resume_import(request.app.state.authshift, jid, actor=operator.actor,
                               audit_details={"operator_id": str(operator.user_id)})
    # the line it resumes after travels with the notice: the runner, woken, may be past it already
    return RedirectResponse(f"/console/imports/{jid}?notice=resumed&resumed_after={view['last_line']}", status_code=303,
                            headers=PAGE_HEADERS)


@router.get("/console/imports/{job_id}/undo")
async def undo_preview(request: Request, job_id: str, operator: CurrentOperator) -> Response:
    jid = job_uuid(job_id)
    state = request.app.state.authshift
    view = await import_status(state, jid)
    async with reading(state.engine) as conn:
        preview = await preview_undo(conn, jid)
    return render(request, "import_undo.html", operator=operator, title=f"Undo import {view['file']['name']}",
                  active="imports", job=view, preview=preview)


@router.post("/console/imports/{job_id}/undo")
async def undo(request: Request, job_id: str, operator: CurrentOperator, form: ChangeForm) -> Response:
    jid = job_uuid(job_id)
    state = request.app.state.authshift
    async with state.engine.begin() as conn:
        done = await undo_job(conn, jid, actor=operator.actor, ctx=state.accounts)
    view = await import_status(state, jid)
    return render(request, "import_undo.html", operator=operator, title=f"Undo import {view['file']['name']}",
                  active="imports", job=view, preview=done)
