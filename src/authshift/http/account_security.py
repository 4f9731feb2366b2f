"""Account area pages for the sign-in methods other than passkeys: change the password, set up or
remove an authenticator app (TOTP, with a QR code drawn here as SVG: no third-party service sees
the secret), new recovery codes (shown once), and the person's sessions (signed out one by one).

The services are in ``accounts.self_service``; each change sends its event through the outbox.
"""

from __future__ import annotations

import io
import uuid

import segno
from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from authshift.accounts.login import login_ids_of
from authshift.accounts.self_service import (
    change_password,
    confirm_totp,
    enrolment_secret,
    new_recovery_codes,
    new_totp_enrolment,
    remove_totp,
    revoke_own_session,
)
from authshift.accounts.signup import policy_for
from authshift.http.account_area import ACCOUNT, account_page, posted_by_signed_in_user, redirect, signed_in_user, to_login
from authshift.http.account_templates import render_page
from authshift.http.browser import app_state, current_session
from authshift.http.login_pages import _posted_form
from authshift.storage.db import reading

router = APIRouter(include_in_schema=False)

MAX_FIELD_LENGTH = 4096


def _field(form: object, name: str) -> str:
    value = form.get(name)  # type: ignore[attr-defined]
    return value[:MAX_FIELD_LENGTH] if isinstance(value, str) else ""


def qr_svg(text: str) -> Markup:
    """``text`` as an inline SVG QR code (segno, pure Python), labelled for screen readers."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True,
                                     title="QR code for your authenticator app", svgclass="qr")
    return Markup(out.getvalue().decode())  # noqa: S704 - segno's own markup of a URI we made


# --- password ------------------------------------------------------------------------------------


def _password_form(request: Request, *, status: int = 200, errors: dict[str, list[str]] | None = None) -> Response:
    return render_page(request, "account/password.html", status=status, errors=errors or {},
                       hints=policy_for(app_state(request)).hints())


@router.get(ACCOUNT + "/password")
async def password_page(request: Request) -> Response:
    if await signed_in_user(request) is None:
        return to_login(ACCOUNT + "/password")
    return _password_form(request)


@router.post(ACCOUNT + "/password")
async def password_submit(request: Request) -> Response:
    posted = await posted_by_signed_in_user(request, ACCOUNT + "/password")
    if isinstance(posted, Response):
        return posted
    form, user_id = posted.form, posted.user_id
    errors = await change_password(app_state(request), user_id, _field(form, "current_password"),
                                   _field(form, "password"), _field(form, "password_confirm"))
    if errors:
        return _password_form(request, status=422, errors=errors)
    return redirect(ACCOUNT + "?notice=password_changed")


# --- authenticator app (TOTP) --------------------------------------------------------------------


async def _totp_form(request: Request, user_id: uuid.UUID, *, token: str | None = None, status: int = 200,
                     error: str | None = None) -> Response:
    state = app_state(request)
    secret = enrolment_secret(state, user_id, token) if token else None
    async with reading(state.engine) as conn:
        names = await login_ids_of(conn, user_id)
    enrolment = new_totp_enrolment(state, user_id, names[0] if names else str(user_id), secret)
    grouped = " ".join(enrolment["secret"][i:i + 4] for i in range(0, len(enrolment["secret"]), 4))
    return render_page(request, "account/totp.html", status=status, error=error, token=enrolment["token"],
                       secret=grouped, qr=qr_svg(enrolment["uri"]))


@router.get(ACCOUNT + "/totp")
async def totp_page(request: Request) -> Response:
    user_id = await signed_in_user(request)
    if user_id is None:
        return to_login(ACCOUNT + "/totp")
    return await _totp_form(request, user_id)


@router.post(ACCOUNT + "/totp")
async def totp_submit(request: Request) -> Response:
    posted = await posted_by_signed_in_user(request, ACCOUNT + "/totp")
    if isinstance(posted, Response):
        return posted
    form, user_id = posted.form, posted.user_id
    token = _field(form, "token")
    problem = await confirm_totp(app_state(request), user_id, token, _field(form, "code"))
    if problem:
        return await _totp_form(request, user_id, token=token, status=400, error=problem)
    return redirect(ACCOUNT + "?notice=totp_added")


@router.post(ACCOUNT + "/totp/remove")
async def totp_remove(request: Request) -> Response:
    posted = await posted_by_signed_in_user(request)
    if isinstance(posted, Response):
        return posted
    user_id = posted.user_id
    await remove_totp(app_state(request), user_id)
    return redirect(ACCOUNT + "?notice=totp_removed")


# --- recovery codes ------------------------------------------------------------------------------


@router.post(ACCOUNT + "/recovery-codes")
async def recovery_codes_submit(request: Request) -> Response:
    posted = await posted_by_signed_in_user(request)
    if isinstance(posted, Response):
        return posted
    user_id = posted.user_id
    codes = await new_recovery_codes(app_state(request), user_id)
    return render_page(request, "account/recovery_codes.html", codes=codes)


# --- sessions ------------------------------------------------------------------------------------


@router.post(ACCOUNT + "/sessions/{session_id}/revoke")
async def session_revoke(request: Request, session_id: str) -> Response:
    form = await _posted_form(request)
    if isinstance(form, Response):
        return form
    state = app_state(request)
    async with reading(state.engine) as conn:
        current = await current_session(conn, request)
    if current is None:
        return to_login()
    try:
        target = uuid.UUID(session_id)
    except ValueError:
        target = None
    if target is None or not await revoke_own_session(state, current.user_id, target):
        return await account_page(request, current.user_id, status=404,
                                  error="That session is not one of yours, or it has ended already.")
    if target == current.id:
        return redirect("/login?notice=signed_out")
    return redirect(ACCOUNT + "?notice=session_revoked")
