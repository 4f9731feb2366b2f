"""Several independent writes in one round trip to the database.

On PostgreSQL the writes become the data-modifying CTEs of one statement (``WITH w1 AS (INSERT
...), w2 AS (UPDATE ... RETURNING ...) SELECT ...``); SQLite runs in the process (there is no
round trip to save) and gets them one after the other, in the order given.

Each write is a statement built once, with named ``bindparam``s, and executed with the values of
one call: building and compiling SQLAlchemy statements per call costs more CPU than the round
trips saved (``row_insert`` makes the insert of a whole row). The writes of one call must be
independent: none may read or change a row another one writes, and none needs another's result
(on PostgreSQL they all see the database as it was before the statement). Foreign keys between
rows inserted together are fine: PostgreSQL checks them at the end of the statement, and SQLite
inserts in the order given.

A write may return (``RETURNING``) at most one row; ``run`` gives it back by the write's name, or
None when the write changed no row (return a column that is never NULL).

All or nothing without a transaction (PostgreSQL): with ``abort_unless``, a condition on what the
writes returned, the statement fails (and, being one statement, writes nothing) when the condition
is false; ``run`` then raises ``WriteAborted``. That lets a caller that read without locks write
"only if nothing changed meanwhile" in one round trip, and fall back to a transaction otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CTE

from authshift.storage.db import is_postgres


@dataclass(frozen=True)
class Write:
    name: str  # also the prefix of its bind parameters: "<name>__<column>"
    statement: UpdateBase


def row_insert(name: str, table: sa.Table) -> Write:
    """An insert of one full row of ``table``, its values bound as ``<name>__<column>``."""
    return Write(name, table.insert().values({c.name: sa.bindparam(f"{name}__{c.name}", type_=c.type) for c in table.columns}))


def row_values(name: str, table: sa.Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """The bind values of ``row_insert(name, table)`` for ``row`` (columns it leaves out are NULL)."""
    columns = table.columns.keys()
    unknown = set(row) - set(columns)
    if unknown:
        raise ValueError(f"not columns of {table.name}: {sorted(unknown)}")
    return {f"{name}__{c}": row.get(c) for c in columns}


# What ``abort_unless`` makes PostgreSQL raise: a division by zero, the cheapest error an expression
# can raise without a function of our own in the schema (nothing else in these statements divides).
_ABORTED_SQLSTATE = "22012"

AbortCondition = Callable[[Mapping[str, CTE]], ColumnElement[bool]]


class WriteAborted(Exception):
    """The ``abort_unless`` condition was false: nothing was written."""


def _returned_columns(statement: UpdateBase) -> list[str]:
    return [str(c.key) for c in statement.exported_columns]


class CombinedWrite:
    """The writes of one call, sent as one statement on PostgreSQL (built once per instance)."""

    def __init__(self, writes: Sequence[Write], *, abort_unless: AbortCondition | None = None) -> None:
        names = [w.name for w in writes]
        if len(set(names)) != len(names):
            raise ValueError(f"write names must be unique: {names}")
        self.writes = tuple(writes)
        self._abort_unless = abort_unless
        self._returning = {w.name: _returned_columns(w.statement) for w in self.writes}
        self._combined: sa.Select[Any] | None = None

    def _statement(self) -> sa.Select[Any]:
        if self._combined is None:
            ctes = [w.statement.cte(w.name) for w in self.writes]
            columns: list[ColumnElement[Any]] = [
                sa.select(cte.c[col]).scalar_subquery().label(f"{w.name}__{col}")
                for w, cte in zip(self.writes, ctes, strict=False) for col in self._returning[w.name]
            ]
            if self._abort_unless is not None:
                condition = self._abort_unless({w.name: cte for w, cte in zip(self.writes, ctes, strict=False)})
                # 1 / 0 when the condition is false: the statement fails, so none of its writes stay
                columns.append((sa.literal(1) / sa.case((condition, 1), else_=0)).label("all_or_nothing"))
            self._combined = sa.select(*(columns or [sa.literal(1)])).add_cte(*ctes)
        return self._combined

    async def run(self, conn: AsyncConnection, values: Mapping[str, Any]) -> dict[str, dict[str, Any] | None]:
        """Execute every write with ``values``; the row each returning write gave back."""
        returned: dict[str, dict[str, Any] | None] = {}
        if is_postgres(conn):
            try:
                row = (await conn.execute(self._statement(), values)).one()._mapping
            except DBAPIError as exc:
                if self._abort_unless is not None and getattr(exc.orig, "sqlstate", None) == _ABORTED_SQLSTATE:
                    raise WriteAborted from None
                raise
            for name, cols in self._returning.items():
                if cols:
                    got = {col: row[f"{name}__{col}"] for col in cols}
                    returned[name] = got if any(v is not None for v in got.values()) else None
            return returned
        if self._abort_unless is not None:
            raise NotImplementedError("abort_unless needs PostgreSQL; on SQLite write in a transaction")
        for write in self.writes:
            result = await conn.execute(write.statement, values)
            if self._returning[write.name]:
                found = result.mappings().first()
                returned[write.name] = dict(found) if found is not None else None
        return returned
