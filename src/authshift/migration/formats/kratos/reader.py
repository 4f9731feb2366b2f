"""Ory Kratos identities, as ``GET /admin/identities?include_credential=...`` returns them (a JSON
array) or one identity a line, and as ``POST /admin/identities`` imports them.

Read: ``id`` (external_id), ``state`` (``inactive`` -> disabled), ``traits`` (``email``,
``phone``/``phone_number``, ``username``; the rest become custom attributes), ``verifiable_addresses``
(verified flags), ``metadata_public``/``metadata_admin``, ``created_at``/``updated_at`` and the
credentials:

- ``password.config.hashed_password`` (argon2, bcrypt, pbkdf2...: whatever the passwords package
  identifies);
- ``totp.config.totp_url`` (an otpauth:// URI);
- ``lookup_secret.config.recovery_codes`` (``[{"code", "used_at"}]``: the unused codes);
- ``webauthn.config``: ``{"credentials": [{"id", "public_key", "attestation_type", "authenticator":
  {"aaguid", "sign_count", "clone_warning"}, "display_name", "added_at", "is_passwordless"}],
  "user_handle"}`` (Kratos ``identity/credentials_webauthn.go``: Go ``[]byte`` fields, so standard
  base64; ``public_key`` is the COSE key go-webauthn stores). Kratos keeps no RP ID per
  credential: they are for its configured one, so ``rp_id`` is left absent (authshift's
  ``[webauthn] rp_id``, which must then be Kratos's ``selfservice.methods.webauthn.config.rp.id``).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterator
from typing import Any, BinaryIO

from authshift.migration.formats._mapping import RecordBuilder, map_items
from authshift.migration.formats._stream import iter_json_array, iter_ndjson, read_layouts
from authshift.migration.formats.base import SourceItem, SourceOptions

__all__ = ["FORMAT", "read"]

FORMAT = "kratos"

_KNOWN = {"id", "schema_id", "schema_url", "state", "state_changed_at", "traits", "verifiable_addresses",
          "recovery_addresses", "metadata_public", "metadata_admin", "created_at", "updated_at", "credentials",
          "organization_id"}
_TRAIT_FIELDS = {"email": "email", "phone": "phone_number", "phone_number": "phone_number", "username": "preferred_username"}


def _b64url(text: Any) -> str | None:
    """Go's standard base64 of ``[]byte`` -> base64url without padding (the record's encoding)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            return None
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _aaguid(text: Any) -> str | None:
    encoded = _b64url(text)
    if encoded is None:
        return None
    raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    return str(uuid.UUID(bytes=raw)) if len(raw) == 16 else None


def _map_webauthn(config: Any, b: RecordBuilder) -> None:
    path = "credentials.webauthn.config"
    if not isinstance(config, dict):
        b.warn(path, "expected an object; ignored")
        return
    handle = _b64url(config.get("user_handle"))
    for i, cred in enumerate(config.get("credentials") or []):
        where = f"{path}.credentials[{i}]"
        if not isinstance(cred, dict):
            b.warn(where, "expected an object; ignored")
            continue
        credential_id, public_key = _b64url(cred.get("id")), _b64url(cred.get("public_key"))
        if credential_id is None or public_key is None or handle is None:
            b.warn(where, "no id, public_key or user_handle (base64): the passkey is not imported")
            continue
        authenticator = cred.get("authenticator") if isinstance(cred.get("authenticator"), dict) else {}
        entry: dict[str, Any] = {"credential_id": credential_id, "public_key": public_key, "user_handle": handle,
                                 "sign_count": authenticator.get("sign_count") or 0}
        aaguid = _aaguid(authenticator.get("aaguid"))
        if aaguid:
            entry["aaguid"] = aaguid
        if isinstance(cred.get("display_name"), str) and cred["display_name"]:
            entry["name"] = cred["display_name"][:64]
        if isinstance(cred.get("added_at"), str) and not cred["added_at"].startswith("0001-"):
            entry["created_at"] = cred["added_at"]
        b.obj.setdefault("mfa", {}).setdefault("webauthn", []).append(entry)


def _map_credentials(creds: Any, b: RecordBuilder) -> None:
    if not isinstance(creds, dict):
        return
    for kind, cred in creds.items():
        config = cred.get("config") if isinstance(cred, dict) else None
        if kind == "password" and isinstance(config, dict):
            hashed = config.get("hashed_password")
            if isinstance(hashed, str) and hashed:
                b.put("password", {"hash": hashed})
        elif kind == "totp" and isinstance(config, dict) and isinstance(config.get("totp_url"), str):
            b.mfa("totp", {"uri": config["totp_url"]})
        elif kind == "lookup_secret" and isinstance(config, dict):
            codes = [c["code"] for c in config.get("recovery_codes") or []
                     if isinstance(c, dict) and isinstance(c.get("code"), str) and not c.get("used_at")]
            if codes:
                b.mfa("recovery_codes", codes)
        elif kind == "webauthn":
            _map_webauthn(config, b)
        elif kind in ("oidc", "code", "passkey", "saml"):
            b.warn(f"credentials.{kind}", f"Kratos {kind} credentials are not carried over")
        else:
            b.warn(f"credentials.{kind}", "unknown credential type, ignored")


def _map_identity(raw: dict[str, Any]) -> RecordBuilder:
    b = RecordBuilder(FORMAT)
    b.put_text("external_id", raw.get("id"), "id")
    traits = raw.get("traits") if isinstance(raw.get("traits"), dict) else {}
    for trait, value in traits.items():
        if trait in _TRAIT_FIELDS and isinstance(value, str):
            b.put(_TRAIT_FIELDS[trait], value)
        else:
            b.attribute(trait, value)
    verified = {a.get("value"): bool(a.get("verified")) for a in raw.get("verifiable_addresses") or [] if isinstance(a, dict)}
    for ours, flag in (("email", "email_verified"), ("phone_number", "phone_number_verified")):
        if ours in b.obj and b.obj[ours] in verified:
            b.put(flag, verified[b.obj[ours]])
    if raw.get("state") == "inactive":
        b.put("disabled", True)
        b.put("disabled_reason", "inactive in Ory Kratos")
    for column in ("metadata_public", "metadata_admin"):
        if isinstance(raw.get(column), dict) and raw[column]:
            b.attribute(column, raw[column])
    b.put_time("created_at", raw.get("created_at"), "created_at")
    b.put_time("updated_at", raw.get("updated_at"), "updated_at")
    _map_credentials(raw.get("credentials"), b)
    b.unknown(raw, _KNOWN)
    return b


def read(stream: BinaryIO, *, options: SourceOptions = SourceOptions()) -> Iterator[SourceItem]:
    """Kratos identities: a JSON array (the admin API's list) or JSON lines (detected)."""
    raw_items = read_layouts(stream, {
        "json_array": lambda opened: iter_json_array(opened.stream),
        "ndjson": lambda opened: iter_ndjson(opened.stream),
    }, "an Ory Kratos export is a JSON array of identities or one identity a line")
    return map_items(raw_items, lambda raw: _map_identity(raw), FORMAT)
