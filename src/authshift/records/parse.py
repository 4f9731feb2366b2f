"""Reading a raw record into a ``UserRecord`` (every problem reported with its path, never a
secret), writing it back as compact JSON, and masking its secrets for reports."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from authshift.records.model import UNION_TAGS as _UNION_TAGS
from authshift.records.model import FieldIssue, ParsedRecord, UserRecord
from authshift.security.redaction import redact as redact_secrets

__all__ = ["RecordError", "parse_record", "record_to_json", "redact"]


class RecordError(ValueError):
    """A record that cannot be used, with every problem found (never a secret in a message)."""

    def __init__(self, issues: list[FieldIssue] | tuple[FieldIssue, ...],
                 warnings: list[FieldIssue] | tuple[FieldIssue, ...] = ()) -> None:
        self.issues: tuple[FieldIssue, ...] = tuple(issues)
        self.warnings: tuple[FieldIssue, ...] = tuple(warnings)
        super().__init__("; ".join(str(issue) for issue in self.issues) or "invalid record")


# Keys whose value is free-form user data: an empty string there is data, not absence.
_OPAQUE_KEYS = frozenset({"custom_attributes"})


def _drop_empty(value: Any) -> Any:
    """``value`` where "" (at any level of our schema) means absent.

    Only the containers that hold a "" (or hold one that does) are copied; the others, which are
    almost all of them, are returned as they are (this runs for every imported record).
    """
    if isinstance(value, dict):
        if "" in value.values():
            return {key: _drop_empty(item) if isinstance(item, _NESTED) and key not in _OPAQUE_KEYS else item
                    for key, item in value.items() if item != ""}
        copied: dict[Any, Any] | None = None
        for key, item in value.items():
            if isinstance(item, _NESTED) and key not in _OPAQUE_KEYS:
                cleaned = _drop_empty(item)
                if cleaned is not item:
                    if copied is None:
                        copied = dict(value)
                    copied[key] = cleaned
        return value if copied is None else copied
    if isinstance(value, list):
        if "" in value or any(isinstance(item, _NESTED) and _drop_empty(item) is not item for item in value):
            return [_drop_empty(item) if isinstance(item, _NESTED) else item for item in value if item != ""]
        return value
    return value


# Only containers are looked into (no call per scalar).
_NESTED = (dict, list)


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in _UNION_TAGS:
            continue
        else:
            text += f".{part}" if text else str(part)
    return text


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind in ("string_type", "bool_type", "int_type", "list_type", "dict_type", "model_type",
                "model_attributes_type"):
        expected = {"string_type": "a string", "bool_type": "a boolean (true or false)",
                    "int_type": "an integer", "list_type": "a list", "dict_type": "an object",
                    "model_type": "an object", "model_attributes_type": "an object"}[kind]
        return f"expected {expected}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _delete_at(obj: Any, loc: tuple[int | str, ...]) -> None:
    target = obj
    path = [part for part in loc if part not in _UNION_TAGS]
    for part in path[:-1]:
        target = target[part]
    if isinstance(target, dict):
        target.pop(path[-1], None)


def parse_record(obj: Any, *, allow_plaintext_password: bool = False) -> ParsedRecord:
    """Validate one raw record; see the package docstring (``records``)."""
    if not isinstance(obj, dict):
        raise RecordError([FieldIssue("", "a record must be a JSON object")])
    data = _drop_empty(obj)
    warnings: list[FieldIssue] = []
    try:
        record = _RECORD_VALIDATOR.validate_python(data)
    except ValidationError as exc:
        problems: list[FieldIssue] = []
        unknown: list[tuple[int | str, ...]] = []
        for error in exc.errors(include_url=False, include_input=False):
            loc = tuple(error["loc"])
            if error["type"] == "extra_forbidden":
                unknown.append(loc)
                warnings.append(FieldIssue(_path(loc), "unknown field, ignored"))
            else:
                problems.append(FieldIssue(_path(loc), _message(error)))
        if problems:
            raise RecordError(problems, warnings) from None
        data = copy.deepcopy(data)
        for loc in unknown:
            _delete_at(data, loc)
        record = _RECORD_VALIDATOR.validate_python(data)
    if record.has_plaintext_password and not allow_plaintext_password:
        raise RecordError([FieldIssue("password", "a plain-text password is not accepted here; "
                                      "give a hash ({\"hash\": ...}) or a structured hash object")], warnings)
    return ParsedRecord(record, tuple(warnings))


def record_to_json(record: UserRecord, *, keep_nulls: bool = False) -> dict[str, Any]:
    """The compact JSON form of a record: absent and null fields omitted, datetimes in UTC with Z.

    With ``keep_nulls`` the top-level fields that were explicitly set to null are kept as null
    (what an upsert reads as "remove").
    """
    data: dict[str, Any] = _RECORD_SERIALIZER.to_python(record, mode="json", exclude_none=True)
    if keep_nulls:
        values = record.__dict__
        for name in record.__pydantic_fields_set__:
            if values[name] is None:
                data[name] = None
    return data


# model_validate and model_dump without their Python wrappers (they run for every imported record)
_RECORD_VALIDATOR = UserRecord.__pydantic_validator__
_RECORD_SERIALIZER = UserRecord.__pydantic_serializer__


def redact(obj: Any) -> Any:
    """A copy of a record (raw object, native or foreign, or a UserRecord) with every secret masked,
    for reports: ``security.redaction.redact``, the rule logs, the audit log and errors use too.

    Password hashes, salts, keys and plain passwords, TOTP secrets and URIs, recovery codes and
    anything named like a secret or token become ``"[redacted]"``; the password's algorithm and
    cost parameters and flags stay visible, so a report can still say what was wrong.
    """
    return redact_secrets(record_to_json(obj) if isinstance(obj, UserRecord) else obj)
