"""Bulk writers and readers: many rows into one table inside the caller's transaction, without
per-row SQLAlchemy work (PostgreSQL COPY via asyncpg ``copy_records_to_table``, SQLite
``executemany``), and ``in_values``: membership in thousands of values with one bound parameter.

Values are converted with SQLAlchemy's own bind processors for each column (so a row written
here is stored exactly as ``conn.execute(table.insert(), rows)`` would store it), compiled once
per table and column set, with shortcuts for the values that repeat (the batch timestamp, empty
JSON objects and lists).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["bulk_insert", "bulk_insert_values", "in_values", "row_encoder"]

RowEncoder = Callable[[Mapping[str, Any]], tuple[Any, ...]]


def _fast(processor: Callable[[Any], Any], column_type: Any) -> Callable[[Any], Any]:
    """Wrap a bind processor with caches for the values bulk rows repeat."""
    if isinstance(column_type, sa.JSON) or isinstance(getattr(column_type, "impl", None), sa.JSON):
        on_none, on_dict, on_list = processor(None), processor({}), processor([])

        def json_value(value: Any) -> Any:
            if value is None:
                return on_none
            if not value:
                return on_dict if isinstance(value, dict) else on_list if isinstance(value, list) else processor(value)
            return processor(value)

        return json_value
    if isinstance(column_type, sa.DateTime) or isinstance(getattr(column_type, "impl", None), sa.DateTime):
        last: list[Any] = [None, None]
        encode = _sqlite_utc_text if _same_as(processor, _sqlite_utc_text) else processor

        def time_value(value: datetime | None) -> Any:
            if value is None:
                return None
            if value is last[0]:
                return last[1]
            encoded = encode(value)
            last[0], last[1] = value, encoded
            return encoded

        return time_value
    return processor


def _sqlite_utc_text(value: datetime) -> str:
    """What SQLAlchemy stores on SQLite for an aware datetime in a ``UtcDateTime`` column, in one C
    call (``isoformat``) instead of a Python type decorator and a %-format of seven fields."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


_PROBES = (
    datetime(2021, 6, 1, 12, 0, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2024, 2, 29, 0, 0, 0, 1, tzinfo=timezone(timedelta(hours=-8))),
)


def _same_as(processor: Callable[[Any], Any], shortcut: Callable[[datetime], Any]) -> bool:
    """Whether ``shortcut`` stores what the column's own processor stores (checked on probe values)."""
    try:
        return all(processor(probe) == shortcut(probe) for probe in _PROBES)
    except (TypeError, ValueError):
        return False


@lru_cache(maxsize=128)
def row_encoder(table: sa.Table, columns: tuple[str, ...], dialect_name: str, dialect: Dialect) -> RowEncoder:
    """A function turning a row dict into the tuple of database values for ``columns``."""
    namespace: dict[str, Any] = {}
    parts = []
    for position, name in enumerate(columns):
        column = table.c[name]
        processor = column.type._cached_bind_processor(dialect)
        if processor is None:
            parts.append(f"r[{name!r}]")
        else:
            namespace[f"p{position}"] = _fast(processor, column.type)
            parts.append(f"p{position}(r[{name!r}])")
    source = f"def encode(r):\n    return ({', '.join(parts)},)\n"
    exec(compile(source, f"<bulk row encoder {table.name} {dialect_name}>", "exec"), namespace)  # noqa: S102
    return namespace["encode"]  # type: ignore[no-any-return]


@lru_cache(maxsize=128)
def _insert_sql(table_name: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    return f'INSERT INTO "{table_name}" ({names}) VALUES ({marks})'


async def bulk_insert(conn: AsyncConnection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the current transaction."""
    if not rows:
        return
    columns = tuple(rows[0])
    dialect = conn.dialect
    if dialect.name not in ("postgresql", "sqlite"):  # pragma: no cover - only the two supported backends
        await conn.execute(table.insert(), [dict(row) for row in rows])
        return
    encode = row_encoder(table, columns, dialect.name, dialect)
    await bulk_insert_values(conn, table, columns, [encode(row) for row in rows])


async def bulk_insert_values(conn: AsyncConnection, table: sa.Table, columns: tuple[str, ...],
                             values: list[tuple[Any, ...]]) -> None:
    """Insert rows already encoded for this connection's dialect (``row_encoder``) for ``columns``."""
    if not values:
        return
    if conn.dialect.name == "postgresql":
        await _copy(conn, table, columns, values)
    else:
        await conn.exec_driver_sql(_insert_sql(table.name, columns), values)  # type: ignore[arg-type]


async def _copy(conn: AsyncConnection, table: sa.Table, columns: tuple[str, ...], values: list[tuple[Any, ...]]) -> None:
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    if not driver.is_in_transaction():
        # SQLAlchemy's asyncpg adapter opens its transaction at the first statement: make sure
        # COPY runs inside it, so it commits or rolls back with everything else.
        await conn.exec_driver_sql("SELECT 1")
        if not driver.is_in_transaction():
            raise RuntimeError("bulk COPY outside a transaction")
    try:
        await driver.copy_records_to_table(table.name, records=values, columns=list(columns))
    except asyncpg.IntegrityConstraintViolationError as exc:
        # The same error type as statements run through SQLAlchemy, so callers handle one kind.
        raise IntegrityError(f"COPY {table.name}", None, exc) from exc


def in_values(dialect: Dialect, column: sa.ColumnElement[Any], values: Iterable[Any]) -> sa.ColumnElement[bool]:
    """``column IN (values)`` with ONE bound parameter however many values there are.

    A plain ``in_()`` renders (and on PostgreSQL casts) one parameter per value at every
    execution: for a batch of 5,000 keys that costs more than the query. PostgreSQL gets
    ``= ANY(array)``; SQLite a ``json_each()`` of the values as SQLAlchemy would store them.
    """
    items = list(values)
    if dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, items, type_=postgresql.ARRAY(column.type)))
    if dialect.name == "sqlite":
        processor = column.type._cached_bind_processor(dialect)
        stored = [processor(v) for v in items] if processor else items
        rows = sa.func.json_each(sa.bindparam(None, json.dumps(stored), type_=sa.Text)).table_valued("value")
        return column.in_(sa.select(rows.c.value))
    return column.in_(items)  # pragma: no cover - only the two supported backends
