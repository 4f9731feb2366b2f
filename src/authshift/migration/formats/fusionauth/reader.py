"""FusionAuth: the body of ``POST /api/user/import`` (``{"users": [...]}``), the shape FusionAuth
documents for bringing users in and the one its migration scripts write; a JSON array of the same
user objects is read too. Passkeys come from a second file (``fusionauth_webauthn``).

Read: ``id`` (external_id), ``email``, ``username``, ``verified`` (email_verified), ``active``
(false -> disabled), ``firstName``/``middleName``/``lastName``/``fullName``, ``mobilePhone``,
``imageUrl``, ``birthDate``, ``timezone``, ``preferredLanguages`` (the first is the locale),
``insertInstant``/``lastLoginInstant`` (epoch milliseconds), ``data`` (a custom attribute), the
roles of ``registrations`` (their union; the registrations themselves are kept as an attribute),
``memberships`` (group ids, as an attribute), and the password: ``password`` + ``salt`` +
``factor`` + ``encryptionScheme`` (FusionAuth's reference "Password-Hashing Algorithms"):

- ``salted-pbkdf2-hmac-sha256`` / ``-sha256-512`` / ``salted-pbkdf2-hmac-sha512-512``: PBKDF2 with
  the base64 salt's bytes, ``factor`` iterations, the base64 derived key (32 or 64 bytes);
- ``bcrypt``: ``salt`` is bcrypt's 22-character salt and ``password`` its 31-character hash, in
  bcrypt's own base64, with ``factor`` the cost: together ``$2a$<factor>$<salt><password>``;
- ``salted-hmac-sha256``: HMAC-SHA256 of the password keyed with the salt's bytes.

Other schemes, and plain-text passwords (no ``encryptionScheme``), fail the record with the reason.
``twoFactor.methods``: ``authenticator`` (a TOTP secret in base64; FusionAuth's TOTP is SHA1, 6
digits, 30 s), ``email`` and ``sms``; ``twoFactor.recoveryCodes`` (plain codes) are kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from authshift.migration.formats._mapping import RecordBuilder, map_items
from authshift.migration.formats._stream import iter_json_array, iter_json_member, read_layouts
from authshift.migration.formats.base import SourceItem, SourceOptions
from authshift.migration.formats.fusionauth.webauthn import CredentialIndex

__all__ = ["FORMAT", "fusionauth_password", "read"]

FORMAT = "fusionauth"

_KNOWN = {
    "id", "email", "username", "verified", "active", "firstName", "middleName", "lastName", "fullName",
    "mobilePhone", "imageUrl", "birthDate", "timezone", "preferredLanguages", "insertInstant",
    "lastLoginInstant", "data", "registrations", "memberships", "password", "salt", "factor", "encryptionScheme",
    "passwordChangeRequired", "passwordChangeReason", "passwordLastUpdateInstant", "twoFactor", "tenantId",
    # FusionAuth bookkeeping with no meaning outside FusionAuth.
    "usernameStatus", "expiry", "cleanSpeakId", "connectorId", "uniqueUsername", "lastUpdateInstant",
    "breachedPasswordStatus", "identities", "twoFactorDelivery", "twoFactorEnabled",
}
_PBKDF2 = {"salted-pbkdf2-hmac-sha256": "pbkdf2-sha256", "salted-pbkdf2-hmac-sha256-512": "pbkdf2-sha256",
           "salted-pbkdf2-hmac-sha512-512": "pbkdf2-sha512"}
SCHEMES = (*_PBKDF2, "bcrypt", "salted-hmac-sha256")
_BCRYPT_ALPHABET = frozenset("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


class _Unusable(ValueError):
    """A password authshift cannot verify (the message names the reason, never the hash)."""


def _factor(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise _Unusable("factor must be a whole number")
    return int(value)


def fusionauth_password(user: dict[str, Any]) -> dict[str, Any] | None:
    """A FusionAuth user's password fields -> an authshift password object (None: no password).
    Raises ValueError naming what cannot be used."""
    password, salt, scheme = user.get("password"), user.get("salt"), user.get("encryptionScheme")
    if password in (None, ""):
        return None
    if not isinstance(password, str):
        raise _Unusable("password must be a string")
    if scheme in (None, ""):
        raise _Unusable("the password is plain text (no encryptionScheme): import files carry hashes only; "
                        "hash it first, or create the user through the admin API")
    if not isinstance(salt, str):
        raise _Unusable(f"the {scheme} password has no salt")
    if scheme in _PBKDF2:
        return {"algorithm": _PBKDF2[scheme], "hash": password, "hash_encoding": "base64", "salt": salt,
                "salt_encoding": "base64", "iterations": _factor(user.get("factor"))}
    if scheme == "bcrypt":
        cost = _factor(user.get("factor"))
        if len(salt) != 22 or len(password) != 31 or not set(salt + password) <= _BCRYPT_ALPHABET or not 4 <= cost <= 31:
            raise _Unusable("a bcrypt password is a 22-character salt, a 31-character hash and a factor of 4 to 31")
        return {"hash": f"$2a${cost:02d}${salt}{password}"}
    if scheme == "salted-hmac-sha256":
        return {"algorithm": "hmac-sha256", "hash": password, "hash_encoding": "base64", "key": salt,
                "key_encoding": "base64"}
    raise _Unusable(f"the encryptionScheme {scheme!r} is not supported (supported: {', '.join(SCHEMES)})")


def _map_two_factor(raw: Any, b: RecordBuilder) -> None:
    if not isinstance(raw, dict):
        return
    for position, method in enumerate(raw.get("methods") or []):
        path = f"twoFactor.methods[{position}]"
        kind = method.get("method") if isinstance(method, dict) else None
        if kind == "authenticator":
            settings = method.get("authenticator") if isinstance(method.get("authenticator"), dict) else {}
            if not isinstance(method.get("secret"), str) or not method["secret"]:
                b.warn(path, "the authenticator has no secret (FusionAuth's API does not return it); the user enrols again")
                continue
            algorithm = str(settings.get("algorithm") or "HmacSHA1").upper().replace("HMAC", "")
            b.mfa("totp", {"secret": method["secret"], "encoding": "base64", "algorithm": algorithm,
                           "digits": settings.get("codeLength", 6), "period": settings.get("timeStep", 30)})
        elif kind == "email" and isinstance(method.get("email"), str):
            b.mfa("email", method["email"])
        elif kind == "sms" and isinstance(method.get("mobilePhone"), str):
            b.mfa("phone_number", method["mobilePhone"])
        else:
            b.warn(path, f"two-factor method {kind!r} is not carried over")
    codes = [c for c in raw.get("recoveryCodes") or [] if isinstance(c, str) and c]
    if codes:
        b.mfa("recovery_codes", codes)


def _map_roles(raw: dict[str, Any], b: RecordBuilder) -> None:
    registrations = raw.get("registrations")
    if isinstance(registrations, list) and registrations:
        roles = [r for reg in registrations if isinstance(reg, dict) for r in reg.get("roles") or [] if isinstance(r, str)]
        b.put("roles", list(dict.fromkeys(roles)))
        b.attribute("registrations", registrations)
    memberships = raw.get("memberships")
    if isinstance(memberships, list) and memberships:
        b.attribute("memberships", memberships)


def _mapper(credentials: CredentialIndex | None):  # type: ignore[no-untyped-def]
    def map_user(raw: dict[str, Any]) -> RecordBuilder:
        b = RecordBuilder(FORMAT)
        for ours, theirs in (("external_id", "id"), ("email", "email"), ("preferred_username", "username"),
                             ("given_name", "firstName"), ("middle_name", "middleName"), ("family_name", "lastName"),
                             ("name", "fullName"), ("phone_number", "mobilePhone"), ("picture", "imageUrl"),
                             ("birthdate", "birthDate"), ("zoneinfo", "timezone")):
            b.put_text(ours, raw.get(theirs), theirs)
        b.put_bool("email_verified", raw.get("verified"), "verified")
        b.put_enabled(raw.get("active", True), "inactive in FusionAuth")
        languages = raw.get("preferredLanguages")
        if isinstance(languages, list) and languages and isinstance(languages[0], str):
            b.put("locale", languages[0].replace("_", "-"))
        b.put_time("created_at", raw.get("insertInstant"), "insertInstant", unit="ms")
        b.put_time("last_login_at", raw.get("lastLoginInstant"), "lastLoginInstant", unit="ms")
        if isinstance(raw.get("data"), dict):
            b.attribute("data", raw["data"] or None)
        _map_roles(raw, b)
        try:
            password = fusionauth_password(raw)
        except ValueError as exc:
            b.fail("password", str(exc))
        else:
            if password is not None and raw.get("passwordChangeRequired") is True:
                password["must_change"] = True
            b.put("password", password)
        _map_two_factor(raw.get("twoFactor"), b)
        if credentials is not None:
            credentials.attach(raw.get("id"), b)
        b.unknown(raw, _KNOWN)
        return b

    return map_user


def read(stream: BinaryIO, *, options: SourceOptions = SourceOptions()) -> Iterator[SourceItem]:
    """FusionAuth users: the user import body or a JSON array of users (detected)."""
    raw_items = read_layouts(stream, {
        "json_object": lambda opened: iter_json_member(opened.stream, "users"),
        "json_array": lambda opened: iter_json_array(opened.stream),
        "ndjson": lambda opened: iter_json_member(opened.stream, "users"),  # the body on one line
    }, 'a FusionAuth file is the user import body ({"users": [...]}) or a JSON array of users')
    credentials = CredentialIndex(Path(options.webauthn_credentials)) if options.webauthn_credentials else None
    return _joined(raw_items, credentials)


def _joined(raw_items: Iterator[SourceItem], credentials: CredentialIndex | None) -> Iterator[SourceItem]:
    last = 0
    try:
        for item in map_items(raw_items, _mapper(credentials), FORMAT):
            last = item.index
            yield item
        if credentials is not None:
            yield from credentials.orphans(last + 1)
    finally:
        if credentials is not None:
            credentials.close()
