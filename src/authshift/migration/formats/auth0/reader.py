"""Auth0: the user export (NDJSON, often gzipped, from POST /api/v2/jobs/users-exports) and
the bulk-import schema (a JSON array, with ``password_hash``, ``custom_password_hash`` and
``mfa_factors``), plus the password-hash export Auth0 support hands out (NDJSON lines
``{"_id": {"$oid": "..."}, "email": "...", "passwordHash": "$2b$10$..."}``), joined by the
ObjectId in ``user_id`` (``auth0|<oid>``) and, failing that, by email.

Neither export carries enrolled authenticators. A user may have an ``authentication_methods``
array beside the export's fields: the Management API's ``GET /api/v2/users/{id}/authentication-methods``
response, added to each user by the script that exports them (``auth0_factors`` reads it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from authshift.accounts.normalize import InvalidLoginId, normalize_email
from authshift.migration.formats._mapping import RecordBuilder, map_items
from authshift.migration.formats._side_index import SideIndex
from authshift.migration.formats._stream import iter_json_array, iter_ndjson, open_source, read_layouts
from authshift.migration.formats.auth0.factors import map_authentication_methods
from authshift.migration.formats.base import SourceFormatError, SourceItem, SourceOptions

__all__ = ["FORMAT", "PasswordHashIndex", "custom_password_hash_to_password", "read"]

FORMAT = "auth0"

_KNOWN = {
    "user_id", "email", "email_verified", "username", "phone_number", "phone_verified", "given_name",
    "family_name", "name", "nickname", "picture", "blocked", "created_at", "updated_at", "last_login",
    "app_metadata", "user_metadata", "identities", "password_hash", "custom_password_hash", "mfa_factors",
    "multifactor", "authentication_methods",
    # Kept by Auth0 for its own bookkeeping; not user data authshift carries over.
    "logins_count", "last_ip", "last_password_reset", "multifactor_last_modified", "connection", "tenant",
}
# Auth0 algorithm names of self-describing hash strings (bcrypt, PHC argon2/pbkdf2, RFC 2307).
_SELF_DESCRIBING = {"bcrypt", "argon2", "pbkdf2", "ldap"}
_PLAIN_DIGESTS = {"md4", "md5", "sha1", "sha256", "sha512"}
_HMAC_DIGESTS = {"md4", "md5", "sha1", "sha224", "sha256", "sha384", "sha512"}
# Node.js Buffer encodings Auth0 accepts for the password, as authshift names them.
_PASSWORD_ENCODINGS = {"utf8": "utf8", "utf-8": "utf8", "ascii": "latin1", "latin1": "latin1",
                       "binary": "latin1", "utf16le": "utf16le", "ucs2": "utf16le", "ucs-2": "utf16le"}
_DATA_ENCODINGS = {"hex", "base64", "utf8"}


class _Unusable(ValueError):
    """A custom_password_hash authshift cannot verify (message names the reason, never the hash)."""


def _part(obj: dict[str, Any], name: str) -> dict[str, Any]:
    value = obj.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Unusable(f"{name} must be an object")
    return value


def _text(obj: dict[str, Any], name: str, where: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value:
        raise _Unusable(f"{where}.{name} is missing")
    return value


def _encoding(obj: dict[str, Any], where: str, default: str, allowed: set[str]) -> str:
    value = obj.get("encoding", default)
    if value not in allowed:
        raise _Unusable(f"{where}.encoding {value!r} is not one of {', '.join(sorted(allowed))}")
    return str(value)


def custom_password_hash_to_password(chp: Any) -> dict[str, Any]:
    """Auth0's ``custom_password_hash`` -> an authshift password object; raises ValueError."""
    if not isinstance(chp, dict):
        raise _Unusable("custom_password_hash must be an object")
    algorithm = chp.get("algorithm")
    if not isinstance(algorithm, str):
        raise _Unusable("custom_password_hash.algorithm is missing")
    algorithm = algorithm.lower()
    hash_part = chp.get("hash")
    if isinstance(hash_part, str):  # some writers give the value directly
        hash_part = {"value": hash_part}
    if not isinstance(hash_part, dict):
        raise _Unusable("custom_password_hash.hash must be an object")
    value = _text(hash_part, "value", "hash")
    if algorithm in _SELF_DESCRIBING:
        return {"hash": value}
    # The salt sits beside the hash in Auth0's schema; accept it inside the hash object too.
    salt = _part(chp, "salt") or _part(hash_part, "salt")
    password_encoding = _part(chp, "password").get("encoding", "utf8")
    if password_encoding not in _PASSWORD_ENCODINGS:
        raise _Unusable(f"password.encoding {password_encoding!r} is not supported")
    hash_encoding = _encoding(hash_part, "hash", "hex", {"hex", "base64"})
    result: dict[str, Any] = {"hash": value, "hash_encoding": hash_encoding}
    if salt:
        result["salt"] = _text(salt, "value", "salt")
        result["salt_encoding"] = _encoding(salt, "salt", "utf8", _DATA_ENCODINGS)
        position = salt.get("position", "prefix")
        if position not in ("prefix", "suffix"):
            raise _Unusable(f"salt.position {position!r} is not prefix or suffix")
        result["salt_position"] = position
    result["password_encoding"] = _PASSWORD_ENCODINGS[password_encoding]
    if algorithm in _PLAIN_DIGESTS:
        return {"algorithm": algorithm, **result}
    if algorithm == "hmac":
        digest = str(hash_part.get("digest", "")).lower().replace("-", "")
        if digest not in _HMAC_DIGESTS:
            raise _Unusable(f"HMAC with digest {digest or '(none)'!r} is not supported "
                            f"(supported: {', '.join(sorted(_HMAC_DIGESTS))})")
        key = _part(hash_part, "key")
        return {"algorithm": f"hmac-{digest}", **result, "key": _text(key, "value", "hash.key"),
                "key_encoding": _encoding(key, "hash.key", "utf8", _DATA_ENCODINGS)}
    if algorithm == "scrypt":
        result.pop("salt_position", None)
        result.pop("password_encoding", None)
        params = {"n": chp.get("cost", 16384), "r": chp.get("blockSize", 8), "p": chp.get("parallelization", 1)}
        for name, number in params.items():
            if not isinstance(number, int) or isinstance(number, bool):
                raise _Unusable(f"scrypt parameter {name} must be an integer")
        return {"algorithm": "scrypt", **result, **params}
    raise _Unusable(f"the custom_password_hash algorithm {algorithm!r} is not supported")


