"""A user record rewritten as one Ory Kratos identity, with what could not be (``Unmapped``).

The shape is the one Kratos's admin API lists identities in (``include_credential``) and the one
``authshift import --format kratos`` reads (``migration/formats/kratos/reader.py``), so a passkey survives
authshift -> Kratos-shaped file -> authshift, and goes to Kratos with its identity:

- ``traits``: ``email``, ``phone``, ``username``; ``verifiable_addresses`` say which are verified;
  ``state`` is ``inactive`` for a disabled user; custom attributes go to ``metadata_admin``, and
  authshift's own facts (id, source, external_id, migration state) to ``metadata_admin.authshift``.
- ``credentials.webauthn.config``: every passkey (``credentials`` with ``id``, ``public_key`` — the
  COSE key, ``authenticator.aaguid``/``sign_count``, ``display_name``, ``added_at``,
  ``is_passwordless``) and the identity's ``user_handle``, each as Go's standard base64 of bytes.
  Kratos keeps one user handle per identity and no RP ID per passkey (they are for its configured
  RP ID): passkeys with another handle or RP ID than the first are reported, not written.
- ``credentials.password.config.hashed_password``: a self-describing hash string (with
  ``--include-secrets``); a hash that needs parameters is reported.
- ``credentials.totp.config.totp_url``: an ``otpauth://`` URI of the first TOTP factor (with
  ``--include-secrets``); recovery codes and email/SMS factors are reported.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from authshift.migration.formats.auth0.writer import Unmapped

__all__ = ["to_kratos_identity"]

# Self-describing hash strings Kratos verifies (hash/hash_comparator.go).
_KRATOS_HASH_PREFIXES = ("$argon2id$", "$argon2i$", "$2a$", "$2b$", "$2y$", "$pbkdf2-sha256$", "$pbkdf2-sha512$",
                         "$scrypt$", "$sha1$", "$sha256$", "$sha512$", "$md5$", "$ssha", "{SSHA")


def _std_b64(b64url: str) -> str:
    raw = base64.urlsafe_b64decode(b64url + "=" * (-len(b64url) % 4))
    return base64.b64encode(raw).decode()


def _webauthn(passkeys: list[Mapping[str, Any]], issues: list[Unmapped]) -> dict[str, Any] | None:
    if not passkeys:
        return None
    handle, rp_id = passkeys[0]["user_handle"], passkeys[0].get("rp_id")
    credentials = []
    for i, key in enumerate(passkeys):
        if key["user_handle"] != handle or key.get("rp_id") != rp_id:
            issues.append(Unmapped(f"mfa.webauthn[{i}]", "Kratos keeps one user handle and one RP ID per identity; "
                                                         "this passkey has another, so it was not written"))
            continue
        aaguid = uuid.UUID(key["aaguid"]).bytes if key.get("aaguid") else b""  # unknown model: empty, as Kratos keeps it
        credential: dict[str, Any] = {
            "id": _std_b64(key["credential_id"]), "public_key": _std_b64(key["public_key"]), "attestation_type": "none",
            "authenticator": {"aaguid": base64.b64encode(aaguid).decode(), "sign_count": key.get("sign_count") or 0,
                              "clone_warning": False},
            "is_passwordless": True,
        }
        if key.get("name"):
            credential["display_name"] = key["name"]
        if key.get("created_at"):
            credential["added_at"] = key["created_at"]
        credentials.append(credential)
    return {"type": "webauthn", "identifiers": [_std_b64(handle)],
            "config": {"credentials": credentials, "user_handle": _std_b64(handle)}}


def _totp_url(entry: Mapping[str, Any], label: str) -> str | None:
    if entry.get("uri"):
        return str(entry["uri"])
    if entry.get("encoding", "base32") != "base32" or not entry.get("secret"):
        return None
    query = {"secret": str(entry["secret"]).upper().rstrip("="), "issuer": "authshift",
             "algorithm": entry.get("algorithm", "SHA1"), "digits": entry.get("digits", 6), "period": entry.get("period", 30)}
    return f"otpauth://totp/authshift:{quote(label)}?{urlencode(query)}"


def _credentials(rec: Mapping[str, Any], issues: list[Unmapped]) -> dict[str, Any]:
    credentials: dict[str, Any] = {}
    password = rec.get("password")
    if password:
        value = password.get("hash") if isinstance(password, Mapping) else None
        if isinstance(value, str) and value.startswith(_KRATOS_HASH_PREFIXES):
            credentials["password"] = {"type": "password", "config": {"hashed_password": value}}
        else:
            issues.append(Unmapped("password", "Kratos imports self-describing hash strings only (argon2, bcrypt, "
                                               "pbkdf2, scrypt...); this hash needs parameters"))
    mfa = rec.get("mfa") or {}
    webauthn = _webauthn(list(mfa.get("webauthn") or []), issues)
    if webauthn:
        credentials["webauthn"] = webauthn
    for i, entry in enumerate(mfa.get("totp") or []):
        url = _totp_url(entry, str(rec.get("email") or rec.get("preferred_username") or rec["id"]))
        if i == 0 and url:
            credentials["totp"] = {"type": "totp", "config": {"totp_url": url}}
        else:
            issues.append(Unmapped(f"mfa.totp[{i}]", "Kratos keeps one TOTP factor, given by a base32 secret"))
    for key in ("recovery_codes", "recovery_code_hashes", "email", "phone_number"):
        if mfa.get(key):
            issues.append(Unmapped(f"mfa.{key}", "not written in the Kratos identity"))
    return credentials


def to_kratos_identity(rec: Mapping[str, Any]) -> tuple[dict[str, Any], list[Unmapped]]:
    """The Kratos identity of a record and what was left out."""
    issues: list[Unmapped] = []
    traits = {theirs: rec[ours] for ours, theirs in (("email", "email"), ("phone_number", "phone"),
                                                    ("preferred_username", "username")) if rec.get(ours)}
    addresses = [{"value": rec[ours], "verified": bool(rec.get(flag)), "via": via,
                  "status": "completed" if rec.get(flag) else "pending"}
                 for ours, flag, via in (("email", "email_verified", "email"), ("phone_number", "phone_number_verified", "sms"))
                 if rec.get(ours)]
    metadata = dict(rec.get("custom_attributes") or {})
    metadata["authshift"] = {k: rec[k] for k in ("id", "source", "external_id", "migration_state") if rec.get(k)}
    identity: dict[str, Any] = {
        "id": rec["id"], "schema_id": "default", "state": "inactive" if rec.get("disabled") else "active",
        "traits": traits, "verifiable_addresses": addresses, "metadata_admin": metadata,
        "credentials": _credentials(rec, issues),
    }
    for key in ("created_at", "updated_at"):
        if rec.get(key):
            identity[key] = rec[key]
    return identity, issues
