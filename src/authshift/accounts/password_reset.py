"""Forgot password and reset by an emailed link.

A link carries a random token (256 bits); only a keyed hash of it is stored. A token works once,
until it expires (``password_reset.token_ttl_minutes``), and only while the user's password is the
one it was issued against: any password change, through any path, voids outstanding links.
Asking for a link answers the same whether or not the login ID exists.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift import passwords
from authshift.accounts.reset_tables import password_reset_tokens
from authshift.accounts.services import AccountServices
from authshift.accounts.signup import SELF_SERVICE, check_new_password
from authshift.accounts.users import find_user_id, set_password, update_user
from authshift.audit import record_audit
from authshift.errors import AuthshiftError, ErrorList, FieldError, InvalidInput
from authshift.ids import uuid7
from authshift.logs import get_logger
from authshift.mail import queue_email
from authshift.storage.tables import identities, users
from authshift.storage.tables import passwords as passwords_table
from authshift.storage.types import utcnow

__all__ = ["InvalidResetLink", "ResetLink", "check_reset_token", "request_password_reset", "reset_password"]

log = get_logger("authshift.accounts")
MAX_LOGIN_ID_LENGTH = 320
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,128}")


class InvalidResetLink(AuthshiftError):
    status = 400
    title = "Invalid or expired link"
    type_slug = "invalid-reset-link"

    def __init__(self) -> None:
        super().__init__("This password reset link has expired or has already been used.")


@dataclass(frozen=True)
class ResetLink:
    token_id: uuid.UUID
    user_id: uuid.UUID
    login_ids: list[str]  # the user's email and username, which the new password may not be


def token_digest(secret_key: bytes, token: str) -> str:
    key = hmac.new(secret_key, b"password-reset-tokens", hashlib.sha256).digest()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def reset_url(issuer: str, token: str, return_to: str | None) -> str:
    query = {"token": token, **({"return_to": return_to} if return_to else {})}
    return f"{issuer}/reset-password?{urlencode(query)}"


def _email_text(link: str, minutes: int) -> str:
    return (
        "Someone (hopefully you) asked to reset the password of your account.\n\n"
        f"Choose a new password here (the link works once, for {minutes} minutes):\n\n{link}\n\n"
        "If you did not ask for this, ignore this message: your password stays as it is.\n"
    )


async def _password_stamp(conn: AsyncConnection, user_id: uuid.UUID) -> Any:
    q = sa.select(passwords_table.c.updated_at).where(passwords_table.c.user_id == user_id)
    return (await conn.execute(q)).scalar()


async def request_password_reset(state: AccountServices, login_id: str, *, return_to: str | None = None) -> uuid.UUID | None:
    """Mail a reset link to the user ``login_id`` names, if there is one with an email address.

    Returns the queued message's id, or None; callers must answer the same either way. Raises
    ``InvalidInput`` for an empty login ID and ``Unavailable`` when the legacy system must be asked
    and cannot answer (nothing is written).
    """
    login_id = login_id.strip()
    if not login_id:
        raise InvalidInput("no login ID", errors=[FieldError("login_id", "Enter your email address or username.")])
    if len(login_id) > MAX_LOGIN_ID_LENGTH:
        raise InvalidInput("login ID too long", errors=[FieldError("login_id", "That is too long to be a login ID.")])
    async with state.engine.connect() as conn:
        user_id = await find_user_id(await conn.execution_options(readonly=True), login_id)
    if user_id is None and state.legacy is not None:
        user_id = await state.legacy.claim(login_id)
    if user_id is None:
        log.info("password reset asked for a login ID unknown here")
        return None

    cfg = state.settings.password_reset
    now = utcnow()
    async with state.engine.begin() as conn:
        user = (await conn.execute(sa.select(users.c.disabled).where(users.c.id == user_id))).mappings().first()
        email = (
            await conn.execute(
                sa.select(identities.c.value, identities.c.raw).where(
                    identities.c.user_id == user_id, identities.c.kind == "email"
                )
            )
        ).mappings().first()
        if user is None or user["disabled"] or email is None:
            log.info("no reset link sent: the user is disabled or has no email address", user_id=str(user_id))
            return None
        recent = (
            await conn.execute(
                sa.select(sa.func.count()).select_from(password_reset_tokens).where(
                    password_reset_tokens.c.user_id == user_id,
                    password_reset_tokens.c.created_at > now - timedelta(minutes=cfg.token_ttl_minutes),
                )
            )
        ).scalar_one()
        if recent >= cfg.max_emails_per_window:
            log.info("no reset link sent: too many asked recently", user_id=str(user_id), recent=recent)
            return None
        token = secrets.token_urlsafe(32)
        await conn.execute(
            password_reset_tokens.insert().values(
                id=uuid7(), user_id=user_id, token_hash=token_digest(state.secrets.secret_key, token),
                email=email["value"], password_stamp=await _password_stamp(conn, user_id), created_at=now,
                expires_at=now + timedelta(minutes=cfg.token_ttl_minutes),
            )
        )
        message_id = await queue_email(
            conn, state.settings.smtp, to=email["raw"], subject="Reset your password",
            body=_email_text(reset_url(state.settings.public_issuer, token, return_to), cfg.token_ttl_minutes),
            purpose="password_reset",
        )
        await record_audit(conn, actor=SELF_SERVICE, action="password.reset_requested", target=str(user_id))
    return message_id


async def _usable_token(conn: AsyncConnection, state: AccountServices, token: str) -> Mapping[str, Any]:
    if not _TOKEN_SHAPE.fullmatch(token or ""):
        raise InvalidResetLink()
    row = (
        await conn.execute(
            sa.select(password_reset_tokens, users.c.disabled)
            .join(users, users.c.id == password_reset_tokens.c.user_id)
            .where(password_reset_tokens.c.token_hash == token_digest(state.secrets.secret_key, token))
        )
    ).mappings().first()
    if row is None or row["used_at"] is not None or row["expires_at"] <= utcnow() or row["disabled"]:
        raise InvalidResetLink()
    if await _password_stamp(conn, row["user_id"]) != row["password_stamp"]:
        raise InvalidResetLink()  # the password changed since the link was sent
    return row


async def _login_ids(conn: AsyncConnection, user_id: uuid.UUID) -> list[str]:
    q = sa.select(identities.c.raw).where(identities.c.user_id == user_id, identities.c.kind != "phone_number")
    return list((await conn.execute(q)).scalars())


async def check_reset_token(state: AccountServices, token: str) -> ResetLink:
    """The link ``token`` belongs to, if it can still be used; raises ``InvalidResetLink``."""
    async with state.engine.connect() as conn:
        conn = await conn.execution_options(readonly=True)
        row = await _usable_token(conn, state, token)
        return ResetLink(row["id"], row["user_id"], await _login_ids(conn, row["user_id"]))


async def reset_password(state: AccountServices, *, token: str, password: str, password_confirm: str) -> uuid.UUID:
    """Set the new password (must_change cleared, ``password.changed`` emitted), use up the token and
    void the user's other links; the link proves the email address, so it is marked verified.
    Raises ``InvalidResetLink`` or ``InvalidInput`` (field errors: password, password_confirm)."""
    link = await check_reset_token(state, token)
    errors = ErrorList()
    check_new_password(errors, state, password, password_confirm, login_ids=link.login_ids)
    errors.raise_if_any("the new password cannot be used")
    stored = await passwords.hash_password_async(password)  # before the transaction: hashing is slow
    async with state.engine.begin() as conn:
        row = await _usable_token(conn, state, token)
        used = await conn.execute(
            password_reset_tokens.update()
            .where(password_reset_tokens.c.id == row["id"], password_reset_tokens.c.used_at.is_(None))
            .values(used_at=utcnow())
        )
        if used.rowcount != 1:
            raise InvalidResetLink()
        user_id: uuid.UUID = row["user_id"]
        await set_password(conn, user_id, {"hash": stored.value}, ctx=state.accounts, must_change=False)
        await conn.execute(
            password_reset_tokens.update()
            .where(password_reset_tokens.c.user_id == user_id, password_reset_tokens.c.used_at.is_(None))
            .values(used_at=utcnow())
        )
        email = (
            await conn.execute(
                sa.select(identities.c.verified).where(
                    identities.c.user_id == user_id, identities.c.kind == "email", identities.c.value == row["email"]
                )
            )
        ).first()
        if email is not None and not email.verified:
            await update_user(conn, user_id, {"email_verified": True}, ctx=state.accounts)
        await record_audit(conn, actor=SELF_SERVICE, action="password.reset", target=str(user_id))
    log.info("password reset by emailed link", user_id=str(user_id))
    return user_id
