"""Passkey routes of the hosted sign-in: options for the browser (JSON) and the forms that carry
its answer back (first factor on ``/login``, second factor on ``/login/totp``).

Options are POSTed with the page's CSRF token in ``X-CSRF-Token`` (a cross-site page cannot read
it), and each makes a one-time challenge. The browser's answer comes back as an ordinary form
(``challenge_id`` and the credential as JSON in ``credential``), so the sign-in goes on through
the same steps, pages and redirects as after a password.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import JSONResponse, Response

from authshift.accounts.passkey_ceremonies import sign_in_options
from authshift.accounts.passkey_login import PasskeyRefused, passkey_second_factor, passkey_sign_in
from authshift.accounts.second_step import second_step_factors
from authshift.http.account_templates import PAGE_HEADERS, render_page, safe_return_to
from authshift.http.browser import app_state, login_step
from authshift.http.csrf import CsrfError, check_csrf
from authshift.http.login_pages import LoginOutcome, _login_form, _next_step, _posted_form, _posted_step

router = APIRouter(include_in_schema=False)

MAX_CREDENTIAL_LENGTH = 32 * 1024
CSRF_HEADER = "x-csrf-token"
NOT_VERIFIED = "That passkey is not registered here, or it could not be verified."


def options_refused(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=PAGE_HEADERS)


def options_csrf_failed(request: Request) -> Response | None:
    """The 403 answer when the options request does not carry the page's CSRF token, else None."""
    try:
        check_csrf(request, request.headers.get(CSRF_HEADER))
    except CsrfError as exc:
        return options_refused(403, str(exc))
    return None


def posted_credential(form: FormData) -> tuple[str, Any]:
    """``(challenge_id, credential)`` from a passkey form; ``PasskeyRefused`` when it is not JSON."""
    challenge_id, raw = form.get("challenge_id"), form.get("credential")
    if not isinstance(challenge_id, str) or not isinstance(raw, str) or not raw or len(raw) > MAX_CREDENTIAL_LENGTH:
        raise PasskeyRefused(NOT_VERIFIED)
    try:
        credential = json.loads(raw)
    except ValueError:
        raise PasskeyRefused(NOT_VERIFIED) from None
    if not isinstance(credential, dict):
        raise PasskeyRefused(NOT_VERIFIED)
    return challenge_id[:64], credential


@router.post("/login/passkey/options")
async def first_factor_options(request: Request) -> Response:
    refused = options_csrf_failed(request)
    if refused is not None:
        return refused
    state = app_state(request)
    async with state.engine.begin() as conn:
        return JSONResponse(await sign_in_options(state, conn), headers=PAGE_HEADERS)


@router.post("/login/passkey")
async def first_factor_submit(request: Request) -> Response:
    form = await _posted_form(request)
    if isinstance(form, Response):
        return form
    return_to = safe_return_to(form.get("return_to") if isinstance(form.get("return_to"), str) else None)  # type: ignore[arg-type]
    try:
        result = await passkey_sign_in(app_state(request), *posted_credential(form))
    except PasskeyRefused as exc:
        return await _login_form(request, status=400, return_to=return_to, error=str(exc))
    if result.outcome is LoginOutcome.FAILED:
        return await _login_form(request, status=400, return_to=return_to, error=NOT_VERIFIED)
    return await _next_step(request, result, return_to)


@router.post("/login/totp/passkey/options")
async def second_factor_options(request: Request) -> Response:
    refused = options_csrf_failed(request)
    if refused is not None:
        return refused
    step = login_step(request, "totp")
    if step is None:
        return options_refused(403, "This sign-in has expired. Start again.")
    state = app_state(request)
    async with state.engine.begin() as conn:
        return JSONResponse(await sign_in_options(state, conn, user_id=step["user_id"]), headers=PAGE_HEADERS)


@router.post("/login/totp/passkey")
async def second_factor_submit(request: Request) -> Response:
    posted = await _posted_step(request, "totp")
    if isinstance(posted, Response):
        return posted
    form, return_to, step = posted
    state = app_state(request)
    try:
        result = await passkey_second_factor(state, step["user_id"], *posted_credential(form), amr=step["amr"],
                                             migrate_via=step.get("migrate_via"))
        if result.outcome is LoginOutcome.FAILED:
            raise PasskeyRefused(NOT_VERIFIED)
    except PasskeyRefused as exc:
        factors = await second_step_factors(state, step["user_id"])
        return render_page(request, "totp.html", status=400, return_to=return_to, error=str(exc), **factors)
    return await _next_step(request, result, return_to)


@router.get("/.well-known/webauthn")
async def related_origins(request: Request) -> Response:
    """WebAuthn Level 3 Related Origin Requests ("Using Web Authentication across related
    origins", #sctn-related-origins): the document the RP ID's domain must serve
    at ``https://<rp_id>/.well-known/webauthn`` so that these origins may use its passkeys. authshift
    serves it here to be copied or proxied there (docs/rolling-migration.md)."""
    origins = app_state(request).settings.webauthn_origins
    return JSONResponse({"origins": origins}, headers={"Cache-Control": "public, max-age=3600"})