class PasswordHashIndex(SideIndex):
    """Auth0's password-hash export, indexed on disk (``SideIndex``) so that joining millions of
    users keeps memory flat."""

    def __init__(self, path: Path) -> None:
        super().__init__("authshift-auth0-hashes-")
        self._db = self.db
        self._db.execute("CREATE TABLE h (oid TEXT, email TEXT, hash TEXT NOT NULL)")
        self.lines = 0
        self.unreadable = 0
        try:
            with open(path, "rb") as stream:
                opened = open_source(stream)
                if opened.layout not in ("ndjson", "empty"):
                    raise SourceFormatError("the Auth0 password-hash export must be NDJSON (one object per line)")
                self._db.executemany("INSERT INTO h VALUES (?, ?, ?)", self._rows(iter_ndjson(opened.stream)))
        except OSError as exc:
            self.close()
            raise SourceFormatError(f"cannot read the Auth0 password-hash export: {exc.strerror}") from None
        except SourceFormatError:
            self.close()
            raise
        if self.lines == 0:
            self.close()
            raise SourceFormatError("the Auth0 password-hash export has no usable line")
        self._db.execute("CREATE INDEX h_oid ON h (oid)")
        self._db.execute("CREATE INDEX h_email ON h (email)")

    def _rows(self, items: Iterator[SourceItem]) -> Iterator[tuple[str | None, str | None, str]]:
        for item in items:
            obj = item.obj
            oid_part = obj.get("_id") if obj else None
            oid = oid_part.get("$oid") if isinstance(oid_part, dict) else oid_part
            password_hash = obj.get("passwordHash") if obj else None
            if not isinstance(password_hash, str) or not password_hash:
                self.unreadable += 1
                continue
            email = obj.get("email") if obj else None
            try:
                normalized = normalize_email(email) if isinstance(email, str) else None
            except InvalidLoginId:
                normalized = None
            self.lines += 1
            yield (oid if isinstance(oid, str) else None, normalized, password_hash)

    def find(self, oid: str | None, email: str | None) -> tuple[str | None, str]:
        """(hash or None, how it was found or why not)."""
        if oid:
            row = self._db.execute("SELECT hash FROM h WHERE oid = ? LIMIT 1", (oid,)).fetchone()
            if row:
                return row[0], "oid"
        if email:
            try:
                normalized = normalize_email(email)
            except InvalidLoginId:
                return None, "none"
            rows = self._db.execute("SELECT hash FROM h WHERE email = ? LIMIT 2", (normalized,)).fetchall()
            if len(rows) == 1:
                return rows[0][0], "email"
            if len(rows) > 1:
                return None, "ambiguous"
        return None, "none"


