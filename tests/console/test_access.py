"""Who gets into the console: operators sign in through the hosted login (authorization code +
PKCE); anyone else is refused with a 403 page; sessions are the console's own, short and ended by
sign-out or revocation; every change needs the CSRF token and is audited under the operator."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.console.conftest import Console, form_fields, sign_in_browser, sign_in_http
from tests.console.db import query

pytestmark = pytest.mark.browser


async def audit_entries(db_url: str) -> list[tuple[str, str]]:
    return [(actor, action) for actor, action in await query(db_url, "SELECT actor, action FROM audit_log ORDER BY at, id")]


async def test_operator_signs_in_in_a_browser_and_a_non_operator_is_refused(console: Console, browser_page: Any) -> None:
    page = browser_page
    await sign_in_browser(page, console.url, console.operator)
    await page.wait_for_url(f"{console.url}/console/")
    assert await page.get_by_role("heading", level=1).inner_text() == "Overview"
    assert f"Signed in as {console.operator}" in await page.locator(".signout").inner_text()
    nav = await page.get_by_role("navigation", name="Console").get_by_role("link").all_inner_texts()
    assert nav == ["Overview", "Imports", "Exports", "Users", "Integrations", "Audit log", "API"]
    cookies = {c["name"]: c for c in await page.context.cookies()}
    session = cookies["authshift_console"]
    assert session["httpOnly"] and session["sameSite"] == "Strict" and session["path"] == "/console"
    assert not session["secure"]  # the issuer is http://127.0.0.1 here

    await page.get_by_role("button", name="Sign out").click()
    assert "You have signed out of the console" in await page.get_by_role("status").inner_text()
    await page.goto(f"{console.url}/console/")  # the console asks for the password again
    assert "/login" in page.url

    await page.context.clear_cookies()
    await sign_in_browser(page, console.url, console.non_operator)
    assert "/console/callback" in page.url
    assert f"You are signed in as {console.non_operator}, who is not a console operator" in await page.get_by_role("alert").inner_text()


async def test_refused_over_http_with_403_and_nothing_shown(console: Console, db_url: str) -> None:
    client, answer = sign_in_http(console.url, console.non_operator)
    try:
        assert answer.status_code == 403
        assert "not a console operator" in answer.text and "Overview" not in answer.text
        assert client.get("/console/", follow_redirects=False).status_code == 303  # no session was made
    finally:
        client.close()
    assert ("console", "console.refused") in await audit_entries(db_url)


async def test_sign_in_is_pkce_through_the_hosted_login_and_audited(console: Console, db_url: str) -> None:
    with httpx.Client(base_url=console.url, timeout=30) as client:
        start = client.get("/console/login")
        assert start.status_code == 303
        authorize = httpx.URL(start.headers["location"])
        assert authorize.path == "/oauth2/authorize"
        params = dict(authorize.params)
        assert params["client_id"] == "authshift-console" and params["code_challenge_method"] == "S256"
        assert params["redirect_uri"] == f"{console.url}/console/callback"
        # A callback with a state this browser did not start is refused, and makes no session.
        forged = client.get("/console/callback", params={"code": "x", "state": "not-mine", "iss": console.url})
        assert forged.status_code == 400 and "does not belong to this sign-in" in forged.text
    client, answer = sign_in_http(console.url, console.operator)
    client.close()
    assert answer.url.path == "/console/"
    assert (f"console:{console.operator}", "console.signed_in") in await audit_entries(db_url)


async def test_changes_need_the_csrf_token_and_are_audited(console: Console, operator_http: httpx.Client, db_url: str) -> None:
    refused = operator_http.post("/console/logout", data={"csrf_token": "forged"})
    assert refused.status_code == 403 and "Nothing was changed" in refused.text
    assert operator_http.get("/console/").status_code == 200  # still signed in
    page = operator_http.get("/console/")
    done = operator_http.post("/console/logout", data=form_fields(page.text))  # the header's sign-out form
    assert done.status_code == 200 and "You have signed out of the console" in done.text
    assert (f"console:{console.operator}", "console.signed_out") in await audit_entries(db_url)
    assert operator_http.get("/console/", follow_redirects=False).status_code == 303


def test_revoking_the_role_ends_the_session_now(console: Console, operator_http: httpx.Client) -> None:
    revoked = console.cli("users", "revoke-console", console.operator)
    assert revoked.returncode == 0, revoked.stderr
    assert "may no longer use the console" in revoked.stdout
    answer = operator_http.get("/console/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login")
    again = console.cli("users", "grant-console", console.operator)
    assert "may now use the console" in again.stdout
    twice = console.cli("users", "grant-console", console.operator)
    assert "could already use the console" in twice.stdout
    missing = console.cli("users", "grant-console", "nobody@example.com")
    assert missing.returncode == 1 and "no user signs in with 'nobody@example.com'" in missing.stderr


def test_disabling_an_operator_shuts_the_console(console: Console, operator_http: httpx.Client) -> None:
    listed = json.loads(console.cli("users", "list", "--email", console.operator, "--json").stdout)
    assert console.cli("users", "disable", listed["users"][0]["id"]).returncode == 0
    answer = operator_http.get("/console/", follow_redirects=False)
    assert answer.status_code == 403 and "not a console operator" in answer.text


def test_an_unknown_id_or_page_is_a_page_saying_so_not_json(operator_http: httpx.Client) -> None:
    missing_job = operator_http.get("/console/imports/0190c0de-0000-7000-8000-000000000000")
    assert missing_job.status_code == 404 and missing_job.headers["content-type"].startswith("text/html")
    assert "import job" in missing_job.text.lower() and "Imports" in missing_job.text  # the console's layout
    nowhere = operator_http.get("/console/no-such-page")
    assert nowhere.status_code == 404 and "There is no console page here." in nowhere.text
    # the admin API keeps answering problem+json
    api = operator_http.get("/api/admin/v1/imports/0190c0de-0000-7000-8000-000000000000")
    assert api.headers["content-type"].startswith("application/problem+json")
