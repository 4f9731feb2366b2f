"""Auth0 authentication methods: what the Management API's ``GET /api/v2/users/{id}/authentication-methods``
returns for a user, read from the user's ``authentication_methods`` array (Auth0's user export has
no such column: the script that exports the users adds it, one API call per user).

Each method has a ``type``:

- ``passkey``, ``webauthn-platform``, ``webauthn-roaming``: a WebAuthn credential. ``key_id`` is the
  credential ID, ``public_key`` its public key (base64; a COSE key or DER SubjectPublicKeyInfo),
  ``user_handle``, ``relying_party_identifier`` (the RP ID), ``aaguid``, ``transports``,
  ``credential_backed_up``, ``name``, ``created_at``, ``last_auth_at``. One that lacks what a
  sign-in needs (its public key, its credential ID or its user handle), one never confirmed, or
  one whose key authshift cannot verify with, is refused with the reason, never imported as a
  passkey that could not work; the user is imported and registers a new one.
- ``phone`` and ``email``: kept as the user's SMS and email factors.
- ``totp`` and ``recovery-code``: Auth0 never returns their secrets; the user enrols again (said so).
- ``password``: the password itself, which the export's hash fields carry.
Anything else (``push``, ``webauthn`` of an unknown shape...) is reported and left out.
"""

from __future__ import annotations

from typing import Any

from authshift.migration.formats._mapping import RecordBuilder
from authshift.migration.formats._passkeys import PasskeyRefused, passkey_entry, refuse

__all__ = ["map_authentication_methods"]

WEBAUTHN_TYPES = frozenset({"passkey", "webauthn-platform", "webauthn-roaming"})


def _passkey(method: dict[str, Any], path: str, b: RecordBuilder) -> None:
    if method.get("confirmed") is False:
        refuse(b, path, "the enrolment was never confirmed in Auth0")
        return
    missing = [name for name in ("key_id", "public_key", "user_handle") if not method.get(name)]
    if missing:
        refuse(b, path, f"Auth0 gave no {', '.join(missing)}, without which the passkey cannot be verified here")
        return
    try:
        entry = passkey_entry(
            credential_id=method["key_id"], public_key=method["public_key"], user_handle=method["user_handle"],
            rp_id=method.get("relying_party_identifier"), transports=method.get("transports"),
            name=method.get("name"), created_at=method.get("created_at"), last_used_at=method.get("last_auth_at"),
            backed_up=method.get("credential_backed_up"), aaguid=method.get("aaguid"),
        )
    except (PasskeyRefused, ValueError) as exc:
        refuse(b, path, str(exc))
        return
    b.obj.setdefault("mfa", {}).setdefault("webauthn", []).append(entry)


def map_authentication_methods(raw: Any, b: RecordBuilder) -> None:
    """Add what the user's Auth0 authentication methods carry; report each one left out."""
    if not isinstance(raw, list):
        b.warn("authentication_methods", "expected a list; ignored")
        return
    for position, method in enumerate(raw):
        path = f"authentication_methods[{position}]"
        kind = method.get("type") if isinstance(method, dict) else None
        if kind in WEBAUTHN_TYPES:
            _passkey(method, path, b)
        elif kind == "phone" and isinstance(method.get("phone_number"), str):
            b.mfa("phone_number", method["phone_number"])
        elif kind == "email" and isinstance(method.get("email"), str):
            b.mfa("email", method["email"])
        elif kind in ("totp", "recovery-code"):
            if kind == "totp" and b.obj.get("mfa", {}).get("totp"):
                continue  # mfa_factors gave the secret
            b.warn(path, f"Auth0 does not export {kind} secrets; the user enrols again")
        elif kind != "password":
            b.warn(path, f"authentication method {kind!r} is not carried over")
