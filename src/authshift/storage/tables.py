"""The foundation tables. Feature modules add theirs to the same ``metadata``.

Login IDs live in ``identities`` normalised (``value``) and as given (``raw``); ``(kind, value)`` is
unique, so one email, phone number or username belongs to one user at most.
"""

from __future__ import annotations

import sqlalchemy as sa

from authshift.storage.types import JSONType, UtcDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

MIGRATION_STATES = ("imported", "migrated", "native")
LOGIN_ID_KINDS = ("email", "phone_number", "preferred_username")

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("last_login_at", UtcDateTime),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("disabled_reason", sa.Text),
    sa.Column("name", sa.Text),
    sa.Column("given_name", sa.Text),
    sa.Column("family_name", sa.Text),
    sa.Column("middle_name", sa.Text),
    sa.Column("nickname", sa.Text),
    sa.Column("picture", sa.Text),
    sa.Column("profile", sa.Text),
    sa.Column("website", sa.Text),
    sa.Column("gender", sa.Text),
    sa.Column("birthdate", sa.Text),
    sa.Column("zoneinfo", sa.Text),
    sa.Column("locale", sa.Text),
    sa.Column("address", JSONType),
    sa.Column("custom_attributes", JSONType, nullable=False),
    sa.Column("roles", JSONType, nullable=False),
    sa.Column("groups", JSONType, nullable=False),
    # Where the user came from (a legacy system's name, "import", "legacy", "authshift": see
    # accounts/sources.py); ``external_id`` is the user's id in that source, unique per source.
    sa.Column("external_id", sa.Text),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("migration_state", sa.Text, nullable=False),
    # "lazy": the password stayed in the legacy system (verify it there on first sign-in);
    # "reset": the user must set a new password. Cleared once a password is set here.
    sa.Column("password_migration", sa.Text),
    sa.CheckConstraint(f"migration_state IN {MIGRATION_STATES!r}", name="migration_state"),
    sa.CheckConstraint("password_migration IN ('lazy', 'reset')", name="password_migration"),
    sa.UniqueConstraint("source", "external_id"),
    sa.Index(None, "created_at"),
    sa.Index(None, "updated_at"),
    sa.Index(None, "migration_state"),
    sa.Index(None, "source"),
)

identities = sa.Table(
    "identities",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("raw", sa.Text, nullable=False),
    sa.Column("verified", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("kind", "value"),
    sa.UniqueConstraint("user_id", "kind"),
    sa.CheckConstraint(f"kind IN {LOGIN_ID_KINDS!r}", name="kind"),
)

federated_identities = sa.Table(
    "federated_identities",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("provider", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("email", sa.Text),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("provider", "subject"),
)

passwords = sa.Table(
    "passwords",
    metadata,
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("format", sa.Text, nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("must_change", sa.Boolean, nullable=False, default=False),
    sa.Column("expire_at", UtcDateTime),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

totp_factors = sa.Table(
    "totp_factors",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("secret_encrypted", sa.Text, nullable=False),
    sa.Column("algorithm", sa.Text, nullable=False, default="SHA1"),
    sa.Column("digits", sa.Integer, nullable=False, default=6),
    sa.Column("period", sa.Integer, nullable=False, default=30),
    sa.Column("last_used_step", sa.BigInteger),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

otp_factors = sa.Table(
    "otp_factors",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("destination", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("channel IN ('email', 'sms')", name="channel"),
)

recovery_codes = sa.Table(
    "recovery_codes",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("code_hash", sa.Text, nullable=False),
    sa.Column("used_at", UtcDateTime),
)

admin_keys = sa.Table(
    "admin_keys",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("key_hash", sa.Text, nullable=False),
    sa.Column("scopes", JSONType, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_used_at", UtcDateTime),
    sa.Column("revoked_at", UtcDateTime),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("actor", sa.Text, nullable=False, index=True),  # the console's filter (0009_console)
    sa.Column("action", sa.Text, nullable=False, index=True),
    sa.Column("target", sa.Text, index=True),  # a user's page lists the entries about them (0009_console)
    sa.Column("details", JSONType, nullable=False),
)
