"""The sign-in path, as a service (no HTTP): login ID + password -> a typed result.

1. Throttle: the attempt is counted per account and per client IP *before* anything is verified;
   over a limit the answer is ``THROTTLED`` and no hash is computed.
2. Look up the identity with the normalised login ID (``accounts.users.find_user_id``).
3. Verify the stored password with ``authshift.passwords`` (off the event loop). A legacy hash
   that verifies is replaced by a native argon2id hash, once (a conditional update; a failed
   rehash is logged and never stops the sign-in).
4. Unknown login ID, or a local user without a usable password: the legacy system is asked when
   one is configured (``AppState.legacy``, rolling migration); otherwise a dummy hash is verified,
   so an unknown user costs the same time as a wrong password.
5. Disabled users fail like a wrong password. Then: ``NEEDS_TOTP`` when the user has a TOTP
   factor or a passkey (the second step takes a code, a recovery code or the passkey), ``MUST_CHANGE_PASSWORD`` when the password is marked must-change or has expired,
   else ``OK``. An ``imported`` user becomes ``migrated`` (``user.migrated``) only once every
   factor has passed: after the password when there is no second factor, else in
   ``second_factor`` once the code is right.

Every failure carries the same message (``GENERIC_FAILURE``). ``authshift.errors.Unavailable``
propagates when the legacy system cannot answer; nothing has been written then.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa

from authshift import passwords
from authshift.accounts.hash_config_store import hash_configs_for
from authshift.accounts.login_ids import login_key
from authshift.accounts.migration_state import mark_migrated
from authshift.accounts.passkeys import has_passkey
from authshift.accounts.signup import check_new_password
from authshift.accounts.totp import SecondFactorOutcome, has_totp, verify_second_factor
from authshift.accounts.users import find_user_id, set_password
from authshift.errors import ErrorList, Unavailable
from authshift.logs import get_logger
from authshift.migration.readiness.store import signed_in
from authshift.security import signin_throttle
from authshift.security.failure_time import failure_clock
from authshift.security.known_networks import known_network
from authshift.security.signin_throttle import KnownDevice
from authshift.storage.db import reading
from authshift.storage.tables import identities, users
from authshift.storage.tables import passwords as passwords_table
from authshift.storage.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from authshift.accounts.services import AccountServices

GENERIC_FAILURE = "The login ID or password is incorrect."
SHADOW_MISMATCH = "shadow_mismatch"  # ``migrate_via`` of a sign-in that must not migrate the user (migration/rolling/shadow.py)
MAX_LOGIN_ID_LENGTH = 320
MAX_PASSWORD_LENGTH = 4096

log = get_logger("authshift.login")


class LoginOutcome(StrEnum):
    OK = "ok"
    NEEDS_TOTP = "needs_totp"
    MUST_CHANGE_PASSWORD = "must_change_password"
    FAILED = "failed"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user_id: uuid.UUID | None = None
    amr: tuple[str, ...] = ()  # authentication methods so far (RFC 8176)
    change_reason: str | None = None  # "must_change" | "expired" with MUST_CHANGE_PASSWORD
    # With NEEDS_TOTP: how an ``imported`` user's migration completes once the code is right
    # ("password" or "legacy"); carried to ``second_factor`` by the login step.
    migrate_via: str | None = None
    retry_after: int | None = None  # with THROTTLED: seconds until this source may try again

    @property
    def message(self) -> str | None:
        """What the person is told when the sign-in did not succeed."""
        return GENERIC_FAILURE if self.outcome in (LoginOutcome.FAILED, LoginOutcome.THROTTLED) else None


FAILED = LoginResult(LoginOutcome.FAILED)
THROTTLED = LoginResult(LoginOutcome.THROTTLED)


@dataclass(frozen=True)
class _Account:
    user_id: uuid.UUID
    disabled: bool
    migration_state: str
    password: passwords.StoredPassword | None


async def _load_account(conn: AsyncConnection, login_id: str) -> _Account | None:
    user_id = await find_user_id(conn, login_id)
    if user_id is None:
        return None
    row = (
        await conn.execute(
            sa.select(users.c.disabled, users.c.migration_state, passwords_table.c.format, passwords_table.c.value)
            .select_from(users.outerjoin(passwords_table, passwords_table.c.user_id == users.c.id))
            .where(users.c.id == user_id)
        )
    ).first()
    if row is None:
        return None
    stored = passwords.StoredPassword(row.format, row.value) if row.format is not None else None
    return _Account(user_id, bool(row.disabled), row.migration_state, stored)


async def login(state: AccountServices, login_id: str, password: str, *, ip: str | None = None,
                device: KnownDevice | None = None) -> LoginResult:
    """Check a login ID and password (see the module docstring for every step). ``device``: the
    browser's known-device cookie, if any (the throttle lets the owner's own devices wait, never
    locks them out)."""
    login_id = login_id.strip()[:MAX_LOGIN_ID_LENGTH]
    password = password[:MAX_PASSWORD_LENGTH]
    if not login_id or not password:
        return FAILED
    async with reading(state.engine) as conn:
        account = await _load_account(conn, login_id)
    admission: signin_throttle.Admission | None = None
    if state.settings.throttle.enabled:
        user_id = account.user_id if account is not None else None
        known = device.id if device is not None and user_id is not None and device.knows(user_id) else None
        async with state.engine.begin() as conn:
            network = None if known is not None or user_id is None else await known_network(
                conn, user_id, ip, days=state.settings.throttle.known_network_days)
            admission = await signin_throttle.admit(conn, state.settings.throttle, login_key(login_id), ip, user_id=user_id,
                                                    known_device=known, known_network=network)
        if not admission.admitted:
            log.warning("sign-in throttled", ip=ip, known_device=known is not None, known_network=network is not None)
            return LoginResult(LoginOutcome.THROTTLED, retry_after=admission.retry_after)
    started = time.perf_counter()
    try:
        result = await _check(state, account, login_id, password, admission)
    except Unavailable:
        # "try again shortly": the attempt was not judged, so it does not use up the budget
        if admission is not None:
            async with state.engine.begin() as conn:
                await signin_throttle.give_back(conn, admission)
        raise
    if result.outcome is LoginOutcome.FAILED:
        await failure_clock.pad(started, password, local_hash=account is not None and account.password is not None)
    return result


async def _check(state: AccountServices, account: _Account | None, login_id: str, password: str,
                 admission: signin_throttle.Admission | None) -> LoginResult:
    if account is None or account.password is None:
        user_id = await _legacy_or_dummy(state, login_id, password)
        if user_id is None:
            return FAILED
        via = "legacy"
    else:
        decided = await state.legacy.shadow(account.user_id, login_id, password) if state.legacy is not None else None
        if not decided and (decided is False or not await _verify_and_upgrade(state, account, password)):
            return FAILED
        user_id, via = account.user_id, "password" if decided is None else SHADOW_MISMATCH

    async with state.engine.begin() as conn:
        disabled = (await conn.execute(sa.select(users.c.disabled).where(users.c.id == user_id))).scalar()
        if disabled is None or disabled:
            return FAILED
        if admission is not None:
            await signin_throttle.succeeded(conn, admission)
        await signed_in(conn, user_id, state.accounts)
        if await has_totp(conn, user_id) or await has_passkey(conn, user_id):  # a passkey is a second factor too
            return LoginResult(LoginOutcome.NEEDS_TOTP, user_id, ("pwd",), migrate_via=via)
        await complete_migration(conn, user_id, via)
        return await _after_all_factors(conn, user_id, ("pwd",))


async def _legacy_or_dummy(state: AccountServices, login_id: str, password: str) -> uuid.UUID | None:
    if state.legacy is not None:
        return await state.legacy.login(login_id, password)
    await failure_clock.dummy_verify(password)
    return None


async def _verify_and_upgrade(state: AccountServices, account: _Account, password: str) -> bool:
    assert account.password is not None
    ctx = state.accounts
    try:
        configs = await hash_configs_for(state.engine, ctx, account.password)  # a Firebase project's, stored by import
        result = await passwords.verify_async(password, account.password, limits=ctx.limits, hash_configs=configs)
    except passwords.PasswordFormatError as exc:
        log.error(
            "a stored password cannot be verified; this user cannot sign in until it is fixed",
            user_id=str(account.user_id), format=account.password.format, reason=exc.reason,
        )
        return False
    if not result.ok or account.disabled:
        return False
    native: passwords.StoredPassword | None = None
    if result.needs_rehash:
        try:
            native = await passwords.hash_password_async(password)
        except Exception as exc:  # noqa: BLE001 - a failed rehash must never stop a correct sign-in
            log.error("rehashing a password failed", user_id=str(account.user_id), error_type=type(exc).__name__)
    if native is None:
        return True
    # The user stays ``imported`` here: migration completes when the whole sign-in does
    # (``complete_migration``), not when a second factor is still to come.
    try:
        async with state.engine.begin() as conn:
            await conn.execute(
                passwords_table.update()
                .where(passwords_table.c.user_id == account.user_id, passwords_table.c.value == account.password.value)
                .values(format=native.format, value=native.value, updated_at=utcnow())
            )
    except Exception as exc:  # noqa: BLE001 - logged; the password was right, the sign-in goes on
        log.error("storing the upgraded password failed", user_id=str(account.user_id), error_type=type(exc).__name__)
    return True


async def complete_migration(conn: AsyncConnection, user_id: uuid.UUID, via: str | None) -> None:
    """Every factor has passed: an ``imported`` user becomes ``migrated`` (``mark_migrated`` does
    nothing for anyone else). Called only once the whole sign-in has succeeded (after the password
    here, after the code in ``second_factor``, after a passkey second factor in
    ``passkey_login``), so that a user whose second factor fails stays
    ``imported`` (issue #13: migration completes only when the whole sign-in succeeds). A sign-in
    the legacy system decided against a mismatching imported hash (shadow verification) leaves
    the user ``imported``: migrated, they would meet that wrong hash at their next sign-in."""
    if via == SHADOW_MISMATCH:
        return
    await mark_migrated(conn, user_id, via=via or "password")


async def password_change_reason(conn: AsyncConnection, user_id: uuid.UUID) -> str | None:
    """``must_change`` or ``expired`` when the user must choose a new password before going on."""
    row = (
        await conn.execute(
            sa.select(passwords_table.c.must_change, passwords_table.c.expire_at).where(passwords_table.c.user_id == user_id)
        )
    ).first()
    if row is None:
        return None
    if row.must_change:
        return "must_change"
    if row.expire_at is not None and row.expire_at <= utcnow():
        return "expired"
    return None


async def _after_all_factors(conn: AsyncConnection, user_id: uuid.UUID, amr: tuple[str, ...]) -> LoginResult:
    reason = await password_change_reason(conn, user_id)
    if reason is not None:
        return LoginResult(LoginOutcome.MUST_CHANGE_PASSWORD, user_id, amr, reason)
    return LoginResult(LoginOutcome.OK, user_id, amr)


async def second_factor(state: AccountServices, user_id: uuid.UUID, code: str, *, amr: tuple[str, ...], ip: str | None = None,
                        migrate_via: str | None = None) -> LoginResult:
    """The TOTP step of a sign-in whose password was verified (``NEEDS_TOTP``); an ``imported``
    user becomes ``migrated`` only here, once the code is right (``migrate_via``: from the result
    of ``login``)."""
    outcome, methods = await verify_second_factor(state, user_id, code, ip=ip)
    if outcome is SecondFactorOutcome.THROTTLED:
        return LoginResult(LoginOutcome.THROTTLED, user_id, amr)
    if outcome is SecondFactorOutcome.FAILED:
        return LoginResult(LoginOutcome.FAILED, user_id, amr)
    async with state.engine.begin() as conn:
        disabled = (await conn.execute(sa.select(users.c.disabled).where(users.c.id == user_id))).scalar()
        if disabled is None or disabled:
            return FAILED
        await complete_migration(conn, user_id, migrate_via)
        return await _after_all_factors(conn, user_id, tuple(dict.fromkeys((*amr, *methods))))


async def login_ids_of(conn: AsyncConnection, user_id: uuid.UUID) -> list[str]:
    rows = await conn.execute(sa.select(identities.c.raw).where(identities.c.user_id == user_id))
    return [r.raw for r in rows]


def new_password_problems(state: AccountServices, password: str, confirm: str, *, login_ids: list[str]) -> dict[str, list[str]]:
    """Objections to a new password chosen on the change-password step (field -> messages), by the
    same configurable ``[password_policy]`` as sign-up and reset."""
    found = ErrorList()
    check_new_password(found, state, password, confirm, login_ids=login_ids)
    errors: dict[str, list[str]] = {}
    for error in found.errors:
        errors.setdefault(error.path, []).append(error.message)
    return errors


async def change_required_password(state: AccountServices, user_id: uuid.UUID, password: str, confirm: str) -> dict[str, list[str]]:
    """Replace a must-change or expired password with a new one; returns field errors (empty: done)."""
    async with state.engine.begin() as conn:
        errors = new_password_problems(state, password, confirm, login_ids=await login_ids_of(conn, user_id))
        if errors:
            return errors
        current = (await conn.execute(sa.select(passwords_table).where(passwords_table.c.user_id == user_id))).mappings().first()
    if current is not None:
        stored = passwords.StoredPassword(current["format"], current["value"])
        try:
            configs = await hash_configs_for(state.engine, state.accounts, stored)
            same = (await passwords.verify_async(password, stored, limits=state.accounts.limits,
                                                 hash_configs=configs)).ok
        except passwords.PasswordFormatError:
            same = False
        if same:
            return {"password": ["Choose a password different from the old one."]}
    native = await passwords.hash_password_async(password)  # hashed before the write transaction starts
    async with state.engine.begin() as conn:
        await set_password(conn, user_id, {"hash": native.value}, ctx=state.accounts, must_change=False)
    return {}


