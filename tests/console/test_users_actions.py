"""The Users pages over HTTP: every way of finding a user, every action and what it did to the
stored user, the confirmation step of delete, CSRF, and unknown users."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.console.conftest import PASSWORD, Console, form_fields
from tests.console.db import query
from tests.console.population import AUTH0, LAZY, SHOP, TOTP, import_population


def user_id_of(client: httpx.Client, text: str) -> str:
    found = client.get("/console/users", params={"q": text})
    ids = re.findall(r'href="/console/users/([0-9a-f-]{36})"', found.text)
    assert len(ids) == 1, (text, found.text[-2000:])
    return ids[0]


@pytest.fixture
def population(console: Console, tmp_path: Path) -> None:
    import_population(console, tmp_path)


def test_search_by_every_kind_of_id(console: Console, operator_http: httpx.Client, population: None) -> None:
    uid = user_id_of(operator_http, TOTP)
    assert user_id_of(operator_http, TOTP.upper()) == uid  # normalised as the login page does
    assert user_id_of(operator_http, "+44 7700 900123") == uid  # the phone number, typed another way
    assert user_id_of(operator_http, "shop-totp") == uid  # the external id
    assert user_id_of(operator_http, uid) == uid
    assert user_id_of(operator_http, "shopper3") == user_id_of(operator_http, SHOP[3])  # a username
    none = operator_http.get("/console/users", params={"q": "nobody@example.com"})
    assert "0 users found" in none.text and "No user matches" in none.text
    listed = operator_http.get("/console/users", params={"state": "imported", "source": "auth0"})
    assert all(email in listed.text for email in AUTH0) and SHOP[0] not in listed.text


def test_actions_change_the_user_and_are_audited(console: Console, operator_http: httpx.Client, population: None,
                                                 db_url: str) -> None:
    import asyncio

    uid = user_id_of(operator_http, SHOP[1])
    page = operator_http.get(f"/console/users/{uid}")
    fields = form_fields(page.text)

    # Revoke sessions: the user signs in (a browser session), then every session of theirs ends.
    with httpx.Client(base_url=console.url, follow_redirects=True) as user:
        login = user.get("/login")
        user.post("/login", data={**form_fields(login.text), "login_id": SHOP[1], "password": PASSWORD})
    sessions = asyncio.run(query(db_url, "SELECT count(*) FROM sessions s JOIN identities i ON i.user_id = s.user_id "
                                         "WHERE i.value = :email AND s.revoked_at IS NULL", email=SHOP[1]))
    assert sessions[0][0] == 1
    done = operator_http.post(f"/console/users/{uid}/sessions/revoke", data=fields)
    assert "Every session of the user has ended" in done.text
    left = asyncio.run(query(db_url, "SELECT count(*) FROM sessions s JOIN identities i ON i.user_id = s.user_id "
                                     "WHERE i.value = :email AND s.revoked_at IS NULL", email=SHOP[1]))
    assert left[0][0] == 0

    # A password reset goes to the user's email address, through the outbox.
    done = operator_http.post(f"/console/users/{uid}/password-reset", data=fields)
    assert "A password reset link is on its way" in done.text
    mail = asyncio.run(query(db_url, "SELECT to_address, purpose FROM email_outbox"))
    assert [tuple(m) for m in mail] == [(SHOP[1], "password_reset")]

    # Delete: a POST without the confirmation page's field only shows that page; then it deletes.
    unconfirmed = operator_http.post(f"/console/users/{uid}/delete", data=fields)
    assert "Delete this user" in unconfirmed.text and unconfirmed.url.path == f"/console/users/{uid}/delete"
    assert operator_http.get(f"/console/users/{uid}").status_code == 200
    deleted = operator_http.post(f"/console/users/{uid}/delete", data={**fields, "confirm": "delete"})
    assert "The user is deleted" in deleted.text
    assert operator_http.get(f"/console/users/{uid}").status_code == 404

    audit = asyncio.run(query(db_url, "SELECT actor, action, target FROM audit_log WHERE actor LIKE 'console:%' "
                                      "AND action LIKE 'user.%' ORDER BY id"))
    assert [(a, b) for a, b, _ in audit] == [(f"console:{console.operator}", "user.sessions_revoked"),
                                            (f"console:{console.operator}", "user.password_reset_sent"),
                                            (f"console:{console.operator}", "user.deleted")]
    assert {t for _, _, t in audit} == {uid}
    history = operator_http.get("/console/audit", params={"user": uid})
    assert history.text.count(">user.sessions_revoked</a>") == 1 and SHOP[1] in history.text  # the deleted user's login ID


def test_no_change_without_the_csrf_token_or_for_unknown_users(console: Console, operator_http: httpx.Client,
                                                               population: None) -> None:
    uid = user_id_of(operator_http, LAZY)
    refused = operator_http.post(f"/console/users/{uid}/disable", data={"csrf_token": "forged"})
    assert refused.status_code == 403 and "Nothing was changed" in refused.text
    assert "Disable" in operator_http.get(f"/console/users/{uid}").text  # still enabled
    fields = form_fields(operator_http.get("/console/users").text)
    missing = "00000000-0000-7000-8000-000000000000"
    for path in (f"/console/users/{missing}", f"/console/users/not-an-id"):
        assert operator_http.get(path).status_code == 404
    assert operator_http.post(f"/console/users/{missing}/disable", data=fields).status_code == 404
    assert operator_http.post(f"/console/users/{missing}/delete", data={**fields, "confirm": "delete"}).status_code == 404
    lazy = operator_http.get(f"/console/users/{uid}")
    assert "password kept by the legacy system" in lazy.text and "lazy" in lazy.text
