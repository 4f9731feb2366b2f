"""Firebase Authentication: the file ``firebase auth:export`` writes.

JSON: ``{"users": [ {...}, ... ]}`` with ``localId``, ``email``, ``emailVerified``,
``passwordHash`` and ``salt`` (standard base64, Firebase's modified scrypt), ``displayName``,
``photoUrl``, ``phoneNumber``, ``disabled``, ``createdAt`` and ``lastSignedInAt`` (epoch
milliseconds as strings), ``customAttributes`` (the custom claims as a JSON *string*) and
``providerUserInfo`` (``providerId``, ``rawId``, ``email``, ``displayName``, ``photoUrl``).

CSV (``auth:export users.csv``): no header, the same data by column position (see
``CSV_COLUMNS``), with a trailing comma on every row.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from authshift.migration.records import FieldIssue
from authshift.migration.sources._mapping import RecordBuilder, json_value, map_items, to_bool
from authshift.migration.sources._stream import iter_csv, iter_json_array, iter_json_member, open_source
from authshift.migration.sources.base import SourceFormatError, SourceItem, SourceOptions

__all__ = ["CSV_COLUMNS", "FORMAT", "read"]

FORMAT = "firebase"

_PROVIDERS = ("google.com", "facebook.com", "twitter.com", "github.com")
CSV_COLUMNS: tuple[str, ...] = (
    "localId", "email", "emailVerified", "passwordHash", "salt", "displayName", "photoUrl",
    *(f"{provider}:{part}" for provider in _PROVIDERS for part in ("rawId", "email", "displayName", "photoUrl")),
    "createdAt", "lastSignedInAt", "phoneNumber", "disabled", "customAttributes",
    "",  # every row ends with a comma
)
_KNOWN = {
    "localId", "email", "emailVerified", "passwordHash", "salt", "displayName", "photoUrl", "lastSignedInAt",
    "lastLoginAt", "createdAt", "phoneNumber", "disabled", "customAttributes", "providerUserInfo", "mfaInfo",
    "tenantId", "passwordUpdatedAt", "validSince", "lastRefreshAt",
}
# Providers whose "identity" is the email/password or phone sign-in itself, carried elsewhere.
_SELF_PROVIDERS = {"password", "phone", "emailLink"}


def _csv_row(cells: dict[str, str]) -> tuple[dict[str, Any], list[FieldIssue]]:
    user: dict[str, Any] = {}
    providers: dict[str, dict[str, str]] = {}
    for name, cell in cells.items():
        provider, colon, part = name.partition(":")
        if colon:
            providers.setdefault(provider, {"providerId": provider})[part] = cell
        elif name in ("emailVerified", "disabled"):
            flag = to_bool(cell)
            user[name] = cell if flag is None else flag
        else:
            user[name] = cell
    infos = [info for info in providers.values() if info.get("rawId")]
    if infos:
        user["providerUserInfo"] = infos
    return user, []


def _map_user(options: SourceOptions):  # type: ignore[no-untyped-def]
    def map_user(raw: dict[str, Any]) -> RecordBuilder:
        b = RecordBuilder(FORMAT)
        b.put_text("external_id", raw.get("localId"), "localId")
        b.put_text("email", raw.get("email"), "email")
        b.put_bool("email_verified", raw.get("emailVerified"), "emailVerified")
        b.put_text("name", raw.get("displayName"), "displayName")
        b.put_text("picture", raw.get("photoUrl"), "photoUrl")
        phone = raw.get("phoneNumber")
        b.put_text("phone_number", phone, "phoneNumber")
        if isinstance(phone, str) and phone:
            b.put("phone_number_verified", True)  # Firebase only stores phone numbers it verified by SMS
        if b.put_bool("disabled", raw.get("disabled"), "disabled"):
            b.put("disabled_reason", "disabled in Firebase")
        b.put_time("created_at", raw.get("createdAt"), "createdAt", unit="ms")
        last = "lastSignedInAt" if raw.get("lastSignedInAt") not in (None, "") else "lastLoginAt"
        b.put_time("last_login_at", raw.get(last), last, unit="ms")
        _map_claims(raw.get("customAttributes"), b)
        _map_providers(raw.get("providerUserInfo"), b)
        _map_mfa(raw.get("mfaInfo"), b)
        password_hash = raw.get("passwordHash")
        if isinstance(password_hash, str) and password_hash:
            password: dict[str, Any] = {"algorithm": "firebase_scrypt", "hash": password_hash}
            if isinstance(raw.get("salt"), str) and raw["salt"]:
                password["salt"] = raw["salt"]
            password["hash_config"] = options.hash_config_name
            b.put("password", password)
        b.unknown(raw, _KNOWN)
        return b

    return map_user


def _map_claims(value: Any, b: RecordBuilder) -> None:
    if value is None or value == "":
        return
    try:
        claims = json_value(value)
    except ValueError:
        b.warn("customAttributes", "not valid JSON; kept as text in custom_attributes.customAttributes")
        b.attribute("customAttributes", value)
        return
    if isinstance(claims, dict):
        for name, claim in claims.items():
            b.attribute(name, claim)
    else:
        b.warn("customAttributes", "not a JSON object; kept in custom_attributes.customAttributes")
        b.attribute("customAttributes", claims)


def _map_providers(value: Any, b: RecordBuilder) -> None:
    if not isinstance(value, list):
        return
    identities = []
    for position, info in enumerate(value):
        if not isinstance(info, dict):
            continue
        provider, subject = info.get("providerId"), info.get("rawId")
        if provider in _SELF_PROVIDERS:
            continue
        if not isinstance(provider, str) or not isinstance(subject, str) or not provider or not subject:
            b.warn(f"providerUserInfo[{position}]", "no providerId or rawId; ignored")
            continue
        entry = {"provider": provider, "subject": subject}
        if isinstance(info.get("email"), str) and info["email"]:
            entry["email"] = info["email"]
        identities.append(entry)
    b.put("identities", identities)


def _map_mfa(value: Any, b: RecordBuilder) -> None:
    if not isinstance(value, list):
        return
    for position, factor in enumerate(value):
        if isinstance(factor, dict) and isinstance(factor.get("phoneInfo"), str):
            b.mfa("phone_number", factor["phoneInfo"])
        else:
            b.warn(f"mfaInfo[{position}]", "only SMS second factors can be carried over (TOTP secrets are not exported)")


def read(stream: BinaryIO, *, options: SourceOptions = SourceOptions()) -> Iterator[SourceItem]:
    """Users of a ``firebase auth:export`` file, JSON or CSV (detected)."""
    opened = open_source(stream)
    if opened.layout == "json_object" or (opened.layout == "ndjson" and opened.first_line.startswith(b'{"users"')):
        raw_items = iter_json_member(opened.stream, "users")
    elif opened.layout == "json_array":
        raw_items = iter_json_array(opened.stream)
    elif opened.layout == "csv":
        raw_items = iter_csv(opened.stream, _csv_row, header=list(CSV_COLUMNS))
    elif opened.layout == "empty":
        return
    else:
        raise SourceFormatError('a Firebase export is {"users": [...]} JSON or the headerless CSV of auth:export')
    yield from map_items(raw_items, _map_user(options), FORMAT)
