"""Recovery codes imported as the legacy system stored them: hashes, not codes.

A system that kept only hashes of its users' recovery codes cannot export the codes; re-hashing
is impossible, so the hash is kept as it is (``code_hash`` = ``legacy:<format>:<hash>``, beside
authshift's own HMAC digests) and a code typed at sign-in is verified against it with the
passwords package (bcrypt, Django, PBKDF2, argon2..., with the same ceilings as imported
passwords). Such a code still works once: using it sets ``used_at`` like any other.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import sqlalchemy as sa

from authshift import passwords
from authshift.errors import FieldError, InvalidInput
from authshift.storage.tables import recovery_codes
from authshift.storage.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from authshift.accounts.context import AccountsContext

PREFIX = "legacy:"


def legacy_code_hash(value: str, limits: passwords.Limits, index: int) -> str:
    """The ``code_hash`` of an imported recovery-code hash; ``InvalidInput`` when it is not one."""
    try:
        stored = passwords.parse(value, limits=limits)
    except passwords.PasswordFormatError as exc:
        raise InvalidInput("a recovery code hash cannot be used",
                           errors=[FieldError(f"mfa.recovery_code_hashes[{index}]", str(exc))]) from None
    return f"{PREFIX}{stored.format}:{stored.value}"


def _candidates(code: str) -> list[str]:
    """The code as typed and as most systems normalise it before hashing (no spaces or dashes, lower case)."""
    typed = code.strip()
    compact = "".join(typed.split()).replace("-", "")
    return list(dict.fromkeys((typed, compact, compact.lower(), typed.lower())))


async def try_legacy_recovery_code(conn: AsyncConnection, ctx: AccountsContext, user_id: uuid.UUID, code: str) -> bool:
    """Use one of the user's imported recovery-code hashes that ``code`` matches (each works once)."""
    rows = (await conn.execute(sa.select(recovery_codes.c.id, recovery_codes.c.code_hash).where(
        recovery_codes.c.user_id == user_id, recovery_codes.c.used_at.is_(None),
        recovery_codes.c.code_hash.startswith(PREFIX)))).all()
    for row in rows:
        fmt, _, value = row.code_hash[len(PREFIX):].partition(":")
        stored = passwords.StoredPassword(fmt, value)
        for candidate in _candidates(code):
            try:
                ok = (await passwords.verify_async(candidate, stored, limits=ctx.limits)).ok
            except passwords.PasswordFormatError:
                ok = False
            if ok:
                used = await conn.execute(recovery_codes.update().where(
                    recovery_codes.c.id == row.id, recovery_codes.c.used_at.is_(None)).values(used_at=utcnow()))
                return bool(used.rowcount)
    return False
