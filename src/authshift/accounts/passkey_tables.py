"""The passkey tables: users' WebAuthn credentials and the challenges of ceremonies in progress.

``credential_id``, ``user_handle`` and the public key (the COSE key the authenticator gave at
registration, or the import record carried) are stored base64url without padding, as the record
writes them, so the SQL-composed export (``record_sql``) copies them as text. A
credential ID is unique across the instance: the authenticator names it, not the user.

A challenge is a row, not a cookie, so it is used once even when several processes share the
database: the ceremony that presents it deletes it, and a second presentation finds nothing.
"""

from __future__ import annotations

import sqlalchemy as sa

from authshift.storage.tables import metadata
from authshift.storage.types import JSONType, UtcDateTime

webauthn_credentials = sa.Table(
    "webauthn_credentials",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("credential_id", sa.Text, nullable=False, unique=True),
    sa.Column("public_key", sa.Text, nullable=False),  # the COSE key, base64url
    sa.Column("sign_count", sa.BigInteger, nullable=False, default=0),
    sa.Column("user_handle", sa.Text, nullable=False),
    sa.Column("transports", JSONType, nullable=False),
    sa.Column("aaguid", sa.Text),
    sa.Column("rp_id", sa.Text, nullable=False),
    sa.Column("backup_eligible", sa.Boolean, nullable=False, default=False),
    sa.Column("backup_state", sa.Boolean, nullable=False, default=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_used_at", UtcDateTime),
)

webauthn_challenges = sa.Table(
    "webauthn_challenges",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("challenge", sa.Text, nullable=False),  # base64url
    sa.Column("purpose", sa.Text, nullable=False),  # "register" | "sign_in" | "second_factor"
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE")),
    sa.Column("expires_at", UtcDateTime, nullable=False, index=True),
    sa.CheckConstraint("purpose IN ('register', 'sign_in', 'second_factor')", name="purpose"),
)
