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

# The Overview's history, one set of rows per UTC day, written by the snapshot job
# (console/snapshots.py) every few minutes: the day's last write is what that day looked like.
# The Overview reads these small tables instead of aggregating a million users per page view.
ACTIVITIES = ("active", "dormant", "never")

console_daily_users = sa.Table(
    "console_daily_users",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("migration_state", sa.Text, primary_key=True),
    sa.Column("readiness", sa.Text, primary_key=True),  # user_readiness.readiness, or "none"
    # signed in (here, or in the legacy system as the import recorded) within ACTIVE_DAYS, longer ago, never
    sa.Column("activity", sa.Text, primary_key=True),
    sa.Column("users", sa.BigInteger, nullable=False),
    sa.CheckConstraint(f"activity IN {ACTIVITIES!r}", name="activity"),
)

console_daily_moves = sa.Table(
    "console_daily_moves",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    # "via": user.migrated events by path (detail: legacy, token_exchange, ...); "cohort": the same
    # events by rolling-migration cohort; "token_exchange": exchanged legacy tokens by issuer
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("detail", sa.Text, primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
)
