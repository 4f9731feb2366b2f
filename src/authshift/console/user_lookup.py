"""Finding users and gathering what the console shows about one.

Search takes what an operator has at hand: an email, username or phone number (normalised as
the login page does: ``accounts.login_ids.candidates``), an external id (any source), or an
authshift id. The record comes from the admin API's own ``accounts.users.get_user`` (no secrets);
factors are shown by kind only, never their secrets or hashes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.accounts.login_ids import candidates
from authshift.accounts.totp import has_totp
from authshift.accounts.users import get_user
from authshift.migration.readiness.tables import user_readiness
from authshift.oidc.tables import sessions
from authshift.storage.tables import audit_log, identities, passwords, recovery_codes, users

MAX_RESULTS = 50
MAX_QUERY = 320
SESSIONS_SHOWN = 20
EVENTS_SHOWN = 50


async def search_users(conn: AsyncConnection, text: str) -> list[uuid.UUID]:
    """The users ``text`` names, best matches first (an id, then login IDs, then external ids)."""
    text = text.strip()[:MAX_QUERY]
    if not text:
        return []
    found: list[uuid.UUID] = []
    try:
        as_id = uuid.UUID(text)
    except ValueError:
        as_id = None
    if as_id is not None:
        found += (await conn.execute(sa.select(users.c.id).where(users.c.id == as_id))).scalars()
    for cand in candidates(text):
        found += (await conn.execute(
            sa.select(identities.c.user_id).where(identities.c.kind == cand.kind, identities.c.value == cand.value)
        )).scalars()
    found += (await conn.execute(
        sa.select(users.c.id).where(users.c.external_id == text).order_by(users.c.id).limit(MAX_RESULTS)
    )).scalars()
    return list(dict.fromkeys(found))[:MAX_RESULTS]


@dataclass(frozen=True)
class UserDetail:
    record: dict[str, Any]  # the admin API's record of the user (accounts.users.get_user: no secrets)
    factors: list[str]  # kinds only: "password (bcrypt)", "authenticator app", "passkey x2", ...
    readiness: dict[str, Any] | None
    sessions: list[dict[str, Any]]
    active_sessions: int
    events: list[dict[str, Any]]


async def _factors(conn: AsyncConnection, user_id: uuid.UUID, record: dict[str, Any], family: str | None) -> list[str]:
    out = []
    password = (await conn.execute(sa.select(passwords.c.must_change).where(passwords.c.user_id == user_id))).first()
    if password is not None:
        out.append("password" + (f" ({family})" if family and family != "none" else "") + (", must change" if password[0] else ""))
    elif record.get("password_migration") == "lazy":
        out.append("password kept by the legacy system (checked there at the first sign-in)")
    if await has_totp(conn, user_id):
        out.append("authenticator app (TOTP)")
    mfa = record.get("mfa") or {}
    if mfa.get("webauthn"):
        out.append(f"passkey x{len(mfa['webauthn'])}")
    if "email" in mfa:
        out.append("one-time codes by email")
    if "phone_number" in mfa:
        out.append("one-time codes by SMS")
    codes = (await conn.execute(sa.select(sa.func.count()).select_from(recovery_codes).where(
        recovery_codes.c.user_id == user_id, recovery_codes.c.used_at.is_(None)))).scalar_one()
    if codes:
        out.append(f"recovery codes ({codes} unused)")
    for fed in record.get("identities") or []:
        out.append(f"sign-in with {fed['provider']}")
    return out


async def user_detail(conn: AsyncConnection, user_id: uuid.UUID) -> UserDetail:
    """Raises ``NotFound`` for an unknown id."""
    record = await get_user(conn, user_id)
    readiness = (await conn.execute(
        sa.select(user_readiness.c.readiness, user_readiness.c.family, user_readiness.c.reason, user_readiness.c.proved_at)
        .where(user_readiness.c.user_id == user_id)
    )).mappings().first()
    s = sessions.c
    session_rows = [dict(r) for r in (await conn.execute(
        sa.select(s.id, s.kind, s.client_id, s.created_at, s.auth_time, s.amr, s.expires_at, s.revoked_at, s.revoked_reason,
                  s.ip, s.user_agent).where(s.user_id == user_id).order_by(s.created_at.desc()).limit(SESSIONS_SHOWN)
    )).mappings()]
    active = (await conn.execute(sa.select(sa.func.count()).select_from(sessions).where(
        s.user_id == user_id, s.revoked_at.is_(None)))).scalar_one()
    a = audit_log.c
    events = [dict(r) for r in (await conn.execute(
        sa.select(a.id, a.at, a.actor, a.action, a.details).where(a.target == str(user_id))
        .order_by(a.id.desc()).limit(EVENTS_SHOWN)
    )).mappings()]
    return UserDetail(
        record=record, factors=await _factors(conn, user_id, record, readiness["family"] if readiness else None),
        readiness=dict(readiness) if readiness else None, sessions=session_rows, active_sessions=active, events=events,
    )


async def active_session_ids(conn: AsyncConnection, user_id: uuid.UUID) -> list[uuid.UUID]:
    query = sa.select(sessions.c.id).where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
    return list((await conn.execute(query)).scalars())