def _external_id(user_id: Any, options: SourceOptions) -> tuple[str | None, str | None]:
    """(external_id, oid of an Auth0 database user)."""
    if isinstance(user_id, (int, float)) and not isinstance(user_id, bool):
        user_id = str(user_id)
    if not isinstance(user_id, str) or not user_id:
        return None, None
    if "|" not in user_id:
        user_id = f"{options.auth0_strategy}|{user_id}"
    provider, _, subject = user_id.partition("|")
    return user_id, subject if provider == "auth0" else None


def _map_identities(raw: Any, b: RecordBuilder) -> None:
    if not isinstance(raw, list):
        return
    for position, identity in enumerate(raw):
        if not isinstance(identity, dict):
            b.warn(f"identities[{position}]", "expected an object; ignored")
        elif identity.get("provider") != "auth0":  # the database identity is the user itself
            profile = identity.get("profileData")
            b.identity(f"identities[{position}]", identity.get("provider"), identity.get("user_id"),
                       profile.get("email") if isinstance(profile, dict) else None)


def _map_primary_identity(external_id: str | None, email: Any, options: SourceOptions, b: RecordBuilder) -> None:
    """The identity a social or enterprise user signs in with, from ``user_id`` itself
    (``google-oauth2|1098...``: provider, then subject).

    Auth0 writes it into ``identities`` too, but a user export asked for without that column
    (the export job's ``fields``) has only ``user_id``: the user would lose the only way they
    sign in. Database users (``auth0|...``, or ``auth0_strategy``) have none; an identity the
    ``identities`` column gave already is not added twice.
    """
    if external_id is None:
        return
    provider, _, subject = external_id.partition("|")
    if not subject or provider in ("auth0", options.auth0_strategy):
        return
    if any(i.get("provider") == provider and i.get("subject") == subject for i in b.obj.get("identities", ())):
        return
    b.identity("user_id", provider, subject, email)


def _map_mfa_factors(raw: Any, b: RecordBuilder) -> None:
    if not isinstance(raw, list):
        b.warn("mfa_factors", "expected a list; ignored")
        return
    for position, factor in enumerate(raw):
        path = f"mfa_factors[{position}]"
        if not isinstance(factor, dict) or len(factor) != 1:
            b.warn(path, "expected an object with one of totp, phone, email; ignored")
            continue
        kind, detail = next(iter(factor.items()))
        if not isinstance(detail, dict):
            b.warn(path, "expected an object; ignored")
        elif kind == "totp" and isinstance(detail.get("secret"), str):
            b.mfa("totp", {"secret": detail["secret"], "encoding": "base32"})
        elif kind == "phone" and isinstance(detail.get("value"), str):
            b.mfa("phone_number", detail["value"])
        elif kind == "email" and isinstance(detail.get("value"), str):
            b.mfa("email", detail["value"])
        else:
            b.warn(path, f"MFA factor {kind!r} is not supported; ignored")


