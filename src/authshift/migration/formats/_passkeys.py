"""One imported passkey from a foreign shape to the record's ``mfa.webauthn`` entry, or the reason not.

The readers of systems that export WebAuthn credentials (FusionAuth, Auth0's authentication
methods) describe a credential in their own words; ``passkey_entry`` takes those words (already
picked out by the reader) and returns the entry, or raises ``PasskeyRefused`` with a reason meant
for the report. A refused passkey is a warning on the record, never an error: the user is still
imported and registers a new passkey (``REGISTER_AGAIN`` ends every such message, as the RP ID
refusal of ``accounts.passkey_rows`` does, so readiness and the report say the same thing).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from authshift.accounts.passkey_rows import REGISTER_AGAIN
from authshift.migration.formats._mapping import RecordBuilder
from authshift.migration.formats._webauthn_keys import KeyUnusable, cose_key
from authshift.migration.formats.base import epoch_to_iso
from authshift.records import WEBAUTHN_TRANSPORTS, parse_datetime

__all__ = ["REGISTER_AGAIN", "PasskeyRefused", "b64url", "passkey_entry", "refuse"]



class PasskeyRefused(ValueError):
    """A foreign credential that cannot become a passkey that works here (message: why)."""


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bytes(value: Any, what: str) -> bytes:
    """base64url or standard base64 text -> bytes (systems write either)."""
    if not isinstance(value, str) or not value.strip():
        raise PasskeyRefused(f"there is no {what}")
    text = value.strip().rstrip("=")
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise PasskeyRefused(f"the {what} is not base64") from None
    if not raw:
        raise PasskeyRefused(f"the {what} is empty")
    return raw


def refuse(b: RecordBuilder, path: str, reason: str) -> None:
    """Report a passkey the reader could not carry over (a warning: the user is still imported)."""
    b.warn(path, f"{reason}: {REGISTER_AGAIN}")


def passkey_entry(*, credential_id: Any, public_key: Any, user_handle: bytes | Any, algorithm: Any = None,
                  sign_count: Any = 0, rp_id: Any = None, transports: Any = None, name: Any = None,
                  created_ms: Any = None, last_used_ms: Any = None, created_at: Any = None,
                  last_used_at: Any = None, backed_up: Any = None, aaguid: Any = None) -> dict[str, Any]:
    """The record entry of one credential; raises ``PasskeyRefused`` when it could never sign in.

    ``user_handle`` is bytes (the reader derived it) or base64 text; times are epoch milliseconds
    (``*_ms``) or ISO text."""
    handle = user_handle if isinstance(user_handle, bytes) else _bytes(user_handle, "user handle")
    try:
        cose = cose_key(public_key, algorithm)
    except KeyUnusable as exc:
        raise PasskeyRefused(str(exc)) from None
    entry: dict[str, Any] = {"credential_id": b64url(_bytes(credential_id, "credential id")), "public_key": b64url(cose),
                             "user_handle": b64url(handle)}
    if isinstance(sign_count, int) and not isinstance(sign_count, bool) and 0 <= sign_count < 2**32:
        entry["sign_count"] = sign_count
    if isinstance(rp_id, str) and rp_id.strip():
        entry["rp_id"] = rp_id.strip().lower()
    if isinstance(transports, list):
        kept = [t for t in transports if t in WEBAUTHN_TRANSPORTS]
        if kept:
            entry["transports"] = kept
    if isinstance(name, str) and name.strip():
        entry["name"] = name.strip()[:64]
    for key, millis, iso in (("created_at", created_ms, created_at), ("last_used_at", last_used_ms, last_used_at)):
        try:
            if millis not in (None, ""):
                entry[key] = epoch_to_iso(millis, "ms")
            elif isinstance(iso, str) and iso:
                entry[key] = parse_datetime(iso).isoformat().replace("+00:00", "Z")
        except ValueError:
            pass  # a bad time is not worth losing the passkey over
    if isinstance(backed_up, bool):
        entry["backup_eligible"] = entry["backup_state"] = backed_up
    if isinstance(aaguid, str) and aaguid:
        try:
            entry["aaguid"] = str(uuid.UUID(aaguid))
        except ValueError:
            pass  # an unreadable authenticator model is not worth losing the passkey over
    return entry
