"""The export jobs table: one row per export requested through the admin API.

A worker claims a queued job (or one whose lease ran out: its process died) with a lease it
renews while it runs; PostgreSQL claims with ``FOR UPDATE SKIP LOCKED`` so several processes can
share the table. The finished file lives under ``settings.data_dir``; the row keeps its path.
"""

from __future__ import annotations

import sqlalchemy as sa

from authshift.storage.tables import metadata
from authshift.storage.types import JSONType, UtcDateTime

EXPORT_JOB_STATES = ("queued", "running", "completed", "failed")

export_jobs = sa.Table(
    "export_jobs",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("options", JSONType, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("started_at", UtcDateTime),
    sa.Column("finished_at", UtcDateTime),
    sa.Column("lease_owner", sa.Text),
    sa.Column("lease_expires_at", UtcDateTime),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("total", sa.Integer),
    sa.Column("users", sa.Integer, nullable=False, default=0),
    sa.Column("summary", JSONType),
    sa.Column("error", sa.Text),
    sa.Column("file_path", sa.Text),
    sa.Column("report_path", sa.Text),
    sa.CheckConstraint(f"state IN {EXPORT_JOB_STATES!r}", name="state"),
    sa.Index(None, "state", "created_at"),
)
