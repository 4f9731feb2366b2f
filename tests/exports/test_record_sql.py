"""The records the database composes (``record_sql``, the export's fast path) equal, parsed, the
records ``assemble_record`` builds, field by field, on both backends.

The population covers every record field and the shapes only direct writes produce: timestamps
with microseconds (and trailing zeros), text that JSON must escape, custom attributes with unicode,
empty strings, nulls and nesting, JSON null and SQL NULL, every password format (structured ones
with must_change and expire_at), several federated identities stored out of id order, two second
factors of one channel, TOTP with and without secrets, users with nothing but an external id.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from authshift import passwords
from authshift.accounts import record_stream
from authshift.accounts import users as svc
from authshift.accounts.record_stream import stream_record_lines
from authshift.ids import uuid7
from authshift.migration.exports.bulk import export_users
from authshift.migration.exports.options import RECORD_FIELDS, parse_export_options
from authshift.migration.exports.output import open_output
from authshift.state import AppState
from authshift.storage.tables import audit_log, federated_identities, otp_factors, totp_factors, users
from tests.exports.population import populate

TRICKY_TEXT = 'Zoë "Q" \\ back\nslash\ttab \u0001 \u0002 \u001f </script> 😀 \u2028'  # the COPY quote and delimiter, the TOTP mark


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def _create(conn: Any, state: AppState, rec: dict[str, Any], **changes: Any) -> uuid.UUID:
    """A user through the service, then columns written directly (what the service never writes)."""
    user_id = await svc.create_user(conn, rec, ctx=state.accounts)
    if changes:
        await conn.execute(users.update().where(users.c.id == user_id).values(**changes))
    return user_id


async def rich_population(state: AppState) -> None:
    await populate(state)  # every password format, two users with every field, a few plain ones
    async with state.engine.begin() as conn:
        await _create(conn, state, {
            "email": "micro@example.com", "email_verified": False, "name": TRICKY_TEXT, "given_name": "",
            "nickname": "ünï", "custom_attributes": {
                "": "", "ünïcode": "✓ 😀", "nested": {"list": [1, 2.5, None, True, {"deep": None}], "empty": {}},
                "null": None, "zero": 0, "small": 1e-07, "neg": -3, "quote": TRICKY_TEXT,
            },
            "address": {"formatted": "1 Main St\nSpringfield", "country": None},
            "roles": [], "groups": ["ünï", ""], "disabled": True, "disabled_reason": "",
            "password": {"hash": passwords.hash_password("pw").value, "expire_at": "2031-02-03T04:05:06.700000Z"},
        }, created_at=_at("2021-05-06T07:08:09.123456"), updated_at=_at("2021-05-06T07:08:09.120000"),
            last_login_at=_at("2022-01-01T00:00:00.000001"))
        await _create(conn, state, {"phone_number": "+14155550111", "phone_number_verified": True, "disabled_reason": "kept"},
                      password_migration="lazy", custom_attributes=None, roles=None, address=sa.null())
        await _create(conn, state, {"preferred_username": "only_username", "source": "ldap"}, password_migration="reset")
        await _create(conn, state, {"external_id": "nothing-else"}, last_login_at=None)  # every user has a source now
        structured = next(f for f in passwords.formats() if f.structured)
        await _create(conn, state, {
            "email": "structured@example.com",
            "password": {**structured.example, "must_change": True, "expire_at": "2030-01-01T00:00:00.5Z"},
        })
        await _create(conn, state, {
            "email": "structured-plain@example.com", "password": {**structured.example, "must_change": False},
        })
        many = await _create(conn, state, {"email": "many@example.com", "mfa": {"phone_number": "+14155550122"}})
        now = datetime.now(UTC)
        ids = sorted(uuid7() for _ in range(3))
        for fid, provider, email in ((ids[2], "github", None), (ids[0], "google", "g@example.com"), (ids[1], "apple", TRICKY_TEXT)):
            await conn.execute(federated_identities.insert().values(
                id=fid, user_id=many, provider=provider, subject=f"{provider}-sub", email=email, created_at=now))
        older, newer = sorted(uuid7() for _ in range(2))
        for oid, destination in ((newer, "newer@example.com"), (older, "older@example.com")):
            await conn.execute(otp_factors.insert().values(
                id=oid, user_id=many, channel="email", destination=destination, created_at=now + timedelta(seconds=1)))
        if conn.dialect.name == "sqlite":  # datetimes stored by another writer than SQLAlchemy
            for stored, email in (("2020-01-02 03:04:05.5", "odd-fraction@example.com"), ("2020-01-02 03:04:05", "no-fraction@example.com")):
                odd = await _create(conn, state, {"email": email})
                await conn.execute(sa.text("UPDATE users SET created_at = :stored WHERE id = :id"), {"stored": stored, "id": odd.hex})
        totp_only = await _create(conn, state, {"email": "totp-only@example.com"})
        for secret, algorithm in ((b"0123456789abcdef0123", "SHA1"), (b"fedcba9876543210fedc", "SHA512")):
            await conn.execute(totp_factors.insert().values(
                id=uuid7(), user_id=totp_only, secret_encrypted=state.accounts.totp_box.encrypt(secret),
                algorithm=algorithm, digits=8, period=45, created_at=now))


async def _both_paths(state: AppState, *, include_secrets: bool, filters: svc.UserFilter | None = None) -> tuple[list[Any], list[Any]]:
    """(records assemble_record builds, records the database composes), read in one snapshot."""
    async with svc.snapshot(state.engine) as conn:
        where = svc.filter_conditions(filters or svc.UserFilter(), dialect=conn.dialect.name)
        built = [
            rec
            async for batch in svc.read_record_batches(conn, where=where, include_secrets=include_secrets, ctx=state.accounts, batch_size=7)
            for rec in batch
        ]
        data = b"".join([
            block.data async for block in stream_record_lines(conn, where=where, include_secrets=include_secrets, ctx=state.accounts)
        ])
    assert data == b"" or data.endswith(b"\n")
    return built, [json.loads(line) for line in data.splitlines()]


def assert_same_records(built: list[dict[str, Any]], composed: list[dict[str, Any]]) -> None:
    assert [r["id"] for r in composed] == [r["id"] for r in built]
    for expected, actual in zip(built, composed, strict=False):
        for name in sorted(set(expected) | set(actual)):
            assert name in actual and name in expected, f"user {expected['id']}: {name} only on one side"
            assert actual[name] == expected[name], f"user {expected['id']}: {name} differs"
        assert actual == expected


@pytest.mark.parametrize("include_secrets", [True, False], ids=["secrets", "no-secrets"])
async def test_the_database_composes_what_assemble_record_builds(state: AppState, include_secrets: bool) -> None:
    await rich_population(state)
    built, composed = await _both_paths(state, include_secrets=include_secrets)
    assert_same_records(built, composed)
    fields = {name for rec in built for name in rec}
    assert fields == set(RECORD_FIELDS) - (set() if include_secrets else {"password"})  # the population covers every field
    by_email = {r.get("email"): r for r in composed}
    micro = by_email["micro@example.com"]
    assert (micro["created_at"], micro["updated_at"], micro["last_login_at"]) == (
        "2021-05-06T07:08:09.123456Z", "2021-05-06T07:08:09.120000Z", "2022-01-01T00:00:00.000001Z")
    assert micro["name"] == TRICKY_TEXT and micro["given_name"] == "" and "disabled_reason" not in micro
    if "odd-fraction@example.com" in by_email:
        assert by_email["odd-fraction@example.com"]["created_at"] == "2020-01-02T03:04:05.500000Z"
        assert by_email["no-fraction@example.com"]["created_at"] == "2020-01-02T03:04:05Z"
    many = by_email["many@example.com"]
    assert [i["provider"] for i in many["identities"]] == ["google", "apple", "github"]  # by id, not as stored
    assert many["mfa"] == {"email": "newer@example.com", "phone_number": "+14155550122"}
    totp_only = by_email["totp-only@example.com"]
    if include_secrets:
        assert [t["algorithm"] for t in totp_only["mfa"]["totp"]] == ["SHA1", "SHA512"]
        assert by_email["structured@example.com"]["password"]["expire_at"] == "2030-01-01T00:00:00.500000Z"
    else:
        assert "mfa" not in totp_only


@pytest.mark.parametrize(
    "filters",
    [svc.UserFilter(role="admin"), svc.UserFilter(migration_state="imported", group="beta"),
     svc.UserFilter(created_after=datetime(2021, 5, 6, 7, 8, 9, 123456, tzinfo=UTC), created_before=datetime(2023, 1, 1, tzinfo=UTC))],
    ids=["role", "state-and-group", "created-range"],
)
async def test_filters_select_the_same_users(state: AppState, filters: svc.UserFilter) -> None:
    await rich_population(state)
    built, composed = await _both_paths(state, include_secrets=True, filters=filters)
    assert built, "the filter selects somebody"
    assert_same_records(built, composed)


async def test_lines_cut_into_tiny_blocks_are_still_whole(state: AppState, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of a few bytes: PostgreSQL's COPY chunks are cut mid-line and put back together, and
    marked (TOTP) lines are finished wherever they fall in a block."""
    await rich_population(state)
    monkeypatch.setattr(record_stream, "BLOCK_BYTES", 100)
    monkeypatch.setattr(record_stream, "SQLITE_ROWS_PER_FETCH", 3)
    built, composed = await _both_paths(state, include_secrets=True)
    assert_same_records(built, composed)


