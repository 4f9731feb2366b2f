"""The second sign-in step: a TOTP code (RFC 6238) or a recovery code.

Secrets are stored encrypted (``AccountsContext.totp_box``) with the algorithm, digits and period
they were created with, so imported authenticator apps keep working unchanged. A code is accepted
for the current time step and one step either side (clock drift), and each step only once: the
step of the last accepted code is kept (``totp_factors.last_used_step``) and the update that
records it is conditional, so two parallel submissions of one code cannot both pass. A recovery
code works once. Attempts are throttled per user with the account limits.
"""

from __future__ import annotations

import hmac
import time
import uuid
from enum import StrEnum
from typing import TYPE_CHECKING

import pyotp
import sqlalchemy as sa

from authshift.accounts.context import AccountsContext
from authshift.accounts.recovery_hashes import try_legacy_recovery_code
from authshift.accounts.totp_secrets import generator
from authshift.logs import get_logger
from authshift.security import throttle
from authshift.storage.tables import recovery_codes, totp_factors
from authshift.storage.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from authshift.accounts.services import AccountServices

DRIFT_STEPS = 1
MAX_CODE_LENGTH = 64

log = get_logger("authshift.login")


class SecondFactorOutcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    THROTTLED = "throttled"


def _totp(raw_secret: bytes, algorithm: str, digits: int, period: int) -> pyotp.TOTP:
    # The rule import checked the factor with: any secret of totp_secrets.MIN_SECRET_BITS or more.
    return generator(raw_secret, algorithm, digits, period)


def matching_step(totp: pyotp.TOTP, code: str, *, now: float | None = None) -> int | None:
    """The time step whose code equals ``code`` (current step +- drift), compared in constant time."""
    current = int((time.time() if now is None else now) // totp.interval)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    return found


async def has_totp(conn: AsyncConnection, user_id: uuid.UUID) -> bool:
    q = sa.select(totp_factors.c.id).where(totp_factors.c.user_id == user_id).limit(1)
    return (await conn.execute(q)).first() is not None


async def _try_totp(conn: AsyncConnection, ctx: AccountsContext, user_id: uuid.UUID, code: str) -> bool:
    rows = (await conn.execute(sa.select(totp_factors).where(totp_factors.c.user_id == user_id))).mappings().all()
    for row in rows:
        try:
            totp = _totp(ctx.totp_box.decrypt(row["secret_encrypted"]), row["algorithm"], row["digits"], row["period"])
        except ValueError as exc:  # undecryptable secret or unknown algorithm: say so, never silently
            log.error("a TOTP factor cannot be used", user_id=str(user_id), factor_id=str(row["id"]), reason=str(exc))
            continue
        if len(code) != row["digits"]:
            continue
        step = matching_step(totp, code)
        if step is None:
            continue
        used = await conn.execute(
            totp_factors.update()
            .where(
                totp_factors.c.id == row["id"],
                sa.or_(totp_factors.c.last_used_step.is_(None), totp_factors.c.last_used_step < step),
            )
            .values(last_used_step=step)
        )
        if used.rowcount:
            return True
        log.info("a TOTP code was presented again", user_id=str(user_id))
    return False


async def _try_recovery_code(conn: AsyncConnection, ctx: AccountsContext, user_id: uuid.UUID, code: str) -> bool:
    used = await conn.execute(
        recovery_codes.update()
        .where(
            recovery_codes.c.user_id == user_id,
            recovery_codes.c.code_hash == ctx.recovery_code_digest(code),
            recovery_codes.c.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    if used.rowcount:
        return True
    return await try_legacy_recovery_code(conn, ctx, user_id, code)  # imported as the legacy system's hashes


async def verify_second_factor(
    state: AccountServices, user_id: uuid.UUID, code: str, *, ip: str | None = None
) -> tuple[SecondFactorOutcome, tuple[str, ...]]:
    """Check a TOTP or recovery code for a user whose password was just verified.

    Returns the outcome and, on success, the authentication methods to add (RFC 8176)."""
    cfg = state.settings.throttle
    key = throttle.user_key(user_id)
    async with state.engine.begin() as conn:
        if cfg.enabled and await throttle.over_limit(
            conn, [throttle.Limit(key, cfg.account_max_attempts, cfg.account_window_seconds)]
        ):
            return SecondFactorOutcome.THROTTLED, ()
    normalized = "".join(code.split())[:MAX_CODE_LENGTH]
    if not normalized:
        return SecondFactorOutcome.FAILED, ()
    methods: tuple[str, ...] = ()
    async with state.engine.begin() as conn:
        if normalized.isdigit() and await _try_totp(conn, state.accounts, user_id, normalized):
            methods = ("otp", "mfa")
        elif await _try_recovery_code(conn, state.accounts, user_id, normalized):
            methods = ("mfa",)
            log.info("a recovery code was used", user_id=str(user_id))
        if methods:
            await throttle.clear(conn, key)
    return (SecondFactorOutcome.OK, methods) if methods else (SecondFactorOutcome.FAILED, ())


def current_code(secret: bytes, *, algorithm: str = "SHA1", digits: int = 6, period: int = 30, at: float | None = None) -> str:
    """The code an authenticator app shows now (tests and tooling)."""
    return _totp(secret, algorithm, digits, period).at(int(time.time() if at is None else at))

