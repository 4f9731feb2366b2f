"""The bulk writer stores rows exactly as SQLAlchemy's own insert does, on both backends."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from authshift.config import Settings
from authshift.storage.bulk import bulk_insert
from authshift.storage.tables import identities, users
from tests.imports.helpers import app_state


def user(uid: uuid.UUID, now: datetime, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {c.name: None for c in users.c}
    row.update(id=uid, created_at=now, updated_at=now, disabled=False, custom_attributes={}, roles=[], groups=[],
               migration_state="imported", source="default")
    row.update(extra)
    return row


async def test_bulk_rows_are_stored_like_sqlalchemy_rows(settings: Settings) -> None:
    now = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
    other = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC) + timedelta(hours=0)
    variants = [
        {},
        {"name": "Zoë", "address": {"country": "FR"}, "custom_attributes": {"tier": 3, "tags": ["a"], "none": None},
         "roles": ["admin"], "disabled": True, "last_login_at": other, "external_id": "ext-1"},
    ]
    async with app_state(settings) as state:
        bulk_ids, core_ids = [uuid.uuid4(), uuid.uuid4()], [uuid.uuid4(), uuid.uuid4()]
        async with state.engine.begin() as conn:
            await bulk_insert(conn, users, [user(i, now, **v) for i, v in zip(bulk_ids, variants, strict=False)])
            # external_id is unique per source: the SQLAlchemy copy gets a prefixed one, removed before comparing
            await conn.execute(users.insert(), [
                user(i, now, **{**v, "external_id": "x" + str(v["external_id"]) if v.get("external_id") else None})
                for i, v in zip(core_ids, variants, strict=False)
            ])
            ident = {"user_id": bulk_ids[0], "kind": "email", "value": "a@x.com", "raw": "A@x.com", "verified": True,
                     "created_at": now}
            await bulk_insert(conn, identities, [{"id": uuid.uuid4(), **ident}])
        async with state.engine.connect() as conn:
            for bulk_id, core_id in zip(bulk_ids, core_ids, strict=False):
                raw = {}
                for uid in (bulk_id, core_id):
                    stmt = sa.text("SELECT * FROM users WHERE id = :id").bindparams(sa.bindparam("id", type_=sa.Uuid))
                    raw[uid] = dict((await conn.execute(stmt, {"id": uid})).mappings().one())
                    raw[uid].pop("id")
                    if raw[uid]["external_id"]:
                        raw[uid]["external_id"] = raw[uid]["external_id"].removeprefix("x")
                assert raw[bulk_id] == raw[core_id]
            got = (await conn.execute(sa.select(identities))).mappings().one()
            assert got["created_at"] == now and got["user_id"] == bulk_ids[0] and got["verified"] is True


async def test_bulk_insert_rolls_back_with_its_transaction(settings: Settings) -> None:
    now = datetime.now(UTC)
    async with app_state(settings) as state:
        with pytest.raises(RuntimeError):
            async with state.engine.begin() as conn:
                await bulk_insert(conn, users, [user(uuid.uuid4(), now)])
                raise RuntimeError("abort")
        async with state.engine.connect() as conn:
            assert (await conn.execute(sa.select(sa.func.count()).select_from(users))).scalar_one() == 0
