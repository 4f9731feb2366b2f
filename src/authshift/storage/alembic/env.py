"""Alembic environment: runs migrations over the async engine of the configured database.

The tables the code declares (``authshift.schema.metadata``) are given by the caller as
``config.attributes["target_metadata"]`` (``migrate.alembic_config(url, metadata=...)``) when it
needs them, to autogenerate a revision: ``storage`` sits below the domain and never imports its
tables. Applying revisions (``authshift db upgrade``) does not need them."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.storage.db import create_engine

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=config.attributes.get("target_metadata"),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _sqlite_pragma(conn: AsyncConnection, pragma: str) -> list[Any]:
    """Run a pragma through the driver, outside any transaction (``foreign_keys`` is a no-op inside one)."""
    raw = await conn.get_raw_connection()
    cursor = await raw.driver_connection.execute(f"PRAGMA {pragma}")
    rows = list(await cursor.fetchall())
    await cursor.close()
    return rows


async def _run_async() -> None:
    """Run the migrations; on SQLite with foreign keys off.

    A migration that changes a table's constraints on SQLite rebuilds the table (Alembic's batch
    mode: copy, DROP, rename). With foreign keys on, that DROP deletes the rows first and
    cascades into every table that refers to it (a users rebuild would delete every identity,
    password and session). The references are checked once the migrations are committed.
    """
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            await _sqlite_pragma(conn, "foreign_keys=OFF")
        try:
            await conn.run_sync(_run)
            await conn.commit()
            if sqlite:
                broken = await _sqlite_pragma(conn, "foreign_key_check")
                if broken:
                    raise RuntimeError(f"the migrated database has rows whose references are broken: {broken[:5]}")
        finally:
            if sqlite:
                await _sqlite_pragma(conn, "foreign_keys=ON")
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_async())


run_migrations_online()
