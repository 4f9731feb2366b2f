"""A client's exchanges are counted together (in the process first, then in the database)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authshift.oidc.clients import ClientSpec, create_client
from tests.support.legacy_tokens import LocalIssuer
from tests.token_exchange.helpers import (
    App,
    exchange_config,
    local_jwt_issuer,
    oauth_error,
)


@pytest.fixture
def exchange_toml(local: LocalIssuer) -> str:
    return exchange_config([local_jwt_issuer(local, on_unknown_user="create")], client_max_exchanges=3)


async def _client(app: Any, http: httpx.AsyncClient, admin: dict[str, str], name: str) -> App:
    async with app.state.authshift.engine.begin() as conn:
        registered, secret = await create_client(conn, ClientSpec(name=name, grant_types=["token-exchange"]))
    assert secret is not None
    return App(http, registered.client_id, secret, admin)


async def test_a_client_over_its_limit_is_slowed_down_and_others_are_not(
    app: Any, client: httpx.AsyncClient, admin_headers: dict[str, str], local: LocalIssuer
) -> None:
    mobile = await _client(app, client, admin_headers, "Mobile app")
    token = local.mint("user-1")
    assert (await mobile.exchange(token)).status_code == 200
    assert (await mobile.exchange(token)).status_code == 400  # a replay: failed attempts count too
    assert (await mobile.exchange(local.mint("user-2"))).status_code == 200
    throttled = await mobile.exchange(local.mint("user-3"))
    assert "too many" in oauth_error(throttled, "slow_down", 429)
    web = await _client(app, client, admin_headers, "Web app")
    assert (await web.exchange(local.mint("user-4"))).status_code == 200
