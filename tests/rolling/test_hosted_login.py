"""Legacy users sign in through authshift's hosted login page (a real ``authshift serve``, the
form posted over HTTP with its CSRF token) and leave as authshift users with OIDC tokens."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import sqlalchemy as sa

from authshift.storage.db import create_engine
from authshift.storage.tables import passwords, users
from tests.legacy.django_legacy import DjangoLegacy
from tests.oidc.helpers import REDIRECT_URI, only_form, pkce_pair, query_of, sign_in
from tests.support.servers import LiveServer, run_cli

from .conftest import unique

pytestmark = [pytest.mark.legacy, pytest.mark.slow]


@pytest.fixture
async def browser(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:
        yield http


def admin_headers(settings_env: dict[str, str]) -> dict[str, str]:
    made = run_cli(["admin-keys", "create", "--name", "tests"], settings_env)
    assert made.returncode == 0, made.stderr
    return {"Authorization": f"Bearer {json.loads(made.stdout)['key']}"}


async def stored(db_url: str, user_id: str) -> dict[str, Any]:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            user = (await conn.execute(sa.select(users).where(users.c.id == uuid.UUID(user_id)))).mappings().one()
            pw = (await conn.execute(sa.select(passwords).where(passwords.c.user_id == uuid.UUID(user_id)))).mappings().first()
            return {**user, "password": dict(pw) if pw else None}
    finally:
        await engine.dispose()


async def user_count(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(sa.select(sa.func.count()).select_from(users))).scalar_one())
    finally:
        await engine.dispose()


def claims_of(jwt: str) -> dict[str, Any]:
    payload = jwt.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


async def post_login_form(browser: httpx.AsyncClient, login_id: str, password: str) -> httpx.Response:
    page = await browser.get("/login")
    assert page.status_code == 200
    form = only_form(page.text)
    assert form.fields.get("csrf_token") or any("csrf" in name for name in form.fields)
    return await browser.post(form.action or "/login", data={**form.fields, "login_id": login_id, "password": password})


async def test_a_legacy_user_signs_in_on_the_hosted_page_and_gets_tokens(
    browser: httpx.AsyncClient, live_server: LiveServer, settings_env: dict[str, str], legacy: DjangoLegacy, db_url: str
) -> None:
    name = unique("web")
    email = f"{name}@move.example"
    record = legacy.create_user(name, email, "django password", hasher="md5", first_name="Web")
    headers = admin_headers(settings_env)
    client = (await browser.post("/api/admin/v1/clients", headers=headers, json={
        "name": "Legacy app, new version", "redirect_uris": [REDIRECT_URI], "public": True,
    })).json()
    verifier, challenge = pkce_pair()
    authorize = "/oauth2/authorize?" + urlencode({
        "response_type": "code", "client_id": client["client_id"], "redirect_uri": REDIRECT_URI,
        "scope": "openid email profile", "state": secrets.token_urlsafe(8), "code_challenge": challenge,
        "code_challenge_method": "S256",
    })
    callback = await sign_in(browser, live_server.url + authorize, email, "django password")
    code = query_of(callback)["code"]
    tokens = (await browser.post("/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
        "client_id": client["client_id"], "code_verifier": verifier,
    })).json()
    claims = claims_of(tokens["id_token"])
    user = await stored(db_url, claims["sub"])
    assert user["migration_state"] == "migrated" and user["source"] == "legacy"
    assert user["external_id"] == record["external_id"] and user["given_name"] == "Web"
    assert user["password"]["format"] == "argon2id" and user["password"]["value"].startswith("$argon2id$")
    assert claims["email"] == email

    # the next sign-in is authshift's own: it works with the legacy system gone
    legacy.stop()
    browser.cookies.clear()
    again = await post_login_form(browser, email, "django password")
    assert again.status_code == 303


async def test_a_legacy_cohort_user_is_refused_here_and_routed_to_the_legacy_login(
    browser: httpx.AsyncClient, legacy: DjangoLegacy, db_url: str
) -> None:
    name = unique("stay")
    legacy.create_user(name, f"{name}@stay.example", "django password", hasher="md5")
    response = await post_login_form(browser, f"{name}@stay.example", "django password")
    assert response.status_code == 400 and "incorrect" in response.text
    route = await browser.get("/api/migration/v1/route", params={"login_id": f"{name}@stay.example"})
    assert route.json() == {"system": "legacy"}
    assert await user_count(db_url) == 0


async def test_the_legacy_system_down_shows_try_again_and_writes_nothing(
    browser: httpx.AsyncClient, settings_env: dict[str, str], legacy: DjangoLegacy, db_url: str
) -> None:
    name = unique("down")
    legacy.create_user(name, f"{name}@move.example", "django password", hasher="md5")
    native = unique("native") + "@example.com"
    created = await browser.post("/api/admin/v1/users", headers=admin_headers(settings_env),
                                 json={"email": native, "password": "a native password"})
    assert created.status_code == 201
    legacy.stop()
    response = await post_login_form(browser, f"{name}@move.example", "django password")
    assert response.status_code == 503 and "try again shortly" in response.text
    assert "django password" not in response.text
    assert await user_count(db_url) == 1  # only the native user
    browser.cookies.clear()
    assert (await post_login_form(browser, native, "a native password")).status_code == 303  # ours still sign in
