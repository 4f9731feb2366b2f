"""Helpers the foreign readers share to turn one foreign object into a native-shaped one."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

from authshift.migration.formats.base import SourceItem, epoch_to_iso
from authshift.records import FieldIssue, parse_datetime

__all__ = ["RecordBuilder", "map_items", "to_bool", "json_value"]

_TRUE = frozenset({"true", "t", "1", "yes"})
_FALSE = frozenset({"false", "f", "0", "no"})


def to_bool(value: Any) -> bool | None:
    """A boolean written as JSON or as CSV text (true/false, t/f, 1/0); None when it is neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def json_value(value: Any) -> Any:
    """A JSON column: already decoded (JSON export) or text (CSV export). Raises ValueError."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ValueError("not valid JSON") from None
    return value


class RecordBuilder:
    """Collects a native-shaped object with the reader's errors and warnings."""

    def __init__(self, source: str) -> None:
        self.obj: dict[str, Any] = {"source": source}
        self.errors: list[FieldIssue] = []
        self.warnings: list[FieldIssue] = []

    def put(self, key: str, value: Any) -> None:
        """Set a field unless the value is empty (None, "", [] or {})."""
        if value is None or value == "" or value == [] or value == {}:
            return
        self.obj[key] = value

    def put_text(self, key: str, value: Any, path: str) -> None:
        """Set a string field; a non-string value is reported, not converted silently."""
        if value is None or value == "":
            return
        if isinstance(value, str):
            self.obj[key] = value
        else:
            self.warn(path, f"expected a string, got {type(value).__name__}; ignored")

    def put_bool(self, key: str, value: Any, path: str) -> bool | None:
        if value is None or value == "":
            return None
        flag = to_bool(value)
        if flag is None:
            self.warn(path, "expected true or false; ignored")
        else:
            self.obj[key] = flag
        return flag

    def put_enabled(self, enabled: Any, reason: str) -> None:
        """Map an "enabled"/"active" flag of the source onto disabled (+ reason when disabled)."""
        flag = to_bool(enabled)
        if flag is False:
            self.obj["disabled"] = True
            self.obj["disabled_reason"] = reason
        elif flag is True:
            self.obj["disabled"] = False

    def put_time(self, key: str, value: Any, path: str, unit: Literal["iso", "s", "ms"] = "iso") -> None:
        """Set a datetime field from ISO 8601 text or an epoch number; a bad value is a warning."""
        if value is None or value == "":
            return
        try:
            if unit == "iso":
                if not isinstance(value, str):
                    raise ValueError("expected an ISO 8601 date-time")
                self.obj[key] = parse_datetime(value).isoformat().replace("+00:00", "Z")
            else:
                self.obj[key] = epoch_to_iso(value, unit)
        except ValueError as exc:
            self.warn(path, f"{exc}; the time is not kept")

    def attribute(self, name: str, value: Any) -> None:
        if value is None or value == "":
            return
        self.obj.setdefault("custom_attributes", {})[name] = value

    def identity(self, path: str, provider: Any, subject: Any, email: Any = None) -> None:
        """Add a federated identity; one without a provider or subject is a warning."""
        if isinstance(subject, int) and not isinstance(subject, bool):
            subject = str(subject)
        if not isinstance(provider, str) or not isinstance(subject, str) or not provider or not subject:
            self.warn(path, "no provider or subject; ignored")
            return
        entry = {"provider": provider, "subject": subject}
        if isinstance(email, str) and email:
            entry["email"] = email
        self.obj.setdefault("identities", []).append(entry)

    def mfa(self, key: str, value: Any) -> None:
        mfa = self.obj.setdefault("mfa", {})
        if key == "totp":
            mfa.setdefault("totp", []).append(value)
        else:
            mfa.setdefault(key, value)

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(FieldIssue(path, message))

    def fail(self, path: str, message: str) -> None:
        self.errors.append(FieldIssue(path, message))

    def unknown(self, raw: dict[str, Any], known: Iterable[str], prefix: str = "") -> None:
        known_set = set(known)
        for key in raw:
            if key not in known_set:
                self.warn(f"{prefix}{key}", "unknown field, ignored")

    def item(self, line: int, index: int) -> SourceItem:
        return SourceItem(line, index, self.obj, tuple(self.errors), tuple(self.warnings))


def map_items(items: Iterable[SourceItem], mapper: Callable[[dict[str, Any]], RecordBuilder],
              fmt: str) -> Iterator[SourceItem]:
    """Apply a reader's mapper to every raw object; items that could not be read pass through.

    A mapper that meets a shape it does not expect fails that record, never the whole file.
    """
    for raw in items:
        if raw.obj is None or raw.errors:
            yield raw
            continue
        try:
            built = mapper(raw.obj)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
            yield SourceItem(raw.line, raw.index, None, (FieldIssue(
                "", f"the record does not have the shape of a {fmt} export ({type(exc).__name__})"),))
            continue
        yield built.item(raw.line, raw.index)
