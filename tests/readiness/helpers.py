"""A mixed import whose users' readiness is known, and signing them in through the hosted login."""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from tests.oidc.helpers import REDIRECT_URI, follow_to_page, forms_of, pkce_pair, query_of, submit
from tests.passkeys.keys import MadePasskey, b64url
from tests.support.servers import run_cli

FIREBASE = {
    "hash": "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
    "salt": "42xEC+ixf3L2lw==",
}
FIREBASE_CONFIG = {
    "base64_signer_key": "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
    "base64_salt_separator": "Bw==", "rounds": 8, "mem_cost": 14,
}

BCRYPT, BCRYPT_PASSWORD = "$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq", "abcdefghijklmnopqrstuvwxyz"
RP_ID = "127.0.0.1"  # the test instance's [webauthn] rp_id: its issuer's host
PASSKEY_ONLY, PASSKEY_SECOND = MadePasskey.make(RP_ID), MadePasskey.make(RP_ID)
FOREIGN_PASSKEY = MadePasskey.make("legacy.example")  # refused at import: browsers never offer it here
PASSKEYS = {"passkey-only@mixed.example": PASSKEY_ONLY, "passkey-second@mixed.example": PASSKEY_SECOND,
            "foreign-passkey@mixed.example": FOREIGN_PASSKEY}
# what the readiness reason of these users says (their state alone does not tell what they lost)
REASONS = {
    "foreign-passkey@mixed.example": "must register a new passkey",
    "sms@mixed.example": "one-time codes by SMS and email are not asked at sign-in",
    "social@mixed.example": "signed in with google-oauth2 (a federated identity)",
}

# email -> (password or None, record fields, the readiness this import must give)
MIXED: dict[str, tuple[str | None, dict[str, Any], str | None]] = {
    "bcrypt@mixed.example": ("abcdefghijklmnopqrstuvwxyz",
                             {"password": {"hash": "$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq"}}, "ready"),
    "md5crypt@mixed.example": ("U*U*U*U*", {"password": {"hash": "$1$dXc3I7Rw$ctlgjDdWJLMT.qwHsWhXR1"}}, "ready"),
    "ssha@mixed.example": ("testing123", {"password": {"hash": "{SSHA}0c0blFTXXNuAMHECS4uxrj3ZieMoWImr"}}, "ready"),
    "firebase-inline@mixed.example": ("user1password", {"password": {
        "algorithm": "firebase_scrypt", **FIREBASE, "hash_config": FIREBASE_CONFIG}}, "ready"),
    # Named by the --hash-config file of the import only: whether sign-in finds its parameters
    # decides its readiness (the test checks that readiness and sign-in agree, whichever it is).
    "firebase-file@mixed.example": ("user1password", {"password": {
        "algorithm": "firebase_scrypt", **FIREBASE, "hash_config": "proj"}}, None),
    "hex@mixed.example": ("lètmein", {"password": {"hash": "88a434c88cca4e900f7874cd98123f43"}}, "unverified"),
    "sha1salt@mixed.example": ("lètmein", {"password": {"hash": "sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8"}},
                               "unverified"),
    # factors other than the password and TOTP (the passkeys' private keys: PASSKEYS)
    "passkey-only@mixed.example": (None, {"mfa": {"webauthn": [PASSKEY_ONLY.import_entry()]}}, "ready"),
    "passkey-second@mixed.example": (BCRYPT_PASSWORD, {"password": {"hash": BCRYPT},
                                                        "mfa": {"webauthn": [PASSKEY_SECOND.import_entry()]}}, "ready"),
    "foreign-passkey@mixed.example": (BCRYPT_PASSWORD, {"password": {"hash": BCRYPT}, "mfa": {"webauthn": [
        FOREIGN_PASSKEY.import_entry(rp_id="legacy.example")]}}, "ready"),
    "sms@mixed.example": (BCRYPT_PASSWORD, {"password": {"hash": BCRYPT},
                                            "mfa": {"phone_number": "+447700900123", "email": "sms@mixed.example"}}, "ready"),
    "social-password@mixed.example": (BCRYPT_PASSWORD, {"password": {"hash": BCRYPT}, "identities": [
        {"provider": "google-oauth2", "subject": "109876543210987654320"}]}, "ready"),
    "social@mixed.example": ("whatever it was", {"external_id": "google-oauth2|109876543210987654321", "identities": [
        {"provider": "google-oauth2", "subject": "109876543210987654321"}]}, "reset"),
    "lazy@mixed.example": ("whatever it was", {"password_migration": "lazy"}, "lazy"),
    "reset@mixed.example": ("whatever it was", {"password_migration": "reset"}, "reset"),
    "nothing@mixed.example": ("whatever it was", {}, "reset"),
}
BAD_LINE = {"email": "broken@mixed.example", "password": {"hash": "$2a$99$notarealbcrypthash"}}


