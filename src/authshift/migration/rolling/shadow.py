"""Shadow verification: the legacy system decides, authshift checks its imported hash alongside.

With ``[migration.legacy] shadow_verification = true``, the sign-in of a user who was
bulk-imported with a hash and has not signed in here yet (``imported``, a non-native hash) is
decided by the legacy system. When it accepts the password, the imported hash is verified
against the same password and the outcome is recorded per hash family and source
(``shadow_checks``; never the password):

- match: the hash is proved; the sign-in goes on as any local one (``shadow_verify`` answers
  None: the login path verifies the hash again, re-hashes it natively and migrates the user
  once the whole sign-in has succeeded: one rule, in accounts/login.py);
- mismatch: the user is signed in (the legacy system said yes) but keeps the imported hash and
  stays ``imported``, with readiness ``unverified``: at cutover this user could not sign in, and the
  readiness table shows the mismatch rate of the family, while the legacy system still decides.

A team learns that a hash family is wrong before cutover, not after.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import sqlalchemy as sa

from authshift import passwords
from authshift.accounts.hash_config_store import hash_configs_for
from authshift.logs import get_logger
from authshift.migration.readiness.store import record_shadow
from authshift.storage.db import reading
from authshift.storage.tables import passwords as passwords_table
from authshift.storage.tables import users

if TYPE_CHECKING:
    from authshift.migration.rolling.lazy import LazyMigration

log = get_logger("authshift.migration.rolling.shadow")


async def shadow_verify(lazy: LazyMigration, user_id: uuid.UUID, login_id: str, password: str) -> bool | None:
    """See the module docstring. ``None``: the local hash decides (shadow verification does not
    apply, or it just proved the hash); ``False``: the legacy system refused the password; ``True``:
    the legacy system accepted a password the imported hash refuses (a mismatch, recorded)."""
    from authshift.migration.rolling.lazy import _ask_legacy, _usable

    settings = lazy.client.settings
    if not settings.shadow_verification or settings.verify_url is None:
        return None
    state = lazy.state
    async with reading(state.engine) as conn:
        row = (await conn.execute(
            sa.select(users.c.migration_state, users.c.disabled, users.c.source, passwords_table.c.format,
                      passwords_table.c.value)
            .select_from(users.join(passwords_table, passwords_table.c.user_id == users.c.id))
            .where(users.c.id == user_id)
        )).first()
    if row is None or row.disabled or row.migration_state != "imported" or row.format == passwords.NATIVE_FORMAT:
        return None
    text = _usable(login_id)
    if text is None:
        return None
    record = await _ask_legacy(lazy.client.verify(text, password))
    if record is None or record.get("disabled"):
        return False
    stored = passwords.StoredPassword(row.format, row.value)
    ctx = state.accounts
    try:
        configs = await hash_configs_for(state.engine, ctx, stored)
        matched = (await passwords.verify_async(password, stored, limits=ctx.limits, hash_configs=configs)).ok
    except passwords.PasswordFormatError:
        matched = False
    async with state.engine.begin() as conn:
        await record_shadow(conn, user_id, family=row.format, source=row.source, matched=matched, ctx=ctx)
    if matched:
        return None  # proved: the local path signs the user in and moves them here
    log.warning("shadow verification: the imported hash refused a password the legacy system accepted",
                user_id=str(user_id), family=row.format, source=row.source)
    return True
