"""Tables of bulk import jobs: the job (state, options, counts, progress, lease) and one outcome
row per record read.

A job's progress (``last_index``, ``last_line`` and the counts) is updated in the same transaction
as the batch of users it describes, so after a crash the job resumes exactly after the last
committed batch. ``lease_owner`` / ``lease_expires_at`` say which process runs the job; a process
takes over a running job only when its lease has expired (or its owner is known to be dead).
"""

from __future__ import annotations

import sqlalchemy as sa

from authshift.storage.tables import metadata
from authshift.storage.types import JSONType, UtcDateTime

JOB_STATES = ("queued", "running", "completed", "failed", "cancelled")
OUTCOMES = ("inserted", "updated", "skipped", "failed")
ORIGINS = ("cli", "api")

import_jobs = sa.Table(
    "import_jobs",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("origin", sa.Text, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("options", JSONType, nullable=False),
    sa.Column("file_path", sa.Text, nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("file_digest", sa.Text, nullable=False),
    sa.Column("file_size", sa.BigInteger, nullable=False),
    sa.Column("records_read", sa.BigInteger, nullable=False, default=0),
    sa.Column("inserted", sa.BigInteger, nullable=False, default=0),
    sa.Column("updated", sa.BigInteger, nullable=False, default=0),
    sa.Column("skipped", sa.BigInteger, nullable=False, default=0),
    sa.Column("failed", sa.BigInteger, nullable=False, default=0),
    sa.Column("last_index", sa.BigInteger, nullable=False, default=0),
    sa.Column("last_line", sa.BigInteger, nullable=False, default=0),
    # Bytes of the file read when the last batch was committed: the job's percentage and time left.
    sa.Column("bytes_read", sa.BigInteger, nullable=False, default=0, server_default="0"),
    sa.Column("error", sa.Text),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("started_at", UtcDateTime),
    sa.Column("finished_at", UtcDateTime),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("lease_owner", sa.Text),
    sa.Column("lease_expires_at", UtcDateTime),
    # Runs in a row that ended without committing a batch (a crash): past [imports] max_attempts
    # the job ends failed instead of being claimed, and crashing, again (import_jobs.claim_job).
    sa.Column("attempts", sa.Integer, nullable=False, default=0, server_default="0"),
    # Counts by sign-in readiness and by hash family, stored when the job finishes
    # (migration/readiness/report.py); when it was undone (``authshift imports undo``).
    sa.Column("readiness_counts", JSONType),
    sa.Column("undone_at", UtcDateTime),
    sa.CheckConstraint(f"state IN {JOB_STATES!r}", name="state"),
    sa.CheckConstraint(f"origin IN {ORIGINS!r}", name="origin"),
    sa.Index(None, "state", "origin"),
    sa.Index(None, "file_digest"),
    sa.Index(None, "created_at"),
)

# One row per record read. ``seq`` is the record's position in the file (1-based), ``line`` the
# line where it starts; ``reason`` says why a record was skipped. ``record`` is the redacted echo of failed records only (the user id says
# enough about the others).
import_results = sa.Table(
    "import_results",
    metadata,
    sa.Column("job_id", sa.Uuid, sa.ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("line", sa.BigInteger, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("user_id", sa.Uuid),
    sa.Column("reason", sa.Text),
    sa.Column("errors", JSONType),
    sa.Column("warnings", JSONType),
    sa.Column("record", JSONType),
    # The sign-in readiness and hash family of an inserted or updated user, as the import judged them.
    sa.Column("readiness", sa.Text),
    sa.Column("hash_family", sa.Text),
    sa.CheckConstraint(f"outcome IN {OUTCOMES!r}", name="outcome"),
    sa.Index(None, "job_id", "user_id"),
)
