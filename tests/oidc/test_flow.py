"""The authorization code flow through the hosted pages, over HTTP (ASGI), on both backends:
tokens and claims, SSO, prompt/max_age, PKCE, replays, refresh rotation, logout, CSRF, throttling."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet

from authshift.accounts.totp import current_code
from authshift.errors import Unavailable
from authshift.oidc.clients import Client
from authshift.state import AppState
from authshift.storage.tables import users
from tests.oidc.conftest import ACCOUNT_LIMIT
from tests.oidc.helpers import (
    POST_LOGOUT_URI,
    REDIRECT_URI,
    follow_to_page,
    new_client,
    new_user,
    only_form,
    pkce_pair,
    query_of,
    sign_in,
    submit,
)

PASSWORD = "correct horse battery"
ISSUER = "http://127.0.0.1:8000"
TOTP_SECRET = b"0123456789abcdefghij"


def authorize_url(client: Client, challenge: str | None = None, **params: str) -> str:
    query = {"client_id": client.client_id, "redirect_uri": REDIRECT_URI, "response_type": "code",
             "scope": "openid profile email offline_access", "state": "st-1", "nonce": "n-1"}
    if challenge:
        query.update(code_challenge=challenge, code_challenge_method="S256")
    query.update(params)
    return "/oauth2/authorize?" + urlencode({k: v for k, v in query.items() if v is not None})


async def exchange(http: httpx.AsyncClient, client: Client, code: str, verifier: str | None, secret: str | None = None,
                   **extra: str) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "client_id": client.client_id}
    if verifier:
        data["code_verifier"] = verifier
    if secret:
        data["client_secret"] = secret
    data.update(extra)
    return await http.post("/oauth2/token", data=data)


async def refresh(http: httpx.AsyncClient, client: Client, token: str, secret: str | None = None) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": token, "client_id": client.client_id}
    if secret:
        data["client_secret"] = secret
    return await http.post("/oauth2/token", data=data)


async def signed_in_tokens(state: AppState, http: httpx.AsyncClient, **user: Any) -> tuple[Client, dict[str, Any]]:
    user.setdefault("email", "ann@example.com")
    user.setdefault("password", PASSWORD)
    await new_user(state, **user)
    client, _ = await new_client(state, public=True)
    verifier, challenge = pkce_pair()
    final = await sign_in(http, authorize_url(client, challenge), user["email"], PASSWORD)
    resp = await exchange(http, client, query_of(final)["code"], verifier)
    assert resp.status_code == 200, resp.text
    return client, resp.json()


async def keyset(http: httpx.AsyncClient) -> KeySet:
    return KeySet.import_key_set((await http.get("/.well-known/jwks.json")).json())


async def introspect(http: httpx.AsyncClient, rs: tuple[Client, str | None], token: str) -> dict[str, Any]:
    resp = await http.post("/oauth2/introspect", data={"token": token}, auth=(rs[0].client_id, rs[1] or ""))
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


async def test_code_flow_tokens_and_claims(state: AppState, client: httpx.AsyncClient) -> None:
    http = client
    uid = await new_user(state, email="Ann@Example.com", password=PASSWORD, given_name="Ann", family_name="Lee",
                         phone_number="+14155550100", phone_number_verified=True, email_verified=True,
                         address={"country": "US", "locality": "SF"})
    app_client, _ = await new_client(state, public=True)
    verifier, challenge = pkce_pair()
    final = await sign_in(http, authorize_url(app_client, challenge, scope="openid profile email phone address offline_access"),
                          "ann@example.com", PASSWORD)
    q = query_of(final)
    assert final.startswith(REDIRECT_URI + "?") and q["state"] == "st-1" and q["iss"] == ISSUER
    resp = await exchange(http, app_client, q["code"], verifier)
    assert resp.status_code == 200 and resp.headers["cache-control"] == "no-store"
    tokens = resp.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 600 and "refresh_token" in tokens

    keys = await keyset(http)
    id_token = jwt.decode(tokens["id_token"], keys, algorithms=["RS256"])
    c = id_token.claims
    assert c["iss"] == ISSUER and c["aud"] == app_client.client_id and c["sub"] == str(uid) and c["nonce"] == "n-1"
    assert c["email"] == "Ann@Example.com" and c["email_verified"] is True and c["given_name"] == "Ann"
    assert c["phone_number"] == "+14155550100" and c["address"]["locality"] == "SF"
    assert c["amr"] == ["pwd"] and isinstance(c["auth_time"], int) and c["sid"]
    digest = hashlib.sha256(tokens["access_token"].encode()).digest()
    assert c["at_hash"] == base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")

    access = jwt.decode(tokens["access_token"], keys, algorithms=["RS256"])
    assert access.header["typ"] == "at+jwt"
    a = access.claims
    assert a["aud"] == app_client.client_id and a["client_id"] == app_client.client_id and a["sid"] == c["sid"]
    assert a["scope"] == "openid profile email phone address offline_access" and a["sub"] == str(uid)

    info = await http.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 200 and info.json()["sub"] == str(uid) and info.json()["family_name"] == "Lee"
    posted = await http.post("/oauth2/userinfo", data={"access_token": tokens["access_token"]})
    assert posted.json() == info.json()
    bad = await http.get("/oauth2/userinfo", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["www-authenticate"]
    async with state.engine.connect() as conn:
        assert (await conn.execute(sa.select(users.c.last_login_at).where(users.c.id == uid))).scalar() is not None


async def test_scopes_limit_the_claims(state: AppState, client: httpx.AsyncClient) -> None:
    await new_user(state, email="s@example.com", password=PASSWORD, given_name="S")
    app_client, secret = await new_client(state)
    final = await sign_in(client, authorize_url(app_client, scope="openid email"), "s@example.com", PASSWORD)
    tokens = (await exchange(client, app_client, query_of(final)["code"], None, secret)).json()
    claims = jwt.decode(tokens["id_token"], await keyset(client)).claims
    assert "email" in claims and "given_name" not in claims
    info = (await client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})).json()
    assert set(info) == {"sub", "email", "email_verified"}
    # A confidential client gets a refresh token without offline_access; a public one does not.
    assert "refresh_token" in tokens
    public, _ = await new_client(state, public=True)
    verifier, challenge = pkce_pair()
    final = await sign_in(client, authorize_url(public, challenge, scope="openid"), "s@example.com", PASSWORD)
    assert "refresh_token" not in (await exchange(client, public, query_of(final)["code"], verifier)).json()


async def test_single_sign_on_prompt_and_max_age(state: AppState, client: httpx.AsyncClient) -> None:
    await new_user(state, email="sso@example.com", password=PASSWORD)
    first, _ = await new_client(state, public=True, name="First")
    second, _ = await new_client(state, public=True, name="Second")
    _, challenge = pkce_pair()
    await sign_in(client, authorize_url(first, challenge), "sso@example.com", PASSWORD)

    direct = await client.get(authorize_url(second, challenge))
    assert direct.status_code == 302 and direct.headers["location"].startswith(REDIRECT_URI + "?code=")

    for forced in ({"prompt": "login"}, {"max_age": "0"}):
        page = await follow_to_page(client, authorize_url(second, challenge, **forced), stop_prefix=REDIRECT_URI)
        assert not isinstance(page, str) and page.url.path == "/login" and "Second" in page.text
        final = await sign_in(client, authorize_url(second, challenge, **forced), "sso@example.com", PASSWORD)
        assert "code" in query_of(final)  # a fresh sign-in satisfies the request: no loop

    client.cookies.clear()
    none = await client.get(authorize_url(first, challenge, prompt="none"))
    q = query_of(none.headers["location"])
    assert none.status_code == 302 and q["error"] == "login_required" and q["state"] == "st-1" and q["iss"] == ISSUER


@pytest.mark.parametrize("redirect_uri", ["http://127.0.0.1:9/callback/", "https://evil.example/callback", None])
async def test_unregistered_redirect_uri_is_never_redirected_to(
    state: AppState, client: httpx.AsyncClient, redirect_uri: str | None
) -> None:
    app_client, _ = await new_client(state, public=True)
    _, challenge = pkce_pair()
    resp = await client.get(authorize_url(app_client, challenge, redirect_uri=redirect_uri))  # type: ignore[arg-type]
    assert resp.status_code == 400 and "location" not in resp.headers
    assert "This sign-in request cannot be used" in resp.text
    unknown = await client.get(authorize_url(app_client, challenge, client_id="nope"))
    assert unknown.status_code == 400 and "location" not in unknown.headers


async def test_pkce_rules(state: AppState, client: httpx.AsyncClient) -> None:
    await new_user(state, email="p@example.com", password=PASSWORD)
    app_client, _ = await new_client(state, public=True)
    verifier, challenge = pkce_pair()
    for params, expected in (
        ({}, "PKCE is required"),
        ({"code_challenge": challenge, "code_challenge_method": "plain"}, "plain is not accepted"),
        ({"code_challenge": challenge}, "plain is not accepted"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "43 to 128"),
    ):
        resp = await client.get(authorize_url(app_client, **params))
        q = query_of(resp.headers["location"])
        assert q["error"] == "invalid_request" and expected in q["error_description"], q

    final = await sign_in(client, authorize_url(app_client, challenge), "p@example.com", PASSWORD)
    code = query_of(final)["code"]
    missing = await exchange(client, app_client, code, None)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_grant"
    wrong = await exchange(client, app_client, code, pkce_pair()[0])
    assert wrong.status_code == 400 and wrong.json() == {
        "error": "invalid_grant", "error_description": "code_verifier does not match the code_challenge"
    }
    other_uri = await exchange(client, app_client, code, verifier, redirect_uri="http://127.0.0.1:9/other")
    assert other_uri.json()["error"] == "invalid_grant"
    assert (await exchange(client, app_client, code, verifier)).status_code == 200


async def test_reused_code_revokes_the_tokens_issued_from_it(state: AppState, client: httpx.AsyncClient) -> None:
    await new_user(state, email="r@example.com", password=PASSWORD)
    app_client, _ = await new_client(state, public=True)
    rs = await new_client(state, name="API", grant_types=["client_credentials"], redirect_uris=[])
    verifier, challenge = pkce_pair()
    code = query_of(await sign_in(client, authorize_url(app_client, challenge), "r@example.com", PASSWORD))["code"]
    tokens = (await exchange(client, app_client, code, verifier)).json()
    assert (await introspect(client, rs, tokens["access_token"]))["active"] is True

    replay = await exchange(client, app_client, code, verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert await introspect(client, rs, tokens["access_token"]) == {"active": False}
    assert (await refresh(client, app_client, tokens["refresh_token"])).json()["error"] == "invalid_grant"
    info = await client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 401


async def test_refresh_rotation_and_replay_revokes_the_session(state: AppState, client: httpx.AsyncClient) -> None:
    app_client, tokens = await signed_in_tokens(state, client)
    first = await refresh(client, app_client, tokens["refresh_token"])
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != tokens["refresh_token"] and "id_token" in rotated
    narrower = await client.post("/oauth2/token", data={
        "grant_type": "refresh_token", "refresh_token": rotated["refresh_token"], "client_id": app_client.client_id,
        "scope": "openid offline_access"})
    assert narrower.status_code == 200 and narrower.json()["scope"] == "openid offline_access"
    latest = narrower.json()["refresh_token"]
    wider = await client.post("/oauth2/token", data={
        "grant_type": "refresh_token", "refresh_token": latest, "client_id": app_client.client_id, "scope": "openid phone"})
    assert wider.json()["error"] == "invalid_scope"

    replay = await refresh(client, app_client, tokens["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # The whole session is revoked: the latest refresh token, the access tokens and the browser session.
    assert (await refresh(client, app_client, latest)).json()["error"] == "invalid_grant"
    info = await client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {rotated['access_token']}"})
    assert info.status_code == 401
    _, challenge = pkce_pair()
    again = await client.get(authorize_url(app_client, challenge))
    assert again.status_code == 302 and again.headers["location"].startswith("/login?")


async def test_csrf_token_is_required_on_every_form(state: AppState, client: httpx.AsyncClient) -> None:
    await new_user(state, email="csrf@example.com", password=PASSWORD)
    page = await client.get("/login")
    form = only_form(page.text)
    assert form.fields["csrf_token"]
    for data in ({"login_id": "csrf@example.com", "password": PASSWORD},
                 {"login_id": "csrf@example.com", "password": PASSWORD, "csrf_token": "forged"}):
        resp = await client.post("/login", data=data)
        assert resp.status_code == 403 and "This form has expired" in resp.text
        assert "set-cookie" not in resp.headers or "authshift_session" not in resp.headers["set-cookie"]
    client.cookies.clear()  # the token belongs to the cookie it was made for
    resp = await client.post("/login", data={**form.fields, "login_id": "csrf@example.com", "password": PASSWORD})
    assert resp.status_code == 403
    for path in ("/login/totp", "/login/change-password"):
        assert (await client.post(path, data={"code": "123456"})).status_code == 403


async def test_failed_sign_in_pages_and_throttling(state: AppState, client: httpx.AsyncClient) -> None:
    await new_user(state, email="f@example.com", password=PASSWORD)
    await new_user(state, email="off@example.com", password=PASSWORD, disabled=True)
    page = await client.get("/login")
    bodies = []
    for login_id, password in (("f@example.com", "wrong"), ("nobody@example.com", "wrong"), ("off@example.com", PASSWORD)):
        resp = await submit(client, page, {"login_id": login_id, "password": password})
        assert resp.status_code == 400 and "The login ID or password is incorrect." in resp.text
        assert 'role="alert"' in resp.text
        bodies.append(resp.text.replace(login_id, "<id>"))
        assert "authshift_session" not in resp.headers.get("set-cookie", "")
    assert bodies[0] == bodies[1] == bodies[2]
    for _ in range(ACCOUNT_LIMIT - 1):
        await submit(client, page, {"login_id": "f@example.com", "password": "wrong"})
    throttled = await submit(client, page, {"login_id": "f@example.com", "password": PASSWORD})
    assert throttled.status_code == 429 and "The login ID or password is incorrect." in throttled.text


@pytest.mark.parametrize("issuer", ["http://127.0.0.1:8000", "https://auth.example.com"])
async def test_session_cookie_flags(state: AppState, app: Any, issuer: str) -> None:
    state.settings.issuer = issuer
    await new_user(state, email="cookie@example.com", password=PASSWORD)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=issuer) as browser:
        page = await browser.get("/login")
        resp = await submit(browser, page, {"login_id": "cookie@example.com", "password": PASSWORD})
    assert resp.status_code == 303
    cookie = next(c for c in resp.headers.get_list("set-cookie") if c.startswith("authshift_session="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path", "max-age"} <= attributes and "samesite=lax" in cookie.lower()
    assert ("secure" in attributes) is issuer.startswith("https://")


async def test_authorize_accepts_post(state: AppState, client: httpx.AsyncClient) -> None:
    app_client, _ = await new_client(state, public=True)
    _, challenge = pkce_pair()
    query = dict(httpx.URL(authorize_url(app_client, challenge)).params)
    resp = await client.post("/oauth2/authorize", data=query)
    assert resp.status_code == 302 and resp.headers["location"].startswith("/login?return_to=")
    repeated = await client.get(authorize_url(app_client, challenge) + "&scope=openid")
    assert query_of(repeated.headers["location"])["error"] == "invalid_request"


async def test_legacy_system_down_gives_a_clear_page(state: AppState, client: httpx.AsyncClient) -> None:
    class Down:
        async def login(self, login_id: str, password: str) -> None:
            raise Unavailable("the legacy system did not answer in time")

        async def claim(self, login_id: str) -> None:  # pragma: no cover - sign-in does not claim
            return None

        async def shadow(self, user_id: uuid.UUID, login_id: str, password: str) -> bool | None:
            return None  # no shadow verification: the local hash decides

    state.legacy = Down()
    page = await client.get("/login")
    resp = await submit(client, page, {"login_id": "someone@legacy.example", "password": "whatever it is"})
    assert resp.status_code == 503 and "Please try again shortly" in resp.text and "Nothing was changed" in resp.text
    assert "authshift_session" not in resp.headers.get("set-cookie", "")


async def test_totp_then_must_change_password_pages(state: AppState, client: httpx.AsyncClient) -> None:
    await new_user(state, email="t@example.com", password={"plaintext": PASSWORD, "must_change": True},
                   mfa={"totp": [{"secret": base64.b32encode(TOTP_SECRET).decode()}]})
    app_client, _ = await new_client(state, public=True)
    verifier, challenge = pkce_pair()
    login_page = await follow_to_page(client, authorize_url(app_client, challenge), stop_prefix=REDIRECT_URI)
    assert not isinstance(login_page, str)
    resp = await submit(client, login_page, {"login_id": "t@example.com", "password": PASSWORD})
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login/totp")
    totp_page = await client.get(resp.headers["location"])
    assert 'name="code"' in totp_page.text and 'autocomplete="one-time-code"' in totp_page.text
    wrong = await submit(client, totp_page, {"code": "000000"})
    assert wrong.status_code == 400 and 'role="alert"' in wrong.text
    resp = await submit(client, totp_page, {"code": current_code(TOTP_SECRET)})
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login/change-password")
    change_page = await client.get(resp.headers["location"])
    bad = await submit(client, change_page, {"password": "tiny", "password_confirm": "tiny"})
    assert bad.status_code == 422 and "At least 10" in bad.text
    done = await submit(client, change_page, {"password": "a much better one", "password_confirm": "a much better one"})
    assert done.status_code == 303
    final = await follow_to_page(client, done.headers["location"], stop_prefix=REDIRECT_URI)
    assert isinstance(final, str)
    tokens = (await exchange(client, app_client, query_of(final)["code"], verifier)).json()
    assert jwt.decode(tokens["id_token"], await keyset(client)).claims["amr"] == ["pwd", "otp", "mfa"]
    # Skipping the second step is impossible: the TOTP page needs the signed step cookie.
    client.cookies.clear()
    assert (await client.get("/login/totp")).headers["location"].startswith("/login")


async def test_rp_initiated_logout(state: AppState, client: httpx.AsyncClient) -> None:
    app_client, tokens = await signed_in_tokens(state, client)
    bad = await client.get("/oauth2/logout", params={"id_token_hint": tokens["id_token"],
                                                      "post_logout_redirect_uri": "https://evil.example/"})
    assert bad.status_code == 400 and "location" not in bad.headers
    resp = await client.get("/oauth2/logout", params={"id_token_hint": tokens["id_token"],
                                                       "post_logout_redirect_uri": POST_LOGOUT_URI, "state": "bye"})
    assert resp.status_code == 303 and resp.headers["location"] == POST_LOGOUT_URI + "?state=bye"
    assert (await refresh(client, app_client, tokens["refresh_token"])).json()["error"] == "invalid_grant"
    info = await client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 401
    _, challenge = pkce_pair()
    assert (await client.get(authorize_url(app_client, challenge))).headers["location"].startswith("/login?")


async def test_logout_without_hint_asks_first(state: AppState, client: httpx.AsyncClient) -> None:
    app_client, tokens = await signed_in_tokens(state, client)
    confirm = await client.get("/oauth2/logout")
    assert confirm.status_code == 200 and "Sign out?" in confirm.text
    assert (await client.get("/")).text.count("You are signed in") == 1
    assert (await client.post("/oauth2/logout", data={"csrf_token": "forged"})).status_code == 403
    done = await submit(client, confirm, {})
    assert done.status_code == 200 and "You have signed out" in done.text
    assert "You are not signed in" in (await client.get("/")).text
    assert (await refresh(client, app_client, tokens["refresh_token"])).json()["error"] == "invalid_grant"


async def test_client_credentials_introspection_and_revocation(state: AppState, client: httpx.AsyncClient) -> None:
    machine, secret = await new_client(state, name="Batch job", grant_types=["client_credentials"], redirect_uris=[],
                                       scopes=["api:read", "api:write"])
    rs = await new_client(state, name="Resource server", grant_types=["client_credentials"], redirect_uris=[])
    assert secret
    resp = await client.post("/oauth2/token", data={"grant_type": "client_credentials", "scope": "api:read"},
                             auth=(machine.client_id, secret))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["scope"] == "api:read" and "refresh_token" not in body and "id_token" not in body
    default = await client.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=(machine.client_id, secret))
    assert default.json()["scope"] == "api:read api:write"
    refused = await client.post("/oauth2/token", data={"grant_type": "client_credentials", "scope": "openid"},
                                auth=(machine.client_id, secret))
    assert refused.json()["error"] == "invalid_scope"

    active = await introspect(client, rs, body["access_token"])
    assert active["active"] is True and active["client_id"] == machine.client_id and active["scope"] == "api:read"
    assert active["sub"] == machine.client_id and active["token_type"] == "Bearer"
    # Only the token's client may revoke it; others are ignored with 200 (RFC 7009 2.2).
    assert (await client.post("/oauth2/revoke", data={"token": body["access_token"]},
                              auth=(rs[0].client_id, rs[1] or ""))).status_code == 200
    assert (await introspect(client, rs, body["access_token"]))["active"] is True
    revoked = await client.post("/oauth2/revoke", data={"token": body["access_token"], "token_type_hint": "access_token"},
                                auth=(machine.client_id, secret))
    assert revoked.status_code == 200
    assert await introspect(client, rs, body["access_token"]) == {"active": False}
    assert await introspect(client, rs, "not-a-token") == {"active": False}


async def test_refresh_token_revocation_and_introspection(state: AppState, client: httpx.AsyncClient) -> None:
    app_client, tokens = await signed_in_tokens(state, client)
    rs = await new_client(state, name="API", grant_types=["client_credentials"], redirect_uris=[])
    public_introspect = await client.post("/oauth2/introspect", data={"token": tokens["access_token"],
                                                                       "client_id": app_client.client_id})
    assert public_introspect.status_code == 401 and public_introspect.json()["error"] == "invalid_client"
    # A refresh token is described only to its own client.
    assert await introspect(client, rs, tokens["refresh_token"]) == {"active": False}
    resp = await client.post("/oauth2/revoke", data={"token": tokens["refresh_token"], "client_id": app_client.client_id})
    assert resp.status_code == 200
    assert (await refresh(client, app_client, tokens["refresh_token"])).json()["error"] == "invalid_grant"
    assert await introspect(client, rs, tokens["access_token"]) == {"active": False}


async def test_token_endpoint_errors_are_oauth_json(state: AppState, client: httpx.AsyncClient) -> None:
    public, _ = await new_client(state, public=True)
    confidential, secret = await new_client(state)
    assert secret

    async def error_of(resp: httpx.Response) -> tuple[int, str]:
        assert resp.headers["content-type"] == "application/json" and resp.headers["cache-control"] == "no-store"
        return resp.status_code, resp.json()["error"]

    assert await error_of(await client.post("/oauth2/token", data={"grant_type": "password", "client_id": public.client_id})) \
        == (400, "unsupported_grant_type")
    assert await error_of(await client.post("/oauth2/token", data={"client_id": public.client_id})) == (400, "invalid_request")
    assert await error_of(await client.post("/oauth2/token", data={"grant_type": "client_credentials",
                                                                   "client_id": public.client_id})) == (400, "unauthorized_client")
    basic = await client.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=(confidential.client_id, "wrong"))
    assert await error_of(basic) == (401, "invalid_client") and basic.headers["www-authenticate"].startswith("Basic")
    assert await error_of(await client.post("/oauth2/token", data={
        "grant_type": "authorization_code", "client_id": confidential.client_id})) == (401, "invalid_client")
    assert await error_of(await client.post("/oauth2/token", data={
        "grant_type": "authorization_code", "code": "x", "client_id": "unknown"})) == (401, "invalid_client")
    both = await client.post("/oauth2/token", data={"grant_type": "authorization_code", "client_secret": secret},
                             auth=(confidential.client_id, secret))
    assert await error_of(both) == (400, "invalid_request")
    as_json = await client.post("/oauth2/token", json={"grant_type": "authorization_code"})
    assert await error_of(as_json) == (400, "invalid_request")
    repeated = await client.post("/oauth2/token", content="grant_type=a&grant_type=b",
                                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert await error_of(repeated) == (400, "invalid_request")
    unknown_code = await client.post("/oauth2/token", data={"grant_type": "authorization_code", "code": "nope",
                                                            "redirect_uri": REDIRECT_URI},
                                     auth=(confidential.client_id, secret))
    assert await error_of(unknown_code) == (400, "invalid_grant")
