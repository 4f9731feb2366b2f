"""Keycloak: a realm export (``kc.sh export``, or the partial export of the admin console), or
the ``realm-users-N.json`` files of a split export: ``{"realm": ..., "users": [...]}``.

A user representation carries ``id``, ``username``, ``email``, ``emailVerified``, ``enabled``,
``firstName``, ``lastName``, ``createdTimestamp`` (epoch milliseconds), ``attributes``
(``{name: [values]}``), ``credentials`` (``type`` password or otp, with ``secretData`` and
``credentialData`` as JSON *strings*), ``requiredActions``, ``federatedIdentities``,
``realmRoles``, ``clientRoles`` and ``groups`` (paths such as ``/staff/admins``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any, BinaryIO

from authshift.migration.formats._mapping import RecordBuilder, json_value, map_items
from authshift.migration.formats._stream import iter_json_array, iter_json_member, read_layouts
from authshift.migration.formats.base import SourceItem, SourceOptions

__all__ = ["FORMAT", "keycloak_password", "read"]

FORMAT = "keycloak"

_KNOWN = {
    "id", "username", "email", "emailVerified", "enabled", "firstName", "lastName", "createdTimestamp",
    "attributes", "credentials", "requiredActions", "federatedIdentities", "realmRoles", "clientRoles",
    "groups", "federationLink", "serviceAccountClientId",
    # Keycloak bookkeeping with no meaning outside Keycloak.
    "totp", "notBefore", "disableableCredentialTypes", "access", "self", "origin", "clientConsents",
    "socialLinks", "applicationRoles",
}
# Attributes of Keycloak's user profile that are OIDC standard claims.
_CLAIM_ATTRIBUTES = {
    "locale": "locale", "zoneinfo": "zoneinfo", "picture": "picture", "phone_number": "phone_number",
    "phoneNumber": "phone_number", "birthdate": "birthdate", "gender": "gender", "middle_name": "middle_name",
    "nickname": "nickname", "website": "website", "profile": "profile",
}
_PBKDF2 = {"pbkdf2": "pbkdf2-sha1", "pbkdf2-sha1": "pbkdf2-sha1", "pbkdf2-sha256": "pbkdf2-sha256",
           "pbkdf2-sha512": "pbkdf2-sha512"}
_OTP_ALGORITHMS = {"hmacsha1": "SHA1", "hmacsha256": "SHA256", "hmacsha512": "SHA512"}
_ARGON2_VERSIONS = {"1.3": 19, "1.0": 16}


class _Unusable(ValueError):
    pass


def _first(parameters: dict[str, Any], name: str, default: str) -> str:
    value = parameters.get(name, [default])
    if isinstance(value, list):
        value = value[0] if value else default
    return str(value)


def _unpadded(b64: str, what: str) -> str:
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise _Unusable(f"the {what} is not base64") from None
    return base64.b64encode(raw).decode().rstrip("=")


def keycloak_password(secret_data: dict[str, Any], credential_data: dict[str, Any]) -> dict[str, Any]:
    """A Keycloak password credential -> an authshift password object; raises ValueError."""
    algorithm = str(credential_data.get("algorithm", "pbkdf2-sha256")).lower()
    value, salt = secret_data.get("value"), secret_data.get("salt")
    if not isinstance(value, str) or not value:
        raise _Unusable("the credential has no hash value")
    iterations = credential_data.get("hashIterations")
    if algorithm in _PBKDF2:
        if not isinstance(iterations, int) or isinstance(iterations, bool):
            raise _Unusable("the credential has no hashIterations")
        if not isinstance(salt, str) or not salt:
            raise _Unusable("the credential has no salt")
        return {"algorithm": _PBKDF2[algorithm], "hash": value, "hash_encoding": "base64",
                "salt": salt, "salt_encoding": "base64", "iterations": iterations}
    if algorithm == "argon2":
        parameters = credential_data.get("additionalParameters") or {}
        if not isinstance(parameters, dict) or not isinstance(salt, str):
            raise _Unusable("the argon2 credential lacks its salt or parameters")
        kind = _first(parameters, "type", "id")
        version = _ARGON2_VERSIONS.get(_first(parameters, "version", "1.3"))
        if kind not in ("id", "i", "d") or version is None:
            raise _Unusable("the argon2 credential has an unknown type or version")
        try:
            memory, parallelism = int(_first(parameters, "memory", "7168")), int(_first(parameters, "parallelism", "1"))
        except ValueError:
            raise _Unusable("the argon2 memory or parallelism is not a number") from None
        if not isinstance(iterations, int) or isinstance(iterations, bool):
            raise _Unusable("the credential has no hashIterations")
        # Keycloak keeps the raw Argon2 output; the PHC string says the same thing, self-described.
        return {"hash": f"$argon2{kind}$v={version}$m={memory},t={iterations},p={parallelism}"
                        f"${_unpadded(salt, 'salt')}${_unpadded(value, 'hash')}"}
    if algorithm == "bcrypt" and value.startswith("$2"):
        return {"hash": value}
    raise _Unusable(f"the Keycloak password algorithm {algorithm!r} is not supported")


def _otp(secret_data: dict[str, Any], credential_data: dict[str, Any]) -> dict[str, Any]:
    if str(credential_data.get("subType", "totp")).lower() != "totp":
        raise _Unusable("HOTP (counter-based) authenticators are not supported")
    secret = secret_data.get("value")
    if not isinstance(secret, str) or not secret:
        raise _Unusable("the OTP credential has no secret")
    if str(credential_data.get("secretEncoding") or "").upper() != "BASE32":
        # Keycloak's own secrets are text whose UTF-8 bytes are the key (the app got base32 of them).
        secret = base64.b32encode(secret.encode()).decode().rstrip("=")
    algorithm = _OTP_ALGORITHMS.get(str(credential_data.get("algorithm", "HmacSHA1")).lower())
    if algorithm is None:
        raise _Unusable("the OTP algorithm is not HmacSHA1, HmacSHA256 or HmacSHA512")
    return {"secret": secret, "encoding": "base32", "algorithm": algorithm,
            "digits": credential_data.get("digits", 6), "period": credential_data.get("period", 30)}


def _map_credentials(raw: Any, must_change: bool, b: RecordBuilder) -> bool:
    """Returns whether a password was found."""
    if not isinstance(raw, list):
        return False
    found_password = False
    passwords = sorted((c for c in raw if isinstance(c, dict) and c.get("type") == "password"),
                       key=lambda c: c.get("priority", 0) if isinstance(c.get("priority"), int) else 0)
    for position, credential in enumerate(raw):
        if not isinstance(credential, dict):
            continue
        path = f"credentials[{position}]"
        kind = credential.get("type")
        if kind not in ("password", "otp"):
            b.warn(path, f"{kind!r} credentials are not carried over; the user enrols again")
            continue
        if kind == "password" and passwords and credential is not passwords[0]:
            b.warn(path, "only the first password credential is kept")
            continue
        try:
            secret_data = json_value(credential.get("secretData") or "{}")
            credential_data = json_value(credential.get("credentialData") or "{}")
            if not isinstance(secret_data, dict) or not isinstance(credential_data, dict):
                raise _Unusable("secretData and credentialData must be JSON objects")
        except ValueError as exc:
            detail = str(exc) if isinstance(exc, _Unusable) else "secretData or credentialData is not valid JSON"
            (b.fail if kind == "password" else b.warn)(path, detail)
            continue
        if kind == "password":
            try:
                password = keycloak_password(secret_data, credential_data)
            except ValueError as exc:
                b.fail(path, str(exc))
                continue
            if must_change:
                password["must_change"] = True
            b.put("password", password)
            found_password = True
        else:
            try:
                b.mfa("totp", _otp(secret_data, credential_data))
            except ValueError as exc:
                b.warn(path, f"{exc}; the user enrols again")
    return found_password


def _map_attributes(raw: Any, b: RecordBuilder) -> None:
    if not isinstance(raw, dict):
        return
    for name, values in raw.items():
        if isinstance(values, list):
            value: Any = values[0] if len(values) == 1 else (values or None)
        else:
            value = values
        claim = _CLAIM_ATTRIBUTES.get(name)
        if claim and isinstance(value, str) and claim not in b.obj:
            b.put(claim, value)
        else:
            b.attribute(name, value)


def _map_roles(raw: dict[str, Any], b: RecordBuilder) -> None:
    roles = [role for role in raw.get("realmRoles") or [] if isinstance(role, str)]
    client_roles = raw.get("clientRoles")
    if isinstance(client_roles, dict):
        for client, names in client_roles.items():
            roles.extend(f"{client}:{name}" for name in names or [] if isinstance(name, str))
    b.put("roles", roles)
    b.put("groups", [group for group in raw.get("groups") or [] if isinstance(group, str)])


def _map_identities(raw: Any, b: RecordBuilder) -> None:
    for position, link in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(link, dict):
            b.warn(f"federatedIdentities[{position}]", "expected an object; ignored")
            continue
        user_name = link.get("userName")
        b.identity(f"federatedIdentities[{position}]", link.get("identityProvider"), link.get("userId"),
                   user_name if isinstance(user_name, str) and "@" in user_name else None)


def _mapper(options: SourceOptions):  # type: ignore[no-untyped-def]
    def map_user(raw: dict[str, Any]) -> RecordBuilder:
        b = RecordBuilder(FORMAT)
        if raw.get("serviceAccountClientId"):
            b.fail("serviceAccountClientId", "the service account of a client, not a person: not imported")
            return b
        b.put_text("external_id", raw.get("id"), "id")
        b.put_text("preferred_username", raw.get("username"), "username")
        b.put_text("email", raw.get("email"), "email")
        b.put_bool("email_verified", raw.get("emailVerified"), "emailVerified")
        b.put_text("given_name", raw.get("firstName"), "firstName")
        b.put_text("family_name", raw.get("lastName"), "lastName")
        b.put_enabled(raw.get("enabled"), "disabled in Keycloak")
        b.put_time("created_at", raw.get("createdTimestamp"), "createdTimestamp", unit="ms")
        _map_attributes(raw.get("attributes"), b)
        _map_roles(raw, b)
        _map_identities(raw.get("federatedIdentities"), b)
        actions = [a for a in raw.get("requiredActions") or [] if isinstance(a, str)]
        has_password = _map_credentials(raw.get("credentials"), "UPDATE_PASSWORD" in actions, b)
        for action in actions:
            if action == "UPDATE_PASSWORD" and not has_password:
                b.put("password_migration", "reset")
            elif action not in ("UPDATE_PASSWORD", "VERIFY_EMAIL"):
                b.warn("requiredActions", f"required action {action} is not carried over")
        if raw.get("federationLink") and not has_password and "password_migration" not in b.obj:
            # The password lives in the federated store (LDAP, Kerberos...), not in Keycloak.
            b.put("password_migration", options.missing_password)
        b.unknown(raw, _KNOWN)
        return b

    return map_user


def read(stream: BinaryIO, *, options: SourceOptions = SourceOptions()) -> Iterator[SourceItem]:
    """Users of a Keycloak realm export (or of a JSON array of user representations)."""
    raw_items = read_layouts(stream, {
        "json_object": lambda opened: iter_json_member(opened.stream, "users"),
        "ndjson": lambda opened: iter_json_member(opened.stream, "users"),  # a realm on one line
        "json_array": lambda opened: iter_json_array(opened.stream),
    }, 'a Keycloak export is a realm JSON document with a "users" array')
    return map_items(raw_items, _mapper(options), FORMAT)
