"""Imported passkeys sign in: the test makes a key pair, imports the user with the public key
(``mfa.webauthn``) through ``authshift import``, gives the browser's virtual authenticator the
private key (``WebAuthn.addCredential``: same credential ID, RP ID and user handle), and the person
signs in with it on the hosted login. A passkey made for another RP ID is refused at import, and a
browser holding one cannot sign in with it."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import bcrypt
import pytest

from tests.passkeys.browser import NO_CONDITIONAL_UI, chromium_with_authenticator
from tests.passkeys.keys import MadePasskey
from tests.support.servers import LiveServer, arun_cli, run_cli

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def import_users(server: LiveServer, tmp_path: Path, records: list[dict[str, object]]) -> list[dict[str, object]]:
    path, report = tmp_path / "users.ndjson", tmp_path / "report.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    done = run_cli(["import", str(path), "--report", str(report)], server.env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    return [json.loads(line) for line in report.read_text().splitlines() if line.strip()]


async def test_an_imported_passkey_signs_in(localhost_server: LiveServer, origin: str, tmp_path: Path) -> None:
    key = MadePasskey.make("localhost")
    outcomes = import_users(localhost_server, tmp_path, [
        {"email": "imported@example.com", "mfa": {"webauthn": [key.import_entry(sign_count=7, name="Old phone")]}},
    ])
    assert [o["outcome"] for o in outcomes] == ["inserted"], outcomes
    async with chromium_with_authenticator() as tab:
        await tab.add_credential(key.devtools_credential(sign_count=7))
        page = tab.page
        await page.add_init_script(NO_CONDITIONAL_UI)
        await page.goto(f"{origin}/login")
        await page.get_by_role("button", name="Use a passkey").click()
        await page.wait_for_url(f"{origin}/")
        assert "Signed in as" in await page.content() and "imported@example.com" in await page.content()
        await page.goto(f"{origin}/account")
        listed = await page.get_by_role("list", name="Your passkeys").inner_text()
        assert "Old phone" in listed and "last used" in listed
    user_id = str(outcomes[0]["user_id"])
    shown = await arun_cli(["users", "get", user_id], localhost_server.env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["migration_state"] == "migrated"

    # authshift -> authshift: exported, the user deleted, the export imported again: the same
    # browser passkey still signs in (its counter carried over: the authenticator's next is higher).
    exported = tmp_path / "export.ndjson"
    done = await arun_cli(["export", str(exported)], localhost_server.env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    (line,) = [json.loads(x) for x in exported.read_text().splitlines() if x.strip()]
    (passkey,) = line["mfa"]["webauthn"]
    assert passkey["credential_id"] == key.import_entry()["credential_id"]
    assert passkey["public_key"] == key.import_entry()["public_key"]
    assert passkey["user_handle"] == key.import_entry()["user_handle"]
    assert passkey["sign_count"] == 8 and passkey["rp_id"] == "localhost" and passkey["name"] == "Old phone"
    assert passkey["last_used_at"] and passkey["created_at"] == "2024-03-01T10:00:00Z"
    assert (await arun_cli(["users", "delete", user_id, "--yes"], localhost_server.env)).returncode == 0
    again = import_users(localhost_server, tmp_path, [line])
    assert [o["outcome"] for o in again] == ["inserted"], again
    async with chromium_with_authenticator() as tab:
        await tab.add_credential(key.devtools_credential(sign_count=8))
        page = tab.page
        await page.add_init_script(NO_CONDITIONAL_UI)
        await page.goto(f"{origin}/login")
        await page.get_by_role("button", name="Use a passkey").click()
        await page.wait_for_url(f"{origin}/")
        assert "imported@example.com" in await page.content()


async def test_a_signature_counter_that_goes_back_is_refused(localhost_server: LiveServer, origin: str,
                                                               tmp_path: Path) -> None:
    """WebAuthn L3 §7.2: a counter at or below the stored one is a signal, not proof; authshift
    refuses a non-zero counter strictly below it (zero and repeats: tests/passkeys/test_counters.py)."""
    cloned = MadePasskey.make("localhost")
    import_users(localhost_server, tmp_path, [
        {"email": "cloned@example.com", "mfa": {"webauthn": [cloned.import_entry(sign_count=100)]}},
    ])
    async with chromium_with_authenticator() as tab:
        await tab.add_credential(cloned.devtools_credential(sign_count=5))  # presents 6, below 100
        page = tab.page
        await page.add_init_script(NO_CONDITIONAL_UI)
        await page.goto(f"{origin}/login")
        await page.get_by_role("button", name="Use a passkey").click()
        alert = page.get_by_role("alert")
        await alert.wait_for()
        assert "could not be verified" in await alert.inner_text()
        assert "/login" in page.url


async def test_a_passkey_of_another_rp_id_is_refused(localhost_server: LiveServer, origin: str, tmp_path: Path) -> None:
    foreign = MadePasskey.make("legacy.example")
    outcomes = import_users(localhost_server, tmp_path, [
        {"email": "elsewhere@example.com", "password": {"hash": bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()},
         "mfa": {"webauthn": [foreign.import_entry(rp_id="legacy.example")]}},
    ])
    assert outcomes[0]["outcome"] == "inserted", json.dumps(outcomes)
    warning = next(w for w in outcomes[0]["warnings"] if w["path"] == "mfa.webauthn[0].rp_id")
    assert "'legacy.example'" in warning["message"] and "register a new passkey" in warning["message"]

    # The browser holds that passkey (made for legacy.example) and the user signs in here: nothing
    # is offered for localhost, and the password is not followed by a passkey step either.
    async with chromium_with_authenticator() as tab:
        await tab.add_credential(foreign.devtools_credential())
        page = tab.page
        await page.add_init_script(NO_CONDITIONAL_UI)
        await page.goto(f"{origin}/login")
        await page.get_by_role("button", name="Use a passkey").click()
        status = page.locator("#passkey-status")
        await status.wait_for(state="visible")
        assert "cancelled or timed out" in await status.inner_text()
        assert page.url.startswith(f"{origin}/login")
        await page.get_by_label("Email, phone number or username").fill("elsewhere@example.com")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in", exact=True).click()
        await page.wait_for_url(f"{origin}/")
        await page.goto(f"{origin}/account")
        assert "You have no passkeys yet." in await page.content()


async def test_a_kratos_identity_keeps_its_passkey(localhost_server: LiveServer, origin: str, tmp_path: Path) -> None:
    """Ory Kratos' identity shape (identity/credentials_webauthn.go: Go []byte, standard base64)."""
    key = MadePasskey.make("localhost")
    identity = {
        "id": "5b8c2b6c-3a4e-4a47-9d1e-0b6f1f1d2a11", "schema_id": "default", "state": "active",
        "traits": {"email": "kratos-user@example.com"},
        "verifiable_addresses": [{"value": "kratos-user@example.com", "verified": True, "via": "email"}],
        "credentials": {"webauthn": {"type": "webauthn", "identifiers": [], "config": {
            "user_handle": base64.b64encode(key.user_handle).decode(),
            "credentials": [{"id": base64.b64encode(key.credential_id).decode(),
                             "public_key": base64.b64encode(key.cose_public_key()).decode(),
                             "attestation_type": "none",
                             "authenticator": {"aaguid": base64.b64encode(bytes(16)).decode(), "sign_count": 2,
                                               "clone_warning": False},
                             "display_name": "YubiKey", "added_at": "2024-02-02T09:00:00Z", "is_passwordless": True}],
        }}},
        "created_at": "2023-05-01T00:00:00Z", "updated_at": "2024-02-02T09:00:00Z",
    }
    path, report = tmp_path / "kratos.json", tmp_path / "kratos-report.ndjson"
    path.write_text(json.dumps([identity]))
    done = await arun_cli(["import", str(path), "--format", "kratos", "--report", str(report)], localhost_server.env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [json.loads(x)["outcome"] for x in report.read_text().splitlines()] == ["inserted"]
    async with chromium_with_authenticator() as tab:
        await tab.add_credential(key.devtools_credential(sign_count=2))
        page = tab.page
        await page.add_init_script(NO_CONDITIONAL_UI)
        await page.goto(f"{origin}/login")
        await page.get_by_role("button", name="Use a passkey").click()
        await page.wait_for_url(f"{origin}/")
        assert "kratos-user@example.com" in await page.content()
        await page.goto(f"{origin}/account")
        assert "YubiKey" in await page.get_by_role("list", name="Your passkeys").inner_text()
