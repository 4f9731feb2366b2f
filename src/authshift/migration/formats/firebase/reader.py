"""Firebase Authentication: the file ``firebase auth:export`` writes.

JSON: ``{"users": [ {...}, ... ]}`` with ``localId``, ``email``, ``emailVerified``,
``passwordHash`` and ``salt`` (standard base64, Firebase's modified scrypt), ``displayName``,
``photoUrl``, ``phoneNumber``, ``disabled``, ``createdAt`` and ``lastSignedInAt`` (epoch
milliseconds as strings), ``customAttributes`` (the custom claims as a JSON *string*) and
``providerUserInfo`` (``providerId``, ``rawId``, ``email``, ``displayName``, ``photoUrl``).

CSV (``auth:export users.csv``): no header, the same data by column position, with a trailing
comma on every row; firebase-tools changed the columns over the years (``CSV_LAYOUTS``), so each
row's layout is chosen by its number of fields, and any other number fails that row.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from authshift.migration.formats._mapping import RecordBuilder, json_value, map_items, to_bool
from authshift.migration.formats._stream import iter_csv, iter_json_array, iter_json_member, read_layouts
from authshift.migration.formats.base import SourceItem, SourceOptions
from authshift.records import FieldIssue

__all__ = ["CSV_COLUMNS", "CSV_LAYOUTS", "FORMAT", "csv_layout", "read"]

FORMAT = "firebase"

_PROVIDERS = ("google.com", "facebook.com", "twitter.com", "github.com")
# firebase-tools 14.x (2026) added these, after customAttributes
_MORE_PROVIDERS = ("apple.com", "microsoft.com", "gc.apple.com", "playgames.google.com", "linkedin.com", "yahoo.com")


def _provider_columns(providers: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{provider}:{part}" for provider in providers for part in ("rawId", "email", "displayName", "photoUrl"))


_FIRST = ("localId", "email", "emailVerified", "passwordHash", "salt", "displayName", "photoUrl",
          *_provider_columns(_PROVIDERS))
# The layouts of firebase-tools' src/accountExporter (every row ends with a comma: the last,
# empty column), by number of fields:
#  28: 2017-09 .. 2018-08 wrote disabled, createdAt, lastLoginAt, phoneNumber; 2020-01 .. 2020-10
#      wrote createdAt, lastLoginAt, phoneNumber, disabled. Told apart by the first of them:
#      createdAt is always a number of milliseconds, disabled is true, false or empty.
#  29: 2020-10 .. 2026-05: createdAt, lastLoginAt, phoneNumber, disabled, customAttributes.
#  53: since 2026-05: the same, then six more providers (4 columns each).
CSV_LAYOUTS: dict[str, tuple[str, ...]] = {
    "28 fields (2017-2018)": (*_FIRST, "disabled", "createdAt", "lastSignedInAt", "phoneNumber", ""),
    "28 fields (2020)": (*_FIRST, "createdAt", "lastSignedInAt", "phoneNumber", "disabled", ""),
    "29 fields": (*_FIRST, "createdAt", "lastSignedInAt", "phoneNumber", "disabled", "customAttributes", ""),
    "53 fields": (*_FIRST, "createdAt", "lastSignedInAt", "phoneNumber", "disabled", "customAttributes",
                  *_provider_columns(_MORE_PROVIDERS), ""),
}
CSV_COLUMNS = CSV_LAYOUTS["29 fields"]
_CREATED_FIRST = len(_FIRST)  # the cell that is createdAt in the 2020 layouts, disabled in 2017's


def csv_layout(row: list[str]) -> list[str]:
    """The columns of an ``auth:export`` CSV row, chosen by its number of fields."""
    count = len(row)
    if count == 28:
        first = row[_CREATED_FIRST].strip()
        return list(CSV_LAYOUTS["28 fields (2020)" if first.isdigit() else "28 fields (2017-2018)"])
    for layout in (CSV_LAYOUTS["29 fields"], CSV_LAYOUTS["53 fields"]):
        if count == len(layout):
            return list(layout)
    raise ValueError(
        f"the row has {count} fields; a firebase auth:export CSV row has 28 (firebase-tools before "
        f"2020-10), 29 (until 2026-05) or 53 (since), each ending with a comma"
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
    for position, info in enumerate(value):
        if isinstance(info, dict) and info.get("providerId") not in _SELF_PROVIDERS:
            b.identity(f"providerUserInfo[{position}]", info.get("providerId"), info.get("rawId"), info.get("email"))


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
    raw_items = read_layouts(stream, {
        "json_object": lambda opened: iter_json_member(opened.stream, "users"),
        "ndjson": lambda opened: iter_json_member(opened.stream, "users"),  # {"users": [...]} on one line
        "json_array": lambda opened: iter_json_array(opened.stream),
        "csv": lambda opened: iter_csv(opened.stream, _csv_row, header_for=csv_layout),
    }, 'a Firebase export is {"users": [...]} JSON or the headerless CSV of auth:export')
    return map_items(raw_items, _map_user(options), FORMAT)