def write_mixed(tmp_path: Path, *, bad: bool = True) -> tuple[Path, Path]:
    """The mixed export (and one bad record, last) and the --hash-config file it comes with."""
    users = tmp_path / "mixed.ndjson"
    lines = [json.dumps({"email": email, "given_name": "Imported", **fields}) for email, (_, fields, _) in MIXED.items()]
    if bad:
        lines.append(json.dumps(BAD_LINE))
    users.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "hash-config.json"
    config.write_text(json.dumps({"proj": FIREBASE_CONFIG}))
    return users, config


def readiness_json(env: dict[str, str], *args: str) -> dict[str, Any]:
    """``authshift migration readiness --json ARGS``, the real command."""
    result = run_cli(["migration", "readiness", "--json", *args], env)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def passkey_answer(key: MadePasskey, options: dict[str, Any], origin: str, sign_count: int = 1) -> str | None:
    """What ``navigator.credentials.get()`` answers (WebAuthn L3 §6.3.3, §7.2), made in Python with
    the passkey's private key: the credential JSON the page's script posts. None for a passkey of
    another RP ID than the options': a browser never offers it."""
    if key.rp_id != options["publicKey"]["rpId"]:
        return None
    client_data = json.dumps({"type": "webauthn.get", "challenge": options["publicKey"]["challenge"],
                              "origin": origin, "crossOrigin": False}).encode()
    flags = 0x01 | 0x04 | 0x08 | 0x10  # user present, user verified, backup eligible, backed up
    authenticator_data = (hashlib.sha256(key.rp_id.encode()).digest() + bytes([flags])
                          + sign_count.to_bytes(4, "big"))
    signature = key.private_key.sign(authenticator_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
    credential_id = b64url(key.credential_id)
    return json.dumps({"id": credential_id, "rawId": credential_id, "type": "public-key", "response": {
        "authenticatorData": b64url(authenticator_data), "clientDataJSON": b64url(client_data),
        "signature": b64url(signature), "userHandle": b64url(key.user_handle)}})


async def _use_passkey(http: httpx.AsyncClient, page: httpx.Response, key: MadePasskey, origin: str) -> httpx.Response:
    """On a sign-in page (first or second step), what its passkey button and script do."""
    (form,) = [f for f in forms_of(page.text) if f.method == "post" and f.action.endswith("/passkey")]
    options = await http.post(urljoin(str(page.url), form.action + "/options"),
                              headers={"X-CSRF-Token": form.fields["csrf_token"]})
    assert options.status_code == 200, options.text
    found = options.json()
    answer = passkey_answer(key, found, origin)
    if answer is None:
        return options  # nothing to post: the sign-in goes no further
    return await http.post(urljoin(str(page.url), form.action), data={
        **form.fields, "challenge_id": found["challengeId"], "credential": answer})


async def signs_in(http: httpx.AsyncClient, client_id: str, login_id: str, password: str | None,
                   passkey: MadePasskey | None = None, origin: str = "") -> bool:
    """A person at the hosted login page (a fresh browser): True when they reach the app with a
    code that gives tokens. With ``passkey`` (and the instance's WebAuthn ``origin``): the passkey
    signs in on its own when ``password`` is None, else it answers the second step."""
    http.cookies.clear()
    verifier, challenge = pkce_pair()
    authorize = "/oauth2/authorize?" + urllib.parse.urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI, "scope": "openid email",
        "state": "s", "code_challenge": challenge, "code_challenge_method": "S256",
    })
    page = await follow_to_page(http, str(http.base_url.join(authorize)), stop_prefix=REDIRECT_URI)
    assert not isinstance(page, str) and page.status_code == 200, page
    if password is None:
        assert passkey is not None
        resp = await _use_passkey(http, page, passkey, origin)
    else:
        resp = await submit(http, page, {"login_id": login_id, "password": password})
    if resp.status_code != 303:
        return False
    location = urljoin(str(resp.url), resp.headers["location"])
    if "/login/totp" in location:  # the second step
        if passkey is None:
            return False
        resp = await _use_passkey(http, await http.get(location), passkey, origin)
        if resp.status_code != 303:
            return False
        location = urljoin(str(resp.url), resp.headers["location"])
    landed = await follow_to_page(http, location, stop_prefix=REDIRECT_URI)
    if not isinstance(landed, str):
        return False
    tokens = await http.post("/oauth2/token", data={
        "grant_type": "authorization_code", "code": query_of(landed)["code"], "redirect_uri": REDIRECT_URI,
        "client_id": client_id, "code_verifier": verifier,
    })
    return tokens.status_code == 200
