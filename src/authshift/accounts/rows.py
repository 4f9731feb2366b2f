"""The one mapping between a user record (the import/export/admin shape) and the database rows.

``build_user_rows`` turns a validated record into rows (admin create and bulk import both use it);
``assemble_record`` turns rows back into a record (admin responses and export both use it);
``record_sql`` is its twin in SQL, with which the database writes NDJSON export lines itself.
Records here are plain dicts in the JSON shape of ``authshift.migration.records``.
"""

from __future__ import annotations

import base64
import functools
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from authshift.accounts.context import AccountsContext
from authshift.accounts.login_ids import NORMALIZERS
from authshift.accounts.normalize import InvalidLoginId
from authshift.accounts.passkey_rows import webauthn_as_record, webauthn_rows
from authshift.accounts.recovery_hashes import legacy_code_hash
from authshift.accounts.totp_secrets import parameters_of
from authshift.errors import ErrorList
from authshift.ids import uuid7
from authshift.passwords import StoredPassword

CLAIM_COLUMNS = (
    "name", "given_name", "family_name", "middle_name", "nickname", "picture", "profile", "website",
    "gender", "birthdate", "zoneinfo", "locale", "address",
)
LOGIN_ID_FIELDS = {  # record field -> its verification flag
    "email": "email_verified",
    "phone_number": "phone_number_verified",
    "preferred_username": None,
}
PASSWORD_META_KEYS = ("must_change", "expire_at")


@dataclass
class UserRows:
    user: dict[str, Any]
    identities: list[dict[str, Any]] = field(default_factory=list)
    federated: list[dict[str, Any]] = field(default_factory=list)
    password: dict[str, Any] | None = None
    totp: list[dict[str, Any]] = field(default_factory=list)
    otp: list[dict[str, Any]] = field(default_factory=list)
    recovery: list[dict[str, Any]] = field(default_factory=list)
    webauthn: list[dict[str, Any]] = field(default_factory=list)


def parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value if isinstance(value, str) else str(value))  # 3.11 reads "Z"


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def identity_rows(rec: Mapping[str, Any], user_id: uuid.UUID, now: datetime,
                  normalized: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Normalised login IDs of a record; raises ``InvalidInput`` naming the bad field.

    ``normalized``: login IDs of this record normalised already (by ``NORMALIZERS``, as import
    does when it computes a record's keys), used instead of normalising them again.
    """
    errors: ErrorList | None = None
    rows = []
    for fname, verified_flag in LOGIN_ID_FIELDS.items():
        raw = rec.get(fname)
        if not raw:
            continue
        try:
            value = normalized[fname] if normalized and fname in normalized else NORMALIZERS[fname](raw)
        except InvalidLoginId as exc:
            errors = errors or ErrorList()
            errors.add(fname, str(exc))
            continue
        rows.append(
            {
                "id": uuid7(), "user_id": user_id, "kind": fname, "value": value, "raw": raw,
                "verified": bool(rec.get(verified_flag)) if verified_flag else True, "created_at": now,
            }
        )
    if errors is not None:
        errors.raise_if_any("a login ID is not valid")
    return rows


def totp_secret_bytes(entry: Mapping[str, Any]) -> tuple[bytes, str, int, int]:
    """Decode one TOTP entry (``secret`` + ``encoding`` or an ``otpauth://`` ``uri``) with the one
    decoder validation also uses (``accounts.totp_secrets``); raises ``ValueError``."""
    params = parameters_of(entry)
    return params.secret, params.algorithm, params.digits, params.period


def federated_rows(rec: Mapping[str, Any], user_id: uuid.UUID, now: datetime) -> list[dict[str, Any]]:
    """Rows of the record's federated identities (``identities``: provider + subject)."""
    return [
        {"id": uuid7(), "user_id": user_id, "provider": ident["provider"], "subject": str(ident["subject"]),
         "email": ident.get("email"), "created_at": now}
        for ident in rec.get("identities") or []
    ]


def password_row(
    user_id: uuid.UUID, stored: StoredPassword, rec_password: Any, now: datetime, *, must_change: bool | None = None
) -> dict[str, Any]:
    """The ``passwords`` row of a parsed (or freshly hashed) password; flags come from the record's object."""
    meta = rec_password if isinstance(rec_password, Mapping) else {}
    return {
        "user_id": user_id, "format": stored.format, "value": stored.value,
        "must_change": bool(meta.get("must_change", False) if must_change is None else must_change),
        "expire_at": parse_time(meta.get("expire_at")), "updated_at": now,
    }


def mfa_rows(
    mfa: Mapping[str, Any] | None, user_id: uuid.UUID, now: datetime, ctx: AccountsContext
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """TOTP, email/SMS OTP and recovery-code rows of a record's ``mfa`` object (secrets encrypted or digested)."""
    mfa = mfa or {}
    totp = []
    for entry in mfa.get("totp") or []:
        raw, algorithm, digits, period = totp_secret_bytes(entry)
        totp.append(
            {"id": uuid7(), "user_id": user_id, "secret_encrypted": ctx.totp_box.encrypt(raw), "algorithm": algorithm,
             "digits": digits, "period": period, "created_at": now}
        )
    otp = [
        {"id": uuid7(), "user_id": user_id, "channel": channel, "destination": mfa[key], "created_at": now}
        for channel, key in (("email", "email"), ("sms", "phone_number")) if mfa.get(key)
    ]
    recovery = [
        {"id": uuid7(), "user_id": user_id, "code_hash": ctx.recovery_code_digest(code)}
        for code in mfa.get("recovery_codes") or []
    ]
    recovery += [{"id": uuid7(), "user_id": user_id, "code_hash": legacy_code_hash(value, ctx.limits, i)}
                 for i, value in enumerate(mfa.get("recovery_code_hashes") or [])]
    return totp, otp, recovery


def build_user_rows(
    rec: Mapping[str, Any],
    *,
    ctx: AccountsContext,
    now: datetime,
    migration_state: str,
    stored_password: StoredPassword | None,
    user_id: uuid.UUID | None = None,
    normalized: Mapping[str, str] | None = None,
) -> UserRows:
    """Rows for a new user. ``stored_password`` is the already parsed or hashed password, if any;
    ``normalized`` the record's login IDs normalised already, if they are (``identity_rows``)."""
    uid = user_id or (uuid.UUID(str(rec["id"])) if rec.get("id") else uuid7())
    user = {
        "id": uid,
        "created_at": parse_time(rec.get("created_at")) or now,
        "updated_at": parse_time(rec.get("updated_at")) or now,
        "last_login_at": parse_time(rec.get("last_login_at")),
        "disabled": bool(rec.get("disabled", False)),
        "disabled_reason": rec.get("disabled_reason"),
        "custom_attributes": dict(rec.get("custom_attributes") or {}),
        "roles": list(rec.get("roles") or []),
        "groups": list(rec.get("groups") or []),
        "external_id": rec.get("external_id"),
        "source": rec.get("source"),
        "migration_state": rec.get("migration_state") or migration_state,
        "password_migration": None if stored_password is not None else rec.get("password_migration"),
        **{c: rec.get(c) for c in CLAIM_COLUMNS},
    }
    rows = UserRows(user=user, identities=identity_rows(rec, uid, now, normalized))
    rows.federated = federated_rows(rec, uid, now)
    if stored_password is not None:
        rows.password = password_row(uid, stored_password, rec.get("password"), now)
    if rec.get("mfa"):
        rows.totp, rows.otp, rows.recovery = mfa_rows(rec["mfa"], uid, now, ctx)
        rows.webauthn = webauthn_rows(rec["mfa"].get("webauthn"), uid, now, ctx.webauthn_rp_id)
    return rows


def password_spec(rec_password: Any) -> Any:
    """The hash part of a record's password object (without must_change/expire_at)."""
    if isinstance(rec_password, (dict, Mapping)):  # dict first: no abstract-class check for the usual case
        if rec_password.keys().isdisjoint(PASSWORD_META_KEYS):
            return dict(rec_password)
        return {k: v for k, v in rec_password.items() if k not in PASSWORD_META_KEYS}
    return rec_password


@functools.cache
def structured_password_formats() -> frozenset[str]:
    """Names of the formats stored as the canonical JSON of a structured object (not a hash string)."""
    from authshift.passwords import formats

    return frozenset(f.name for f in formats() if f.structured)


@functools.cache
def named_password_formats() -> frozenset[str]:
    """Names of the formats whose hash strings have another format's shape (``nt_hash``,
    ``werkzeug_sha1``...): their export says ``"format"``, or a re-import would read them as the other."""
    from authshift.passwords import formats

    return frozenset(f.name for f in formats() if f.named_only)


def stored_password_as_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored password back in the record's password shape."""
    value: str = row["value"]
    out: dict[str, Any]
    if row["format"] in structured_password_formats():  # stored as the canonical JSON of the object given
        out = dict(json.loads(value))
    elif row["format"] in named_password_formats():
        out = {"hash": value, "format": row["format"]}
    else:
        out = {"hash": value}
    if row.get("must_change"):
        out["must_change"] = True
    if row.get("expire_at"):
        out["expire_at"] = iso(row["expire_at"])
    return out


def totp_as_record(row: Mapping[str, Any], ctx: AccountsContext) -> dict[str, Any]:
    """A stored TOTP factor (``secret_encrypted``, ``algorithm``, ``digits``, ``period``) as the record's
    ``mfa.totp`` entry, its secret decrypted. Both ``assemble_record`` and the SQL-composed export
    (``record_sql.finish_marked_line``) use it: decryption can only happen in Python."""
    secret = base64.b32encode(ctx.totp_box.decrypt(row["secret_encrypted"])).decode().rstrip("=")
    return {"secret": secret, "encoding": "base32", "algorithm": row["algorithm"], "digits": row["digits"],
            "period": row["period"]}


def assemble_record(
    user: Mapping[str, Any],
    identities: Sequence[Mapping[str, Any]],
    federated: Sequence[Mapping[str, Any]],
    *,
    password: Mapping[str, Any] | None = None,
    totp: Sequence[Mapping[str, Any]] = (),
    otp: Sequence[Mapping[str, Any]] = (),
    ctx: AccountsContext | None = None,
    include_secrets: bool = False,
    webauthn: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """A user as a record (the import format), with ``id`` and ``migration_state``.

    Every record this returns is a valid import record, so it re-imports as it was:
    absent values are omitted, and secrets appear only with ``include_secrets`` (the password hash
    as stored, TOTP factors with their decrypted secrets, which needs ``ctx``). Without secrets a
    TOTP factor is left out entirely: a factor without its secret is not a valid record entry.
    Recovery codes never appear: they are stored as HMAC digests and cannot be given back.
    Passkeys (``mfa.webauthn``) always appear: a public key and its identifiers are not secrets.

    ``record_sql`` composes the same record in SQL for the export's fast path: change one, change
    the other (tests/exports/test_record_sql.py compares them field by field on both backends).
    """
    get = user.get
    rec: dict[str, Any] = {"id": str(user["id"])}
    value = get("external_id")
    if value is not None:
        rec["external_id"] = value
    value = get("source")
    if value is not None:
        rec["source"] = value
    for ident in identities:
        kind = ident["kind"]
        rec[kind] = ident["raw"]
        flag = LOGIN_ID_FIELDS[kind]
        if flag:
            rec[flag] = bool(ident["verified"])
    for col in CLAIM_COLUMNS:
        value = get(col)
        if value is not None:
            rec[col] = value
    rec["custom_attributes"] = get("custom_attributes") or {}
    rec["roles"] = list(get("roles") or ())
    rec["groups"] = list(get("groups") or ())
    rec["disabled"] = bool(get("disabled"))
    value = get("disabled_reason")
    if value:
        rec["disabled_reason"] = value
    for key in ("created_at", "updated_at", "last_login_at"):
        value = get(key)
        if value is not None:
            rec[key] = iso(value)
    rec["migration_state"] = user["migration_state"]
    if user.get("password_migration"):
        rec["password_migration"] = user["password_migration"]
    if federated:
        rec["identities"] = [
            {"provider": f["provider"], "subject": f["subject"], "email": f["email"]}
            if f.get("email") is not None else {"provider": f["provider"], "subject": f["subject"]}
            for f in federated
        ]
    mfa: dict[str, Any] = {}
    if totp and include_secrets:
        if ctx is None:
            raise ValueError("exporting TOTP secrets needs the accounts context (to decrypt them)")
        mfa["totp"] = [totp_as_record(t, ctx) for t in totp]
    if webauthn:
        mfa["webauthn"] = [webauthn_as_record(w) for w in webauthn]
    for o in otp:
        mfa["email" if o["channel"] == "email" else "phone_number"] = o["destination"]
    if mfa:
        rec["mfa"] = mfa
    if include_secrets and password is not None:
        rec["password"] = stored_password_as_record(password)
    return rec
