"""The domain model in the database: normalised login IDs, uniqueness, migration_state, ids."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from authshift.accounts import users as svc
from authshift.errors import Conflict
from authshift.events.outbox import events
from authshift.ids import uuid7
from authshift.storage.tables import identities, passwords, totp_factors, users


def test_uuid7_is_time_ordered() -> None:
    ids = [uuid7() for _ in range(1000)]
    assert ids == sorted(ids) and all(i.version == 7 for i in ids)


async def test_login_ids_stored_normalised_and_raw(app) -> None:
    state = app.state.authshift
    async with state.engine.begin() as conn:
        uid = await svc.create_user(
            conn, {"email": "ＡＢＣ@Example.COM", "preferred_username": "Straße", "phone_number": "+1 415-555-0100"},
            ctx=state.accounts,
        )
        rows = {r.kind: r for r in (await conn.execute(sa.select(identities).where(identities.c.user_id == uid)))}
    assert rows["email"].value == "abc@example.com" and rows["email"].raw == "ＡＢＣ@Example.COM"
    assert rows["preferred_username"].value == "strasse"
    assert rows["phone_number"].value == "+14155550100"
    async with state.engine.begin() as conn:
        assert await svc.find_user_id(conn, "abc@EXAMPLE.com") == uid
        assert await svc.find_user_id(conn, "STRASSE") == uid
        assert await svc.find_user_id(conn, "+1 (415) 555 0100") == uid
        assert await svc.find_user_id(conn, "nobody@example.com") is None


async def test_database_refuses_a_second_owner_of_a_login_id(app) -> None:
    """Even code that bypasses the service check cannot give one email to two users."""
    state = app.state.authshift
    async with state.engine.begin() as conn:
        await svc.create_user(conn, {"email": "one@x.com"}, ctx=state.accounts)
    with pytest.raises(IntegrityError):
        async with state.engine.begin() as conn:
            other = uuid7()
            now = sa.func.now()
            await conn.execute(users.insert().values(
                id=other, created_at=sa.func.current_timestamp(), updated_at=sa.func.current_timestamp(),
                disabled=False, custom_attributes={}, roles=[], groups=[], migration_state="native", source="default"))
            await conn.execute(identities.insert().values(
                id=uuid7(), user_id=other, kind="email", value="one@x.com", raw="one@x.com", verified=False,
                created_at=sa.func.current_timestamp()))
            del now


async def test_migration_state_is_constrained(app) -> None:
    state = app.state.authshift
    async with state.engine.begin() as conn:
        uid = await svc.create_user(conn, {"email": "s@x.com"}, ctx=state.accounts, migration_state="imported")
        assert (await svc.get_user(conn, uid))["migration_state"] == "imported"
    with pytest.raises(IntegrityError):
        async with state.engine.begin() as conn:
            await conn.execute(users.update().where(users.c.id == uid).values(migration_state="half"))


async def test_failed_create_writes_nothing(app) -> None:
    state = app.state.authshift
    async with state.engine.begin() as conn:
        await svc.create_user(conn, {"email": "taken@x.com"}, ctx=state.accounts)
    with pytest.raises(Conflict):
        async with state.engine.begin() as conn:
            await svc.create_user(conn, {"email": "new@x.com", "preferred_username": "u1"}, ctx=state.accounts)
            await svc.create_user(conn, {"email": "TAKEN@x.com"}, ctx=state.accounts)
    async with state.engine.begin() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(users))).scalar() == 1
        assert (await conn.execute(sa.select(sa.func.count()).select_from(events))).scalar() == 1


async def test_secrets_at_rest(app) -> None:
    state = app.state.authshift
    async with state.engine.begin() as conn:
        uid = await svc.create_user(
            conn, {"email": "m@x.com", "password": {"plaintext": "pw-123456"},
                   "mfa": {"totp": [{"secret": "JBSWY3DPEHPK3PXP", "encoding": "base32"}], "recovery_codes": ["abcd-efgh"]}},
            ctx=state.accounts,
        )
        pw = (await conn.execute(sa.select(passwords).where(passwords.c.user_id == uid))).one()
        totp = (await conn.execute(sa.select(totp_factors).where(totp_factors.c.user_id == uid))).one()
        dumped = str((await conn.execute(sa.text("SELECT * FROM recovery_codes"))).all())
    assert pw.format == "argon2id" and pw.value.startswith("$argon2id$") and "pw-123456" not in pw.value
    assert "JBSWY3DPEHPK3PXP" not in totp.secret_encrypted
    assert "abcd-efgh" not in dumped
    assert isinstance(uid, uuid.UUID)


async def test_password_left_in_legacy_system_is_kept_until_a_password_is_set(app) -> None:
    state = app.state.authshift
    async with state.engine.begin() as conn:
        uid = await svc.create_user(conn, {"email": "cog@x.com", "password_migration": "lazy"}, ctx=state.accounts,
                                    migration_state="imported")
        assert (await svc.get_user(conn, uid))["password_migration"] == "lazy"
        await svc.set_password(conn, uid, "a-new-password-1", ctx=state.accounts)
        assert "password_migration" not in await svc.get_user(conn, uid)
