"""With no legacy system configured, the route API sends everyone to authshift (there is nowhere else)."""

from __future__ import annotations

import httpx


async def test_route_answers_authshift_when_no_legacy_system_is_configured(client: httpx.AsyncClient) -> None:
    for login_id in ("nobody@example.com", "someone", "+14155550100"):
        response = await client.get("/api/migration/v1/route", params={"login_id": login_id})
        assert response.status_code == 200, response.text
        assert response.json() == {"system": "authshift"}
    bad = await client.get("/api/migration/v1/route", params={"login_id": " "})
    assert bad.status_code in (400, 422)  # a bad login ID is still refused
