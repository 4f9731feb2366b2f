"""Scopes and the claims they release (OpenID Connect Core 1.0 sections 5.1 and 5.4).

``openid`` releases ``sub``; ``profile``, ``email``, ``phone`` and ``address`` release the standard
claims of section 5.4 (Authlib's ``UserInfo.filter`` holds the mapping); ``offline_access``
(section 11) asks for a refresh token. The subject is the user's id.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from authlib.oidc.core import UserInfo
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.records.fields import CLAIM_COLUMNS
from authshift.storage.tables import identities, users

OIDC_SCOPES = ("openid", "profile", "email", "phone", "address", "offline_access")
CLAIMS_SUPPORTED = ("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "sid", "at_hash", *UserInfo.REGISTERED_CLAIMS[1:])

# RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]+$")


class ScopeSyntaxError(ValueError):
    pass


def parse_scope(value: str | None) -> list[str]:
    """Scope tokens in request order, without duplicates; raises on a token RFC 6749 forbids."""
    tokens = [t for t in (value or "").split(" ") if t]
    for token in tokens:
        if not _SCOPE_TOKEN.match(token):
            raise ScopeSyntaxError("the scope contains a character RFC 6749 does not allow")
    return list(dict.fromkeys(tokens))


def format_scope(tokens: list[str] | tuple[str, ...]) -> str:
    return " ".join(tokens)


async def user_claims(conn: AsyncConnection, user_id: uuid.UUID, scope: list[str] | str) -> dict[str, Any]:
    """The claims about a user that ``scope`` releases (``sub`` always)."""
    row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).mappings().first()
    if row is None:
        return {"sub": str(user_id)}
    idents = await conn.execute(
        sa.select(identities.c.kind, identities.c.value, identities.c.raw, identities.c.verified)
        .where(identities.c.user_id == user_id)
    )
    return released_claims(user_id, row, idents.mappings(), scope)


def released_claims(
    user_id: uuid.UUID, user: Mapping[str, Any], identity_rows: Iterable[Mapping[str, Any]], scope: list[str] | str
) -> dict[str, Any]:
    """``user_claims`` from rows the caller has read already: the user's row (``users``) and their
    identities (``kind``, ``value``, ``raw``, ``verified``)."""
    claims: dict[str, Any] = {"sub": str(user_id)}
    for col in CLAIM_COLUMNS:
        if user[col] is not None:
            claims[col] = user[col]
    claims["updated_at"] = int(user["updated_at"].timestamp())
    for ident in identity_rows:
        kind = ident["kind"]
        claims[kind] = ident["value"] if kind == "phone_number" else ident["raw"]  # phone numbers in E.164 (section 5.1)
        if kind in ("email", "phone_number"):
            claims[f"{kind}_verified"] = bool(ident["verified"])
    tokens = scope if isinstance(scope, list) else parse_scope(scope)
    released = dict(UserInfo(claims).filter(" ".join(tokens)))
    released["sub"] = str(user_id)
    return released
