"""New users' rows written one way: encoded per table and column set, then inserted in bulk.

Creating one user (admin API, sign-up, lazy migration), a bulk import's batch and the rows an
import's reader builds ahead (``migration.imports.prebuild``) used to write the same ``UserRows``
three ways, which had to be kept in step (a new table, a new column order). Here is the one way:

- ``RowEncoder.encode`` turns a user's ``UserRows`` into ``(table, columns, values)`` triples, the
  values converted by SQLAlchemy's own bind processors for the dialect (``storage.bulk.row_encoder``),
  so a row written here is stored exactly as ``conn.execute(table.insert(), rows)`` would store it.
  The import's reader calls it in another process, and the encoded rows travel as they are.
- ``write_user_rows`` inserts encoded and not yet encoded users together, each table once per
  column set (COPY on PostgreSQL, executemany on SQLite: ``storage.bulk.bulk_insert_values``), in
  ``USER_ROW_TABLES``' order, parents before the rows that point to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.accounts.passkey_tables import webauthn_credentials
from authshift.accounts.rows import UserRows
from authshift.storage.bulk import bulk_insert_values, row_encoder
from authshift.storage.tables import (
    federated_identities,
    identities,
    otp_factors,
    passwords,
    recovery_codes,
    totp_factors,
    users,
)

__all__ = ["USER_ROW_TABLES", "Encoded", "PrebuiltRows", "RowEncoder", "write_user_rows"]

Encoded = tuple[str, tuple[str, ...], tuple[Any, ...]]  # (table name, columns, values)

# Encoded rows of one new user, tables in write order (a plain tuple: cheap to pickle).
PrebuiltRows = tuple[Encoded, ...]

# The tables of a new user in write order (the user first: the others point to it), each with the
# attribute of ``UserRows`` that holds its rows.
USER_ROW_TABLES: tuple[tuple[sa.Table, str], ...] = (
    (users, "user"), (identities, "identities"), (federated_identities, "federated"), (passwords, "password"),
    (totp_factors, "totp"), (otp_factors, "otp"), (recovery_codes, "recovery"), (webauthn_credentials, "webauthn"),
)
_ORDER = {table.name: position for position, (table, _part) in enumerate(USER_ROW_TABLES)}
_TABLES = {table.name: table for table, _part in USER_ROW_TABLES}


def _rows_of(value: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None) -> Iterable[Mapping[str, Any]]:
    """The rows of one part of ``UserRows``: a list, one row (a dict) or none."""
    if value is None:
        return ()
    if type(value) is dict or isinstance(value, Mapping):  # dict first: no abstract-class check for the usual case
        return (value,)
    return value


class RowEncoder:
    """Encodes ``UserRows`` for one dialect; one encoder per (table, column set), found once."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        # (table, columns) -> (table name, the shared columns tuple, its row encoder)
        self._encoders: dict[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...], Any]] = {}

    def encode(self, rows: UserRows) -> PrebuiltRows:
        out: list[Encoded] = []
        encoders = self._encoders
        for table, part in USER_ROW_TABLES:
            value = getattr(rows, part)
            if not value:
                continue
            for row in _rows_of(value):
                columns = tuple(row)
                known = encoders.get((table.name, columns))
                if known is None:
                    dialect = self.dialect
                    # One shared columns tuple per column set: a batch sends each of them once.
                    known = encoders[(table.name, columns)] = (
                        table.name, columns, row_encoder(table, columns, dialect.name, dialect))
                out.append((known[0], known[1], known[2](row)))
        return tuple(out)


async def write_user_rows(
    conn: AsyncConnection, new: Sequence[UserRows], prebuilt: Sequence[PrebuiltRows] = ()
) -> None:
    """Insert new users: ``new`` as built, ``prebuilt`` as encoded already for this dialect."""
    grouped: dict[tuple[str, tuple[str, ...]], list[tuple[Any, ...]]] = {}
    for encoded in prebuilt:
        for table_name, columns, values in encoded:
            grouped.setdefault((table_name, columns), []).append(values)
    if new:
        encoder = RowEncoder(conn.dialect)
        for rows in new:
            for table_name, columns, values in encoder.encode(rows):
                grouped.setdefault((table_name, columns), []).append(values)
    for (table_name, columns), values in sorted(grouped.items(), key=lambda item: _ORDER[item[0][0]]):
        await bulk_insert_values(conn, _TABLES[table_name], columns, values)
