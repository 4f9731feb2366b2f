"""The ``password_reset_tokens`` table: forgot-password links, stored as keyed hashes, used once."""

from __future__ import annotations

import sqlalchemy as sa

from authshift.storage.tables import metadata
from authshift.storage.types import UtcDateTime

password_reset_tokens = sa.Table(
    "password_reset_tokens",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("token_hash", sa.Text, nullable=False, unique=True),
    sa.Column("email", sa.Text, nullable=False),  # the address the link went to (normalised)
    # passwords.updated_at when the link was made (None: no password): a later change voids the link
    sa.Column("password_stamp", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("used_at", UtcDateTime),
)
