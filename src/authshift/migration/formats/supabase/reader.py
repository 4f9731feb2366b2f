"""Supabase: the ``auth.users`` table, exported as CSV (dashboard or ``\\copy ... csv header``),
as a JSON array (``select json_agg(u) from auth.users u``) or as JSON lines.

Columns read: ``id``, ``email``, ``encrypted_password`` (bcrypt), ``email_confirmed_at``,
``phone`` (digits without ``+``), ``phone_confirmed_at``, ``raw_user_meta_data``,
``raw_app_meta_data`` (JSON), ``created_at``, ``updated_at``, ``last_sign_in_at``,
``banned_until``, ``deleted_at``, ``is_sso_user``, ``is_anonymous``. Tokens (confirmation,
recovery, email-change, reauthentication) are never carried over.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO

from authshift.migration.formats._mapping import RecordBuilder, json_value, map_items, to_bool
from authshift.migration.formats._stream import iter_csv, iter_json_array, iter_ndjson, read_layouts
from authshift.migration.formats.base import SourceItem, SourceOptions
from authshift.records import FieldIssue, parse_datetime

__all__ = ["FORMAT", "read"]

FORMAT = "supabase"

_KNOWN = {
    "id", "email", "encrypted_password", "email_confirmed_at", "confirmed_at", "phone", "phone_confirmed_at",
    "raw_user_meta_data", "raw_app_meta_data", "created_at", "updated_at", "last_sign_in_at", "banned_until",
    "deleted_at", "is_sso_user", "is_anonymous",
    # GoTrue bookkeeping and one-time tokens: never carried over.
    "instance_id", "aud", "role", "invited_at", "confirmation_token", "confirmation_sent_at", "recovery_token",
    "recovery_sent_at", "email_change_token_new", "email_change", "email_change_sent_at",
    "email_change_token_current", "email_change_confirm_status", "phone_change", "phone_change_token",
    "phone_change_sent_at", "reauthentication_token", "reauthentication_sent_at", "is_super_admin",
}
_NULL_TEXT = frozenset({"", "null", "NULL"})


def _cells(cells: dict[str, str]) -> tuple[dict[str, Any], list[FieldIssue]]:
    return dict(cells), []


def _present(value: Any) -> bool:
    """Not SQL NULL (an empty CSV cell, or null in JSON)."""
    return value is not None and not (isinstance(value, str) and value in _NULL_TEXT)


def _mapper(options: SourceOptions, now: datetime):  # type: ignore[no-untyped-def]
    def map_user(raw: dict[str, Any]) -> RecordBuilder:
        b = RecordBuilder(FORMAT)
        if _present(raw.get("deleted_at")):
            b.fail("deleted_at", "the user was deleted in Supabase (soft delete): not imported")
            return b
        b.put_text("external_id", raw.get("id"), "id")
        email = raw.get("email")
        b.put_text("email", email, "email")
        if _present(email):
            b.put("email_verified", _present(raw.get("email_confirmed_at")))
        phone = raw.get("phone")
        if _present(phone) and isinstance(phone, str):
            digits = phone.strip()  # GoTrue keeps international numbers without their "+"
            b.put("phone_number", digits if digits.startswith("+") else f"+{digits}")
            b.put("phone_number_verified", _present(raw.get("phone_confirmed_at")))
        password = raw.get("encrypted_password")
        if _present(password) and isinstance(password, str):
            b.put("password", {"hash": password})
        for column, attribute in (("raw_user_meta_data", "user_metadata"), ("raw_app_meta_data", "app_metadata")):
            if not _present(raw.get(column)):
                continue
            try:
                metadata = json_value(raw[column])
            except ValueError:
                b.warn(column, "not valid JSON; ignored")
                continue
            if not isinstance(metadata, dict):
                b.warn(column, "not a JSON object; ignored")
                continue
            b.attribute(attribute, metadata or None)
            if attribute == "user_metadata":
                name = metadata.get("full_name") or metadata.get("name")
                picture = metadata.get("avatar_url") or metadata.get("picture")
                b.put("name", name if isinstance(name, str) else None)
                b.put("picture", picture if isinstance(picture, str) else None)
        for column, ours in (("created_at", "created_at"), ("updated_at", "updated_at"),
                             ("last_sign_in_at", "last_login_at")):
            if _present(raw.get(column)):
                b.put_time(ours, raw[column], column)
        _map_ban(raw.get("banned_until"), now, b)
        if to_bool(raw.get("is_sso_user")):
            b.attribute("is_sso_user", True)
        if to_bool(raw.get("is_anonymous")):
            b.warn("is_anonymous", "an anonymous Supabase user: it has no sign-in method")
        b.unknown(raw, _KNOWN)
        return b

    return map_user


def _map_ban(value: Any, now: datetime, b: RecordBuilder) -> None:
    if not _present(value):
        return
    if isinstance(value, str) and value.strip().lower() == "infinity":
        b.put("disabled", True)
        b.put("disabled_reason", "banned in Supabase")
        return
    try:
        until = parse_datetime(value)
    except ValueError:
        b.warn("banned_until", "not a date-time; the ban is not carried over")
        return
    if until > now:
        b.put("disabled", True)
        b.put("disabled_reason", f"banned in Supabase until {until.isoformat().replace('+00:00', 'Z')}")


def read(stream: BinaryIO, *, options: SourceOptions = SourceOptions()) -> Iterator[SourceItem]:
    """Rows of Supabase's auth.users: CSV, a JSON array or JSON lines (detected)."""
    raw_items = read_layouts(stream, {
        "csv": lambda opened: iter_csv(opened.stream, _cells),
        "json_array": lambda opened: iter_json_array(opened.stream),
        "ndjson": lambda opened: iter_ndjson(opened.stream),
    }, "a Supabase export is auth.users as CSV, a JSON array or JSON lines")
    return map_items(raw_items, _mapper(options, datetime.now(UTC)), FORMAT)
