"""What a signed-in person changes themselves: password, TOTP, recovery codes, sessions.

Every change is written with the event that announces it, in one transaction (the outbox), so
webhooks and rolling migration's write-back tell the legacy system: ``password.changed``,
``mfa.enrolled`` / ``mfa.removed`` (``{"factor": "totp"}`` or ``"recovery_codes"``),
``session.revoked``. Passkeys are in ``accounts.passkeys`` (``passkey.added``, ``passkey.removed``).

- Password: the current password is checked first (a session left open on a shared computer must
  not be enough to take the account over), the new one by the sign-up policy
  (``[password_policy]``), hashed with argon2id.
- TOTP: a new 20-byte secret (RFC 4226 §4 recommends 160 bits) is shown as a QR code and as text
  and carried by the enrolment form, signed and short-lived; it is stored (encrypted) only once a
  code from the app proves the app has it.
- Recovery codes: ten new codes replace the old ones; they are shown once and kept as HMAC digests.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from typing import TYPE_CHECKING, Any

import pyotp
import sqlalchemy as sa

from authshift import passwords
from authshift.accounts.login import login_ids_of, new_password_problems
from authshift.accounts.totp import matching_step
from authshift.accounts.users import set_password
from authshift.events.outbox import emit
from authshift.ids import uuid7
from authshift.oidc.sessions import revoke_session
from authshift.oidc.tables import sessions
from authshift.security.signing import BadSignature, Signer
from authshift.storage.tables import passwords as passwords_table
from authshift.storage.tables import recovery_codes, totp_factors
from authshift.storage.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from authshift.accounts.services import AccountServices

MFA_ENROLLED, MFA_REMOVED, SESSION_REVOKED = "mfa.enrolled", "mfa.removed", "session.revoked"
RECOVERY_CODE_COUNT = 10
TOTP_SECRET_BYTES = 20
ENROLMENT_TTL_SECONDS = 900
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed from paper


async def change_password(state: AccountServices, user_id: uuid.UUID, current: str, new: str, confirm: str) -> dict[str, list[str]]:
    """Field errors (``current_password``, ``password``, ``password_confirm``); empty: changed."""
    async with state.engine.begin() as conn:
        row = (await conn.execute(sa.select(passwords_table.c.format, passwords_table.c.value)
                                  .where(passwords_table.c.user_id == user_id))).first()
        login_ids = await login_ids_of(conn, user_id)
    if row is not None:
        stored = passwords.StoredPassword(row.format, row.value)
        try:
            ok = (await passwords.verify_async(current, stored, limits=state.accounts.limits,
                                               hash_configs=state.accounts.hash_configs)).ok
        except passwords.PasswordFormatError:
            ok = False
        if not ok:
            return {"current_password": ["Your current password is not right."]}
    errors = new_password_problems(state, new, confirm, login_ids=login_ids)
    if errors:
        return errors
    native = await passwords.hash_password_async(new)  # before the write transaction starts
    async with state.engine.begin() as conn:
        await set_password(conn, user_id, {"hash": native.value}, ctx=state.accounts, must_change=False)
    return {}


# --- TOTP -----------------------------------------------------------------------------------------


def _enrolment_signer(state: AccountServices) -> Signer:
    return Signer(state.secrets.secret_key, "totp-enrolment")


def new_totp_enrolment(state: AccountServices, user_id: uuid.UUID, account_name: str, secret: str | None = None) -> dict[str, str]:
    """``secret`` (base32, to type), ``uri`` (otpauth://, for the QR code) and ``token`` (the form's).
    ``secret``: the one of an enrolment in progress (after a wrong code the app already holds it)."""
    secret = secret or base64.b32encode(secrets.token_bytes(TOTP_SECRET_BYTES)).decode().rstrip("=")
    uri = pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=state.settings.webauthn.rp_name)
    token = _enrolment_signer(state).sign({"uid": str(user_id), "secret": secret}, ttl_seconds=ENROLMENT_TTL_SECONDS)
    return {"secret": secret, "uri": uri, "token": token}


def enrolment_secret(state: AccountServices, user_id: uuid.UUID, token: str) -> str | None:
    try:
        data = _enrolment_signer(state).unsign(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return data.get("secret") if data.get("uid") == str(user_id) else None


async def confirm_totp(state: AccountServices, user_id: uuid.UUID, token: str, code: str) -> str | None:
    """Store the enrolment's secret once ``code`` matches it; the problem to show, or None when done."""
    secret = enrolment_secret(state, user_id, token)
    if secret is None:
        return "This set-up has expired. Start again with the new code below."
    code = "".join(code.split())
    raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    step = matching_step(pyotp.TOTP(secret), code) if code.isdigit() and len(code) == 6 else None
    if step is None:
        return "That code is not right. Enter the 6-digit code your app shows now."
    async with state.engine.begin() as conn:
        await conn.execute(totp_factors.insert(), [{
            "id": uuid7(), "user_id": user_id, "secret_encrypted": state.accounts.totp_box.encrypt(raw),
            "algorithm": "SHA1", "digits": 6, "period": 30, "last_used_step": step, "created_at": utcnow(),
        }])
        await emit(conn, MFA_ENROLLED, {"user_id": str(user_id), "factor": "totp"}, subject=str(user_id))
        await _factor_changed(conn, state, user_id)
    return None


async def remove_totp(state: AccountServices, user_id: uuid.UUID) -> bool:
    async with state.engine.begin() as conn:
        removed = await conn.execute(totp_factors.delete().where(totp_factors.c.user_id == user_id))
        if removed.rowcount:
            await emit(conn, MFA_REMOVED, {"user_id": str(user_id), "factor": "totp"}, subject=str(user_id))
            await _factor_changed(conn, state, user_id)
    return bool(removed.rowcount)


async def _factor_changed(conn: AsyncConnection, state: AccountServices, user_id: uuid.UUID) -> None:
    from authshift.migration.readiness.store import factor_changed  # (readiness reads accounts)

    await factor_changed(conn, user_id, state.accounts)


# --- recovery codes -------------------------------------------------------------------------------


def _new_code() -> str:
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


async def new_recovery_codes(state: AccountServices, user_id: uuid.UUID) -> list[str]:
    """Ten new codes (the old ones stop working); the only time they are ever shown."""
    codes = [_new_code() for _ in range(RECOVERY_CODE_COUNT)]
    async with state.engine.begin() as conn:
        await conn.execute(recovery_codes.delete().where(recovery_codes.c.user_id == user_id))
        await conn.execute(recovery_codes.insert(), [
            {"id": uuid7(), "user_id": user_id, "code_hash": state.accounts.recovery_code_digest(c)} for c in codes])
        await emit(conn, MFA_ENROLLED, {"user_id": str(user_id), "factor": "recovery_codes", "count": len(codes)},
                   subject=str(user_id))
    return codes


# --- what the account page shows ------------------------------------------------------------------


async def security_overview(conn: AsyncConnection, user_id: uuid.UUID) -> dict[str, Any]:
    has_password = (await conn.execute(sa.select(passwords_table.c.user_id).where(passwords_table.c.user_id == user_id))).first()
    totp_count = (await conn.execute(sa.select(sa.func.count()).select_from(totp_factors).where(totp_factors.c.user_id == user_id))).scalar()
    unused = (await conn.execute(sa.select(sa.func.count()).select_from(recovery_codes).where(
        recovery_codes.c.user_id == user_id, recovery_codes.c.used_at.is_(None)))).scalar()
    return {"has_password": has_password is not None, "has_totp": bool(totp_count), "recovery_codes_left": int(unused or 0)}


async def active_sessions(conn: AsyncConnection, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """The user's browser sessions that have not ended, newest first."""
    now = utcnow()
    rows = await conn.execute(
        sa.select(sessions.c.id, sessions.c.created_at, sessions.c.auth_time, sessions.c.ip, sessions.c.user_agent)
        .where(sessions.c.user_id == user_id, sessions.c.kind == "browser", sessions.c.revoked_at.is_(None),
               sa.or_(sessions.c.expires_at.is_(None), sessions.c.expires_at > now))
        .order_by(sessions.c.created_at.desc())
    )
    return [dict(r) for r in rows.mappings()]


async def revoke_own_session(state: AccountServices, user_id: uuid.UUID, session_id: uuid.UUID) -> bool:
    async with state.engine.begin() as conn:
        owner = (await conn.execute(sa.select(sessions.c.user_id).where(
            sessions.c.id == session_id, sessions.c.revoked_at.is_(None)))).scalar()
        if owner != user_id:
            return False
        await revoke_session(conn, session_id, "signed out by the user (account area)")
        await emit(conn, SESSION_REVOKED, {"user_id": str(user_id), "session_id": str(session_id)}, subject=str(user_id))
    return True
