"""Every table of authshift in one ``metadata``: importing this module registers them all.

Feature modules define their tables beside their code (the foundation tables in
``storage/tables.py``) and are imported here, so the test harness and Alembic's autogenerate (given
this metadata: ``storage.migrate.alembic_config(url, metadata=...)``) see the whole schema. It sits
at the top, beside the app and the CLI, because it imports every feature: ``storage`` itself
imports none of them, its Alembic environment included.
"""

from __future__ import annotations

from authshift.accounts import (
    hash_config_store,  # noqa: F401  (password_hash_configs)
    passkey_tables,  # noqa: F401  (webauthn_credentials, webauthn_challenges)
    reset_tables,  # noqa: F401  (password_reset_tokens)
)
from authshift.console import tables as console_tables  # noqa: F401  (console operators and sessions)
from authshift.events import outbox  # noqa: F401  (registers the events table)
from authshift.events import tables as _delivery_tables  # noqa: F401  (webhook endpoints, deliveries)
from authshift.mail import tables as mail_tables  # noqa: F401  (email_outbox)
from authshift.migration.exports import tables as export_tables  # noqa: F401  (export jobs)
from authshift.migration.imports import tables as import_tables  # noqa: F401  (import jobs and outcomes)
from authshift.migration.readiness import tables as readiness_tables  # noqa: F401  (readiness, shadow, undo)
from authshift.migration.token_exchange import tables as token_exchange_tables  # noqa: F401
from authshift.oidc import tables as oidc_tables  # noqa: F401  (provider tables)
from authshift.security import (
    known_networks,  # noqa: F401  (networks owners signed in from)
    throttle,  # noqa: F401  (throttle counters)
)
from authshift.storage import tables
from authshift.storage.tables import metadata

__all__ = ["metadata", "tables"]