def _mapper(options: SourceOptions, hashes: PasswordHashIndex | None):  # type: ignore[no-untyped-def]
    def map_user(raw: dict[str, Any]) -> RecordBuilder:
        b = RecordBuilder(FORMAT)
        external_id, oid = _external_id(raw.get("user_id"), options)
        b.put("external_id", external_id)
        for ours, theirs in (("email", "email"), ("preferred_username", "username"),
                             ("phone_number", "phone_number"), ("given_name", "given_name"),
                             ("family_name", "family_name"), ("name", "name"), ("nickname", "nickname"),
                             ("picture", "picture")):
            b.put_text(ours, raw.get(theirs), theirs)
        b.put_bool("email_verified", raw.get("email_verified"), "email_verified")
        b.put_bool("phone_number_verified", raw.get("phone_verified"), "phone_verified")
        if b.put_bool("disabled", raw.get("blocked"), "blocked"):
            b.put("disabled_reason", "blocked in Auth0")
        b.put_time("created_at", raw.get("created_at"), "created_at")
        b.put_time("updated_at", raw.get("updated_at"), "updated_at")
        b.put_time("last_login_at", raw.get("last_login"), "last_login")
        for metadata in ("app_metadata", "user_metadata"):
            value = raw.get(metadata)
            if isinstance(value, dict):
                b.attribute(metadata, value or None)
            elif value is not None:
                b.warn(metadata, "expected an object; ignored")
        for key, value in raw.items():  # export fields such as "user_metadata.plan"
            head, dot, rest = key.partition(".")
            if dot and head in ("app_metadata", "user_metadata") and rest:
                b.obj.setdefault("custom_attributes", {}).setdefault(head, {})[rest] = value
        _map_identities(raw.get("identities"), b)
        _map_primary_identity(external_id, raw.get("email"), options, b)
        if raw.get("mfa_factors") is not None:
            _map_mfa_factors(raw["mfa_factors"], b)
        if raw.get("authentication_methods") is not None:
            map_authentication_methods(raw["authentication_methods"], b)
        if raw.get("multifactor"):
            b.warn("multifactor", "Auth0 does not export MFA enrolments; these users enrol again")
        _map_password(raw, oid, b)
        b.unknown({k: v for k, v in raw.items() if "." not in k}, _KNOWN)
        return b

    def _map_password(raw: dict[str, Any], oid: str | None, b: RecordBuilder) -> None:
        if raw.get("password_hash") and raw.get("custom_password_hash"):
            b.fail("custom_password_hash", "password_hash and custom_password_hash exclude each other")
            return
        if isinstance(raw.get("password_hash"), str) and raw["password_hash"]:
            b.put("password", {"hash": raw["password_hash"]})
            return
        if raw.get("custom_password_hash") is not None:
            try:
                b.put("password", custom_password_hash_to_password(raw["custom_password_hash"]))
            except ValueError as exc:
                b.fail("custom_password_hash", str(exc))
            return
        if oid is None:
            return  # social or enterprise users have no password here
        if hashes is not None:
            found, how = hashes.find(oid, raw.get("email") if isinstance(raw.get("email"), str) else None)
            if found:
                b.put("password", {"hash": found})
                return
            b.warn("password", "several entries of the password-hash export share this email; none used"
                   if how == "ambiguous" else "no entry in the password-hash export for this user")
        b.put("password_migration", options.missing_password)

    return map_user


def read(stream: BinaryIO, *, options: SourceOptions = SourceOptions()) -> Iterator[SourceItem]:
    """Auth0 users: the NDJSON user export or a bulk-import JSON array (detected)."""
    raw_items = read_layouts(stream, {
        "ndjson": lambda opened: iter_ndjson(opened.stream),
        "json_array": lambda opened: iter_json_array(opened.stream),
    }, "an Auth0 file is the NDJSON user export (format json) or a bulk-import JSON array")
    hashes = PasswordHashIndex(Path(options.password_hashes)) if options.password_hashes else None
    return _joined(raw_items, options, hashes)


def _joined(raw_items: Iterator[SourceItem], options: SourceOptions,
            hashes: PasswordHashIndex | None) -> Iterator[SourceItem]:
    try:
        yield from map_items(raw_items, _mapper(options, hashes), FORMAT)
    finally:
        if hashes is not None:
            hashes.close()