class _FullDisk:
    """An output whose disk fills up at the first write."""

    def __init__(self) -> None:
        self.aborted = False

    def write(self, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    def commit(self) -> None:
        raise AssertionError("a failed export is never committed")

    def abort(self) -> None:
        self.aborted = True


async def test_a_failed_write_stops_the_statement_and_the_next_export_works(
    state: AppState, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The write fails while the database is still composing lines (one-line blocks, a queue of
    one): the statement is stopped, the failure is audited, and the connection is fine after."""
    await rich_population(state)
    monkeypatch.setattr(record_stream, "BLOCK_BYTES", 1)
    monkeypatch.setattr(record_stream, "SQLITE_ROWS_PER_FETCH", 1)
    monkeypatch.setattr(record_stream, "QUEUED_BLOCKS", 1)
    options = parse_export_options(include_secrets=True)
    full = _FullDisk()
    with pytest.raises(OSError, match="No space left"):
        await export_users(state.engine, options, full, ctx=state.accounts, actor="tests")
    assert full.aborted
    async with state.engine.connect() as conn:
        statuses = [d["status"] for d in (await conn.execute(sa.select(audit_log.c.details))).scalars()]
    assert statuses == ["failed"]
    out = tmp_path / "after.ndjson"
    summary = await export_users(state.engine, options, open_output(out), ctx=state.accounts, actor="tests")
    assert summary.users == len(out.read_bytes().splitlines()) > 10
