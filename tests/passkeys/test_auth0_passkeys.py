"""Auth0 users with their authentication methods (the Management API's response, added to each
user of the export): a passkey with its public key signs in in Chromium's virtual authenticator;
methods that cannot be verified here are refused one by one, with the reason, and the user kept."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.passkeys.browser import signed_in_with_passkey
from tests.passkeys.keys import MadePasskey, b64url
from tests.support.servers import LiveServer, arun_cli

pytestmark = pytest.mark.browser

async def test_an_auth0_passkey_signs_in_and_what_cannot_be_verified_is_refused(
    localhost_server: LiveServer, origin: str, tmp_path: Path,
) -> None:
    key = MadePasskey.make("localhost")
    user = {
        "user_id": "auth0|65f1c0ffee0000000000abcd", "email": "auth0-passkey@example.com", "email_verified": True,
        "created_at": "2023-01-05T10:00:00.000Z",
        "authentication_methods": [
            {"id": "passkey|dev_1", "type": "passkey", "confirmed": True, "name": "iCloud Keychain",
             "key_id": b64url(key.credential_id), "public_key": base64.b64encode(key.cose_public_key()).decode(),
             "user_handle": b64url(key.user_handle), "relying_party_identifier": "localhost",
             "credential_device_type": "multi_device", "credential_backed_up": True, "transports": ["internal", "hybrid"],
             "created_at": "2024-04-01T08:00:00.000Z", "last_auth_at": "2024-06-01T08:00:00.000Z"},
            {"id": "webauthn-roaming|dev_2", "type": "webauthn-roaming", "confirmed": True, "name": "YubiKey",
             "key_id": b64url(b"no-public-key"), "created_at": "2024-04-02T08:00:00.000Z"},
            {"id": "totp|dev_3", "type": "totp", "confirmed": True, "created_at": "2024-04-03T08:00:00.000Z"},
            {"id": "sms|dev_4", "type": "phone", "confirmed": True, "phone_number": "+14155550123"},
        ],
    }
    export, report = tmp_path / "auth0.ndjson", tmp_path / "auth0-report.ndjson"
    export.write_text(json.dumps(user) + "\n")
    done = await arun_cli(["import", str(export), "--format", "auth0", "--report", str(report)], localhost_server.env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    (outcome,) = [json.loads(line) for line in report.read_text().splitlines() if line.strip()]
    assert outcome["outcome"] == "inserted", outcome
    warnings = {w["path"]: w["message"] for w in outcome["warnings"]}
    assert "no public_key, user_handle" in warnings["authentication_methods[1]"]
    assert "must register a new passkey" in warnings["authentication_methods[1]"]
    assert "does not export totp secrets" in warnings["authentication_methods[2]"]
    # the user's readiness says it too, until they register a new passkey
    reasons = {}
    for readiness in ("ready", "lazy", "reset", "unverified"):
        listed = await arun_cli(["migration", "readiness", "--readiness", readiness, "--json"], localhost_server.env)
        assert listed.returncode == 0, listed.stderr
        reasons.update({u["id"]: u["reason"] or "" for u in json.loads(listed.stdout)["users"]})
    assert "1 passkey(s)" in reasons[outcome["user_id"]] and "must register a new passkey" in reasons[outcome["user_id"]]

    async with signed_in_with_passkey(origin, key.devtools_credential()) as page:
        assert "auth0-passkey@example.com" in await page.content()
        await page.goto(f"{origin}/account")
        listed = await page.get_by_role("list", name="Your passkeys").inner_text()
        assert "iCloud Keychain" in listed and "YubiKey" not in listed
    shown = await arun_cli(["users", "get", outcome["user_id"]], localhost_server.env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["migration_state"] == "migrated"
