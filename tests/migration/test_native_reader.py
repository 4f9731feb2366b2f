"""The native format reader: NDJSON, CSV and JSON arrays, streamed, bad lines reported by number."""

from __future__ import annotations

import csv
import gzip
import io
import json

import pytest

from authshift.migration.formats import SourceFormatError, get_reader, iter_native, record_to_csv_row
from authshift.migration.formats.native import CSV_FIELDS
from authshift.records import RecordError, parse_record, record_to_json

BCRYPT = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"


def outcomes(data: bytes) -> list[tuple[int, int, str]]:
    """(line, index, 'ok' | first error) for every item, after parse_record."""
    result = []
    for item in iter_native(io.BytesIO(data)):
        try:
            item.parse()
            result.append((item.line, item.index, "ok"))
        except RecordError as exc:
            result.append((item.line, item.index, str(exc.issues[0])))
    return result


def test_ndjson_bad_lines_are_reported_by_line_number_and_the_rest_goes_on() -> None:
    data = b"\n".join([
        b'{"email": "a@example.com"}',
        b'{"email": "b@example.com",',  # broken JSON
        b"",
        b'{"email": 12}',  # wrong type
        b'["not", "an", "object"]',
        b'{"email": "c@example.com", "password": {"hash": "' + BCRYPT.encode() + b'"}}',
        b"   ",
        b'{"email": "d@example.com", "disabled": "true"}',  # strings are not booleans in JSON
    ]) + b"\n"
    assert outcomes(data) == [
        (1, 1, "ok"),
        (2, 2, "broken JSON: Expecting property name enclosed in double quotes at column 27"),
        (4, 3, "email: expected a string"),
        (5, 4, "a record must be a JSON object"),
        (6, 5, "ok"),
        (8, 6, "disabled: expected a boolean (true or false)"),
    ]


def test_ndjson_lines_that_are_not_utf8_fail_alone() -> None:
    data = b'{"name": "\xff\xfe"}\n{"name": "ok"}\n'
    assert outcomes(data) == [(1, 1, "the line is not valid UTF-8"), (2, 2, "ok")]


def test_a_json_array_is_read_element_by_element_with_index_and_line() -> None:
    data = json.dumps([{"email": "a@example.com"}, 5, {"email": "b@example.com", "extra": 1}], indent=2).encode()
    items = list(iter_native(io.BytesIO(data)))
    assert [(item.index, item.line) for item in items] == [(1, 2), (2, 5), (3, 6)]
    assert items[1].errors[0].message == "a record must be a JSON object"
    assert items[2].parse().warnings[0].path == "extra"


def test_a_broken_json_array_reports_where_and_keeps_what_came_before() -> None:
    data = b'[\n{"email": "a@example.com"},\n{"email": "b@example.com" "name": "x"},\n{"email": "c@example.com"}\n]'
    result = outcomes(data)
    assert result[0] == (1 + 1, 1, "ok")
    assert result[1][:2] == (3, 2)
    assert "broken JSON" in result[1][2] and "line 3" in result[1][2]
    assert len(result) == 2


def test_a_truncated_json_array_is_reported() -> None:
    data = b'[{"email": "a@example.com"}, {"email": "b@exa'
    result = outcomes(data)
    assert result[0] == (1, 1, "ok")
    assert "Unterminated string" in result[1][2]


class CountingStream(io.BytesIO):
    """Remembers how far into the file the reader has gone."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.furthest = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.furthest = max(self.furthest, self.tell())
        return chunk


@pytest.mark.parametrize("layout", ["array", "ndjson"])
def test_big_files_are_streamed_not_loaded(layout: str) -> None:
    users = [{"email": f"user{n}@example.com", "name": "x" * 200} for n in range(20_000)]
    data = json.dumps(users).encode() if layout == "array" else b"\n".join(json.dumps(u).encode() for u in users)
    stream = CountingStream(data)
    items = iter_native(stream)
    first = next(items)
    assert first.obj == users[0]
    assert stream.furthest < len(data) / 10
    assert sum(1 for _ in items) == len(users) - 1


def test_csv_uses_the_field_names_nested_json_and_empty_cells() -> None:
    data = (
        "\ufeffemail,email_verified,name,roles,address,password,disabled,nickname\n"
        'Ann@Example.com,TRUE,Ann,"[""admin""]","{""country"":""NO""}","{""hash"":""' + BCRYPT + '""}",false,\n'
        'bob@example.com,yes,"Bob ""the"" Builder",[admin,,,\n'
        "\n"
        'carol@example.com,false,"Carol\nSecond line",,,,,\n'
        "dave@example.com,,,,,,,,surplus\n"
    ).encode()
    items = list(iter_native(io.BytesIO(data)))
    assert [(item.line, item.index) for item in items] == [(2, 1), (3, 2), (5, 3), (7, 4)]
    ann = items[0].parse().record
    assert ann.email_verified is True and ann.disabled is False and ann.roles == ["admin"]
    assert ann.address is not None and ann.address.country == "NO"
    assert "nickname" not in ann.model_fields_set  # empty cell = absent
    assert [str(issue) for issue in items[1].errors] == [
        "roles: not valid JSON (in CSV, nested values are written as compact JSON)"]
    assert items[2].parse().record.name == "Carol\nSecond line"
    assert "8 columns" in items[3].errors[0].message


def test_csv_booleans_other_than_true_and_false_are_errors() -> None:
    data = b"email,email_verified\na@example.com,yes\n"
    assert outcomes(data) == [(2, 1, "email_verified: expected a boolean (true or false)")]


def test_gzip_files_are_read_transparently() -> None:
    data = gzip.compress(b'{"email": "a@example.com"}\n{"email": "b@example.com"}\n')
    assert [o[2] for o in outcomes(data)] == ["ok", "ok"]


def test_an_empty_file_yields_nothing_and_a_pretty_printed_object_is_refused() -> None:
    assert list(iter_native(io.BytesIO(b"  \n"))) == []
    with pytest.raises(SourceFormatError, match="NDJSON"):
        list(iter_native(io.BytesIO(b'{\n  "email": "a@example.com"\n}\n')))


def test_the_native_reader_is_registered() -> None:
    reader = get_reader("native")
    assert [item.obj for item in reader(io.BytesIO(b'{"email": "a@example.com"}\n'))] == [{"email": "a@example.com"}]


def test_records_written_as_csv_read_back_equal() -> None:
    raw = [
        {"email": "a@example.com", "email_verified": True, "name": 'Quote " and, comma', "roles": ["a", "b"],
         "custom_attributes": {"k": [1, {"z": None}]}, "password": {"hash": BCRYPT, "must_change": True},
         "created_at": "2024-01-01T00:00:00Z", "mfa": {"totp": [{"secret": "JBSWY3DPEHPK3PXP"}]},
         "address": {"formatted": "line 1\nline 2"}, "disabled": False},
        {"external_id": "x1", "phone_number": "+14155550100", "phone_number_verified": False,
         "identities": [{"provider": "google", "subject": "1"}]},
    ]
    records = [parse_record(r).record for r in raw]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(CSV_FIELDS), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(record_to_csv_row(record))
    items = list(iter_native(io.BytesIO(out.getvalue().encode())))
    assert [item.parse().record for item in items] == records
    assert [record_to_json(item.parse().record) for item in items] == [record_to_json(r) for r in records]
