"""authshift's own format: NDJSON (one record per line), CSV with the record's field names as
headers, or a JSON array; the layout is detected from the first character of the file.

CSV rules (shared with the CSV export through ``record_to_csv_row``):
- the header row names the fields (``CSV_FIELDS`` is the order export writes);
- an empty cell is an absent field;
- nested values (``CSV_JSON_FIELDS``) are compact JSON in their cell;
- booleans (``CSV_BOOLEAN_FIELDS``) are ``true`` or ``false`` (any case); in JSON they must be
  real booleans.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from authshift.migration.formats._stream import (
    iter_csv,
    iter_json_array,
    iter_ndjson,
    open_source,
    read_layouts,
)
from authshift.migration.formats.base import SourceFormatError, SourceItem, SourceOptions
from authshift.migration.formats.detect import SNIFF_BYTES, foreign_shape_message
from authshift.records import FieldIssue, UserRecord, record_to_json

__all__ = [
    "CSV_BOOLEAN_FIELDS",
    "CSV_FIELDS",
    "CSV_JSON_FIELDS",
    "csv_cells_to_object",
    "iter_native",
    "iter_objects",
    "json_to_csv_row",
    "read",
    "record_to_csv_row",
]

CSV_FIELDS: tuple[str, ...] = tuple(UserRecord.model_fields)
CSV_JSON_FIELDS = frozenset({"address", "custom_attributes", "roles", "groups", "password", "identities", "mfa"})
CSV_BOOLEAN_FIELDS = frozenset({"email_verified", "phone_number_verified", "disabled"})
_BOOLEANS = {"true": True, "false": False}


def csv_cells_to_object(cells: dict[str, str]) -> tuple[dict[str, Any], list[FieldIssue]]:
    """Type the cells of one native CSV row (empty cells are already left out)."""
    obj: dict[str, Any] = {}
    problems: list[FieldIssue] = []
    for name, cell in cells.items():
        if name in CSV_JSON_FIELDS:
            try:
                obj[name] = json.loads(cell)
            except json.JSONDecodeError:
                problems.append(FieldIssue(name, "not valid JSON (in CSV, nested values are written as compact JSON)"))
        elif name in CSV_BOOLEAN_FIELDS:
            obj[name] = _BOOLEANS.get(cell.strip().lower(), cell)
        else:
            obj[name] = cell
    return obj, problems


def record_to_csv_row(record: UserRecord) -> dict[str, str]:
    """The CSV cells of a record (absent fields are missing keys: write them as empty cells)."""
    return json_to_csv_row(record_to_json(record))


def json_to_csv_row(obj: dict[str, Any]) -> dict[str, str]:
    """The CSV cells of a record already in its JSON form (what export holds)."""
    row: dict[str, str] = {}
    for name, value in obj.items():
        if name in CSV_JSON_FIELDS:
            row[name] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        elif isinstance(value, bool):
            row[name] = "true" if value else "false"
        else:
            row[name] = str(value)
    return row


def iter_objects(stream: BinaryIO) -> Iterator[SourceItem]:
    """Raw JSON objects from an NDJSON file, a JSON array or a CSV file (cells typed by the native rules).

    Foreign readers whose systems write rows (Supabase, Django's jsonl) reuse this detection.
    """
    return read_layouts(stream, {
        "ndjson": lambda opened: iter_ndjson(opened.stream),
        "json_array": lambda opened: iter_json_array(opened.stream),
        "csv": lambda opened: iter_csv(opened.stream, csv_cells_to_object),
    }, "the file is one JSON object written over several lines; expected NDJSON (one object per line), "
       "a JSON array, or CSV")


def iter_native(stream: BinaryIO) -> Iterator[SourceItem]:
    """Records in authshift's format, NDJSON, CSV or a JSON array (detected)."""
    return iter_objects(stream)


def read(stream: BinaryIO, *, options: SourceOptions = SourceOptions()) -> Iterator[SourceItem]:
    """Records in authshift's format; another system's export is refused naming its ``--format``."""
    opened = open_source(stream)
    head = opened.stream.peek(SNIFF_BYTES)[:SNIFF_BYTES] if hasattr(opened.stream, "peek") else b""
    refusal = foreign_shape_message(head)
    if refusal is not None:
        raise SourceFormatError(refusal)
    return iter_native(opened.stream)
