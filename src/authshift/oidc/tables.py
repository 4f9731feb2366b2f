"""Tables of the OpenID Connect provider.

- ``signing_keys``: JWS keys; the private half encrypted at rest (SecretBox "signing-keys").
- ``oauth_clients``: relying parties and machine clients; secrets stored as SHA-256 digests.
- ``sessions``: who is signed in, since when and how (browser SSO sessions, and sessions created
  for a client by a grant such as token exchange). Revoking a session revokes its grants.
- ``grants``: one authorization of one client by one user within a session: the family of the
  tokens issued from it (access tokens carry its id; refresh tokens point at it).
- ``authorization_codes``, ``refresh_tokens``: stored as SHA-256 digests, single use.
- ``revoked_tokens``: JWT ids of access tokens revoked before they expire (RFC 7009).
"""

from __future__ import annotations

import sqlalchemy as sa

from authshift.storage.tables import metadata
from authshift.storage.types import JSONType, UtcDateTime

signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("kid", sa.Text, primary_key=True),
    sa.Column("alg", sa.Text, nullable=False),
    sa.Column("public_jwk", JSONType, nullable=False),
    sa.Column("private_key_encrypted", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False, index=True),
    sa.Column("retired_at", UtcDateTime),  # stopped signing
    sa.Column("unpublish_at", UtcDateTime),  # leaves the JWKS (every token it signed has expired)
    sa.CheckConstraint("alg IN ('RS256', 'ES256')", name="alg"),
)

oauth_clients = sa.Table(
    "oauth_clients",
    metadata,
    sa.Column("client_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("secret_hash", sa.Text),  # None: a public client
    sa.Column("redirect_uris", JSONType, nullable=False),
    sa.Column("post_logout_redirect_uris", JSONType, nullable=False),
    sa.Column("grant_types", JSONType, nullable=False),
    sa.Column("scopes", JSONType, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),  # "browser" (hosted login) | "client" (created by a grant)
    sa.Column("client_id", sa.Text),  # the client a "client" session was created for
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("auth_time", UtcDateTime, nullable=False),
    sa.Column("amr", JSONType, nullable=False),
    sa.Column("expires_at", UtcDateTime),  # browser sessions end; client sessions live with their grants
    sa.Column("revoked_at", UtcDateTime),
    sa.Column("revoked_reason", sa.Text),
    sa.Column("ip", sa.Text),
    sa.Column("user_agent", sa.Text),
    sa.CheckConstraint("kind IN ('browser', 'client')", name="kind"),
)

grants = sa.Table(
    "grants",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("session_id", sa.Uuid, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("client_id", sa.Text, sa.ForeignKey("oauth_clients.client_id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime),
    sa.Column("revoked_reason", sa.Text),
)

authorization_codes = sa.Table(
    "authorization_codes",
    metadata,
    sa.Column("code_hash", sa.Text, primary_key=True),
    sa.Column("client_id", sa.Text, sa.ForeignKey("oauth_clients.client_id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("session_id", sa.Uuid, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("redirect_uri", sa.Text, nullable=False),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("nonce", sa.Text),
    sa.Column("code_challenge", sa.Text),
    sa.Column("code_challenge_method", sa.Text),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False, index=True),
    sa.Column("used_at", UtcDateTime),
    sa.Column("grant_id", sa.Uuid),  # the grant its redemption created (revoked if the code is replayed)
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("token_hash", sa.Text, nullable=False, unique=True),
    sa.Column("grant_id", sa.Uuid, sa.ForeignKey("grants.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False, index=True),
    sa.Column("used_at", UtcDateTime),  # rotated: presenting it again is a replay
)

revoked_tokens = sa.Table(
    "revoked_tokens",
    metadata,
    sa.Column("jti", sa.Text, primary_key=True),
    sa.Column("expires_at", UtcDateTime, nullable=False, index=True),
)
