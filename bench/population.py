"""Realistic users written straight into authshift's tables, fast, for the benchmarks.

SQLite: one transaction of ``executemany``; PostgreSQL: ``COPY`` (asyncpg). Values are encoded the
way SQLAlchemy stores them (UUIDs as 32 hex characters and datetimes as text on SQLite), and the
benchmark reads them back through authshift, so a wrong encoding fails loudly.

Every user has an email and a bcrypt hash (one, computed once, shared); a third a username; 5% a
Google identity; 4% an email second factor; 2% a TOTP factor (one secret encrypted once with the
instance's key and shared: an export decrypts each in Python, like real ones).
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import bcrypt

GIVEN = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim", "Margaret", "Linus"]
FAMILY = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Lee"]
PLANS = ["free", "pro", "team", "enterprise"]
STATES = ["imported"] * 16 + ["migrated"] * 3 + ["native"]
EPOCH = datetime(2019, 1, 1, tzinfo=UTC)
BATCH = 20_000

USER_COLUMNS = (
    "id", "created_at", "updated_at", "last_login_at", "disabled", "name", "given_name", "family_name", "locale",
    "custom_attributes", "roles", "groups", "external_id", "source", "migration_state",
)
IDENTITY_COLUMNS = ("id", "user_id", "kind", "value", "raw", "verified", "created_at")
PASSWORD_COLUMNS = ("user_id", "format", "value", "must_change", "updated_at")
FEDERATED_COLUMNS = ("id", "user_id", "provider", "subject", "email", "created_at")
TOTP_COLUMNS = ("id", "user_id", "secret_encrypted", "algorithm", "digits", "period", "created_at")
OTP_COLUMNS = ("id", "user_id", "channel", "destination", "created_at")


def one_bcrypt_hash(password: str = "correct horse battery staple") -> str:
    """ONE hash computed once and shared by every user (hashing a million would take hours)."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(10)).decode()


def _sequential_uuids(n: int, start: datetime) -> Iterator[uuid.UUID]:
    """Time-ordered ids (UUIDv7 layout), one millisecond apart, like users created over time."""
    ms0 = int(start.timestamp() * 1000)
    rnd = random.Random(7)
    for i in range(n):
        value = ((ms0 + i) << 80) | (0x7 << 76) | (rnd.getrandbits(12) << 64) | (0x2 << 62) | rnd.getrandbits(62)
        yield uuid.UUID(int=value)


Related = dict[str, list[dict[str, Any]]]  # table -> rows


def rows(n: int, password_hash: str, totp_secret_encrypted: str) -> Iterator[tuple[dict[str, Any], Related]]:
    """(user, related rows by table) for n users."""
    rnd = random.Random(42)
    for i, uid in enumerate(_sequential_uuids(n, EPOCH)):
        created = EPOCH + timedelta(seconds=i * 37)
        given, family = rnd.choice(GIVEN), rnd.choice(FAMILY)
        roles = ["user", "admin"] if i % 100 == 0 else ["user"]
        user = {
            "id": uid, "created_at": created, "updated_at": created + timedelta(days=3),
            "last_login_at": created + timedelta(days=30) if i % 3 else None, "disabled": i % 97 == 0,
            "name": f"{given} {family}", "given_name": given, "family_name": family, "locale": "en-GB",
            "custom_attributes": {"plan": rnd.choice(PLANS), "legacy_id": i, "newsletter": i % 2 == 0},
            "roles": roles, "groups": ["customers"] if i % 5 else ["customers", "beta"],
            "external_id": f"legacy-{i}", "source": "legacy-app", "migration_state": rnd.choice(STATES),
        }
        email = f"{given.lower()}.{family.lower()}.{i}@example.com"
        idents = [{"id": uuid.UUID(int=uid.int ^ 1), "user_id": uid, "kind": "email", "value": email, "raw": email,
                   "verified": i % 10 < 7, "created_at": created}]
        if i % 3 == 0:
            idents.append({"id": uuid.UUID(int=uid.int ^ 2), "user_id": uid, "kind": "preferred_username",
                           "value": f"user{i}", "raw": f"user{i}", "verified": True, "created_at": created})
        password = {"user_id": uid, "format": "bcrypt", "value": password_hash, "must_change": False, "updated_at": created}
        related: Related = {"identities": idents, "passwords": [password], "federated_identities": [],
                            "totp_factors": [], "otp_factors": []}
        if i % 20 == 0:
            related["federated_identities"].append({
                "id": uuid.UUID(int=uid.int ^ 3), "user_id": uid, "provider": "google", "subject": f"1{i:020d}",
                "email": email, "created_at": created})
        if i % 25 == 1:
            related["otp_factors"].append({
                "id": uuid.UUID(int=uid.int ^ 4), "user_id": uid, "channel": "email", "destination": email, "created_at": created})
        if i % 50 == 2:
            related["totp_factors"].append({
                "id": uuid.UUID(int=uid.int ^ 5), "user_id": uid, "secret_encrypted": totp_secret_encrypted,
                "algorithm": "SHA1", "digits": 6, "period": 30, "created_at": created})
        yield user, related


