"""Sign-up over HTTP on both backends: the happy path, every policy failure, duplicates, CSRF."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from authshift.accounts import users
from authshift.events.outbox import events
from authshift.storage.tables import audit_log
from authshift.storage.tables import users as users_table
from tests.pages.helpers import GOOD_PASSWORD, csrf_token, field_errors, password_matches, submit


async def signup(client: httpx.AsyncClient, email: str, password: str = GOOD_PASSWORD, confirm: str | None = None,
                 **extra: str) -> httpx.Response:
    data = {"email": email, "password": password, "password_confirm": password if confirm is None else confirm, **extra}
    return await submit(client, "/signup", data)


async def user_count(app: Any) -> int:
    async with app.state.authshift.engine.connect() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(users_table))).scalar_one())


async def test_signup_creates_a_native_user_and_sends_them_to_login(client: httpx.AsyncClient, app: Any) -> None:
    page = await client.get("/signup")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'method="post"' in page.text and 'name="email"' in page.text and "At least 10 characters." in page.text
    assert page.headers["cache-control"] == "no-store" and page.headers["x-frame-options"] == "DENY"

    resp = await signup(client, "Grace.Hopper@Example.com", return_to="/authorize?client_id=abc&state=xyz")
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"] == "/login?return_to=%2Fauthorize%3Fclient_id%3Dabc%26state%3Dxyz&notice=signed_up"

    engine = app.state.authshift.engine
    async with engine.connect() as conn:
        user_id = await users.find_user_id(conn, "grace.hopper@example.com")
        assert user_id is not None
        user = await users.get_user(conn, user_id)
        created = (await conn.execute(sa.select(events.c.type, events.c.subject).where(events.c.type == "user.created"))).all()
        audit = (await conn.execute(sa.select(audit_log.c.action, audit_log.c.target))).all()
    assert user["email"] == "Grace.Hopper@Example.com" and user["email_verified"] is False
    assert user["migration_state"] == "native"
    assert created == [("user.created", str(user_id))]
    assert ("user.signed_up", str(user_id)) in audit
    assert await password_matches(engine, user_id, GOOD_PASSWORD)
    assert not await password_matches(engine, user_id, GOOD_PASSWORD + "x")


@pytest.mark.parametrize(
    ("email", "password", "confirm", "field", "message"),
    [
        ("", GOOD_PASSWORD, None, "email", "Enter your email address."),
        ("not-an-email", GOOD_PASSWORD, None, "email", "Enter a valid email address, like name@example.com."),
        ("a@" + "x" * 260 + ".com", GOOD_PASSWORD, None, "email", "An email address has at most 254 characters."),
        ("ann@example.com", "", None, "password", "Enter a password."),
        ("ann@example.com", "short1", None, "password", "Use at least 10 characters (this one has 6)."),
        ("ann@example.com", "y" * 200 + "Z" * 57, None, "password", "Use at most 256 characters."),
        ("ann@example.com", "password123", None, "password", "This password is too common and easy to guess; choose another."),
        ("ann@example.com", "ANN@example.com", None, "password", "Don't use your email address or username as your password."),
        ("ann@example.com", GOOD_PASSWORD, GOOD_PASSWORD + "!", "password_confirm", "The two passwords don't match."),
    ],
)
async def test_each_problem_is_shown_next_to_its_field(
    client: httpx.AsyncClient, app: Any, email: str, password: str, confirm: str | None, field: str, message: str
) -> None:
    resp = await signup(client, email, password, confirm)
    assert resp.status_code == 422
    assert field_errors(resp.text, field) == message
    assert 'aria-invalid="true"' in resp.text and 'role="alert"' in resp.text
    assert password not in resp.text or not password  # a typed password is never echoed back
    if field != "email" and email:
        assert f'value="{email}"' in resp.text  # the email is kept for the next try
    assert await user_count(app) == 0


async def test_several_problems_are_reported_together(client: httpx.AsyncClient, app: Any) -> None:
    resp = await signup(client, "nope", "abc", "abd")
    assert resp.status_code == 422
    assert field_errors(resp.text, "email") and field_errors(resp.text, "password") and field_errors(resp.text, "password_confirm")


async def test_policy_comes_from_settings(settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from authshift.app import create_app
    from authshift.config import load_settings

    for key, value in {**settings_env, "AUTHSHIFT_PASSWORD_POLICY__MIN_LENGTH": "16",
                       "AUTHSHIFT_PASSWORD_POLICY__REQUIRED_CLASSES": '["digit"]'}.items():
        monkeypatch.setenv(key, value)
    app = create_app(load_settings())
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as c:
            page = await c.get("/signup")
            assert "At least 16 characters. Include a digit." in page.text
            resp = await signup(c, "kim@example.com", GOOD_PASSWORD)  # 29 characters, no digit
            assert field_errors(resp.text, "password") == "Include a digit."
            assert (await signup(c, "kim@example.com", "short but 1 digit")).status_code == 303


async def test_duplicate_email_is_refused_clearly_without_a_second_account(client: httpx.AsyncClient, app: Any) -> None:
    assert (await signup(client, "lin@example.com")).status_code == 303
    again = await signup(client, "LIN@Example.COM", "another fine passphrase")
    assert again.status_code == 409
    assert "An account with this email already exists." in again.text
    assert 'href="/forgot-password"' in again.text and 'href="/login"' in again.text
    assert await user_count(app) == 1
    async with app.state.authshift.engine.connect() as conn:
        user_id = await users.find_user_id(conn, "lin@example.com")
    assert user_id and await password_matches(app.state.authshift.engine, user_id, GOOD_PASSWORD)


async def test_email_of_an_imported_user_cannot_be_signed_up(client: httpx.AsyncClient, app: Any) -> None:
    async with app.state.authshift.engine.begin() as conn:
        await users.create_user(conn, {"email": "old@example.com"}, ctx=app.state.authshift.accounts, migration_state="imported")
    assert (await signup(client, "old@example.com")).status_code == 409
    assert await user_count(app) == 1


async def test_csrf_token_missing_or_wrong_is_refused(client: httpx.AsyncClient, app: Any) -> None:
    data = {"email": "eve@example.com", "password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD}
    no_cookie = await client.post("/signup", data=data)  # no form fetched: no cookie, no token
    assert no_cookie.status_code == 403 and "This form has expired" in no_cookie.text
    page = await client.get("/signup")
    missing = await client.post("/signup", data=data)
    assert missing.status_code == 403
    wrong = await client.post("/signup", data={**data, "csrf_token": csrf_token(page.text)[:-2] + "xx"})
    assert wrong.status_code == 403
    # a token from another browser (another cookie) does not work with this one's cookie
    async with httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url)) as other:
        foreign = csrf_token((await other.get("/signup")).text)
    assert (await client.post("/signup", data={**data, "csrf_token": foreign})).status_code == 403
    assert await user_count(app) == 0
    assert (await client.post("/signup", data={**data, "csrf_token": csrf_token(page.text)})).status_code == 303


async def test_csrf_cookie_flags(client: httpx.AsyncClient) -> None:
    page = await client.get("/signup")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("authshift_csrf=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # the test issuer is http://
    again = await client.get("/forgot-password")
    assert "set-cookie" not in again.headers  # one cookie serves every form


@pytest.mark.parametrize("return_to", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
async def test_return_to_cannot_leave_the_site(client: httpx.AsyncClient, return_to: str) -> None:
    page = await client.get("/signup", params={"return_to": return_to})
    assert "evil" not in page.text and "javascript" not in page.text
    resp = await signup(client, f"{uuid.uuid4().hex[:8]}@example.com", return_to=return_to)
    assert resp.status_code == 303 and resp.headers["location"] == "/login?notice=signed_up"
