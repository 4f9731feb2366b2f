"""The hosted login against the real legacy Django app (issues #13 and #14):

- attempts answered "Please try again shortly" because the legacy system was down are not counted:
  a person who retries as told signs in once it is back, however many times they tried;
- an imported user whose second factor fails stays ``imported``: the legacy system verifying the
  password is not the whole sign-in."""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from authshift.accounts.totp import current_code
from authshift.accounts.users import create_user
from authshift.events.outbox import events
from authshift.storage.tables import users
from tests.legacy.django_legacy import DjangoLegacy
from tests.oidc.helpers import submit

from .conftest import unique

pytestmark = pytest.mark.legacy

PASSWORD = "legacy pass 1"
TOTP_SECRET = b"legacy users' totp!!"


async def _post_login(client: httpx.AsyncClient, login_id: str, password: str) -> httpx.Response:
    return await submit(client, await client.get("/login"), {"login_id": login_id, "password": password})


async def test_try_again_shortly_does_not_use_up_the_sign_in_budget(
    state: Any, client: httpx.AsyncClient, legacy: DjangoLegacy
) -> None:
    name = unique("retry")
    email = f"{name}@move.example"
    legacy.create_user(name, email, PASSWORD, hasher="md5")
    limit = state.settings.throttle.account_max_attempts
    legacy.stop()
    for _ in range(limit + 2):  # more than the account's budget from this address
        resp = await _post_login(client, email, PASSWORD)
        assert resp.status_code == 503 and "Please try again shortly" in resp.text
    legacy.start()
    await asyncio.sleep(1.1)  # the breaker (reset 1 s in the test configuration) lets a call through again
    resp = await _post_login(client, email, PASSWORD)
    assert resp.status_code == 303 and resp.headers["location"] == "/"


async def _migration(state: Any, user_id: uuid.UUID) -> tuple[str, list[str]]:
    async with state.engine.connect() as conn:
        migration_state = (await conn.execute(sa.select(users.c.migration_state).where(users.c.id == user_id))).scalar_one()
        via = (await conn.execute(
            sa.select(events.c.data).where(events.c.type == "user.migrated", events.c.subject == str(user_id))
        )).scalars().all()
    return migration_state, [d["via"] for d in via]


async def test_a_user_verified_by_the_legacy_system_stays_imported_until_the_second_factor_passes(
    state: Any, client: httpx.AsyncClient, legacy: DjangoLegacy
) -> None:
    name = unique("mfa")
    email = f"{name}@stay.example"  # the cohort does not matter: the user is already ours
    legacy.create_user(name, email, PASSWORD, hasher="md5")
    async with state.engine.begin() as conn:
        user_id = await create_user(conn, {  # imported without a hash (as from Cognito), with their authenticator
            "email": email, "source": "cognito", "external_id": unique("cog-"),
            "mfa": {"totp": [{"secret": base64.b32encode(TOTP_SECRET).decode()}]},
        }, ctx=state.accounts, migration_state="imported")

    resp = await _post_login(client, email, PASSWORD)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login/totp")
    totp_page = await client.get(resp.headers["location"])
    wrong = "000000" if current_code(TOTP_SECRET) != "000000" else "111111"
    assert (await submit(client, totp_page, {"code": wrong})).status_code == 400
    assert await _migration(state, user_id) == ("imported", [])
    assert "authshift_session" not in client.cookies

    done = await submit(client, totp_page, {"code": current_code(TOTP_SECRET)})
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert await _migration(state, user_id) == ("migrated", ["legacy"])
