"""The readers' per-record limits (docs/import-format.md, "Limits"): a record no database can
store, or over a limit, fails alone and the records after it are read; layouts are told apart
whatever the length of the first line."""

from __future__ import annotations

import gzip
import io
import json

from authshift.migration.formats import SourceOptions, get_reader
from authshift.migration.formats._values import MAX_DEPTH, MAX_RECORD_BYTES


def read(data: bytes, fmt: str = "native") -> list[tuple[int, int, object, list[str]]]:
    items = get_reader(fmt)(io.BytesIO(data), options=SourceOptions())
    return [(i.line, i.index, i.obj, [str(e) for e in i.errors]) for i in items]


def test_an_ndjson_first_line_longer_than_the_sniffed_bytes_is_still_ndjson() -> None:
    first = json.dumps({"email": "a@x.com", "custom_attributes": {"note": "n" * 200_000}}).encode()
    for data in (first + b"\n" + b'{"email": "b@x.com"}\n', gzip.compress(first + b"\r\n" + b'{"email": "b@x.com"}')):
        got = read(data)
        assert [(line, index) for line, index, _, _ in got] == [(1, 1), (2, 2)]
        assert got[0][2]["custom_attributes"]["note"] == "n" * 200_000 and got[1][2] == {"email": "b@x.com"}


def test_a_one_line_json_document_is_read_as_a_document_by_formats_that_write_one() -> None:
    users = [{"localId": f"id{n}", "email": f"u{n}@x.com", "displayName": "d" * 200} for n in range(500)]
    got = read(json.dumps({"users": users}).encode(), "firebase")  # minified: one line of ~130 KB
    assert len(got) == 500 and got[-1][2]["email"] == "u499@x.com" and not got[-1][3]


def test_a_record_over_the_size_limit_fails_alone() -> None:
    big = json.dumps({"email": "a@x.com", "name": "x" * MAX_RECORD_BYTES}).encode()
    got = read(b'{"email": "z@x.com"}\n' + big + b"\n" + b'{"email": "b@x.com"}\n')
    assert got[1][2] is None and "a record may be at most 1048576 bytes" in got[1][3][0]
    assert got[2][2] == {"email": "b@x.com"}
    array = read(b"[" + big + b',\n{"email": "b@x.com"}]')
    assert array[0][2] is None and "1048576 characters" in array[0][3][0] and array[1][2] == {"email": "b@x.com"}


def test_a_json_array_element_nested_too_deeply_is_skipped_and_the_array_read_on() -> None:
    deep = b"[" * 100_000 + b'"]{[\\""' + b"]" * 100_000  # brackets inside a string are not counted
    data = b'[{"email": "a@x.com"},\n{"email": "d@x.com", "x": ' + deep + b'},\n{"email": "b@x.com"}]'
    got = read(data)
    assert [(line, obj) for line, _, obj, _ in got] == [(1, {"email": "a@x.com"}), (2, None), (3, {"email": "b@x.com"})]
    assert got[1][3] == ["the JSON is nested too deeply to be read"]
    nested = {"email": "n@x.com", "custom_attributes": {}}
    level = nested["custom_attributes"]
    for _ in range(MAX_DEPTH):
        level["k"] = {}
        level = level["k"]
    got = read(b"[" + json.dumps(nested).encode() + b"]")
    assert got[0][2] is None and got[0][3][0].startswith("custom_attributes.k.k") and "nested more than 32" in got[0][3][0]


def test_csv_cells_that_cannot_be_stored_fail_their_row_only() -> None:
    data = ('email,name,custom_attributes\na@x.com,"x\x00y",\nb@x.com,,"{""n"": Infinity}"\nc@x.com,"'
            + "[" * 50_000 + '",\nd@x.com,Dee,"' + "[" * 100_000 + "]" * 100_000 + '"\ne@x.com,Eve,\n').encode()
    got = read(data)
    assert [obj["email"] if obj else None for _, _, obj, _ in got] == [None, None, "c@x.com", None, "e@x.com"]
    assert "NUL" in got[0][3][0] and "NaN and Infinity" in got[1][3][0] and "nested too deeply" in got[3][3][0]
