"""Lazy migration against the real legacy Django app: users move on their next sign-in,
verified by the legacy system, with their password re-hashed natively."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa

from authshift.accounts import users as svc
from authshift.errors import Unavailable
from authshift.events.outbox import events
from authshift.storage.tables import passwords, users
from tests.legacy.django_legacy import DjangoLegacy
from tests.support.databases import table_counts

from .conftest import unique

pytestmark = pytest.mark.legacy


async def user_row(state: Any, user_id: Any) -> dict[str, Any]:
    async with state.engine.connect() as conn:
        row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).mappings().one()
        pw = (await conn.execute(sa.select(passwords).where(passwords.c.user_id == user_id))).mappings().first()
    return {**row, "password": dict(pw) if pw else None}


async def event_types(state: Any, user_id: Any) -> list[str]:
    async with state.engine.connect() as conn:
        q = sa.select(events.c.type).where(events.c.subject == str(user_id)).order_by(events.c.id)
        return list((await conn.execute(q)).scalars())


def legacy_user(legacy: DjangoLegacy, domain: str, **attrs: Any) -> dict[str, Any]:
    name = unique("u")
    email = f"{name}@{domain}"
    record = legacy.create_user(name, email, "legacy pass 1", hasher="md5", first_name="Ada", **attrs)
    return {"username": name, "email": email, "password": "legacy pass 1", "record": record}


async def test_a_legacy_user_in_a_migrate_cohort_becomes_an_authshift_user(state: Any, legacy: DjangoLegacy) -> None:
    person = legacy_user(legacy, "Move.Example", region="us", groups=["beta"])
    user_id = await state.legacy.login(person["email"].upper(), person["password"])
    assert user_id is not None
    row = await user_row(state, user_id)
    assert row["migration_state"] == "migrated" and row["source"] == "legacy"
    assert row["external_id"] == person["record"]["external_id"]
    assert row["given_name"] == "Ada" and row["groups"] == ["beta"] and row["custom_attributes"] == {"region": "us"}
    assert row["password"]["format"] == "argon2id" and row["password"]["value"].startswith("$argon2id$")
    assert "legacy pass 1" not in row["password"]["value"]
    assert await event_types(state, user_id) == ["user.created", "user.migrated"]
    async with state.engine.connect() as conn:
        assert await svc.find_user_id(conn, person["username"]) == user_id  # the username came along


async def test_a_username_sign_in_lands_in_the_cohort_of_the_users_email(state: Any, legacy: DjangoLegacy) -> None:
    person = legacy_user(legacy, "move.example")
    user_id = await state.legacy.login(person["username"], person["password"])
    assert user_id is not None
    assert (await user_row(state, user_id))["migration_state"] == "migrated"


async def test_wrong_password_or_unknown_user_migrates_nobody(state: Any, legacy: DjangoLegacy, db_url: str) -> None:
    person = legacy_user(legacy, "move.example")
    assert await state.legacy.login(person["email"], "not the password") is None
    assert await state.legacy.login(unique("ghost") + "@move.example", "whatever") is None
    counts = await table_counts(db_url)
    assert counts["users"] == 0 and counts["events"] == 0


async def test_a_legacy_cohort_keeps_the_user_on_the_legacy_system(state: Any, legacy: DjangoLegacy, db_url: str) -> None:
    stays = legacy_user(legacy, "stay.example", region="eu")  # "stay" comes before the eu cohort
    nobody = legacy_user(legacy, "elsewhere.example")  # no cohort matches: stays too
    assert await state.legacy.login(stays["email"], stays["password"]) is None
    assert await state.legacy.login(nobody["email"], nobody["password"]) is None
    assert (await table_counts(db_url))["users"] == 0


async def test_an_attribute_cohort_matches_the_record_the_legacy_system_returns(state: Any, legacy: DjangoLegacy) -> None:
    eu = legacy_user(legacy, "elsewhere.example", region="eu")
    user_id = await state.legacy.login(eu["username"], eu["password"])
    assert user_id is not None
    assert (await user_row(state, user_id))["custom_attributes"] == {"region": "eu"}


async def test_an_imported_user_without_a_password_is_verified_by_the_legacy_system(state: Any, legacy: DjangoLegacy) -> None:
    person = legacy_user(legacy, "stay.example")  # the cohort does not matter: the user is already ours
    async with state.engine.begin() as conn:
        imported = await svc.create_user(
            conn, {"email": person["email"], "source": "cognito", "external_id": unique("cog-")},
            ctx=state.accounts, migration_state="imported",
        )
    assert await state.legacy.login(person["email"], "wrong") is None
    assert (await user_row(state, imported))["password"] is None
    assert await state.legacy.login(person["email"], person["password"]) == imported
    row = await user_row(state, imported)
    assert row["migration_state"] == "migrated" and row["source"] == "cognito"
    assert row["password"]["value"].startswith("$argon2id$")
    assert (await event_types(state, imported))[-1] == "user.migrated"
    # a user with a password is the login path's business, not the legacy system's
    assert await state.legacy.login(person["email"], person["password"]) is None


async def test_two_simultaneous_first_sign_ins_make_one_user(state: Any, legacy: DjangoLegacy, db_url: str) -> None:
    person = legacy_user(legacy, "move.example")
    first, second = await asyncio.gather(
        state.legacy.login(person["email"], person["password"]), state.legacy.login(person["email"].upper(), person["password"])
    )
    assert first is not None and first == second
    assert (await table_counts(db_url))["users"] == 1


async def test_legacy_down_gives_try_again_and_writes_nothing(state: Any, legacy: DjangoLegacy, db_url: str) -> None:
    person = legacy_user(legacy, "move.example")
    legacy.stop()
    with pytest.raises(Unavailable) as raised:
        await state.legacy.login(person["email"], person["password"])
    assert "try again shortly" in raised.value.detail and raised.value.status == 503
    assert person["password"] not in str(raised.value.problem())
    counts = await table_counts(db_url)
    assert counts["users"] == 0 and counts["passwords"] == 0 and counts["events"] == 0
    legacy.start()
    await asyncio.sleep(1.1)  # the breaker (reset 1 s in the test configuration) lets a call through again
    assert await state.legacy.login(person["email"], person["password"]) is not None


async def test_claim_creates_the_legacy_user_without_a_password(state: Any, legacy: DjangoLegacy, db_url: str) -> None:
    person = legacy_user(legacy, "stay.example")
    claimed = await state.legacy.claim(person["email"])
    assert claimed is not None
    row = await user_row(state, claimed)
    assert row["migration_state"] == "imported" and row["source"] == "legacy" and row["password"] is None
    assert await state.legacy.claim(person["username"]) == claimed  # known here now: no second user
    assert await state.legacy.claim(unique("new") + "@example.com") is None  # unknown to the legacy system
    assert (await table_counts(db_url))["users"] == 1
    # the claimed user signs in later with the legacy password and becomes migrated
    assert await state.legacy.login(person["email"], person["password"]) == claimed
    assert (await user_row(state, claimed))["migration_state"] == "migrated"


async def test_claim_with_the_legacy_system_down_is_unavailable(state: Any, legacy: DjangoLegacy, db_url: str) -> None:
    legacy.stop()
    with pytest.raises(Unavailable):
        await state.legacy.claim(unique("x") + "@example.com")
    assert (await table_counts(db_url))["users"] == 0
