"""Signing in with a passkey, as a service (no HTTP): the first factor or the second.

- First factor (discoverable credential, no login ID typed): the passkey names its user. With user
  verification (a PIN or biometric on the authenticator) it is two factors in one (amr ``hwk``,
  ``user``, ``mfa``) and no second step follows; without it, a user who has a TOTP factor is
  asked for the code next.
- Second factor, after the password: one of the user's passkeys, in place of a TOTP code.

Either way the result is the login service's ``LoginResult``, so the hosted pages go on exactly as
after a password (must-change password, session). An ``imported`` user becomes ``migrated``
(``user.migrated``, via ``passkey``): the imported passkey has proved it works here. As the second
factor, the sign-in's password step decides how (``migrate_via``): a password the legacy system
accepted against a mismatching imported hash (shadow verification) leaves the user ``imported``,
exactly as a TOTP code after it does (``login.complete_migration``, the one rule).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from authshift.accounts.login import FAILED, LoginOutcome, LoginResult, complete_migration, password_change_reason
from authshift.accounts.passkey_ceremonies import PasskeyRefused, verify_sign_in
from authshift.accounts.totp import has_totp
from authshift.storage.tables import users

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from authshift.accounts.services import AccountServices

__all__ = ["PasskeyRefused", "passkey_second_factor", "passkey_sign_in"]


async def _finish(conn: AsyncConnection, user_id: uuid.UUID, amr: tuple[str, ...], *,
                  migrate_via: str | None = "passkey") -> LoginResult:
    row = (await conn.execute(sa.select(users.c.disabled).where(users.c.id == user_id))).first()
    if row is None or row.disabled:
        return FAILED
    await complete_migration(conn, user_id, migrate_via)
    reason = await password_change_reason(conn, user_id)
    if reason is not None:
        return LoginResult(LoginOutcome.MUST_CHANGE_PASSWORD, user_id, amr, reason)
    return LoginResult(LoginOutcome.OK, user_id, amr)


async def passkey_sign_in(state: AccountServices, challenge_id: str, credential: Any) -> LoginResult:
    """A passkey as the first factor. Raises ``PasskeyRefused`` (with what to tell the person)."""
    async with state.engine.begin() as conn:
        assertion = await verify_sign_in(state, conn, challenge_id, credential)
    async with state.engine.begin() as conn:
        if not assertion.user_verified and await has_totp(conn, assertion.user_id):
            return LoginResult(LoginOutcome.NEEDS_TOTP, assertion.user_id, ("hwk",))
        amr = ("hwk", "user", "mfa") if assertion.user_verified else ("hwk",)
        return await _finish(conn, assertion.user_id, amr)


async def passkey_second_factor(state: AccountServices, user_id: uuid.UUID, challenge_id: str, credential: Any, *,
                                amr: tuple[str, ...], migrate_via: str | None = None) -> LoginResult:
    """One of the user's passkeys after their password (``migrate_via``: from the password step's
    ``LoginResult``, as for a TOTP code). Raises ``PasskeyRefused``."""
    async with state.engine.begin() as conn:
        await verify_sign_in(state, conn, challenge_id, credential, user_id=user_id)
    async with state.engine.begin() as conn:
        return await _finish(conn, user_id, tuple(dict.fromkeys((*amr, "hwk", "mfa"))), migrate_via=migrate_via)
