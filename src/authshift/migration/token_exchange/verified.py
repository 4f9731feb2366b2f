"""What a validator hands on once a legacy token checks out: who it is about, and until when."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from authshift.security.digests import secret_digest


def token_digest(token: str) -> str:
    """SHA-256 of the token, hex. Its first 12 characters identify a token in logs."""
    return secret_digest(token)


@dataclass(frozen=True)
class VerifiedToken:
    """A legacy token that passed its issuer's checks.

    ``claims`` are what the mapping reads (the JWT claims, the introspection answer, or the hook's
    user record); ``replay_key`` identifies the token for single use (``jti:...`` when the
    issuer gave it an id, otherwise ``sha256:...``); ``expires_at`` is the token's ``exp``.
    """

    issuer: str
    subject: str
    claims: dict[str, Any] = field(repr=False)
    replay_key: str = field(repr=False)
    expires_at: float | None = None
    record: dict[str, Any] | None = field(default=None, repr=False)  # hook issuers answer a user record


def replay_key(jti: str | None, token: str) -> str:
    if jti:
        return "jti:" + secret_digest(jti)
    return "sha256:" + token_digest(token)
