"""The account area (``/account``): what a signed-in person manages themselves. This module has the
overview page and passkeys; password, authenticator app, recovery codes and sessions are in
``account_security``.

Passkeys: listed by name with when they were added and last used, added (the browser's
``navigator.credentials.create``, see static/passkeys.js) and removed. Every change is a form with
a CSRF token and sends its event through the outbox (``passkey.added``, ``passkey.removed``), so
rolling migration's write-back tells the legacy system.

Every page needs the browser session; without one the person is sent to ``/login`` and comes back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import JSONResponse, RedirectResponse, Response

from authshift.accounts.login import login_ids_of
from authshift.accounts.passkey_ceremonies import PasskeyRefused, finish_registration, registration_options
from authshift.accounts.passkeys import list_passkeys, remove_passkey
from authshift.accounts.self_service import active_sessions, security_overview
from authshift.http.account_templates import PAGE_HEADERS, login_url, render_page
from authshift.http.browser import app_state, current_session
from authshift.http.login_pages import _posted_form
from authshift.http.passkey_pages import options_csrf_failed, options_refused, posted_credential
from authshift.migration.readiness import store as readiness_store
from authshift.storage.db import reading

router = APIRouter(include_in_schema=False)

ACCOUNT = "/account"
NOTICES = {
    "passkey_added": "Your passkey was added.",
    "passkey_removed": "The passkey was removed.",
    "password_changed": "Your password was changed.",
    "totp_added": "Your authenticator app is set up: sign-ins with your password now ask for its code.",
    "totp_removed": "The authenticator app was removed.",
    "session_revoked": "That session was signed out.",
}


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303, headers=PAGE_HEADERS)


async def signed_in_user(request: Request) -> uuid.UUID | None:
    async with reading(app_state(request).engine) as conn:
        session = await current_session(conn, request)
    return session.user_id if session is not None else None


def to_login(back: str = ACCOUNT) -> Response:
    return redirect(login_url(back))


@dataclass(frozen=True)
class Posted:
    """A change to the account that may go ahead: its form, and the signed-in user making it."""

    form: FormData
    user_id: uuid.UUID


async def posted_by_signed_in_user(request: Request, back: str = ACCOUNT) -> Posted | Response:
    """Every change in the account area starts here: the form must pass its CSRF check and a user
    must be signed in (else back to the login page, returning to ``back``). Otherwise, the
    response to give instead."""
    form = await _posted_form(request)
    if isinstance(form, Response):
        return form
    user_id = await signed_in_user(request)
    if user_id is None:
        return to_login(back)
    return Posted(form, user_id)


async def account_page(request: Request, user_id: uuid.UUID, *, status: int = 200, error: str | None = None,
                       **context: Any) -> Response:
    async with reading(app_state(request).engine) as conn:
        names = await login_ids_of(conn, user_id)
        passkeys = await list_passkeys(conn, user_id)
        security = await security_overview(conn, user_id)
        sessions = await active_sessions(conn, user_id)
        current = await current_session(conn, request)
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return render_page(request, "account/index.html", status=status, who=names[0] if names else None,
                       passkeys=passkeys, notice=notice, error=error, security=security, sessions=sessions,
                       current_session_id=current.id if current else None, **context)


@router.get(ACCOUNT)
async def account_home(request: Request) -> Response:
    user_id = await signed_in_user(request)
    if user_id is None:
        return to_login()
    return await account_page(request, user_id)


@router.post(ACCOUNT + "/passkeys/options")
async def new_passkey_options(request: Request) -> Response:
    refused = options_csrf_failed(request)
    if refused is not None:
        return refused
    user_id = await signed_in_user(request)
    if user_id is None:
        return options_refused(401, "Sign in again to add a passkey.")
    state = app_state(request)
    async with state.engine.begin() as conn:
        names = await login_ids_of(conn, user_id)
        options = await registration_options(state, conn, user_id, names[0] if names else str(user_id))
    return JSONResponse(options, headers=PAGE_HEADERS)


@router.post(ACCOUNT + "/passkeys")
async def add_passkey_submit(request: Request) -> Response:
    posted = await posted_by_signed_in_user(request)
    if isinstance(posted, Response):
        return posted
    form, user_id = posted.form, posted.user_id
    state = app_state(request)
    name = form.get("name")
    try:
        challenge_id, credential = posted_credential(form)
        async with state.engine.begin() as conn:
            await finish_registration(state, conn, user_id, challenge_id, credential, name if isinstance(name, str) else None)
    except PasskeyRefused as exc:
        return await account_page(request, user_id, status=400, error=str(exc))
    return redirect(ACCOUNT + "?notice=passkey_added")


@router.post(ACCOUNT + "/passkeys/{passkey_id}/remove")
async def remove_passkey_submit(request: Request, passkey_id: str) -> Response:
    posted = await posted_by_signed_in_user(request)
    if isinstance(posted, Response):
        return posted
    user_id = posted.user_id
    try:
        key = uuid.UUID(passkey_id)
    except ValueError:
        key = None
    state = app_state(request)
    async with state.engine.begin() as conn:
        removed = key is not None and await remove_passkey(conn, user_id, key)
        if removed:
            await readiness_store.factor_changed(conn, user_id, state.accounts)
    if not removed:
        return await account_page(request, user_id, status=404, error="That passkey is not one of yours (it may have been removed already).")
    return redirect(ACCOUNT + "?notice=passkey_removed")
