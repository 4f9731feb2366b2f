"""FusionAuth users and their passkeys: the user import body (``--format fusionauth``) with the
``/api/webauthn/import`` body beside it (``--fusionauth-webauthn``), in the shapes FusionAuth
documents. The test makes the key pair, writes its public key as FusionAuth does (PEM), and the
person signs in with the passkey in Chromium's virtual authenticator, then with the password."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.passkeys.browser import NO_CONDITIONAL_UI, chromium_with_authenticator, signed_in_with_passkey
from tests.passkeys.keys import MadePasskey
from tests.support.servers import LiveServer, arun_cli, run_cli

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
USER_ID = "703fe2d2-2d39-4cb7-b76d-0b9918ed2457"


def fusionauth_passkey(user_id: str, rp_id: str = "localhost") -> MadePasskey:
    """FusionAuth's user handle is the UTF-8 text of the user's id (its WebAuthn API example)."""
    return MadePasskey(os.urandom(16), user_id.encode(), ec.generate_private_key(ec.SECP256R1()), rp_id)


def fusionauth_credential(key: MadePasskey, user_id: str, **extra: Any) -> dict[str, Any]:
    return {"algorithm": -7, "credentialId": base64.urlsafe_b64encode(key.credential_id).decode().rstrip("="),
            "displayName": "Chrome Touch ID", "name": "fa-user@example.com", "publicKey": key.spki_pem(),
            "relyingPartyId": key.rp_id, "signCount": 41, "transports": ["internal"], "userId": user_id,
            "insertInstant": 1668011701792, "lastUseInstant": 1668021630599, "discoverable": True, **extra}


def pbkdf2_user(email: str, user_id: str) -> dict[str, Any]:
    salt = os.urandom(16)
    derived = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), salt, 24000, 32)
    return {"id": user_id, "email": email, "verified": True, "active": True, "firstName": "Fay",
            "password": base64.b64encode(derived).decode(), "salt": base64.b64encode(salt).decode(),
            "factor": 24000, "encryptionScheme": "salted-pbkdf2-hmac-sha256", "insertInstant": 1668011000000}


def import_fusionauth(server: LiveServer, tmp_path: Path, users: list[dict[str, Any]],
                      credentials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    users_file, passkeys_file, report = tmp_path / "fa-users.json", tmp_path / "fa-webauthn.json", tmp_path / "fa.ndjson"
    users_file.write_text(json.dumps({"users": users}))
    passkeys_file.write_text(json.dumps({"credentials": credentials}))
    done = run_cli(["import", str(users_file), "--format", "fusionauth", "--fusionauth-webauthn", str(passkeys_file),
                    "--report", str(report)], server.env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    return [json.loads(line) for line in report.read_text().splitlines() if line.strip()]


async def test_a_fusionauth_user_keeps_the_passkey_and_the_password(localhost_server: LiveServer, origin: str,
                                                                    tmp_path: Path) -> None:
    key = fusionauth_passkey(USER_ID)
    elsewhere = fusionauth_passkey(USER_ID, rp_id="piedpiper.com")
    outcomes = import_fusionauth(localhost_server, tmp_path, [pbkdf2_user("fa-user@example.com", USER_ID)], [
        fusionauth_credential(key, USER_ID),
        fusionauth_credential(elsewhere, USER_ID, displayName="Old laptop"),
        fusionauth_credential(fusionauth_passkey("2b5f7c1e-0000-4000-8000-000000000001"),
                              "2b5f7c1e-0000-4000-8000-000000000001"),
    ])
    assert [o["outcome"] for o in outcomes] == ["inserted", "failed"], outcomes
    # the passkey of another RP ID is refused with its reason; the one of no user in the file fails
    refused = [w for w in outcomes[0]["warnings"] if w["path"].startswith("mfa.webauthn")]
    assert len(refused) == 1 and "'piedpiper.com'" in refused[0]["message"]
    assert "register a new passkey" in refused[0]["message"]
    assert outcomes[1]["errors"][0]["path"] == "webauthn.credentials[2]"
    assert "no user with id '2b5f7c1e-0000-4000-8000-000000000001'" in outcomes[1]["errors"][0]["message"]

    async with signed_in_with_passkey(origin, key.devtools_credential(sign_count=41)) as page:
        assert "fa-user@example.com" in await page.content()
        await page.goto(f"{origin}/account")
        listed = await page.get_by_role("list", name="Your passkeys").inner_text()
        assert "Chrome Touch ID" in listed and "Old laptop" not in listed

    # The FusionAuth PBKDF2 password signs in too, followed by the passkey as the second factor.
    async with chromium_with_authenticator() as tab:
        await tab.add_credential(key.devtools_credential(sign_count=50))
        page = tab.page
        await page.add_init_script(NO_CONDITIONAL_UI)
        await page.goto(f"{origin}/login")
        await page.get_by_label("Email, phone number or username").fill("fa-user@example.com")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in", exact=True).click()
        await page.get_by_role("button", name="Use a passkey").click()
        await page.wait_for_url(f"{origin}/")
        assert "fa-user@example.com" in await page.content()


async def test_the_admin_api_takes_the_fusionauth_passkeys_file(localhost_server: LiveServer, origin: str) -> None:
    """The same two files through ``POST /api/admin/v1/imports`` (parts ``file`` and
    ``fusionauth_webauthn``): the job's view shows no path, and the person signs in with the passkey."""
    user_id = "2d6b1a47-8c2e-4f0b-9a55-3c9d7e1f0a42"
    key = fusionauth_passkey(user_id)
    made = await arun_cli(["admin-keys", "create"], localhost_server.env)
    headers = {"Authorization": f"Bearer {json.loads(made.stdout)['key']}"}
    files = {"file": ("users.json", json.dumps({"users": [pbkdf2_user("fa-api@example.com", user_id)]})),
             "fusionauth_webauthn": ("webauthn.json", json.dumps({"credentials": [fusionauth_credential(key, user_id)]}))}
    async with httpx.AsyncClient(base_url=origin, timeout=30) as client:
        resp = await client.post("/api/admin/v1/imports", headers=headers, files=files, data={"format": "fusionauth"})
        assert resp.status_code == 202, resp.text
        for _ in range(300):
            job = (await client.get(f"/api/admin/v1/imports/{resp.json()['id']}", headers=headers)).json()
            if job["state"] not in ("queued", "running"):
                break
            await asyncio.sleep(0.1)
        assert job["state"] == "completed" and job["counts"]["inserted"] == 1, job
        assert "fusionauth_webauthn" not in job["options"]
        wrong = await client.post("/api/admin/v1/imports", headers=headers, files=files, data={"format": "auth0"})
        assert wrong.status_code == 422 and "only used with the fusionauth format" in wrong.text
    async with signed_in_with_passkey(origin, key.devtools_credential(sign_count=41)) as page:
        assert "fa-api@example.com" in await page.content()
