"""Imported passkeys: a record's ``mfa.webauthn`` entries <-> ``webauthn_credentials`` rows.

The RP ID rule lives here, once: a passkey is bound to the RP ID it was made for, and browsers
offer it only to ceremonies for that RP ID. authshift's ceremonies use ``[webauthn] rp_id``
(which may be the legacy system's domain, its origins allowed there by Related Origin Requests),
so a passkey of any other RP ID could never sign in: it is refused with that reason, never
stored as a passkey that can never work. An entry without ``rp_id`` is for the configured one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from authshift.accounts.passkeys import clean_name, credential_row, default_name
from authshift.errors import FieldError, InvalidInput

# Ends the message of every passkey an import leaves out (another RP ID here; a key that cannot
# verify, or a missing public key, in the readers): readiness counts them by it, so the report and
# the user's readiness say the same thing.
REGISTER_AGAIN = "the passkey was not imported and the user must register a new passkey"

WEBAUTHN_RECORD_COLUMNS = ("credential_id", "public_key", "sign_count", "user_handle", "transports", "aaguid", "rp_id",
                           "backup_eligible", "backup_state", "name", "created_at", "last_used_at")


def rp_id_refusal(entry_rp_id: str | None, rp_id: str) -> str | None:
    """Why a passkey made for ``entry_rp_id`` cannot be used with authshift's ``rp_id`` (None: it can)."""
    if entry_rp_id is None or entry_rp_id == rp_id:
        return None
    return (f"this passkey was made for the RP ID {entry_rp_id!r} and authshift's [webauthn] rp_id is {rp_id!r}: "
            f"browsers would never offer it here (to keep such passkeys, set [webauthn] rp_id to {entry_rp_id!r} and "
            f"publish /.well-known/webauthn there); {REGISTER_AGAIN}")


def _refusal_path(i: int) -> str:
    return f"mfa.webauthn[{i}].rp_id"


def refused_passkeys(entries: Iterable[Mapping[str, Any]], rp_id: str) -> list[FieldError]:
    """The ``mfa.webauthn[i].rp_id`` problems of a record's passkeys (empty: all usable)."""
    found = []
    for i, entry in enumerate(entries):
        reason = rp_id_refusal(entry.get("rp_id"), rp_id)
        if reason:
            found.append(FieldError(_refusal_path(i), reason))
    return found


def count_refused(warnings: Iterable[Mapping[str, str]]) -> int:
    """How many passkeys an import left out, from the record's warnings: the RP ID refusals here
    and the readers' (FusionAuth, Auth0), each ending with ``REGISTER_AGAIN``."""
    return sum(1 for w in warnings if w["message"].endswith(REGISTER_AGAIN))


def webauthn_rows(entries: Iterable[Mapping[str, Any]] | None, user_id: uuid.UUID, now: datetime,
                  rp_id: str) -> list[dict[str, Any]]:
    """``webauthn_credentials`` rows of validated record entries; ``InvalidInput`` for another RP ID."""
    entries = list(entries or ())
    refused = refused_passkeys(entries, rp_id)
    if refused:
        raise InvalidInput("a passkey cannot be used with this RP ID", errors=refused)
    rows = []
    for i, entry in enumerate(entries, start=1):
        rows.append(credential_row(
            user_id, credential_id=entry["credential_id"], public_key=entry["public_key"],
            sign_count=int(entry.get("sign_count") or 0), user_handle=entry["user_handle"],
            transports=list(entry.get("transports") or []), aaguid=entry.get("aaguid"),
            rp_id=entry.get("rp_id") or rp_id, backup_eligible=bool(entry.get("backup_eligible")),
            backup_state=bool(entry.get("backup_state")), name=clean_name(entry.get("name"), default_name(i)),
            created_at=_time(entry.get("created_at")) or now, last_used_at=_time(entry.get("last_used_at")),
        ))
    return rows


def _time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def webauthn_as_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored passkey as the record's ``mfa.webauthn`` entry (export; re-imports as it was)."""
    out: dict[str, Any] = {
        "credential_id": row["credential_id"], "public_key": row["public_key"],
        "sign_count": int(row["sign_count"]), "user_handle": row["user_handle"],
        "transports": list(row["transports"] or []), "rp_id": row["rp_id"],
        "backup_eligible": bool(row["backup_eligible"]), "backup_state": bool(row["backup_state"]),
        "name": row["name"], "created_at": _iso(row["created_at"]),
    }
    if row.get("aaguid"):
        out["aaguid"] = row["aaguid"]
    if row.get("last_used_at"):
        out["last_used_at"] = _iso(row["last_used_at"])
    return out


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
