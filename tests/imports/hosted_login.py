"""An imported user signing in as a person does: the hosted login page (password, then the TOTP
page when the user has one), the authorization code, and the tokens it is exchanged for."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from authshift.state import AppState
from tests.oidc.helpers import REDIRECT_URI, new_client, pkce_pair, query_of, sign_in


async def signed_in_subject(http: httpx.AsyncClient, state: AppState, login_id: str, password: str, *,
                            totp_code: str | None = None) -> str:
    """Sign in through the hosted login with a fresh public client; returns the ID token's ``sub``."""
    app_client, _ = await new_client(state, public=True)
    verifier, challenge = pkce_pair()
    query = {"client_id": app_client.client_id, "redirect_uri": REDIRECT_URI, "response_type": "code",
             "scope": "openid email", "state": "st", "nonce": "n", "code_challenge": challenge,
             "code_challenge_method": "S256"}
    http.cookies.clear()
    landed = await sign_in(http, "/oauth2/authorize?" + urlencode(query), login_id, password, totp_code=totp_code)
    code = query_of(landed)["code"]
    tokens = await http.post("/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
        "client_id": app_client.client_id, "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.text
    keys = KeySet.import_key_set((await http.get("/.well-known/jwks.json")).json())
    return str(jwt.decode(tokens.json()["id_token"], keys).claims["sub"])