TABLE_COLUMNS = {
    "users": USER_COLUMNS, "identities": IDENTITY_COLUMNS, "passwords": PASSWORD_COLUMNS,
    "federated_identities": FEDERATED_COLUMNS, "totp_factors": TOTP_COLUMNS, "otp_factors": OTP_COLUMNS,
}


def _chunks(n: int, password_hash: str, totp_secret_encrypted: str) -> Iterator[Related]:
    chunk: Related = {table: [] for table in TABLE_COLUMNS}
    for user, related in rows(n, password_hash, totp_secret_encrypted):
        chunk["users"].append(user)
        for table, items in related.items():
            chunk[table].extend(items)
        if len(chunk["users"]) >= BATCH:
            yield chunk
            chunk = {table: [] for table in TABLE_COLUMNS}
    if chunk["users"]:
        yield chunk


# --- SQLite -------------------------------------------------------------------------------------

def _sqlite_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def _sqlite_insert(db: sqlite3.Connection, table: str, columns: tuple[str, ...], items: list[dict[str, Any]]) -> None:
    sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
    db.executemany(sql, [tuple(_sqlite_value(item.get(c)) for c in columns) for item in items])


def populate_sqlite(path: str, n: int, password_hash: str, totp_secret_encrypted: str) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("BEGIN")
        for chunk in _chunks(n, password_hash, totp_secret_encrypted):
            for table, items in chunk.items():
                _sqlite_insert(db, table, TABLE_COLUMNS[table], items)
        db.execute("COMMIT")
        db.execute("ANALYZE")
    finally:
        db.close()


# --- PostgreSQL ---------------------------------------------------------------------------------

def _pg_value(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (dict, list)) else value


async def _pg_copy(conn: asyncpg.Connection, table: str, columns: tuple[str, ...], items: list[dict[str, Any]]) -> None:
    await conn.copy_records_to_table(
        table, columns=list(columns), records=[tuple(_pg_value(item.get(c)) for c in columns) for item in items]
    )


async def populate_postgres_async(dsn: str, n: int, password_hash: str, totp_secret_encrypted: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        # COPY is binary: jsonb's binary form is a version byte then the JSON text.
        await conn.set_type_codec("jsonb", encoder=lambda v: b"\x01" + v.encode(), decoder=lambda b: json.loads(b[1:]),
                                  schema="pg_catalog", format="binary")
        async with conn.transaction():
            for chunk in _chunks(n, password_hash, totp_secret_encrypted):
                for table, items in chunk.items():
                    if items:
                        await _pg_copy(conn, table, TABLE_COLUMNS[table], items)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def populate_postgres(dsn: str, n: int, password_hash: str, totp_secret_encrypted: str) -> None:
    asyncio.run(populate_postgres_async(dsn, n, password_hash, totp_secret_encrypted))
