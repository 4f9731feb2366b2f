"""The value rules of the record format: date-times, and the text fields checked beyond their length.

Each rule is a plain function (``ValueError`` with the message a report shows) wrapped in an
``Annotated`` type, so the models (``model``, ``mfa``, ``password``) state a field's rule by its type.
"""

from __future__ import annotations

import re
import uuid
import zoneinfo
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from authshift.accounts.normalize import (
    normalize_email,
    normalize_phone,
    normalize_username,
)
from authshift.records.limits import (
    MAX_EMAIL,
    MAX_PHONE,
    MAX_SHORT,
    MAX_URL,
    MAX_USERNAME,
    text_limit,
)

__all__ = [
    "BirthdateText",
    "EmailText",
    "LocaleText",
    "PhoneText",
    "RecordModel",
    "UrlText",
    "UsernameText",
    "UtcDateTime",
    "UuidText",
    "ZoneText",
    "parse_datetime",
]


class RecordModel(BaseModel):
    """The base of the record's models: unknown keys are refused (``parse`` reports them as
    warnings and drops them), and values are not coerced (``"true"`` is not a boolean)."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=False)


def parse_datetime(value: Any) -> datetime:
    """ISO 8601 date-time (``Z`` or an offset; no offset means UTC) -> aware UTC datetime.

    Numbers are refused: an epoch number is ambiguous (seconds or milliseconds); the readers of
    foreign formats convert their epochs before handing objects to ``parse_record``.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("expected an ISO 8601 date-time such as 2024-05-01T12:30:00Z") from None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError("expected an ISO 8601 date-time string, not a number "
                         "(epoch numbers are ambiguous between seconds and milliseconds)")
    else:
        raise ValueError("expected an ISO 8601 date-time string")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _datetime_or_none(value: Any) -> Any:
    return None if value is None else parse_datetime(value)


UtcDateTime = Annotated[datetime, BeforeValidator(_datetime_or_none)]

_BIRTHDATE = re.compile(r"^(\d{4})(?:-(\d{2})-(\d{2}))?$")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")


def _check_birthdate(value: str) -> str:
    match = _BIRTHDATE.match(value)
    if not match:
        raise ValueError("expected YYYY or YYYY-MM-DD (0000-MM-DD when the year is not known)")
    year, month, day = match.groups()
    if month is not None:
        try:
            date(int(year) or 2000, int(month), int(day))
        except ValueError:
            raise ValueError("not a calendar date") from None
    elif year == "0000":
        raise ValueError("a year of 0000 is only allowed as 0000-MM-DD")
    return value


@lru_cache(maxsize=1)
def _known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _check_zoneinfo(value: str) -> str:
    zones = _known_time_zones()
    if zones and value not in zones:
        raise ValueError("not a time zone of the IANA database (for example Europe/Paris)")
    return value


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("expected an absolute http(s) URL")
    return value


# InvalidLoginId is a ValueError: pydantic reports its message at the field's path.
def _check_email(value: str) -> str:
    normalize_email(value)
    return value.strip()


def _check_username(value: str) -> str:
    normalize_username(value)
    return value.strip()


def _check_locale(value: str) -> str:
    if not _LOCALE.match(value):
        raise ValueError("expected a BCP 47 language tag such as en-US")
    return value


def _canonical_uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError("expected a UUID such as 0190a6e2-7c1e-7d3a-9b5e-2f1c3d4e5f60") from None


EmailText = Annotated[str, text_limit(MAX_EMAIL), AfterValidator(_check_email)]
PhoneText = Annotated[str, text_limit(MAX_PHONE), AfterValidator(normalize_phone)]  # stored in E.164
UsernameText = Annotated[str, text_limit(MAX_USERNAME), AfterValidator(_check_username)]
UrlText = Annotated[str, text_limit(MAX_URL), AfterValidator(_check_url)]
BirthdateText = Annotated[str, text_limit(MAX_SHORT), AfterValidator(_check_birthdate)]
ZoneText = Annotated[str, text_limit(MAX_SHORT), AfterValidator(_check_zoneinfo)]
LocaleText = Annotated[str, text_limit(MAX_SHORT), AfterValidator(_check_locale)]
UuidText = Annotated[str, text_limit(MAX_SHORT), AfterValidator(_canonical_uuid)]
