"""Sign-up cannot be used to learn who has an account (``[signup] existing_email = "email_owner"``),
nor run without limit (``[signup] ip_max_attempts``), over HTTP on both backends."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from authshift.storage.tables import users as users_table
from tests.pages.helpers import GOOD_PASSWORD, outbox, submit

SIGNUP_LIMIT = 3


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    return {**settings_env, "AUTHSHIFT_SIGNUP__EXISTING_EMAIL": "email_owner",
            "AUTHSHIFT_SIGNUP__IP_MAX_ATTEMPTS": str(SIGNUP_LIMIT)}


async def signup(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await submit(client, "/signup", {"email": email, "password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD})


async def user_count(app: Any) -> int:
    async with app.state.authshift.engine.connect() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(users_table))).scalar_one())


async def test_a_taken_email_gets_the_answer_of_a_new_one_and_its_owner_an_email(client: httpx.AsyncClient, app: Any) -> None:
    first = await signup(client, "taken@example.com")
    again = await signup(client, "Taken@Example.com")
    fresh = await signup(client, "fresh@example.com")
    # what the person filling in the form sees is the same either way
    assert first.status_code == again.status_code == fresh.status_code == 303
    assert first.headers["location"] == again.headers["location"] == fresh.headers["location"]
    assert "/login?notice=signup_received" == again.headers["location"]
    landing = await client.get(again.headers["location"])
    assert "If it already has an account, we have emailed its owner." in landing.text
    assert await user_count(app) == 2  # no second account for the taken email
    mails = [m for m in await outbox(app.state.authshift.engine) if m["purpose"] == "signup_existing"]
    assert [m["to_address"] for m in mails] == ["Taken@Example.com"]
    assert "already has one" in mails[0]["body"] and "/forgot-password" in mails[0]["body"]
    assert GOOD_PASSWORD not in mails[0]["body"]


async def test_sign_ups_from_one_address_are_throttled(client: httpx.AsyncClient, app: Any) -> None:
    for i in range(SIGNUP_LIMIT):
        assert (await signup(client, f"person{i}@example.com")).status_code == 303
    refused = await signup(client, "one.more@example.com")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "Too many accounts were created from your network" in refused.text
    assert await user_count(app) == SIGNUP_LIMIT
