"""The hosted sign-in pages: login, TOTP, change of a must-change or expired password, home.

Each page parses the form, calls the login service (``authshift.accounts.login``) and renders.
``return_to`` (a path on this server, usually the authorization request waiting for the sign-in)
is carried through every step and followed at the end; sign-up and forgot-password links carry
it too. Every POST checks the CSRF token first and does nothing without it.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import sqlalchemy as sa
from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import FileResponse, RedirectResponse, Response

from authshift.accounts.login import (
    GENERIC_FAILURE,
    LoginOutcome,
    LoginResult,
    change_required_password,
    login,
    second_factor,
)
from authshift.accounts.migration_state import record_login
from authshift.accounts.second_step import second_step_factors
from authshift.errors import Unavailable
from authshift.http.account_templates import PAGE_HEADERS, render_page, safe_return_to
from authshift.http.browser import (
    app_state,
    clear_login_step,
    client_ip,
    current_session,
    known_device,
    login_step,
    remember_device,
    set_login_step,
    set_session_cookie,
)
from authshift.http.csrf import FIELD_NAME, CsrfError, check_csrf
from authshift.oidc.authorization import decode_request
from authshift.oidc.clients import get_client
from authshift.oidc.sessions import create_session, get_session, reauthenticate, session_row
from authshift.security.known_networks import remember_network
from authshift.storage.db import reading
from authshift.storage.tables import identities

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).parent / "static"
STATIC_FILES = {p.name: p for p in STATIC_DIR.iterdir() if p.is_file()} if STATIC_DIR.is_dir() else {}
MAX_FIELD_LENGTH = 4096
CONTINUE_PATH = "/oauth2/authorize/continue"
NOTICES = {
    "signed_up": "Your account is ready. Sign in to continue.",
    "signup_received": "If this email address was free, your account is ready: sign in to continue. "
                       "If it already has an account, we have emailed its owner.",
    "password_reset": "Your password has been changed. Sign in with your new password.",
    "signed_out": "You have signed out.",
}
BAD_CODE = "That code is not right. Enter the current code from your authenticator app, or a recovery code."


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value[:MAX_FIELD_LENGTH] if isinstance(value, str) else ""


def _with_return_to(path: str, return_to: str | None) -> str:
    return path + (f"?{urlencode({'return_to': return_to})}" if return_to else "")


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=PAGE_HEADERS)


def message_page(request: Request, *, title: str, message: str, status: int, link: tuple[str, str] | None = None) -> Response:
    return render_page(request, "message.html", status=status, title=title, message=message, link=link, is_error=status >= 400)


def csrf_failed(request: Request) -> Response:
    return message_page(
        request, title="This form has expired", status=403,
        message="The form was open too long or was sent from another site. Nothing was changed. Go back, reload the page and try again.",
    )


def legacy_unavailable(request: Request) -> Response:
    return message_page(
        request, title="Please try again shortly", status=503,
        message="We cannot check your sign-in right now. Nothing was changed. Please try again in a minute.",
    )


async def _client_name(request: Request, return_to: str | None) -> tuple[str | None, str | None]:
    """The name of the application waiting for this sign-in and the login hint it gave, if any."""
    if not return_to:
        return None, None
    parts = urlsplit(return_to)
    if parts.path != CONTINUE_PATH:
        return None, None
    state = app_state(request)
    auth = decode_request(state.secrets.secret_key, (parse_qs(parts.query).get("request") or [None])[0])
    if auth is None:
        return None, None
    async with reading(state.engine) as conn:
        client = await get_client(conn, auth.client_id)
    return (client.name if client else None), auth.login_hint


async def _login_form(request: Request, *, status: int = 200, return_to: str | None, login_id: str = "",
                      error: str | None = None, notice: str | None = None) -> Response:
    client_name, hint = await _client_name(request, return_to)
    return render_page(
        request, "login.html", status=status, return_to=return_to, login_id=login_id or (hint or "")[:320],
        error=error, notice=NOTICES.get(notice or ""), client_name=client_name,
        signup_url=_with_return_to("/signup", return_to), forgot_url=_with_return_to("/forgot-password", return_to),
    )


@router.get("/login")
async def login_page(request: Request) -> Response:
    q = request.query_params
    return await _login_form(request, return_to=safe_return_to(q.get("return_to")), notice=q.get("notice"))


async def _posted_form(request: Request) -> FormData | Response:
    """The POSTed form once its CSRF token checks out, else the page saying the form expired."""
    form = await request.form()
    try:
        check_csrf(request, _text(form, FIELD_NAME))
    except CsrfError:
        return csrf_failed(request)
    return form


async def _posted_step(request: Request, stage: str) -> tuple[FormData, str | None, dict[str, Any]] | Response:
    """A POSTed form of a later sign-in step: CSRF checked and the step in progress read."""
    form = await _posted_form(request)
    if isinstance(form, Response):
        return form
    return_to = safe_return_to(_text(form, "return_to"))
    step = login_step(request, stage)
    if step is None:
        return _step_missing(request, return_to)
    return form, return_to, step


def _missing_fields(login_id: str, password: str) -> str | None:
    """What an incomplete form lacks, asked for by name (not "login ID or password is incorrect")."""
    wanted = [what for what, given in (("your email, phone number or username", login_id.strip()),
                                       ("your password", password)) if not given]
    return f"Enter {' and '.join(wanted)}." if wanted else None


@router.post("/login")
async def login_submit(request: Request) -> Response:
    form = await _posted_form(request)
    if isinstance(form, Response):
        return form
    state = app_state(request)
    login_id, return_to = _text(form, "login_id"), safe_return_to(_text(form, "return_to"))
    missing = _missing_fields(login_id, _text(form, "password"))
    if missing:  # not a failed sign-in: nothing was tried, so nothing is counted or said about the account
        return await _login_form(request, status=400, return_to=return_to, login_id=login_id, error=missing)
    try:
        result = await login(state, login_id, _text(form, "password"), ip=client_ip(request), device=known_device(request))
    except Unavailable:
        return legacy_unavailable(request)
    if result.outcome in (LoginOutcome.FAILED, LoginOutcome.THROTTLED):
        status = 429 if result.outcome is LoginOutcome.THROTTLED else 400
        page = await _login_form(request, status=status, return_to=return_to, login_id=login_id, error=GENERIC_FAILURE)
        if result.retry_after is not None:
            page.headers["Retry-After"] = str(result.retry_after)
        return page
    return await _next_step(request, result, return_to)


async def _next_step(request: Request, result: LoginResult, return_to: str | None) -> Response:
    state = app_state(request)
    assert result.user_id is not None
    if result.outcome is LoginOutcome.NEEDS_TOTP:
        response = _redirect(_with_return_to("/login/totp", return_to))
        set_login_step(response, state, user_id=result.user_id, stage="totp", amr=result.amr,
                       migrate_via=result.migrate_via)
        return response
    if result.outcome is LoginOutcome.MUST_CHANGE_PASSWORD:
        response = _redirect(_with_return_to("/login/change-password", return_to))
        set_login_step(response, state, user_id=result.user_id, stage="change_password", amr=result.amr,
                       reason=result.change_reason)
        return response
    return await _signed_in(request, result.user_id, result.amr, return_to)


async def _signed_in(request: Request, user_id: uuid.UUID, amr: tuple[str, ...], return_to: str | None) -> Response:
    """Every factor passed: start (or refresh) the browser session and go back where we came from."""
    state = app_state(request)
    async with state.engine.begin() as conn:
        session = await current_session(conn, request)
        if session is not None and session.user_id == user_id:
            await reauthenticate(conn, session.id, amr)
            session = await get_session(conn, session.id)
        else:
            session = await create_session(conn, session_row(
                user_id, kind="browser", amr=amr, ttl_seconds=state.settings.oidc.session_ttl_seconds,
                ip=client_ip(request), user_agent=request.headers.get("user-agent"),
            ))
        await record_login(conn, user_id)
        await remember_network(conn, user_id, client_ip(request))
    assert session is not None
    response = _redirect(return_to or "/")
    set_session_cookie(response, state, session)
    clear_login_step(response, state)
    remember_device(response, request, user_id)
    return response


def _step_missing(request: Request, return_to: str | None) -> Response:
    return _redirect(_with_return_to("/login", return_to))


@router.get("/login/totp")
async def totp_page(request: Request) -> Response:
    return_to = safe_return_to(request.query_params.get("return_to"))
    step = login_step(request, "totp")
    if step is None:
        return _step_missing(request, return_to)
    factors = await second_step_factors(app_state(request), step["user_id"])
    return render_page(request, "totp.html", return_to=return_to, error=None, **factors)


@router.post("/login/totp")
async def totp_submit(request: Request) -> Response:
    posted = await _posted_step(request, "totp")
    if isinstance(posted, Response):
        return posted
    form, return_to, step = posted
    result = await second_factor(app_state(request), step["user_id"], _text(form, "code"), amr=step["amr"],
                                 ip=client_ip(request), migrate_via=step["migrate_via"])
    if result.outcome in (LoginOutcome.FAILED, LoginOutcome.THROTTLED):
        status = 429 if result.outcome is LoginOutcome.THROTTLED else 400
        factors = await second_step_factors(app_state(request), step["user_id"])
        return render_page(request, "totp.html", status=status, return_to=return_to, error=BAD_CODE, **factors)
    return await _next_step(request, result, return_to)


def _change_form(request: Request, return_to: str | None, reason: str | None, *, status: int = 200,
                 errors: dict[str, list[str]] | None = None) -> Response:
    return render_page(request, "change_password.html", status=status, return_to=return_to, reason=reason, errors=errors or {})


@router.get("/login/change-password")
async def change_password_page(request: Request) -> Response:
    return_to = safe_return_to(request.query_params.get("return_to"))
    step = login_step(request, "change_password")
    if step is None:
        return _step_missing(request, return_to)
    return _change_form(request, return_to, step["reason"])


@router.post("/login/change-password")
async def change_password_submit(request: Request) -> Response:
    posted = await _posted_step(request, "change_password")
    if isinstance(posted, Response):
        return posted
    form, return_to, step = posted
    errors = await change_required_password(
        app_state(request), step["user_id"], _text(form, "password"), _text(form, "password_confirm")
    )
    if errors:
        return _change_form(request, return_to, step["reason"], status=422, errors=errors)
    return await _signed_in(request, step["user_id"], step["amr"], return_to)


@router.get("/")
async def home(request: Request) -> Response:
    state = app_state(request)
    async with reading(state.engine) as conn:
        session = await current_session(conn, request)
        names: list[Any] = []
        if session is not None:
            names = list((await conn.execute(
                sa.select(identities.c.raw).where(identities.c.user_id == session.user_id).order_by(identities.c.kind)
            )).scalars())
    return render_page(request, "home.html", signed_in=session is not None, who=names[0] if names else None)


@router.get("/static/{name}")
async def static_file(name: str) -> Response:
    path = STATIC_FILES.get(name)
    if path is None:
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})
