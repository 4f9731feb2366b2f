"""The one mapping between a user record (the import/export/admin shape) and the database rows.

``build_user_rows`` turns a validated record into rows (admin create and bulk import both use it);
``assemble_record`` turns rows back into a record (admin responses and export both use it);
``record_sql`` is its twin in SQL, with which the database writes NDJSON export lines itself.
Records here are plain dicts in the JSON shape of ``authshift.records``.
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
from authshift.records.fields import FIELDS, LOGIN_ID_FIELDS

__all__ = [
    "PASSWORD_META_KEYS", "UserRows", "assemble_record", "build_user_rows",
    "federated_rows", "identity_rows", "iso", "mfa_rows", "parse_time", "password_row", "password_spec",
    "stored_password_as_record", "totp_as_record", "totp_secret_bytes",
]

PASSWORD_META_KEYS = ("must_change", "expire_at")

# The columns of ``users`` by how ``build_user_rows`` fills them (``records.fields.FIELDS``).
_USER_FIELDS = tuple(f for f in FIELDS if f.table == "users")
_AS_GIVEN = tuple((f.name, f.col) for f in _USER_FIELDS if f.kind in ("text", "nonempty", "json"))
_OBJECTS = tuple((f.name, f.col) for f in _USER_FIELDS if f.kind == "object")
_LISTS = tuple((f.name, f.col) for f in _USER_FIELDS if f.kind == "list")
_FLAGS = tuple((f.name, f.col) for f in _USER_FIELDS if f.kind == "bool")
_TIMES = tuple((f.name, f.col, f.default_now) for f in _USER_FIELDS if f.kind == "timestamp")


def _assembly_steps() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """What ``assemble_record`` does, in the record's order: runs of fields of one kind as one step
    (``(kind, ((name, column), ...))``; a JSON value is read as text is, login IDs and their flags
    all come from the identities rows), so a user costs a dozen steps rather than a branch per field."""
    steps: list[tuple[str, list[tuple[str, str]]]] = []
    for f in FIELDS:
        kind = {"json": "text", "verified": "login_id"}.get(f.kind, f.kind)
        if steps and steps[-1][0] == kind and kind != "related":
            steps[-1][1].append((f.name, f.col))
        else:
            steps.append((kind, [(f.name, f.col)]))
    return tuple((kind, tuple(fields)) for kind, fields in steps)


_ASSEMBLY = _assembly_steps()
_PASSWORD, _IDENTITIES, _MFA = (next(fields for kind, fields in _ASSEMBLY if fields[0][0] == name)
                                for name in ("password", "identities", "mfa"))


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
    get = rec.get
    user: dict[str, Any] = {"id": uid}
    for name, col in _AS_GIVEN:
        user[col] = get(name)
    for name, col in _OBJECTS:
        user[col] = dict(get(name) or {})
    for name, col in _LISTS:
        user[col] = list(get(name) or [])
    for name, col in _FLAGS:
        user[col] = bool(get(name, False))
    for name, col, default_now in _TIMES:
        user[col] = parse_time(get(name)) or (now if default_now else None)
    # What the record leaves to the caller: the state its users start in; and a password given
    # (or lazily verified) here ends the legacy system's hold on it.
    user["migration_state"] = get("migration_state") or migration_state
    if stored_password is not None:
        user["password_migration"] = None
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

    The fields, their order and how each is read come from ``records.fields.FIELDS``; ``record_sql``
    composes the same record in SQL from the same list (tests/exports/test_record_sql.py compares
    them field by field on both backends).
    """
    get = user.get
    rec: dict[str, Any] = {}
    for kind, fields in _ASSEMBLY:
        if kind == "text":
            for name, col in fields:
                value = get(col)
                if value is not None:
                    rec[name] = value
        elif kind == "login_id":
            for ident in identities:  # in the identities rows' order
                login = ident["kind"]
                rec[login] = ident["raw"]
                flag = LOGIN_ID_FIELDS[login]
                if flag:
                    rec[flag] = bool(ident["verified"])
        elif kind == "timestamp":
            for name, col in fields:
                value = get(col)
                if value is not None:
                    rec[name] = iso(value)
        elif kind == "nonempty":
            for name, col in fields:
                value = get(col)
                if value:
                    rec[name] = value
        elif kind == "list":
            for name, col in fields:
                rec[name] = list(get(col) or ())
        elif kind == "object":
            for name, col in fields:
                rec[name] = get(col) or {}
        elif kind == "bool":
            for name, col in fields:
                rec[name] = bool(get(col))
        elif kind == "id":
            for name, col in fields:
                rec[name] = str(user[col])
        elif fields is _PASSWORD:
            if include_secrets and password is not None:
                rec["password"] = stored_password_as_record(password)
        elif fields is _IDENTITIES:
            if federated:
                rec["identities"] = [
                    {"provider": f["provider"], "subject": f["subject"], "email": f["email"]}
                    if f.get("email") is not None else {"provider": f["provider"], "subject": f["subject"]}
                    for f in federated
                ]
        elif fields is _MFA:
            if totp or otp or webauthn:
                mfa = _mfa_record(totp, otp, webauthn, ctx, include_secrets)
                if mfa:
                    rec["mfa"] = mfa
        else:  # pragma: no cover - a new related field needs its reader here
            raise AssertionError(f"no reader for the record field {fields[0][0]}")
    return rec


def _mfa_record(
    totp: Sequence[Mapping[str, Any]], otp: Sequence[Mapping[str, Any]], webauthn: Sequence[Mapping[str, Any]],
    ctx: AccountsContext | None, include_secrets: bool,
) -> dict[str, Any]:
    """The record's ``mfa`` object (empty when the user has no second factor to show)."""
    mfa: dict[str, Any] = {}
    if totp and include_secrets:
        if ctx is None:
            raise ValueError("exporting TOTP secrets needs the accounts context (to decrypt them)")
        mfa["totp"] = [totp_as_record(t, ctx) for t in totp]
    if webauthn:
        mfa["webauthn"] = [webauthn_as_record(w) for w in webauthn]
    for o in otp:
        mfa["email" if o["channel"] == "email" else "phone_number"] = o["destination"]
    return mfa
