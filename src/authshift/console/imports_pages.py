"""The Imports page (issue 16): upload a file with every option of ``authshift import``, watch the
job live (percentage and time left by bytes read, counts), failures grouped by reason, per-record
results filtered and searched, the report, cancel and undo.

Uploads go through the admin API's own code (``accept_upload``: streamed to disk, never held in
memory), jobs through the same services as the API and the CLI; every change is audited under
the operator's name."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from authshift.console.access import CurrentOperator
from authshift.console.changes import ConsoleCsrfError
from authshift.console.import_results import failure_groups, find_results
from authshift.console.rendering import render
from authshift.errors import AuthshiftError, NotFound
from authshift.http.account_templates import PAGE_HEADERS
from authshift.http.admin.imports import accept_upload
from authshift.http.csrf import FIELD_NAME, CsrfError, check_csrf
from authshift.migration.formats import FORMATS
from authshift.migration.imports import jobs
from authshift.migration.imports.dry_run import dry_run_view
from authshift.migration.imports.plan import IDENTIFIERS, MODES
from authshift.migration.imports.progress import duration_text
from authshift.migration.imports.service import import_status, resume_problem
from authshift.migration.imports.tables import OUTCOMES
from authshift.storage.db import reading

router = APIRouter(include_in_schema=False)
FORM_CHOICES: dict[str, Any] = {"formats": FORMATS, "identifiers": IDENTIFIERS, "modes": MODES}


def job_uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound(f"no import job with id {text}") from None


def _left_text(state: str, seconds_left: float | None) -> str:
    if state not in ("queued", "running"):
        return "finished" if state == "completed" else state
    return "time left unknown yet" if seconds_left is None else f"about {duration_text(seconds_left)} left"


def live_numbers(view: dict[str, Any]) -> dict[str, Any]:
    """What the page shows and the watcher script updates: one dict, so both say the same."""
    progress = view["progress"]
    return {
        "id": view["id"], "state": view["state"], "counts": view["counts"],
        "percent": progress["percent"], "seconds_left": progress["seconds_left"],
        "percent_text": "?" if progress["percent"] is None else f"{progress['percent']:.0f}%",
        "left_text": _left_text(view["state"], progress["seconds_left"]),
        "finished": view["state"] not in ("queued", "running"),
    }


@router.get("/console/imports")
async def imports_page(request: Request, operator: CurrentOperator) -> Response:
    async with reading(request.app.state.authshift.engine) as conn:
        views = await jobs.list_jobs(conn, limit=100)
    return render(request, "imports.html", operator=operator, title="Imports", active="imports", jobs=views,
                  error=None, **FORM_CHOICES)


@router.post("/console/imports")
async def upload(request: Request, operator: CurrentOperator) -> Response:
    """The upload form: multipart, streamed like the admin API's upload; CSRF checked on its fields."""

    def check_form(fields: dict[str, str]) -> None:
        try:
            check_csrf(request, fields.pop(FIELD_NAME, None))
        except CsrfError:
            raise ConsoleCsrfError() from None

    state = request.app.state.authshift
    try:
        view = await accept_upload(request, state, actor=operator.actor, check_fields=check_form,
                                   audit_details={"operator_id": str(operator.user_id)})
    except AuthshiftError as exc:  # bad options, empty file, unknown hash config: say so on the form
        async with reading(state.engine) as conn:
            views = await jobs.list_jobs(conn, limit=100)
        message = exc.detail + "".join(f"; {e.path}: {e.message}" for e in exc.errors)
        return render(request, "imports.html", operator=operator, title="Imports", active="imports", jobs=views,
                      error=message, status=exc.status, **FORM_CHOICES)
    return RedirectResponse(f"/console/imports/{view['id']}", status_code=303, headers=PAGE_HEADERS)


@router.get("/console/imports/{job_id}")
async def job_page(request: Request, job_id: str, operator: CurrentOperator, outcome: str = "", q: str = "",
                   after: int = 0, resumed_after: int | None = None) -> Response:
    jid = job_uuid(job_id)
    state = request.app.state.authshift
    view = await import_status(state, jid)
    async with reading(state.engine) as conn:
        groups, more = await failure_groups(conn, jid)
        cannot_resume = resume_problem(await jobs.get_job(conn, jid))
        results = await find_results(conn, jid, outcome=outcome or None, search=q, after=max(after, 0))
    if view["dry_run"]:  # what would happen, and no id for a user that will never exist
        results = [dry_run_view(result) for result in results]
    return render(request, "import_job.html", operator=operator, title=f"Import {view['file']['name']}",
                  active="imports", job=view, live=live_numbers(view), groups=groups, more_failures=more,
                  results=results, cannot_resume=cannot_resume, outcome=outcome, q=q, outcomes=OUTCOMES, after=after,
                  next_after=results[-1]["index"] if len(results) == 50 else None, notice=request.query_params.get("notice"),
                  resumed_after=job_line(view, resumed_after))


@router.get("/console/imports/{job_id}/live.json")
async def job_live(request: Request, job_id: str, operator: CurrentOperator) -> dict[str, Any]:
    """For the page's watcher (static/import-watch.js): state, counts, percentage, time left."""
    return live_numbers(await import_status(request.app.state.authshift, job_uuid(job_id)))


def job_line(view: dict[str, Any], resumed_after: int | None) -> int:
    """The line a resumed job goes on after: the one it had when it was queued again (the link
    says), not the one it has reached since."""
    return resumed_after if resumed_after is not None and resumed_after >= 0 else int(view["last_line"] or 0)
