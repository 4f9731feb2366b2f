"""Issue #13: an imported user becomes ``migrated`` only when the whole sign-in succeeds. A user
whose second factor fails stays ``imported`` (and no ``user.migrated`` is sent), through the real
hosted login pages, on both backends."""

from __future__ import annotations

import base64
import uuid

import bcrypt
import httpx
import sqlalchemy as sa

from authshift.accounts.totp import current_code
from authshift.events.outbox import events
from authshift.state import AppState
from authshift.storage.tables import users
from tests.oidc.helpers import new_user, submit

PASSWORD = "correct horse battery"
TOTP_SECRET = b"an imported 20B key!"


async def _state_and_events(state: AppState, user_id: uuid.UUID) -> tuple[str, list[dict]]:
    async with state.engine.connect() as conn:
        migration_state = (await conn.execute(sa.select(users.c.migration_state).where(users.c.id == user_id))).scalar_one()
        migrated = (await conn.execute(
            sa.select(events.c.data).where(events.c.type == "user.migrated", events.c.subject == str(user_id))
        )).scalars().all()
    return migration_state, list(migrated)


async def test_a_wrong_second_factor_leaves_the_user_imported(state: AppState, client: httpx.AsyncClient) -> None:
    legacy_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    uid = await new_user(state, email="mfa@example.com", password={"hash": legacy_hash}, _state="imported", source="auth0",
                         mfa={"totp": [{"secret": base64.b32encode(TOTP_SECRET).decode()}]})
    login_page = await client.get("/login")
    resp = await submit(client, login_page, {"login_id": "mfa@example.com", "password": PASSWORD})
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login/totp")
    totp_page = await client.get(resp.headers["location"])
    for wrong in ("000000", "123456"):
        failed = await submit(client, totp_page, {"code": wrong if wrong != current_code(TOTP_SECRET) else "999999"})
        assert failed.status_code == 400
    # the password was right, the second factor was not: not migrated, nothing announced
    assert await _state_and_events(state, uid) == ("imported", [])
    assert "authshift_session" not in client.cookies

    ok = await submit(client, totp_page, {"code": current_code(TOTP_SECRET)})
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    migration_state, migrated = await _state_and_events(state, uid)
    assert migration_state == "migrated" and len(migrated) == 1 and migrated[0]["via"] == "password"


async def test_without_a_second_factor_the_password_completes_the_migration(state: AppState, client: httpx.AsyncClient) -> None:
    legacy_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    uid = await new_user(state, email="plain@example.com", password={"hash": legacy_hash}, _state="imported", source="auth0")
    login_page = await client.get("/login")
    wrong = await submit(client, login_page, {"login_id": "plain@example.com", "password": "not the password"})
    assert wrong.status_code == 400 and await _state_and_events(state, uid) == ("imported", [])
    ok = await submit(client, login_page, {"login_id": "plain@example.com", "password": PASSWORD})
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    migration_state, migrated = await _state_and_events(state, uid)
    assert migration_state == "migrated" and [m["via"] for m in migrated] == ["password"]
