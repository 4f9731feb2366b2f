"""The console's own sessions: short, server-side, ended by sign-out or by losing the console role.

- Cookie ``authshift_console``: a random value (the row is keyed by its SHA-256 digest), path
  ``/console``, ``HttpOnly``, ``SameSite=Strict`` (no other site can make a browser send it, not
  even with a link), ``Secure`` when the issuer is https.
- Idle limit ``console.idle_minutes`` (default 15) and absolute limit ``console.absolute_minutes``
  (default 8 hours), checked on the server on every request; the cookie's own lifetime is the
  absolute limit, so a browser forgets it too.
- ``last_seen_at`` is written at most every ``TOUCH_SECONDS`` so pages that poll do not write on
  every request.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from authshift.config import ConsoleSettings
from authshift.console.tables import console_sessions
from authshift.security.digests import secret_digest
from authshift.storage.types import utcnow

COOKIE_NAME = "authshift_console"
COOKIE_PATH = "/console"
TOUCH_SECONDS = 30


@dataclass(frozen=True)
class ConsoleSession:
    token_hash: str
    user_id: uuid.UUID
    created_at: datetime


def _limits(settings: ConsoleSettings) -> tuple[timedelta, timedelta]:
    return timedelta(minutes=settings.idle_minutes), timedelta(minutes=settings.absolute_minutes)


async def start_session(conn: AsyncConnection, user_id: uuid.UUID, settings: ConsoleSettings) -> str:
    """A new console session for ``user_id``; returns the cookie value. Sessions past their limits
    (anyone's) are deleted on the way, so the table holds only live ones."""
    idle, absolute = _limits(settings)
    now = utcnow()
    await conn.execute(console_sessions.delete().where(
        sa.or_(console_sessions.c.created_at < now - absolute, console_sessions.c.last_seen_at < now - idle)
    ))
    token = secrets.token_urlsafe(32)
    await conn.execute(console_sessions.insert().values(
        token_hash=secret_digest(token), user_id=user_id, created_at=now, last_seen_at=now,
    ))
    return token


async def find_session(conn: AsyncConnection, token: str | None, settings: ConsoleSettings) -> ConsoleSession | None:
    """The live session the cookie names (and it is touched), or ``None``."""
    if not token or len(token) > 100:
        return None
    idle, absolute = _limits(settings)
    now = utcnow()
    row = (await conn.execute(
        sa.select(console_sessions).where(console_sessions.c.token_hash == secret_digest(token))
    )).mappings().first()
    if row is None or row["created_at"] <= now - absolute or row["last_seen_at"] <= now - idle:
        return None
    if (now - row["last_seen_at"]).total_seconds() >= TOUCH_SECONDS:
        await conn.execute(console_sessions.update().where(console_sessions.c.token_hash == row["token_hash"])
                           .values(last_seen_at=now))
    return ConsoleSession(row["token_hash"], row["user_id"], row["created_at"])


async def end_session(conn: AsyncConnection, token: str | None) -> None:
    if token:
        await conn.execute(console_sessions.delete().where(console_sessions.c.token_hash == secret_digest(token)))


def session_cookie(request: Request) -> str | None:
    return request.cookies.get(COOKIE_NAME)


def _secure(request: Request) -> bool:
    return bool(request.app.state.authshift.settings.public_issuer.startswith("https://"))


def set_session_cookie(response: Response, request: Request, token: str, settings: ConsoleSettings) -> None:
    response.set_cookie(COOKIE_NAME, token, max_age=settings.absolute_minutes * 60, path=COOKIE_PATH, httponly=True,
                        samesite="strict", secure=_secure(request))


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, httponly=True, samesite="strict", secure=_secure(request))
