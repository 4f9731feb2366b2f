"""The console's tables: who may enter it, and the console's own sessions.

``console_operators`` is a table of its own, not a value in ``users.roles``: roles arrive with
imported records from legacy systems, and no imported file may make anyone a console operator.
Only ``authshift users grant-console`` writes it.

``console_sessions`` are stored by the SHA-256 digest of the cookie's random value, so a copy of
the database holds no usable session. They are separate from the hosted login's ``sessions``:
signing out of an application does not end a console session, and a console session is short.
"""

from __future__ import annotations

import sqlalchemy as sa

from authshift.storage.tables import metadata
from authshift.storage.types import UtcDateTime

console_operators = sa.Table(
    "console_operators",
    metadata,
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("granted_at", UtcDateTime, nullable=False),
    sa.Column("granted_by", sa.Text, nullable=False),
)

console_sessions = sa.Table(
    "console_sessions",
    metadata,
    sa.Column("token_hash", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("created_at", UtcDateTime, nullable=False, index=True),
    sa.Column("last_seen_at", UtcDateTime, nullable=False),
)
