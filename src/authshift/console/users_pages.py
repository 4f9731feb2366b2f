"""The Users pages: search, one user's page, and the actions on a user (disable, enable, send a
password reset, revoke sessions, delete after a confirmation page).

Every action calls the service the admin API and the CLI call (``accounts.users``,
``accounts.password_reset``, ``oidc.sessions``) and is audited under the operator's name in the
same transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from authshift.accounts import users as svc
from authshift.accounts.password_reset import request_password_reset
from authshift.console.access import CurrentOperator
from authshift.console.changes import ChangeForm, audit_change
from authshift.console.operators import Operator
from authshift.console.rendering import render
from authshift.console.user_lookup import active_session_ids, search_users, user_detail
from authshift.errors import NotFound
from authshift.http.account_templates import PAGE_HEADERS
from authshift.oidc.sessions import revoke_session
from authshift.storage.db import reading
from authshift.storage.tables import MIGRATION_STATES
from authshift.storage.types import utcnow

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
MAX_REASON = 500
NOTICES = {
    "disabled": "The user is disabled: they cannot sign in, and their sessions no longer work.",
    "enabled": "The user is enabled again.",
    "reset_sent": "A password reset link is on its way to the user's email address.",
    "reset_not_sent": "No reset link was sent: the user is disabled, has no email address, or was sent the most links "
                      "allowed for now ([password_reset] max_emails_per_window).",
    "sessions_revoked": "Every session of the user has ended: they must sign in again everywhere.",
}


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _not_found(request: Request, operator: Operator, what: str) -> Response:
    return render(request, "not_found.html", operator=operator, title="User not found", active="users", status=404, what=what)


def _back(user_id: uuid.UUID, notice: str) -> Response:
    return RedirectResponse(f"/console/users/{user_id}?notice={notice}", status_code=303, headers=PAGE_HEADERS)


@router.get("/console/users")
async def users_page(request: Request, operator: CurrentOperator, q: str = "", state: str = "", source: str = "",
                     cursor: str = "") -> Response:
    engine = request.app.state.authshift.engine
    next_cursor = None
    async with reading(engine) as conn:
        if q.strip():
            found = await svc.load_records(conn, await search_users(conn, q))
        else:
            after = _uuid(cursor) if cursor else None
            chosen_state = state if state in MIGRATION_STATES else None
            found, nxt = await svc.list_users(conn, svc.UserFilter(migration_state=chosen_state, source=source.strip() or None),
                                              limit=PAGE_SIZE, after=after)
            next_cursor = str(nxt) if nxt else None
    return render(request, "users.html", operator=operator, title="Users", active="users", q=q, state=state,
                  source=source, states=MIGRATION_STATES, users=found, next_cursor=next_cursor, searched=bool(q.strip()),
                  deleted=request.query_params.get("deleted") == "1")


@router.get("/console/users/{user_id}")
async def user_page(request: Request, operator: CurrentOperator, user_id: str) -> Response:
    uid = _uuid(user_id)
    if uid is None:
        return _not_found(request, operator, user_id)
    async with reading(request.app.state.authshift.engine) as conn:
        try:
            detail = await user_detail(conn, uid)
        except NotFound:
            return _not_found(request, operator, user_id)
    record = detail.record
    return render(request, "user.html", operator=operator, title=_display_name(record), active="users", user=record,
                  detail=detail, notice=NOTICES.get(request.query_params.get("notice", "")), max_reason=MAX_REASON,
                  now=utcnow())


def _display_name(record: dict[str, Any]) -> str:
    return str(record.get("email") or record.get("preferred_username") or record.get("phone_number") or record["id"])


async def _change(request: Request, operator: Operator, user_id: str, action: str, run: Any,
                  details: dict[str, Any] | None = None) -> Response | None:
    """Run ``run(conn, uid)`` and audit it in one transaction; the 404 page for an unknown user."""
    uid = _uuid(user_id)
    if uid is None:
        return _not_found(request, operator, user_id)
    try:
        async with request.app.state.authshift.engine.begin() as conn:
            await run(conn, uid)
            await audit_change(conn, operator, action, str(uid), details)
    except NotFound:
        return _not_found(request, operator, user_id)
    return None


@router.post("/console/users/{user_id}/disable")
async def disable(request: Request, operator: CurrentOperator, form: ChangeForm, user_id: str) -> Response:
    reason = str(form.get("reason") or "").strip()[:MAX_REASON] or None
    failed = await _change(request, operator, user_id, "user.disabled",
                           lambda conn, uid: svc.set_disabled(conn, uid, True, reason), {"reason": reason})
    return failed or _back(uuid.UUID(user_id), "disabled")


@router.post("/console/users/{user_id}/enable")
async def enable(request: Request, operator: CurrentOperator, _form: ChangeForm, user_id: str) -> Response:
    failed = await _change(request, operator, user_id, "user.enabled", lambda conn, uid: svc.set_disabled(conn, uid, False))
    return failed or _back(uuid.UUID(user_id), "enabled")


@router.post("/console/users/{user_id}/sessions/revoke")
async def revoke_sessions(request: Request, operator: CurrentOperator, _form: ChangeForm, user_id: str) -> Response:
    async def run(conn: Any, uid: uuid.UUID) -> None:
        await svc.get_user(conn, uid)  # NotFound for an unknown user
        for session_id in await active_session_ids(conn, uid):
            await revoke_session(conn, session_id, f"revoked in the console by {operator.name}")

    failed = await _change(request, operator, user_id, "user.sessions_revoked", run)
    return failed or _back(uuid.UUID(user_id), "sessions_revoked")


@router.post("/console/users/{user_id}/password-reset")
async def send_reset(request: Request, operator: CurrentOperator, _form: ChangeForm, user_id: str) -> Response:
    state = request.app.state.authshift
    uid = _uuid(user_id)
    if uid is None:
        return _not_found(request, operator, user_id)
    async with reading(state.engine) as conn:
        try:
            email = (await svc.get_user(conn, uid)).get("email")
        except NotFound:
            return _not_found(request, operator, user_id)
    message_id = await request_password_reset(state, email) if email else None
    async with state.engine.begin() as conn:
        await audit_change(conn, operator, "user.password_reset_sent" if message_id else "user.password_reset_not_sent",
                           str(uid), {"message_id": str(message_id) if message_id else None})
    return _back(uid, "reset_sent" if message_id else "reset_not_sent")


@router.get("/console/users/{user_id}/delete")
async def confirm_delete(request: Request, operator: CurrentOperator, user_id: str) -> Response:
    uid = _uuid(user_id)
    if uid is None:
        return _not_found(request, operator, user_id)
    async with reading(request.app.state.authshift.engine) as conn:
        try:
            record = await svc.get_user(conn, uid)
        except NotFound:
            return _not_found(request, operator, user_id)
    return render(request, "user_delete.html", operator=operator, title=f"Delete {_display_name(record)}?",
                  active="users", user=record)


@router.post("/console/users/{user_id}/delete")
async def delete(request: Request, operator: CurrentOperator, form: ChangeForm, user_id: str) -> Response:
    if form.get("confirm") != "delete":  # only the confirmation page's form carries it
        return RedirectResponse(f"/console/users/{user_id}/delete", status_code=303, headers=PAGE_HEADERS)
    gone: dict[str, Any] = {}

    async def run(conn: Any, uid: uuid.UUID) -> None:
        record = await svc.get_user(conn, uid)
        gone["login_ids"] = [record[k] for k in ("email", "preferred_username", "phone_number") if record.get(k)]
        await svc.delete_user(conn, uid)

    failed = await _change(request, operator, user_id, "user.deleted", run, gone)
    if failed:
        return failed
    return RedirectResponse("/console/users?deleted=1", status_code=303, headers=PAGE_HEADERS)
