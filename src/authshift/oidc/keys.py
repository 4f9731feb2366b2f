"""Signing keys (JWS, RFC 7515/7517/7518) kept in the database, and the published JWKS.

- One key signs at a time: the newest key that is not retired. RS256 (RSA 2048) by default,
  ES256 (P-256) on request. The ``kid`` is the key's RFC 7638 thumbprint.
- The private half is encrypted at rest with ``SecretBox(encryption_key, "signing-keys")``; it is
  decrypted once per process and key, then cached.
- A process keeps the signing key for ``oidc.signing_key_cache_seconds`` (``SigningKeyCache``)
  instead of reading it for every token, so a key rotated by another process (``authshift keys
  rotate``) signs here at the latest that long afterwards.
- ``rotate_key`` retires the signing key and creates a new one. A retired key stays in the JWKS
  until every token it signed has expired (``unpublish_at`` = retirement + the longest token
  lifetime + the key cache time, during which other processes may still sign with it), so
  relying parties can still verify them.
- A key is created on first start when there is none (``ensure_signing_key``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.config import OidcSettings
from authshift.errors import InvalidInput
from authshift.oidc.tables import signing_keys
from authshift.security.secretbox import SecretBox
from authshift.storage.types import utcnow

SUPPORTED_ALGS = ("RS256", "ES256")
BOX_PURPOSE = "signing-keys"

Key = RSAKey | ECKey


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    key: Key = field(repr=False)


_decrypted: dict[tuple[str, str], Key] = {}


def key_box(encryption_key: bytes) -> SecretBox:
    return SecretBox(encryption_key, BOX_PURPOSE)


def _generate(alg: str) -> Key:
    if alg == "RS256":
        return RSAKey.generate_key(2048, private=True)
    if alg == "ES256":
        return ECKey.generate_key("P-256", private=True)
    raise InvalidInput(f"unsupported signing algorithm {alg!r}: use one of {', '.join(SUPPORTED_ALGS)}")


async def create_key(conn: AsyncConnection, box: SecretBox, alg: str) -> str:
    """Create a new signing key (it signs from now on); returns its kid."""
    key = _generate(alg)
    kid = key.thumbprint()
    public = {**key.as_dict(private=False), "kid": kid, "alg": alg, "use": "sig"}
    pem = key.as_pem(private=True)
    await conn.execute(
        signing_keys.insert().values(
            kid=kid, alg=alg, public_jwk=public, private_key_encrypted=box.encrypt(pem), created_at=utcnow()
        )
    )
    return kid


async def rotate_key(conn: AsyncConnection, box: SecretBox, cfg: OidcSettings, alg: str | None = None) -> str:
    """Retire the signing key(s) and create a new one; old public keys stay published until their
    tokens have expired. Returns the new kid."""
    now = utcnow()
    await conn.execute(
        signing_keys.update()
        .where(signing_keys.c.retired_at.is_(None))
        .values(retired_at=now, unpublish_at=now + timedelta(seconds=cfg.retired_key_published_seconds))
    )
    return await create_key(conn, box, alg or cfg.signing_alg)


async def ensure_signing_key(conn: AsyncConnection, box: SecretBox, cfg: OidcSettings) -> str | None:
    """Create the first signing key when none signs; returns the kid created, if any."""
    found = (await conn.execute(sa.select(signing_keys.c.kid).where(signing_keys.c.retired_at.is_(None)).limit(1))).scalar()
    if found is not None:
        return None
    return await create_key(conn, box, cfg.signing_alg)


def _load_private(kid: str, alg: str, ciphertext: str, box: SecretBox) -> Key:
    cached = _decrypted.get((kid, ciphertext))
    if cached is not None:
        return cached
    pem = box.decrypt(ciphertext)
    key: Key = RSAKey.import_key(pem) if alg == "RS256" else ECKey.import_key(pem)
    _decrypted[(kid, ciphertext)] = key
    return key


_ACTIVE_KEY = (
    sa.select(signing_keys.c.kid, signing_keys.c.alg, signing_keys.c.private_key_encrypted)
    .where(signing_keys.c.retired_at.is_(None))
    .order_by(signing_keys.c.created_at.desc())
    .limit(1)
)


async def _stored_signing_key(conn: AsyncConnection, box: SecretBox) -> SigningKey | None:
    row = (await conn.execute(_ACTIVE_KEY)).first()
    if row is None:
        return None
    return SigningKey(row.kid, row.alg, _load_private(row.kid, row.alg, row.private_key_encrypted, box))


async def active_signing_key(conn: AsyncConnection, box: SecretBox, cfg: OidcSettings) -> SigningKey:
    """The key that signs now (the newest not retired); the first key is made when there is none."""
    found = await _stored_signing_key(conn, box)
    if found is None:
        await create_key(conn, box, cfg.signing_alg)
        found = await _stored_signing_key(conn, box)
        assert found is not None
    return found


class SigningKeyCache:
    """The signing key as one process sees it: read from the database at most once per
    ``oidc.signing_key_cache_seconds`` (every time with 0)."""

    def __init__(self, box: SecretBox, cfg: OidcSettings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._box = box
        self._cfg = cfg
        self._clock = clock
        self._key: SigningKey | None = None
        self._read_at = 0.0

    async def current(self, conn: AsyncConnection) -> SigningKey:
        now = self._clock()
        if self._key is not None and now - self._read_at < self._cfg.signing_key_cache_seconds:
            return self._key
        found = await _stored_signing_key(conn, self._box)
        if found is None:  # the first key, made in the caller's transaction: not kept (it may roll back)
            return await active_signing_key(conn, self._box, self._cfg)
        self._key, self._read_at = found, now
        return found


def _published(now: Any) -> Any:
    return sa.or_(signing_keys.c.unpublish_at.is_(None), signing_keys.c.unpublish_at > now)


async def public_jwks(conn: AsyncConnection) -> dict[str, list[dict[str, Any]]]:
    """The JWKS document (RFC 7517 section 5): every key whose tokens may still be valid."""
    rows = await conn.execute(
        sa.select(signing_keys.c.public_jwk).where(_published(utcnow())).order_by(signing_keys.c.created_at.desc())
    )
    return {"keys": [dict(r.public_jwk) for r in rows]}


async def verification_keys(conn: AsyncConnection, *, include_unpublished: bool = False) -> KeySet:
    """Public keys to verify our own tokens with (``include_unpublished`` for id_token_hint, whose
    expiry does not matter)."""
    q = sa.select(signing_keys.c.public_jwk)
    if not include_unpublished:
        q = q.where(_published(utcnow()))
    return KeySet.import_key_set({"keys": [dict(r.public_jwk) for r in await conn.execute(q)]})


def sign(key: SigningKey, claims: dict[str, Any], *, typ: str = "JWT") -> str:
    return jwt.encode({"alg": key.alg, "kid": key.kid, "typ": typ}, claims, key.key, algorithms=[key.alg])


async def list_keys(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(sa.select(signing_keys).order_by(signing_keys.c.created_at))
    now = utcnow()
    out = []
    for r in rows.mappings():
        if r["retired_at"] is None:
            status = "signing"
        elif r["unpublish_at"] is not None and r["unpublish_at"] <= now:
            status = "unpublished"
        else:
            status = "published"
        out.append(
            {"kid": r["kid"], "alg": r["alg"], "status": status, "created_at": r["created_at"].isoformat(),
             "retired_at": r["retired_at"].isoformat() if r["retired_at"] else None,
             "unpublish_at": r["unpublish_at"].isoformat() if r["unpublish_at"] else None}
        )
    return out

