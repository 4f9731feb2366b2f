"""The Integrations page over HTTP against a real server, on SQLite and PostgreSQL: an OIDC
client and an admin key are created with their secret shown once and work, then deleted and
revoked; a webhook endpoint whose delivery died is redelivered; the token issuers are read from
configuration with no secret shown; every change is audited under the operator's name."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.console.conftest import Console, form_fields
from tests.console.db import query

pytestmark = pytest.mark.browser
ISSUER_SECRET = "hs256-issuer-secret-never-shown-0123456789"


@pytest.fixture
def settings_env(settings_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**settings_env, "AUTHSHIFT_DELIVERY__MAX_ATTEMPTS": "1", "AUTHSHIFT_DELIVERY__POLL_INTERVAL_SECONDS": "0.2",
            "AUTHSHIFT_MIGRATION__TOKEN_EXCHANGE__ISSUERS": (
                '[{"name": "legacy-web", "type": "jwt", "issuer": "https://legacy.example.com", '
                f'"algorithms": ["HS256"], "secret": "{ISSUER_SECRET}", "audiences": ["web"]}}]')}


def shown_secret(html: str) -> str:
    found = re.search(r'<code class="secret" data-secret="[^"]+">([^<]+)</code>', html)
    assert found, html[:2000]
    return found.group(1)


async def test_clients_keys_webhooks_and_issuers(console: Console, operator_http: httpx.Client) -> None:
    db = console.server.env["AUTHSHIFT_DATABASE_URL"]
    page = operator_http.get("/console/integrations")
    token = form_fields(page.text)
    assert "legacy-web" in page.text and "https://legacy.example.com" in page.text and ISSUER_SECRET not in page.text
    assert "the console&#39;s own" in page.text or "the console's own" in page.text  # its client cannot be deleted

    made = operator_http.post("/console/integrations/clients",
                              data={**token, "name": "Shop", "redirect_uris": "https://shop.example.com/cb"})
    assert made.status_code == 201 and "this once only" in made.text
    secret = shown_secret(made.text)
    (client_id,) = [c for (c,) in await query(db, "SELECT client_id FROM oauth_clients WHERE name = 'Shop'")]
    granted = httpx.post(f"{console.url}/oauth2/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert granted.status_code in (200, 400) and "invalid_client" not in granted.text  # the secret authenticates
    assert secret not in operator_http.get("/console/integrations").text  # shown once, never again
    gone = operator_http.post(f"/console/integrations/clients/{client_id}/delete", data=token)
    assert "The client was deleted" in gone.text
    assert await query(db, "SELECT client_id FROM oauth_clients WHERE name = 'Shop'") == []
    refused = operator_http.post("/console/integrations/clients/authshift-console/delete", data=token)
    assert refused.status_code == 409

    key_page = operator_http.post("/console/integrations/admin-keys", data={**token, "name": "ci"})
    key = shown_secret(key_page.text)
    assert httpx.get(f"{console.url}/api/admin/v1/users", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    key_id = key.split("_")[1]
    revoked = operator_http.post(f"/console/integrations/admin-keys/{key_id}/revoke", data=token)
    assert "The admin key was revoked" in revoked.text
    assert httpx.get(f"{console.url}/api/admin/v1/users", headers={"Authorization": f"Bearer {key}"}).status_code == 401

    hook = operator_http.post("/console/integrations/webhooks", data={
        **token, "url": "https://hooks.invalid/authshift", "event_types": "user.created"})
    assert hook.status_code == 201 and shown_secret(hook.text).startswith("whsec_")
    bad_hook = operator_http.post("/console/integrations/webhooks", data={**token, "url": "ftp://x"})
    assert bad_hook.status_code == 422 and 'role="alert"' in bad_hook.text
    console.create_user("new@example.com")  # user.created: its delivery fails (no such host) and, at 1 attempt, dies
    for _ in range(100):
        dead = await query(db, "SELECT id FROM deliveries WHERE state = 'dead'")
        if dead:
            break
        time.sleep(0.2)
    assert len(dead) == 1
    delivery_id = str(uuid.UUID(str(dead[0][0])))  # SQLite keeps it as 32 hex digits
    listed = operator_http.get("/console/integrations").text
    assert f"/console/integrations/deliveries/{delivery_id}/redeliver" in listed
    again = operator_http.post(f"/console/integrations/deliveries/{delivery_id}/redeliver", data=token)
    assert "queued again" in again.text

    actor = f"console:{console.operator}"
    audit = await query(db, "SELECT action FROM audit_log WHERE actor = :actor ORDER BY at", actor=actor)
    assert [a for (a,) in audit if a != "console.signed_in"] == ["client.created", "client.deleted", "admin_key.created", "admin_key.revoked",
                                     "webhook.created", "delivery.redelivered"]
