"""Revision 0008_records on a database with users: sources filled in, external_id unique per
source, and nothing that refers to a user lost (SQLite rebuilds the users table)."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from authshift.storage.db import create_engine
from authshift.storage.migrate import upgrade
from tests.support.databases import _pg_exec, postgres_admin_url, postgres_unavailable_reason, with_database

BEFORE = "0007_token_exchange"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def blank_url(backend: str, tmp_path: Path) -> object:
    """An empty database (no schema) of the backend, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    name = f"authshift_mig_{secrets.token_hex(4)}"
    asyncio.run(_pg_exec(postgres_admin_url(), f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(postgres_admin_url(), name)
    finally:
        asyncio.run(_pg_exec(postgres_admin_url(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _id() -> object:
    return uuid.uuid4() if _PG else uuid.uuid4().hex  # SQLite's reflected id column is CHAR(32)


_PG = False


def _user(state: str, external_id: str | None, source: str | None = None) -> dict[str, object]:
    return {"id": _id(), "created_at": NOW, "updated_at": NOW, "disabled": False, "custom_attributes": {},
            "roles": [], "groups": [], "external_id": external_id, "source": source, "migration_state": state}


async def _exercise(url: str) -> None:
    global _PG
    _PG = not url.startswith("sqlite")
    # Tables as they were at the previous revision (reflected: the code declares the new ones).
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            md = sa.MetaData()
            await conn.run_sync(lambda sync: md.reflect(sync, only=["users", "identities", "passwords"]))
            users, identities, passwords = md.tables["users"], md.tables["identities"], md.tables["passwords"]
            rows = [_user("imported", "1"), _user("migrated", "2"), _user("native", None),
                    _user("imported", "3", source="auth0")]
            await conn.execute(users.insert(), rows)
            await conn.execute(identities.insert(), [
                {"id": _id(), "user_id": r["id"], "kind": "email", "value": f"u{i}@example.com",
                 "raw": f"u{i}@example.com", "verified": True, "created_at": NOW} for i, r in enumerate(rows)])
            await conn.execute(passwords.insert(), [
                {"user_id": r["id"], "format": "bcrypt", "value": "$2b$04$x", "must_change": False, "updated_at": NOW}
                for r in rows])
    finally:
        await engine.dispose()

    await asyncio.to_thread(upgrade, url)

    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            md = sa.MetaData()
            await conn.run_sync(lambda sync: md.reflect(sync, only=["users", "identities", "passwords"]))
            users = md.tables["users"]
            found = dict((await conn.execute(sa.select(users.c.external_id, users.c.source))).all())
            assert found == {"1": "default", "2": "default", None: "default", "3": "auth0"}
            # nothing that refers to a user was lost with the rebuilt table
            assert (await conn.execute(sa.select(sa.func.count()).select_from(md.tables["identities"]))).scalar() == 4
            assert (await conn.execute(sa.select(sa.func.count()).select_from(md.tables["passwords"]))).scalar() == 4
            # the same external_id in another source is another user; twice in one source is refused
            await conn.execute(users.insert(), [_user("imported", "1", source="auth0")])
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(users.insert(), [_user("imported", "1", source="default")])
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(users.insert(), [_user("imported", "9", source=None)])
    finally:
        await engine.dispose()


def test_sources_are_filled_in_and_external_ids_unique_per_source(blank_url: str) -> None:
    upgrade(blank_url, BEFORE)
    asyncio.run(_exercise(blank_url))
