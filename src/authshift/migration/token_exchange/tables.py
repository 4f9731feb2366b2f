"""Token exchange's table: the legacy tokens already exchanged (single use).

``(issuer, token_key)`` is the primary key, so of two concurrent exchanges of one token only one
insert can commit (PostgreSQL makes the second wait on the first, SQLite serialises writers).
A row lives until the token has expired (``exp`` plus leeway) or, for tokens without ``exp``, for
``replay_window_seconds``; then it is pruned.
"""

from __future__ import annotations

import sqlalchemy as sa

from authshift.storage.tables import metadata
from authshift.storage.types import UtcDateTime

exchanged_tokens = sa.Table(
    "exchanged_tokens",
    metadata,
    sa.Column("issuer", sa.Text, primary_key=True),
    sa.Column("token_key", sa.Text, primary_key=True),  # jti:<sha256 of jti> | sha256:<sha256 of the token>
    sa.Column("exchanged_at", UtcDateTime, nullable=False),
    sa.Column("keep_until", UtcDateTime, nullable=False, index=True),
)
