"""``[migration] new_signups = "legacy"``: sign-up here is closed, and says where to go."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from authshift.app import create_app
from authshift.config import load_settings
from tests.pages.helpers import GOOD_PASSWORD, csrf_token
from tests.pages.test_signup import user_count


async def closed_app(settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, **extra: str) -> Any:
    for key, value in {**settings_env, "AUTHSHIFT_MIGRATION__NEW_SIGNUPS": "legacy", **extra}.items():
        monkeypatch.setenv(key, value)
    return create_app(load_settings())


@pytest.fixture
async def closed(settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app = await closed_app(settings_env, monkeypatch)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as c:
            yield app, c


async def test_closed_signup_explains_and_creates_nobody(closed: tuple[Any, httpx.AsyncClient]) -> None:
    app, client = closed
    page = await client.get("/signup")
    assert page.status_code == 200 and "Sign-up is not available here" in page.text
    assert 'name="password"' not in page.text
    token = csrf_token((await client.get("/forgot-password")).text)
    resp = await client.post("/signup", data={"csrf_token": token, "email": "new@example.com",
                                              "password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD})
    assert resp.status_code == 403 and "Sign-up is not available here" in resp.text
    assert await user_count(app) == 0


async def test_closed_signup_redirects_to_the_legacy_signup_url(
    settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = await closed_app(settings_env, monkeypatch, AUTHSHIFT_MIGRATION__LEGACY__SIGNUP_URL="https://old.example.com/register")
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as c:
            resp = await c.get("/signup")
            assert resp.status_code == 303 and resp.headers["location"] == "https://old.example.com/register"
            token = csrf_token((await c.get("/forgot-password")).text)
            posted = await c.post("/signup", data={"csrf_token": token, "email": "n@example.com",
                                                   "password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD})
            assert posted.status_code == 403 and 'href="https://old.example.com/register"' in posted.text
