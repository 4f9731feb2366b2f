"""Test databases: a fresh SQLite file or a fresh PostgreSQL database per test run.

PostgreSQL is found through ``AUTHSHIFT_TEST_POSTGRES`` (a URL of a database the tests may
connect to in order to create their own; default ``postgresql://postgres@127.0.0.1:5432/postgres``).
When no server answers, the PostgreSQL variants are skipped with the reason printed.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from pathlib import Path

import asyncpg
import sqlalchemy as sa

from authshift.schema import metadata
from authshift.storage.db import create_engine
from authshift.storage.migrate import upgrade

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_admin_url() -> str:
    return os.environ.get("AUTHSHIFT_TEST_POSTGRES", DEFAULT_PG)


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _pg_exec(url: str, sql: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def postgres_unavailable_reason() -> str | None:
    try:
        asyncio.run(_pg_exec(postgres_admin_url(), "SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL not reachable at {postgres_admin_url()}: {type(exc).__name__}: {exc}"
    return None


def with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


class PostgresDatabase:
    """A database created for this test session, migrated once, emptied between tests, dropped at the end."""

    def __init__(self) -> None:
        self.name = f"authshift_test_{os.getpid()}_{secrets.token_hex(3)}"
        self.url = with_database(postgres_admin_url(), self.name)

    def create(self) -> None:
        asyncio.run(_pg_exec(postgres_admin_url(), f'CREATE DATABASE "{self.name}"'))
        upgrade(self.url)

    def drop(self) -> None:
        asyncio.run(_pg_exec(postgres_admin_url(), f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))

    def empty(self) -> None:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        asyncio.run(_pg_exec(self.url, f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


class SqliteTemplate:
    """A migrated SQLite file, copied for each test (much faster than migrating each time)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "template.db"

    def create(self) -> None:
        upgrade(f"sqlite:///{self.path}")

    def fresh(self, directory: Path) -> str:
        target = directory / "authshift.db"
        shutil.copyfile(self.path, target)
        return f"sqlite+aiosqlite:///{target}"


async def table_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return {
                t.name: (await conn.execute(sa.select(sa.func.count()).select_from(t))).scalar_one()
                for t in metadata.sorted_tables
            }
    finally:
        await engine.dispose()
