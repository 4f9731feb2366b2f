"""Forgot password and reset by emailed link (no SMTP: the link is read from email_outbox)."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa
import structlog.testing

from authshift.accounts import users
from authshift.accounts.reset_tables import password_reset_tokens
from authshift.events.outbox import events
from authshift.storage.tables import passwords as passwords_table
from authshift.storage.types import utcnow
from tests.pages.helpers import csrf_token, field_errors, outbox, password_matches, reset_link, submit

NEW_PASSWORD = "a brand new secret phrase"


async def make_user(app: Any, email: str = "ada@example.com", *, password: str | None = "old passphrase 123",
                    must_change: bool = False, **extra: Any) -> uuid.UUID:
    state = app.state.authshift
    rec: dict[str, Any] = {"email": email, **extra}
    if password:
        rec["password"] = {"plaintext": password, "must_change": must_change}
    async with state.engine.begin() as conn:
        return await users.create_user(conn, rec, ctx=state.accounts, migration_state="imported")


async def ask_reset(client: httpx.AsyncClient, login_id: str, **extra: str) -> httpx.Response:
    return await submit(client, "/forgot-password", {"login_id": login_id, **extra})


async def link_for(app: Any, client: httpx.AsyncClient, login_id: str, **extra: str) -> str:
    before = len(await outbox(app.state.authshift.engine))
    resp = await ask_reset(client, login_id, **extra)
    assert resp.status_code == 200, resp.text
    rows = await outbox(app.state.authshift.engine)
    assert len(rows) == before + 1
    return reset_link(rows[-1]["body"])


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


async def choose_password(client: httpx.AsyncClient, link: str, password: str = NEW_PASSWORD,
                          confirm: str | None = None) -> httpx.Response:
    page = await client.get(path_of(link))
    assert page.status_code == 200, page.text
    token = parse_qs(urlsplit(link).query)["token"][0]
    return_to = parse_qs(urlsplit(link).query).get("return_to", [""])[0]
    return await client.post("/reset-password", data={
        "csrf_token": csrf_token(page.text), "token": token, "return_to": return_to,
        "password": password, "password_confirm": password if confirm is None else confirm,
    })


async def test_round_trip_from_forgot_password_to_a_new_password(client: httpx.AsyncClient, app: Any) -> None:
    user_id = await make_user(app, "Ada@Example.com", must_change=True)
    engine = app.state.authshift.engine
    link = await link_for(app, client, "ADA@example.com", return_to="/authorize?client_id=c1")

    mail = (await outbox(engine))[-1]
    assert mail["to_address"] == "Ada@Example.com" and mail["status"] == "logged" and mail["purpose"] == "password_reset"
    assert mail["subject"] == "Reset your password" and "30 minutes" in mail["body"]
    assert link.startswith("http://127.0.0.1:8000/reset-password?token=")
    assert parse_qs(urlsplit(link).query)["return_to"] == ["/authorize?client_id=c1"]

    page = await client.get(path_of(link))
    assert 'name="password"' in page.text and page.headers["referrer-policy"] == "no-referrer"
    resp = await choose_password(client, link)
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"] == "/login?return_to=%2Fauthorize%3Fclient_id%3Dc1&notice=password_reset"

    assert await password_matches(engine, user_id, NEW_PASSWORD)
    assert not await password_matches(engine, user_id, "old passphrase 123")
    async with engine.connect() as conn:
        pw = (await conn.execute(sa.select(passwords_table).where(passwords_table.c.user_id == user_id))).mappings().one()
        kinds = [r.type for r in await conn.execute(sa.select(events.c.type).order_by(events.c.occurred_at, events.c.id))]
        user = await users.get_user(conn, user_id)
    assert pw["must_change"] is False and pw["format"] == "argon2id"
    assert kinds.count("password.changed") == 1
    assert user["email_verified"] is True  # the link went to this address and came back


async def test_a_link_works_once(client: httpx.AsyncClient, app: Any) -> None:
    await make_user(app)
    link = await link_for(app, client, "ada@example.com")
    assert (await choose_password(client, link)).status_code == 303
    page = await client.get(path_of(link))
    assert page.status_code == 400 and "expired or has already been used" in page.text
    token = parse_qs(urlsplit(link).query)["token"][0]
    again = await submit(client, "/reset-password", {"token": token, "password": "third passphrase here",
                                                       "password_confirm": "third passphrase here"},
                         form_path="/forgot-password")
    assert again.status_code == 400


async def test_an_expired_link_is_refused(client: httpx.AsyncClient, app: Any) -> None:
    user_id = await make_user(app)
    link = await link_for(app, client, "ada@example.com")
    async with app.state.authshift.engine.begin() as conn:
        await conn.execute(password_reset_tokens.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await client.get(path_of(link))).status_code == 400
    assert await password_matches(app.state.authshift.engine, user_id, "old passphrase 123")


async def test_a_password_change_voids_outstanding_links(client: httpx.AsyncClient, app: Any) -> None:
    user_id = await make_user(app)
    first = await link_for(app, client, "ada@example.com")
    second = await link_for(app, client, "ada@example.com")
    async with app.state.authshift.engine.begin() as conn:  # e.g. changed at sign-in, or by an admin
        await users.set_password(conn, user_id, "changed elsewhere 42", ctx=app.state.authshift.accounts)
    assert (await client.get(path_of(first))).status_code == 400
    # and a reset through one link voids the others
    third = await link_for(app, client, "ada@example.com")
    assert (await client.get(path_of(second))).status_code == 400
    fourth_resp = await ask_reset(client, "ada@example.com")
    assert fourth_resp.status_code == 200
    fourth = reset_link((await outbox(app.state.authshift.engine))[-1]["body"])
    assert (await choose_password(client, third)).status_code == 303
    assert (await client.get(path_of(fourth))).status_code == 400


async def test_unknown_login_id_gets_the_same_page_and_no_mail(client: httpx.AsyncClient, app: Any) -> None:
    await make_user(app, preferred_username="ada")

    def visible(page: str) -> str:
        return re.sub(r'name="csrf_token" value="[^"]+"', "", page).replace("nobody@example.com", "X").replace("ada@example.com", "X")

    known = await ask_reset(client, "ada@example.com")
    unknown = await ask_reset(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert visible(known.text) == visible(unknown.text)
    assert len(await outbox(app.state.authshift.engine)) == 1
    by_username = await ask_reset(client, "ADA")  # any login ID of the user works; the mail goes to the email
    assert by_username.status_code == 200
    rows = await outbox(app.state.authshift.engine)
    assert len(rows) == 2 and rows[-1]["to_address"] == "ada@example.com"


async def test_users_without_email_or_disabled_get_no_mail(client: httpx.AsyncClient, app: Any) -> None:
    await make_user(app, None, preferred_username="phoneless", phone_number="+14155550100")  # type: ignore[arg-type]
    await make_user(app, "off@example.com", disabled=True)
    for login_id in ("phoneless", "+1 415 555 0100", "off@example.com"):
        assert (await ask_reset(client, login_id)).status_code == 200
    assert await outbox(app.state.authshift.engine) == []


async def test_mail_is_rate_limited_per_user(client: httpx.AsyncClient, app: Any) -> None:
    await make_user(app)
    for _ in range(5):
        assert (await ask_reset(client, "ada@example.com")).status_code == 200
    assert len(await outbox(app.state.authshift.engine)) == 3  # password_reset.max_emails_per_window


async def test_new_password_must_meet_the_policy(client: httpx.AsyncClient, app: Any) -> None:
    user_id = await make_user(app, preferred_username="adalove")
    link = await link_for(app, client, "ada@example.com")
    for password, confirm, field, message in [
        ("tiny", None, "password", "Use at least 10 characters (this one has 4)."),
        ("qwertyuiop", None, "password", "This password is too common and easy to guess; choose another."),
        ("AdaLove", None, "password", "Use at least 10 characters (this one has 7)."),
        ("ada@example.com", None, "password", "Don't use your email address or username as your password."),
        (NEW_PASSWORD, NEW_PASSWORD.upper(), "password_confirm", "The two passwords don't match."),
    ]:
        resp = await choose_password(client, link, password, confirm)
        assert resp.status_code == 422
        assert field_errors(resp.text, field) == message
    assert await password_matches(app.state.authshift.engine, user_id, "old passphrase 123")
    assert (await choose_password(client, link)).status_code == 303  # the link survived the failed tries


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "../../etc/passwd" + "a" * 40])
async def test_bad_tokens_get_the_expired_page(client: httpx.AsyncClient, token: str) -> None:
    resp = await client.get("/reset-password", params={"token": token})
    assert resp.status_code == 400 and 'href="/forgot-password"' in resp.text


async def test_forgot_password_needs_a_login_id_and_csrf(client: httpx.AsyncClient, app: Any) -> None:
    await make_user(app)
    empty = await ask_reset(client, "   ")
    assert empty.status_code == 422 and field_errors(empty.text, "login_id") == "Enter your email address or username."
    assert (await client.post("/forgot-password", data={"login_id": "ada@example.com"})).status_code == 403
    link = await link_for(app, client, "ada@example.com")
    token = parse_qs(urlsplit(link).query)["token"][0]
    no_csrf = await client.post("/reset-password", data={"token": token, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert no_csrf.status_code == 403
    assert (await client.get(path_of(link))).status_code == 200  # still usable: nothing was changed


async def test_imported_user_without_password_can_set_one(client: httpx.AsyncClient, app: Any) -> None:
    user_id = await make_user(app, "cognito@example.com", password=None)
    link = await link_for(app, client, "cognito@example.com")
    assert (await choose_password(client, link)).status_code == 303
    assert await password_matches(app.state.authshift.engine, user_id, NEW_PASSWORD)


async def test_log_line_does_not_carry_the_token(client: httpx.AsyncClient, app: Any) -> None:
    await make_user(app)
    with structlog.testing.capture_logs() as logged:
        link = await link_for(app, client, "ada@example.com")
    token = parse_qs(urlsplit(link).query)["token"][0]
    mail_lines = [e for e in logged if e["event"].startswith("email not sent (no smtp.host configured)")]
    assert len(mail_lines) == 1 and "reset-password?token=[redacted]" in mail_lines[0]["text"]
    assert token not in repr(logged)
    async with app.state.authshift.engine.connect() as conn:
        stored = list((await conn.execute(sa.select(password_reset_tokens.c.token_hash))).scalars())
    assert len(stored) == 1 and token not in stored[0]


async def test_two_simultaneous_resets_with_one_link_set_one_password(client: httpx.AsyncClient, app: Any) -> None:
    user_id = await make_user(app)
    link = await link_for(app, client, "ada@example.com")
    page = await client.get(path_of(link))
    token = parse_qs(urlsplit(link).query)["token"][0]

    async def post(password: str) -> httpx.Response:
        return await client.post("/reset-password", data={
            "csrf_token": csrf_token(page.text), "token": token, "password": password, "password_confirm": password,
        })

    first, second = await asyncio.gather(post("first racer's passphrase"), post("second racer's passphrase"))
    assert sorted([first.status_code, second.status_code]) == [303, 400]
    winner = "first racer's passphrase" if first.status_code == 303 else "second racer's passphrase"
    assert await password_matches(app.state.authshift.engine, user_id, winner)
    async with app.state.authshift.engine.connect() as conn:
        changes = (await conn.execute(sa.select(sa.func.count()).select_from(events).where(events.c.type == "password.changed"))).scalar_one()
    assert changes == 1
