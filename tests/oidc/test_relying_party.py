"""A real relying party (Authlib's OAuth 2.0 client) against a real ``authshift serve``.

Configured only with the issuer URL, a client id (and secret) and a redirect URI, the client
discovers the endpoints, runs the authorization code flow with PKCE through the hosted login page
(a person's part is played by submitting the HTML form over HTTP), fetches, refreshes, revokes and
introspects tokens, reads userinfo, and verifies the ID token with the published JWKS.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.oidc.helpers import POST_LOGOUT_URI, REDIRECT_URI, query_of, sign_in
from tests.support.servers import LiveServer, run_cli

PASSWORD = "correct horse battery"


def cli_json(args: list[str], env: dict[str, str], stdin: str | None = None) -> dict[str, Any]:
    done = run_cli(args, env, input=stdin)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


async def test_authlib_client_signs_a_user_in(live_server: LiveServer, settings_env: dict[str, str]) -> None:
    env = {**settings_env, "AUTHSHIFT_PORT": str(live_server.port)}
    user = cli_json(["users", "create", "--email", "rp@example.com", "--password-stdin"], env, PASSWORD + "\n")
    app = cli_json(["clients", "create", "--name", "Example RP", "--redirect-uri", REDIRECT_URI,
                    "--post-logout-redirect-uri", POST_LOGOUT_URI], env)
    resource_server = cli_json(["clients", "create", "--name", "API", "--grant-type", "client_credentials",
                                "--scope", "api:read"], env)
    issuer = live_server.url

    async with AsyncOAuth2Client(
        app["client_id"], app["client_secret"], scope="openid profile email offline_access", redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    ) as rp, httpx.AsyncClient() as browser:
        meta = (await rp.request("GET", f"{issuer}/.well-known/openid-configuration", withhold_token=True)).json()
        assert meta["issuer"] == issuer
        verifier, nonce = generate_token(48), secrets.token_urlsafe(16)
        url, state = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)

        callback = await sign_in(browser, url, "rp@example.com", PASSWORD)
        assert query_of(callback)["state"] == state and query_of(callback)["iss"] == issuer
        token = await rp.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
        assert {"access_token", "refresh_token", "id_token"} <= set(token)

        keys = KeySet.import_key_set((await rp.request("GET", meta["jwks_uri"], withhold_token=True)).json())
        id_token = jwt.decode(token["id_token"], keys, algorithms=meta["id_token_signing_alg_values_supported"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": issuer}, aud={"essential": True, "value": app["client_id"]},
            nonce={"essential": True, "value": nonce}, sub={"essential": True, "value": user["id"]},
        ).validate(id_token.claims)
        assert id_token.claims["email"] == "rp@example.com"

        info = (await rp.get(meta["userinfo_endpoint"])).json()
        assert info["sub"] == user["id"] and info["email"] == "rp@example.com"

        old_refresh = token["refresh_token"]
        refreshed = await rp.refresh_token(meta["token_endpoint"])
        assert refreshed["refresh_token"] != old_refresh and refreshed["access_token"] != token["access_token"]
        assert (await rp.get(meta["userinfo_endpoint"])).status_code == 200

        async with AsyncOAuth2Client(resource_server["client_id"], resource_server["client_secret"]) as api:
            machine = await api.fetch_token(meta["token_endpoint"], grant_type="client_credentials", scope="api:read")
            assert machine["scope"] == "api:read" and "refresh_token" not in machine
            described = (await api.introspect_token(meta["introspection_endpoint"], token=refreshed["access_token"])).json()
            assert described["active"] is True and described["sub"] == user["id"] and described["client_id"] == app["client_id"]

            revoked = await rp.revoke_token(meta["revocation_endpoint"], token=refreshed["refresh_token"],
                                            token_type_hint="refresh_token")
            assert revoked.status_code == 200
            after = (await api.introspect_token(meta["introspection_endpoint"], token=refreshed["access_token"])).json()
            assert after == {"active": False}

        # A second sign-in for the same person needs no password (single sign-on), then RP-initiated logout.
        url, _ = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
        again = await browser.get(url)
        assert again.status_code == 302 and again.headers["location"].startswith(REDIRECT_URI + "?code=")
        logout = await browser.get(meta["end_session_endpoint"], params={
            "id_token_hint": token["id_token"], "post_logout_redirect_uri": POST_LOGOUT_URI, "state": "s1"})
        assert logout.status_code == 303 and logout.headers["location"] == f"{POST_LOGOUT_URI}?state=s1"
        after_logout = await browser.get(url)
        assert after_logout.status_code == 302 and after_logout.headers["location"].startswith("/login?")
    assert PASSWORD not in live_server.log() and app["client_secret"] not in live_server.log()
