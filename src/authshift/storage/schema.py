"""Every table of authshift in one ``metadata``: importing this module registers them all.

Feature modules define their tables next to the foundation tables (``storage/tables*.py``) and are
imported here, so Alembic and the test harness see the whole schema.
"""

from __future__ import annotations

from authshift.events import outbox  # noqa: F401  (registers the events table)
from authshift.migration import import_tables  # noqa: F401  (registers the import job tables)
from authshift.storage import tables
from authshift.storage.tables import metadata

__all__ = ["metadata", "tables"]
