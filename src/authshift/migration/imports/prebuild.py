"""Rows of new users built and encoded by the import's reader, ahead of classification.

The writer of an import (one process, one core) classifies each batch and writes it; the reader
(another process for large files) has time to spare. Most records of a bulk import insert a new
user, so the reader builds those rows already, for the user id the record would get
(``Candidate.new_id``), with the one mapping ``accounts.rows.build_user_rows``, and encodes them
for the database with ``accounts.row_writer.RowEncoder`` (the one way new users' rows are
written; the same bind processors as the writer's engine: its dialect is created from the same
driver name). If classification inserts the record, the writer writes these values as they are
(``row_writer.write_user_rows``); otherwise it ignores them. A record that cannot be
prebuilt (second factors need the instance's keys; a build error is reported by the writer,
which builds it again) has no prebuilt rows, and the writer builds it as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cached_property

from sqlalchemy.engine import Dialect

from authshift.accounts.row_writer import Encoded, PrebuiltRows, RowEncoder
from authshift.accounts.rows import UserRows, build_user_rows
from authshift.errors import AuthshiftError
from authshift.migration.imports.plan import Candidate, new_user_id
from authshift.storage.types import utcnow

__all__ = ["Encoded", "Prebuilder", "PrebuiltRows"]


class Prebuilder:
    """Builds ``PrebuiltRows`` for the valid candidates of a batch, for one database dialect."""

    def __init__(self, driver_name: str) -> None:
        self.driver_name = driver_name

    @cached_property
    def dialect(self) -> Dialect:
        from authshift.storage.db import (
            create_engine,  # the writer's engines come from here too
        )

        return create_engine(f"{self.driver_name}://").dialect

    @cached_property
    def _encoder(self) -> RowEncoder:
        return RowEncoder(self.dialect)

    def encode(self, rows: UserRows) -> PrebuiltRows:
        return self._encoder.encode(rows)

    def __call__(self, batch: Sequence[Candidate], now: datetime | None = None) -> None:
        """Set ``new_id`` and ``prebuilt`` on each candidate of ``batch`` that may insert a user."""
        now = now or utcnow()
        for cand in batch:
            rec = cand.rec
            if rec is None or cand.errors or cand.match is None:
                continue
            try:
                cand.new_id = new_user_id(rec)
            except ValueError:
                continue
            if rec.get("mfa"):
                continue  # second factors are encrypted with the instance's keys: the writer builds them
            try:
                rows = build_user_rows(rec, ctx=None, now=now, migration_state="imported",  # type: ignore[arg-type]
                                       stored_password=cand.stored_password, user_id=cand.new_id,
                                       normalized=cand.login_ids())
            except (AuthshiftError, ValueError):
                continue  # the writer builds it again and reports the error
            cand.prebuilt = self.encode(rows)
