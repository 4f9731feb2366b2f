"""Amazon Cognito: the user CSV of a user pool, with the header row Cognito's import/export uses
(``aws cognito-idp get-csv-header``): ``cognito:username``, the OIDC standard attributes,
``email_verified``, ``phone_number_verified``, ``updated_at`` (epoch seconds),
``cognito:mfa_enabled``, ``custom:*`` attributes, and ``sub`` when the export tool added it.

Cognito never releases password hashes, so every user is written with
``password_migration`` (``lazy`` by default: verify against Cognito at the next sign-in).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from authshift.accounts.normalize import InvalidLoginId, normalize_phone
from authshift.migration.formats._mapping import RecordBuilder, map_items
from authshift.migration.formats._stream import OpenedSource, iter_csv, read_layouts
from authshift.migration.formats.base import SourceFormatError, SourceItem, SourceOptions
from authshift.records import FieldIssue

__all__ = ["FORMAT", "read"]

FORMAT = "cognito"

_CLAIMS = ("name", "given_name", "family_name", "middle_name", "nickname", "profile", "picture",
           "website", "email", "gender", "zoneinfo", "locale", "phone_number")
_KNOWN = {*_CLAIMS, "cognito:username", "preferred_username", "email_verified", "phone_number_verified",
          "address", "updated_at", "cognito:mfa_enabled", "sub", "birthdate", "enabled",
          "cognito:user_status", "status"}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_BIRTHDATE = re.compile(r"^\d{4}(-\d{2}-\d{2})?$")


def _cells(cells: dict[str, str]) -> tuple[dict[str, Any], list[FieldIssue]]:
    return dict(cells), []


def _mapper(options: SourceOptions):  # type: ignore[no-untyped-def]
    def map_user(raw: dict[str, Any]) -> RecordBuilder:
        b = RecordBuilder(FORMAT)
        username = raw.get("cognito:username")
        b.put("external_id", raw.get("sub") or username)
        b.attribute("cognito:username", username)
        if raw.get("preferred_username"):
            b.put("preferred_username", raw["preferred_username"])
        elif username and not _UUID.match(username) and "@" not in username:
            # A pool whose usernames are generated ids (or emails) has no username worth keeping.
            b.put("preferred_username", username)
        for claim in _CLAIMS:
            b.put(claim, raw.get(claim))
        if options.default_phone_region and "phone_number" in b.obj:
            try:
                b.obj["phone_number"] = normalize_phone(b.obj["phone_number"], options.default_phone_region)
            except InvalidLoginId:
                pass  # parse_record reports it
        b.put_bool("email_verified", raw.get("email_verified"), "email_verified")
        b.put_bool("phone_number_verified", raw.get("phone_number_verified"), "phone_number_verified")
        birthdate = raw.get("birthdate")
        if birthdate and _BIRTHDATE.match(birthdate):
            b.put("birthdate", birthdate)
        elif birthdate:
            b.warn("birthdate", "not YYYY-MM-DD; kept as custom_attributes.birthdate")
            b.attribute("birthdate", birthdate)
        address = raw.get("address")
        if address:
            try:
                parsed = json.loads(address) if address.lstrip().startswith("{") else None
            except json.JSONDecodeError:
                parsed = None
            b.put("address", parsed if isinstance(parsed, dict) else {"formatted": address})
        b.put_time("updated_at", raw.get("updated_at"), "updated_at", unit="s")
        b.put_enabled(raw.get("enabled"), "disabled in Cognito")
        mfa = raw.get("cognito:mfa_enabled", "").lower() == "true"
        if mfa and b.obj.get("phone_number"):
            b.mfa("phone_number", b.obj["phone_number"])
        if mfa:
            b.warn("cognito:mfa_enabled", "Cognito does not export TOTP secrets; "
                   "TOTP users enrol again (SMS MFA is kept with the phone number)")
        for name, value in raw.items():
            if name.startswith(("custom:", "dev:custom:")):
                b.attribute(name.split(":", 1)[1].removeprefix("custom:"), value)
        b.put("password_migration", options.missing_password)
        b.unknown({k: v for k, v in raw.items() if not k.startswith(("custom:", "dev:custom:"))}, _KNOWN)
        return b

    return map_user


def read(stream: BinaryIO, *, options: SourceOptions = SourceOptions()) -> Iterator[SourceItem]:
    """Users of a Cognito user CSV."""
    refusal = "a Cognito export is the user CSV whose header has cognito:username"

    def cognito_csv(opened: OpenedSource) -> Iterator[SourceItem]:
        if b"cognito:username" not in opened.first_line:
            raise SourceFormatError(refusal)
        return iter_csv(opened.stream, _cells)

    return map_items(read_layouts(stream, {"csv": cognito_csv}, refusal), _mapper(options), FORMAT)
