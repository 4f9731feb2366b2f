"""Users as NDJSON lines written by the database (``record_sql``), streamed in blocks of whole lines.

The statement runs on the caller's connection, inside its transaction (so in the export's
snapshot), through the driver underneath SQLAlchemy, which hands over the lines without building a
row object per user:

- PostgreSQL: ``COPY (SELECT ...) TO STDOUT`` (asyncpg ``copy_from_query``). CSV format with a
  delimiter and quote character that JSON text never contains (``to_json`` and ``jsonb`` escape
  every control character), so each row arrives exactly as the line plus ``\\n``. The server
  process composes the JSON while this one writes: the second core is used.
- SQLite: one cursor over the statement (``fetchmany`` in aiosqlite's thread, which releases the
  GIL while SQLite works), lines as ``bytes`` (the statement casts them to BLOB, no decoding).

A producer task feeds a short queue, so the database keeps composing while the caller writes the
previous block; memory stays at a few blocks whatever the number of users.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.accounts.context import AccountsContext
from authshift.accounts.hash_config_store import export_hash_configs
from authshift.accounts.record_sql import MARK, finish_marked_line, record_lines_query, render
from authshift.passwords import HashConfig
from authshift.storage.db import is_postgres

__all__ = ["LineBlock", "stream_record_lines"]

BLOCK_BYTES = 1 << 20  # about 1,700 users a block
SQLITE_ROWS_PER_FETCH = 2000
QUEUED_BLOCKS = 4
# When the server sends less than this at a time, wait a little before reading again: a wake-up
# per 8 KB message costs more CPU than the bytes it brings, and the socket buffers what arrives.
SMALL_READ_BYTES = 64 * 1024
SMALL_READ_PAUSE = 0.002
_COPY_FORMAT = {"format": "csv", "delimiter": "\x02", "quote": "\x01"}  # never in JSON text


@dataclass(frozen=True)
class LineBlock:
    data: bytes  # whole NDJSON lines, each ending with a newline
    users: int


Put = Callable[[bytes, int], Awaitable[None]]


async def stream_record_lines(
    conn: AsyncConnection,
    *,
    where: Sequence[Any] = (),
    include_secrets: bool = False,
    ctx: AccountsContext | None = None,
) -> AsyncIterator[LineBlock]:
    """Every user matching ``where`` as an NDJSON line (the record ``assemble_record`` gives),
    oldest id first, in blocks of whole lines. Close it (``contextlib.aclosing``) before the
    transaction ends: until then the statement may still be running on the connection."""
    if include_secrets and ctx is None:
        raise ValueError("exporting TOTP secrets needs the accounts context (to decrypt them)")
    sql, params = render(record_lines_query(conn.dialect.name, where, include_secrets=include_secrets), conn.dialect)
    driver = (await conn.get_raw_connection()).driver_connection
    queue: asyncio.Queue[LineBlock | None] = asyncio.Queue(maxsize=QUEUED_BLOCKS)
    configs = await export_hash_configs(conn, ctx) if include_secrets else {}

    async def put(data: bytes, users: int) -> None:
        if include_secrets and ctx is not None and MARK in data:
            data = _finish_marked_lines(data, ctx, configs)
        await queue.put(LineBlock(data, users))

    async def produce() -> None:
        try:
            if is_postgres(conn):
                await _copy_postgres(driver, sql, params, put)
            else:
                await _fetch_sqlite(driver, sql, params, put)
        except asyncio.CancelledError:  # the reader went away: nobody to tell
            raise
        except BaseException:
            await queue.put(None)  # the reader then awaits this task, which raises
            raise
        await queue.put(None)

    task = asyncio.ensure_future(produce())
    try:
        while (block := await queue.get()) is not None:
            yield block
        await task  # raises what the producer raised
    finally:
        if not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass


def _finish_marked_lines(data: bytes, ctx: AccountsContext, configs: Mapping[str, HashConfig]) -> bytes:
    """The block with its marked lines finished; the other lines (most of them) copied as they are."""
    parts, done = [], 0
    found = data.find(MARK)
    while found >= 0:
        start, end = data.rfind(b"\n", 0, found) + 1, data.index(b"\n", found)
        parts += [data[done:start], finish_marked_line(data[start:end], ctx, configs)]
        done = end
        found = data.find(MARK, end)
    parts.append(data[done:])
    return b"".join(parts)


async def _fetch_sqlite(driver: Any, sql: str, params: list[Any], put: Put) -> None:
    cursor = await driver.execute(sql, params)
    try:
        # Ask for the next rows before handling these: SQLite composes them meanwhile.
        fetching = asyncio.ensure_future(cursor.fetchmany(SQLITE_ROWS_PER_FETCH))
        while rows := await fetching:
            fetching = asyncio.ensure_future(cursor.fetchmany(SQLITE_ROWS_PER_FETCH))
            lines = [row[0] for row in rows]
            lines.append(b"")
            await put(b"\n".join(lines), len(rows))
    finally:
        if not fetching.done():
            fetching.cancel()
        await cursor.close()


async def _copy_postgres(driver: Any, sql: str, params: list[Any], put: Put) -> None:
    pending: list[bytes] = []
    size = 0

    async def sink(chunk: bytes) -> None:
        nonlocal size
        pending.append(chunk)
        size += len(chunk)
        if size >= BLOCK_BYTES:
            data = b"".join(pending)
            end = data.rfind(b"\n") + 1
            pending[:] = [data[end:]]
            size = len(data) - end
            await put(data[:end], data.count(b"\n", 0, end))
        elif len(chunk) < SMALL_READ_BYTES:
            await asyncio.sleep(SMALL_READ_PAUSE)

    # A parallel plan would have every worker aggregate the related tables whole (the inner sides
    # of the merge joins are not split between workers): more CPU and, measured, slower.
    await driver.execute("SET LOCAL max_parallel_workers_per_gather = 0")
    await driver.copy_from_query(sql, *params, output=sink, **_COPY_FORMAT)
    data = b"".join(pending)
    if data:
        await put(data, data.count(b"\n"))
