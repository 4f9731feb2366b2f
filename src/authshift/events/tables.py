"""Tables of outbox delivery: webhook endpoints registered through the admin API, and one
delivery per (event, target) with its state, attempts and lease."""

from __future__ import annotations

import sqlalchemy as sa

from authshift.events.outbox import events
from authshift.storage.tables import metadata
from authshift.storage.types import JSONType, UtcDateTime

DELIVERY_STATES = ("pending", "delivering", "delivered", "dead")
LEGACY_WRITEBACK = "legacy-writeback"  # the target of deliveries to [migration.legacy] writeback_url

webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("event_types", JSONType, nullable=False),  # ["user.created", "user.*", "*"]
    sa.Column("secret_encrypted", sa.Text, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("event_id", sa.Uuid, sa.ForeignKey(events.c.id, ondelete="CASCADE"), nullable=False),
    # LEGACY_WRITEBACK, or "webhook:<endpoint id>"
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("endpoint_id", sa.Uuid, sa.ForeignKey(webhook_endpoints.c.id, ondelete="CASCADE")),
    # the event's subject (a user id): deliveries of one subject to one target go out in event order
    sa.Column("subject", sa.Text),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("last_attempt_at", UtcDateTime),
    sa.Column("last_status", sa.Integer),
    sa.Column("last_error", sa.Text),
    sa.Column("lease_owner", sa.Text),
    sa.Column("lease_expires_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("delivered_at", UtcDateTime),
    sa.UniqueConstraint("event_id", "target"),
    sa.CheckConstraint(f"state IN {DELIVERY_STATES!r}", name="state"),
    sa.Index(None, "state", "next_attempt_at"),
    sa.Index(None, "target", "subject", "event_id"),
    sa.Index(None, "endpoint_id"),
)
