"""Signing in to the console: an OpenID Connect authorization code flow with PKCE against this
authshift's own authorization endpoint and hosted login.

``/console/login`` keeps the PKCE verifier, ``state`` and ``nonce`` in a signed, short-lived cookie
and sends the browser to ``/oauth2/authorize`` with ``prompt=login`` (entering the console always
asks for the password again, even in a browser already signed in to an application). The
callback checks ``state`` and ``iss`` (RFC 9207), redeems the code with the token endpoint's own
``authorization_code`` grant (called in-process: the server may not be able to reach its public
issuer URL through the proxy in front of it) and checks the ID token's signature, audience and
nonce before it trusts ``sub``. Then: an operator gets a console session; anyone else the 403 page.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc7636.challenge import create_s256_code_challenge
from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from authshift.audit import record_audit
from authshift.console.changes import ChangeForm, audit_change
from authshift.console.access import CurrentOperator
from authshift.console.oidc_client import CLIENT_ID, SCOPES, callback_uri, ensure_console_client
from authshift.console.operators import load_operator, operator_name
from authshift.console.rendering import render
from authshift.console.sessions import (
    COOKIE_PATH, clear_session_cookie, end_session, session_cookie, set_session_cookie, start_session,
)
from authshift.http.account_templates import PAGE_HEADERS
from authshift.http.browser import client_ip
from authshift.oidc.clients import GRANT_AUTHORIZATION_CODE
from authshift.oidc.discovery import PATHS
from authshift.oidc.errors import OAuthError
from authshift.oidc.grants import GRANT_HANDLERS
from authshift.oidc.tokens import decode_own_jwt
from authshift.security.signing import BadSignature, Signer

router = APIRouter(include_in_schema=False)

FLOW_COOKIE = "authshift_console_login"
FLOW_PURPOSE = "console-login"
HOME = "/console/"


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a console path only (no open redirect)."""
    if not value or not value.startswith("/console") or value.startswith("/console/login") or len(value) > 2048:
        return HOME
    if any(ord(ch) < 0x21 or ch == "\\" for ch in value):
        return HOME
    return value


def _flow_signer(request: Request) -> Signer:
    return Signer(request.app.state.authshift.secrets.secret_key, FLOW_PURPOSE)


@router.get("/console/login")
async def console_login(request: Request) -> Response:
    state = request.app.state.authshift
    issuer = state.settings.public_issuer
    async with state.engine.begin() as conn:
        await ensure_console_client(conn, issuer)
    verifier, flow_state, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    ttl = state.settings.oidc.login_flow_ttl_seconds
    flow = _flow_signer(request).sign(
        {"v": verifier, "s": flow_state, "n": nonce, "next": safe_next(request.query_params.get("next"))}, ttl_seconds=ttl
    )
    query = urlencode({
        "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": callback_uri(issuer), "scope": " ".join(SCOPES),
        "state": flow_state, "nonce": nonce, "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256", "prompt": "login",
    })
    response = RedirectResponse(f"{PATHS['authorization_endpoint']}?{query}", status_code=303, headers=PAGE_HEADERS)
    # Lax, not Strict: it must come back on the top-level redirect to the callback.
    response.set_cookie(FLOW_COOKIE, flow, max_age=ttl, path=COOKIE_PATH, httponly=True, samesite="lax",
                        secure=issuer.startswith("https://"))
    return response


def _failed(request: Request, message: str, status: int = 400) -> Response:
    return render(request, "message.html", operator=None, title="Console sign-in failed", status=status,
                  message=message, retry=True, alert=True)


@router.get("/console/callback")
async def console_callback(request: Request) -> Response:
    state = request.app.state.authshift
    issuer = state.settings.public_issuer
    params = request.query_params
    try:
        flow: dict[str, Any] = _flow_signer(request).unsign(request.cookies.get(FLOW_COOKIE) or "")
    except BadSignature:
        return _failed(request, "This sign-in took too long or was started in another browser. Start again.")
    if not hmac.compare_digest(str(flow.get("s", "")), params.get("state", "")) or params.get("iss") != issuer:
        return _failed(request, "The answer from the sign-in page does not belong to this sign-in. Start again.")
    if params.get("error"):
        return _failed(request, f"The sign-in did not complete ({params.get('error_description') or params['error']}).")
    form = {"grant_type": GRANT_AUTHORIZATION_CODE, "code": params.get("code", ""), "redirect_uri": callback_uri(issuer),
            "code_verifier": str(flow.get("v", ""))}
    async with state.engine.begin() as conn:
        client = await ensure_console_client(conn, issuer)
    try:
        tokens = await GRANT_HANDLERS[GRANT_AUTHORIZATION_CODE](form, client, state, client_ip(request))
    except OAuthError as exc:
        return _failed(request, f"The sign-in could not be completed: {exc.description}.")
    async with state.engine.begin() as conn:
        claims = await decode_own_jwt(conn, str(tokens.get("id_token", "")), issuer=issuer, typ=None)
        if claims is None or claims.get("aud") not in (CLIENT_ID, [CLIENT_ID]) or not hmac.compare_digest(
            str(claims.get("nonce", "")), str(flow.get("n", ""))
        ):
            return _failed(request, "The sign-in's ID token is not valid. Start again.")
        user_id = uuid.UUID(str(claims["sub"]))
        operator = await load_operator(conn, user_id)
        if operator is None:
            who = await operator_name(conn, user_id)
            await record_audit(conn, actor=f"console:{who}", action="console.refused", target=str(user_id))
            response = render(request, "refused.html", operator=None, title="Not a console operator", status=403, who=who)
        else:
            token = await start_session(conn, user_id, state.settings.console)
            await audit_change(conn, operator, "console.signed_in", str(user_id), {"ip": client_ip(request)})
            response = RedirectResponse(str(flow.get("next") or HOME), status_code=303, headers=PAGE_HEADERS)
            set_session_cookie(response, request, token, state.settings.console)
    response.delete_cookie(FLOW_COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax", secure=issuer.startswith("https://"))
    return response


@router.post("/console/logout")
async def console_logout(request: Request, operator: CurrentOperator, _form: ChangeForm) -> Response:
    state = request.app.state.authshift
    async with state.engine.begin() as conn:
        await end_session(conn, session_cookie(request))
        await audit_change(conn, operator, "console.signed_out", str(operator.user_id))
    response = render(request, "message.html", operator=None, title="Signed out of the console",
                      message="You have signed out of the console.", retry=True)
    clear_session_cookie(response, request)
    return response
