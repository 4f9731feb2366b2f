"""Passkeys through the admin API: created with a user, shown with it (never a secret: a public
key), replaced or removed with ``mfa``; one of another RP ID is refused with 422 and the reason."""

from __future__ import annotations

import httpx

from tests.passkeys.keys import MadePasskey

USERS = "/api/admin/v1/users"


async def test_passkeys_in_the_admin_api(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    first, second = MadePasskey.make("127.0.0.1"), MadePasskey.make("127.0.0.1")
    made = await client.post(USERS, json={"email": "pk@example.com", "mfa": {"webauthn": [first.import_entry(name="Key A")]}},
                             headers=admin_headers)
    assert made.status_code == 201, made.text
    user = made.json()
    (shown,) = user["mfa"]["webauthn"]
    assert shown["name"] == "Key A" and shown["public_key"] == first.import_entry()["public_key"]
    assert shown["rp_id"] == "127.0.0.1"  # absent: the configured RP ID (the issuer's host here)

    patched = await client.patch(f"{USERS}/{user['id']}", json={"mfa": {"webauthn": [second.import_entry(name="Key B")]}},
                                 headers=admin_headers)
    assert patched.status_code == 200, patched.text
    assert [p["name"] for p in patched.json()["mfa"]["webauthn"]] == ["Key B"]
    removed = await client.patch(f"{USERS}/{user['id']}", json={"mfa": None}, headers=admin_headers)
    assert "mfa" not in removed.json()

    foreign = await client.post(USERS, json={"email": "far@example.com", "mfa": {"webauthn": [
        MadePasskey.make("legacy.example").import_entry(rp_id="legacy.example")]}}, headers=admin_headers)
    assert foreign.status_code == 422, foreign.text
    (error,) = [e for e in foreign.json()["errors"] if e["path"] == "mfa.webauthn[0].rp_id"]
    assert "'legacy.example'" in error["message"] and "'127.0.0.1'" in error["message"]
