"""Export file formats: each writer turns batches of records into bytes, so memory stays flat.

- ``ndjson``: one import record per line, exactly what ``authshift import`` reads.
- ``csv``: the native CSV (same field names as headers, nested values as compact JSON).
- ``auth0``: a JSON array in Auth0's bulk-import schema; users or parts Auth0 cannot take are
  reported per user (``issues``), never dropped silently.
- ``kratos``: a JSON array of Ory Kratos identities, passkeys included (``kratos_identities``),
  what Kratos cannot take reported the same way.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import orjson

from authshift.migration.exports.options import RECORD_FIELDS
from authshift.migration.formats.auth0.writer import Unmapped, to_auth0_user
from authshift.migration.formats.kratos.writer import to_kratos_identity
from authshift.migration.formats.native import json_to_csv_row

__all__ = ["ExportWriter", "dumps", "writer_for"]


def dumps(value: Any) -> bytes:
    """Compact JSON in UTF-8 (orjson; the standard library for what orjson refuses, such as
    integers beyond 64 bits in custom attributes)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class ExportWriter(Protocol):
    media_type: str
    suffix: str

    def begin(self) -> bytes: ...

    def write(self, records: Sequence[dict[str, Any]]) -> bytes: ...

    def end(self) -> bytes: ...

    def take_issues(self) -> list[dict[str, Any]]:
        """Per-user report lines gathered since the last call (what could not be written)."""
        ...


def _project(records: Sequence[dict[str, Any]], fields: tuple[str, ...] | None) -> Sequence[dict[str, Any]]:
    if fields is None:
        return records
    return [{k: rec[k] for k in fields if k in rec} for rec in records]


class _Writer:
    """Defaults: nothing before or after the records, nothing to report."""

    def begin(self) -> bytes:
        return b""

    def end(self) -> bytes:
        return b""

    def take_issues(self) -> list[dict[str, Any]]:
        return []


class NdjsonWriter(_Writer):
    media_type, suffix = "application/x-ndjson", ".ndjson"

    def __init__(self, fields: tuple[str, ...] | None) -> None:
        self.fields = fields

    def write(self, records: Sequence[dict[str, Any]]) -> bytes:
        lines = [dumps(rec) for rec in _project(records, self.fields)]
        lines.append(b"")
        return b"\n".join(lines)


class CsvWriter(_Writer):
    media_type, suffix = "text/csv", ".csv"

    def __init__(self, fields: tuple[str, ...] | None) -> None:
        self.columns = fields or RECORD_FIELDS

    def _rows(self, rows: list[list[str]]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        return buffer.getvalue().encode("utf-8")

    def begin(self) -> bytes:
        return self._rows([list(self.columns)])

    def write(self, records: Sequence[dict[str, Any]]) -> bytes:
        rows = []
        for rec in records:
            cells = json_to_csv_row(rec)
            rows.append([cells.get(c, "") for c in self.columns])
        return self._rows(rows)


class PeerWriter(_Writer):
    """A JSON array of another system's users, each converted by ``convert`` (None: not written)."""

    media_type, suffix = "application/json", ".json"

    def __init__(self, convert: Callable[[dict[str, Any]], tuple[dict[str, Any] | None, list[Unmapped]]]) -> None:
        self.convert = convert
        self.first = True
        self.issues: list[dict[str, Any]] = []
        self.skipped = 0

    def begin(self) -> bytes:
        return b"["

    def write(self, records: Sequence[dict[str, Any]]) -> bytes:
        parts = []
        for rec in records:
            user, unmapped = self.convert(rec)
            if unmapped:
                self.issues.append({
                    "id": rec["id"], "email": rec.get("email"), "written": user is not None,
                    "unmapped": [u.as_dict() for u in unmapped],
                })
            if user is None:
                self.skipped += 1
                continue
            parts.append((b"\n" if self.first else b",\n") + dumps(user))
            self.first = False
        return b"".join(parts)

    def end(self) -> bytes:
        return b"\n]\n" if not self.first else b"]\n"

    def take_issues(self) -> list[dict[str, Any]]:
        issues, self.issues = self.issues, []
        return issues


def writer_for(fmt: str, fields: tuple[str, ...] | None) -> ExportWriter:
    if fmt == "csv":
        return CsvWriter(fields)
    if fmt == "auth0":
        return PeerWriter(to_auth0_user)
    if fmt == "kratos":
        return PeerWriter(to_kratos_identity)
    return NdjsonWriter(fields)
