"""What an export writes: format, fields, filters, secrets, recipients — validated in one place.

The CLI (``--filter key=value``, ``--fields a,b``) and the admin API (a JSON body) both build an
``ExportOptions`` with ``parse_export_options``; every bad option is reported with the option's
name and what is expected, before anything is read or written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import datetime
from typing import Any

from authshift.accounts.users import UserFilter
from authshift.errors import ErrorList
from authshift.records import MIGRATION_STATES, parse_datetime
from authshift.records.fields import FIELDS
from authshift.records.fields import SECRET_FIELDS as RECORD_SECRET_FIELDS

__all__ = [
    "EXPORT_FORMATS",
    "FILTER_KEYS",
    "PEER_FORMATS",
    "RECORD_FIELDS",
    "SECRET_FIELDS",
    "ExportOptions",
    "parse_export_options",
    "parse_filter_pairs",
]

EXPORT_FORMATS = ("ndjson", "csv", "auth0", "kratos")
PEER_FORMATS = frozenset({"auth0", "kratos"})  # other systems' own schemas: whole users, no field choice
RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS)  # the record's fields, in its order
SECRET_FIELDS = RECORD_SECRET_FIELDS  # the fields marked secret in records.fields
ALWAYS_FIELDS = ("id",)  # every exported line names its user, so a partial export can be matched back
FILTER_KEYS = (
    "migration_state", "source", "created_after", "created_before", "updated_after", "updated_before", "role", "group",
)
_TIME_KEYS = frozenset({"created_after", "created_before", "updated_after", "updated_before"})
AGE_RECIPIENT_PREFIX = "age1"


@dataclass(frozen=True)
class ExportOptions:
    format: str = "ndjson"
    fields: tuple[str, ...] | None = None  # None: every field
    filters: UserFilter = field(default_factory=UserFilter)
    include_secrets: bool = False
    recipients: tuple[str, ...] = ()  # age public keys; the output is encrypted when any is given

    @property
    def encrypted(self) -> bool:
        return bool(self.recipients)

    def filters_as_dict(self) -> dict[str, str]:
        """The filters given, as text (for the audit log, job rows and summaries)."""
        out: dict[str, str] = {}
        for f in dataclass_fields(self.filters):
            value = getattr(self.filters, f.name)
            if value is not None:
                out[f.name] = value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else str(value)
        return out

    def as_dict(self) -> dict[str, Any]:
        """The options as JSON (what a job row keeps; recipients are public keys, not secrets)."""
        return {
            "format": self.format,
            "fields": list(self.fields) if self.fields is not None else None,
            "filters": self.filters_as_dict(),
            "include_secrets": self.include_secrets,
            "encrypt_to": list(self.recipients),
        }


def parse_filter_pairs(pairs: Iterable[str], errors: ErrorList, path: str = "filter") -> dict[str, str]:
    """``["role=admin", "created_after=2024-01-01"]`` -> a dict (each key at most once)."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            errors.add(path, f"{pair!r} is not key=value (keys: {', '.join(FILTER_KEYS)})")
        elif key in out:
            errors.add(f"{path}.{key}", "is given twice")
        else:
            out[key] = value.strip()
    return out


def _filters(raw: Mapping[str, Any], errors: ErrorList) -> UserFilter:
    values: dict[str, Any] = {}
    for key, value in raw.items():
        path = f"filters.{key}"
        if key not in FILTER_KEYS:
            errors.add(path, f"unknown filter (known: {', '.join(FILTER_KEYS)})")
            continue
        if not isinstance(value, str) or not value.strip():
            errors.add(path, "expected a non-empty string")
            continue
        value = value.strip()
        if key in _TIME_KEYS:
            try:
                values[key] = parse_datetime(value)
            except ValueError as exc:
                errors.add(path, f"{exc} (or a date such as 2024-05-01)")
        elif key == "migration_state" and value not in MIGRATION_STATES:
            errors.add(path, f"must be one of {', '.join(MIGRATION_STATES)}")
        else:
            values[key] = value
    for start, end in (("created_after", "created_before"), ("updated_after", "updated_before")):
        if start in values and end in values and values[start] >= values[end]:
            errors.add(f"filters.{end}", f"must be later than {start}")
    return UserFilter(**values)


def _fields(raw: Any, fmt: str, include_secrets: bool, errors: ErrorList) -> tuple[str, ...] | None:
    if raw is None:
        return None
    names: Sequence[Any] = [n for n in raw.split(",")] if isinstance(raw, str) else raw
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        errors.add("fields", "expected a list of field names (or one comma-separated string)")
        return None
    chosen = [n.strip() for n in names if n.strip()]
    if not chosen:
        errors.add("fields", "names no field")
        return None
    if fmt in PEER_FORMATS:
        errors.add("fields", f"cannot be used with the {fmt} format (it writes {fmt}'s own schema)")
        return None
    unknown = [n for n in chosen if n not in RECORD_FIELDS]
    if unknown:
        errors.add("fields", f"unknown field {', '.join(unknown)} (known: {', '.join(RECORD_FIELDS)})")
    secret = [n for n in chosen if n in SECRET_FIELDS]
    if secret and not include_secrets:
        errors.add("fields", f"{', '.join(secret)} is only exported with include_secrets")
    wanted = set(chosen) | set(ALWAYS_FIELDS)
    return tuple(n for n in RECORD_FIELDS if n in wanted)  # the record's order, whatever order was given


def _recipients(raw: Any, errors: ErrorList) -> tuple[str, ...]:
    if raw is None:
        return ()
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        errors.add("encrypt_to", "expected a list of age public keys (age1...)")
        return ()
    out = []
    for i, value in enumerate(v.strip() for v in values):
        if not value.startswith(AGE_RECIPIENT_PREFIX):
            errors.add(f"encrypt_to[{i}]", "is not an age public key (they start with age1)")
            continue
        try:
            from pyrage import x25519

            x25519.Recipient.from_str(value)
        except Exception:  # noqa: BLE001 - pyrage raises its own error types for every malformed key
            errors.add(f"encrypt_to[{i}]", "is not a valid age public key")
            continue
        out.append(value)
    return tuple(dict.fromkeys(out))


def parse_export_options(
    *,
    format: str = "ndjson",  # noqa: A002 - the option's public name
    fields: Any = None,
    filters: Mapping[str, Any] | None = None,
    include_secrets: Any = False,
    encrypt_to: Any = None,
) -> ExportOptions:
    """Validate every option at once; raises ``InvalidInput`` listing each problem with its path."""
    errors = ErrorList()
    if format not in EXPORT_FORMATS:
        errors.add("format", f"must be one of {', '.join(EXPORT_FORMATS)}")
    if not isinstance(include_secrets, bool):
        errors.add("include_secrets", "expected true or false")
        include_secrets = False
    if filters is not None and not isinstance(filters, Mapping):
        errors.add("filters", "expected an object of filter names to values")
        filters = None
    parsed_filters = _filters(filters or {}, errors)
    parsed_fields = _fields(fields, format, include_secrets, errors)
    recipients = _recipients(encrypt_to, errors)
    errors.raise_if_any("the export options are not valid")
    return ExportOptions(format, parsed_fields, parsed_filters, include_secrets, recipients)
