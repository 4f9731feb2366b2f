"""Tables of sign-in readiness: the fact kept per user, shadow checks, and what undoing an import
job needs.

- ``user_readiness``: one row per user (``ready``, ``lazy``, ``reset``, ``unverified``), the hash
  family it was judged on and, when not ready (or when the user lost something, such as a passkey
  the import refused), why. ``proved_at`` is when a sign-in (or the legacy
  system, in shadow) last proved the user's credentials here.
- ``shadow_checks``: one row per shadow verification (the legacy system verified a password; the
  imported hash was checked against it): family, source, match or mismatch. Never the password.
- ``import_previous``: for each user an import job updated, the values the update replaced, so
  ``authshift imports undo`` can put them back.
"""

from __future__ import annotations

import sqlalchemy as sa

from authshift.storage.tables import metadata
from authshift.storage.types import JSONType, UtcDateTime

READINESS_STATES = ("ready", "lazy", "reset", "unverified")

user_readiness = sa.Table(
    "user_readiness",
    metadata,
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("readiness", sa.Text, nullable=False),
    sa.Column("family", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("proved_at", UtcDateTime),
    # the import named the hash's family (not guessed from its shape)
    sa.Column("family_named", sa.Boolean, nullable=False, default=False),
    # the last shadow check of the stored hash: "match" | "mismatch"
    sa.Column("shadow", sa.Text),
    # passkeys an import left out (another RP ID): the user must register a new one (0 once they do)
    sa.Column("passkeys_refused", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.CheckConstraint(f"readiness IN {READINESS_STATES!r}", name="readiness"),
    sa.Index(None, "readiness", "family"),
)

shadow_checks = sa.Table(
    "shadow_checks",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("user_id", sa.Uuid, nullable=False, index=True),
    sa.Column("family", sa.Text, nullable=False),
    sa.Column("source", sa.Text),
    sa.Column("matched", sa.Boolean, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Index(None, "family", "source"),
)

import_previous = sa.Table(
    "import_previous",
    metadata,
    sa.Column("job_id", sa.Uuid, sa.ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.Uuid, primary_key=True),
    sa.Column("previous", JSONType, nullable=False),
)
