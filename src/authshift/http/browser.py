"""The browser's side of a sign-in: the session cookie, the in-progress login step, the client IP.

- Session cookie (``oidc.session_cookie``, default ``authshift_session``): the signed id of a row
  of ``sessions``; HttpOnly, SameSite=Lax, Secure when the issuer is https.
- Login-step cookie (``authshift_login``): after the password, a signed, short-lived note of who
  is half-way through (waiting for a TOTP code or a new password) and with which methods so far.
- Device cookie (``authshift_device``): a signed random id of this browser and (digests of) the
  users who completed a sign-in on it (at most ``MAX_DEVICE_USERS``), for ``throttle.known_device_days``.
  The sign-in throttle lets such a known device wait rather than be locked out
  (``security/signin_throttle.py``).
- The client IP is the TCP peer's; ``authshift serve`` replaces it with ``X-Forwarded-For`` only
  when the peer is one of ``trusted_proxies`` (uvicorn's proxy headers, cli/serve.py).
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from authshift.oidc.sessions import Session, cookie_value, get_active_session, session_id_from_cookie
from authshift.security.signin_throttle import KnownDevice, device_user_tag
from authshift.security.signing import BadSignature, Signer
from authshift.state import AppState

LOGIN_STEP_COOKIE = "authshift_login"
LOGIN_STEP_PURPOSE = "login-step"
DEVICE_COOKIE = "authshift_device"
DEVICE_PURPOSE = "known-device"
MAX_DEVICE_USERS = 10


def app_state(request: Request) -> AppState:
    return request.app.state.authshift  # type: ignore[no-any-return]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _secure(state: AppState) -> bool:
    return state.settings.public_issuer.startswith("https://")


async def current_session(conn: AsyncConnection, request: Request) -> Session | None:
    state = app_state(request)
    session_id = session_id_from_cookie(state.secrets.secret_key, request.cookies.get(state.settings.oidc.session_cookie))
    return await get_active_session(conn, session_id) if session_id else None


def set_session_cookie(response: Response, state: AppState, session: Session) -> None:
    ttl = state.settings.oidc.session_ttl_seconds
    response.set_cookie(
        state.settings.oidc.session_cookie, cookie_value(state.secrets.secret_key, session, ttl), max_age=ttl,
        httponly=True, samesite="lax", secure=_secure(state), path="/",
    )


def clear_session_cookie(response: Response, state: AppState) -> None:
    response.delete_cookie(state.settings.oidc.session_cookie, path="/", httponly=True, samesite="lax", secure=_secure(state))


def set_login_step(response: Response, state: AppState, *, user_id: uuid.UUID, stage: str, amr: tuple[str, ...],
                   reason: str | None = None, migrate_via: str | None = None) -> None:
    ttl = state.settings.oidc.login_flow_ttl_seconds
    value = Signer(state.secrets.secret_key, LOGIN_STEP_PURPOSE).sign(
        {"uid": str(user_id), "stage": stage, "amr": list(amr), "reason": reason, "via": migrate_via}, ttl_seconds=ttl
    )
    response.set_cookie(LOGIN_STEP_COOKIE, value, max_age=ttl, httponly=True, samesite="lax", secure=_secure(state), path="/")


def login_step(request: Request, stage: str) -> dict[str, Any] | None:
    """The in-progress sign-in at ``stage`` (``totp`` or ``change_password``), or ``None``."""
    value = request.cookies.get(LOGIN_STEP_COOKIE)
    if not value:
        return None
    try:
        data = Signer(app_state(request).secrets.secret_key, LOGIN_STEP_PURPOSE).unsign(value)
        if data.get("stage") != stage:
            return None
        via = data.get("via")
        return {"user_id": uuid.UUID(data["uid"]), "amr": tuple(data.get("amr") or ()), "reason": data.get("reason"),
                "migrate_via": via if isinstance(via, str) else None}
    except (BadSignature, KeyError, ValueError, TypeError):
        return None


def clear_login_step(response: Response, state: AppState) -> None:
    response.delete_cookie(LOGIN_STEP_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(state))


def known_device(request: Request) -> KnownDevice | None:
    """This browser's device cookie, when it is genuine and current."""
    value = request.cookies.get(DEVICE_COOKIE)
    if not value:
        return None
    try:
        data = Signer(app_state(request).secrets.secret_key, DEVICE_PURPOSE).unsign(value)
        device_id, tags = data["d"], data["u"]
        if not isinstance(device_id, str) or not isinstance(tags, list):
            return None
        return KnownDevice(device_id, frozenset(str(t) for t in tags))
    except (BadSignature, KeyError, ValueError, TypeError):
        return None


def remember_device(response: Response, request: Request, user_id: uuid.UUID) -> None:
    """A sign-in completed in this browser: it is a known device of ``user_id`` from now on."""
    state = app_state(request)
    device = known_device(request)
    device_id = device.id if device is not None else secrets.token_urlsafe(16)
    tag = device_user_tag(user_id)
    others = [t for t in (device.user_tags if device is not None else ()) if t != tag]
    tags = [tag, *sorted(others)][:MAX_DEVICE_USERS]
    ttl = state.settings.throttle.known_device_days * 86400
    value = Signer(state.secrets.secret_key, DEVICE_PURPOSE).sign({"d": device_id, "u": tags}, ttl_seconds=ttl)
    response.set_cookie(DEVICE_COOKIE, value, max_age=ttl, httponly=True, samesite="lax", secure=_secure(state), path="/")
