"""The legacy IdP rotating its signing key is followed: the new kid is fetched once, and tokens
naming kids it never published cannot make authshift fetch its JWKS again within the floor."""

from __future__ import annotations

import base64
import json
import time

import pytest

from tests.legacy.oidc_idp import JWT_RESOURCE, LegacyIdP
from tests.support.servers import LiveServer
from tests.token_exchange.helpers import App, exchange_config, logged_events, oauth_error

pytestmark = [pytest.mark.legacy, pytest.mark.slow]

FLOOR_SECONDS = 4


@pytest.fixture
def exchange_toml(legacy_idp_fresh: LegacyIdP) -> str:
    return exchange_config([{
        "name": "legacy-jwt", "type": "jwt", "issuer": legacy_idp_fresh.issuer, "jwks_uri": legacy_idp_fresh.jwks_uri,
        "audiences": [JWT_RESOURCE], "jwks_min_refresh_seconds": FLOOR_SECONDS, "on_unknown_user": "create",
    }])


@pytest.mark.parametrize("backend", ["sqlite"])  # the JWKS cache is in the process: one backend is enough
async def test_key_rotation_is_followed_and_the_refresh_floor_holds(
    live_app: App, live_server: LiveServer, legacy_idp_fresh: LegacyIdP,
) -> None:
    idp, app = legacy_idp_fresh, live_app

    def fetches() -> int:
        return sum(1 for event in logged_events(live_server) if event.get("event") == "jwks fetched")

    first = await app.exchange(idp.sign_in("alice@legacy.example", "alice-password")["access_token"])
    assert first.status_code == 200, first.text
    fetched_at = time.monotonic()
    assert fetches() == 1
    old_kid = idp.signing_kid
    assert idp.rotate_keys(keep_old=False) != old_kid
    token = idp.sign_in("bob@legacy.example", "bob-password")["access_token"]
    time.sleep(max(0.0, FLOOR_SECONDS - (time.monotonic() - fetched_at)) + 0.2)
    second = await app.exchange(token)
    assert second.status_code == 200, second.text
    assert fetches() == 2  # the new kid, fetched once
    # a real token whose header names a kid the IdP never published: refused, no fetch (floor)
    carol = idp.sign_in("carol@legacy.example", "carol-password")["access_token"]
    header = {"alg": "RS256", "kid": "made-up", "typ": "at+jwt"}
    made_up = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode() + carol[carol.index("."):]
    for _ in range(5):
        assert "unknown key" in oauth_error(await app.exchange(made_up), "invalid_grant")
    assert fetches() == 2
    assert (await app.exchange(carol)).status_code == 200
