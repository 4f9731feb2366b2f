"""Streaming readers shared by every source format: NDJSON, CSV and JSON documents, read with
flat memory whatever the file size, one bad record never stopping the others.

- ``open_source(stream)`` undoes gzip (Auth0 hands out ``.json.gz``) and tells which layout the
  file has: ``ndjson``, ``csv``, ``json_array``, ``json_object`` or ``empty``.
- ``iter_ndjson`` / ``iter_csv`` / ``iter_json_array`` yield SourceItem objects whose ``obj`` is
  the raw decoded value; a JSON array is split element by element with an incremental decoder
  (no third-party parser), so a million-user array never sits in memory at once.
- NDJSON lines are decoded by orjson where it reads exactly what the stdlib decoder reads, and by
  the stdlib decoder otherwise (``decode_ndjson_line``): the values, and the messages of lines
  that cannot be read, are the stdlib's.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal

import orjson

from authshift.migration.formats._values import line_needs_check, record_too_large, unstorable
from authshift.migration.formats.base import SourceFormatError, SourceItem
from authshift.records import FieldIssue

__all__ = [
    "Layout",
    "OpenedSource",
    "LineUnreadable",
    "decode_ndjson_line",
    "iter_csv",
    "iter_json_array",
    "iter_json_member",
    "iter_ndjson",
    "open_source",
    "read_layouts",
]

Layout = Literal["ndjson", "csv", "json_array", "json_object", "empty"]

_SNIFF_BYTES = 1 << 16
_CHUNK_CHARS = 1 << 16
# The largest single JSON value (one user, or a skipped member of a realm export) held at once.
MAX_VALUE_CHARS = 64 * 1024 * 1024
_CSV_FIELD_LIMIT = 16 * 1024 * 1024
_BOM = codecs.BOM_UTF8


class _Rejoined(io.RawIOBase):
    """The bytes already read for sniffing, followed by the rest of the stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head.nbytes:
            size = min(len(buffer), self._head.nbytes)
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        if not data:
            return 0
        buffer[: len(data)] = data
        return len(data)


@dataclass(frozen=True, slots=True)
class OpenedSource:
    layout: Layout
    stream: BinaryIO  # positioned at the first byte (BOM removed, gzip undone)
    first_line: bytes  # the first non-blank line, for format checks


def _read_head(stream: BinaryIO) -> tuple[bytes, BinaryIO]:
    head = stream.read(_SNIFF_BYTES) or b""
    if head[:2] == b"\x1f\x8b":
        unzipped: BinaryIO = gzip.GzipFile(fileobj=io.BufferedReader(_Rejoined(head, stream)))  # type: ignore[assignment]
        try:
            head = unzipped.read(_SNIFF_BYTES) or b""
        except (OSError, EOFError) as exc:
            raise SourceFormatError(f"the file looks gzip-compressed but cannot be read: {exc}") from None
        stream = unzipped
    if head.startswith(_BOM):
        head = head[len(_BOM):]
    return head, stream


def _whole_first_line(head: bytes, rest: BinaryIO) -> bytes:
    """``head`` read on until its first non-blank line ends (or the file does): a one-line JSON
    object longer than the sniffed bytes was taken for a document written over several lines."""
    chunks = [head]
    size = len(head)
    while b"\n" not in chunks[-1] and size <= MAX_VALUE_CHARS:
        chunk = rest.read(_SNIFF_BYTES)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def open_source(stream: BinaryIO) -> OpenedSource:
    """Sniff the layout of a file from its first non-blank character (and, for ``{``, whether
    its first line ends with ``}``: NDJSON, or an object written over several lines)."""
    head, rest = _read_head(stream)
    if head.lstrip()[:1] == b"{" and b"\n" not in head.lstrip():
        head = _whole_first_line(head, rest)
    joined: BinaryIO = io.BufferedReader(_Rejoined(head, rest), buffer_size=_SNIFF_BYTES)  # type: ignore[assignment]
    stripped = head.lstrip()
    first_line = stripped.split(b"\n", 1)[0].strip()
    if not stripped:
        return OpenedSource("empty", joined, b"")
    first = stripped[:1]
    if first == b"[":
        return OpenedSource("json_array", joined, first_line)
    if first == b"{":
        if first_line == b"{" or not first_line.endswith(b"}"):
            return OpenedSource("json_object", joined, first_line)
        return OpenedSource("ndjson", joined, first_line)
    return OpenedSource("csv", joined, first_line)


LayoutReader = Callable[[OpenedSource], Iterator[SourceItem]]


def read_layouts(stream: BinaryIO, readers: dict[Layout, LayoutReader], refusal: str) -> Iterator[SourceItem]:
    """Sniff the file and hand it to the reader of its layout; an empty file yields nothing,
    a layout the format does not use raises SourceFormatError(refusal)."""
    opened = open_source(stream)
    if opened.layout == "empty":
        return iter(())
    reader = readers.get(opened.layout)
    if reader is None and opened.layout == "ndjson":
        reader = readers.get("json_object")  # one line holding a whole document ({"users": [...]}, minified)
    if reader is None:
        raise SourceFormatError(refusal)
    return reader(opened)


def _issue(message: str) -> tuple[FieldIssue, ...]:
    return (FieldIssue("", message),)


# --------------------------------------------------------------------------- NDJSON

class LineUnreadable(ValueError):
    """An NDJSON line that is not valid UTF-8 or not valid JSON; the message says why."""


_NOT_DECODED = object()


# orjson turns integers beyond 64 bits into floats where the stdlib keeps them exact. Such an
# integer has 19 digits or more, so a line holding 19 digits in a row anywhere (in a string too,
# which only costs that line the slower decoder) is left to the stdlib. Found with a translation
# (every digit to 0) and a substring search, both in C: a regular expression costs more than
# decoding the line.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_DIGITS = b"0" * 19


def _decode_line_stdlib(raw: bytes) -> Any:
    """The reference decoding of one NDJSON line."""
    try:
        text = raw.rstrip(b"\r\n").decode("utf-8")
    except UnicodeDecodeError:
        raise LineUnreadable("the line is not valid UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LineUnreadable(f"broken JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:  # thousands of nested brackets: the decoder ran out of stack
        raise LineUnreadable(_TOO_DEEP) from None


_TOO_DEEP = "the JSON is nested too deeply to be read"


def decode_ndjson_line(raw: bytes) -> Any:
    """The value of one NDJSON line (with or without its line ending); raise LineUnreadable.

    Exactly what ``json.loads`` of the UTF-8 text gives. orjson decodes the line when it can, as
    it reads every line it accepts as the stdlib does, except integers beyond 64 bits (which
    a run of 19 digits sends to the stdlib). Everything orjson refuses goes to the stdlib, which
    reads what orjson does not (NaN, Infinity, numbers beyond the float range, lone surrogates)
    and words the errors as reports always did. tests/migration/test_ndjson_decoding.py holds
    the two to the same results.
    """
    if _NINETEEN_DIGITS not in raw.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return _decode_line_stdlib(raw)


def iter_ndjson(stream: BinaryIO) -> Iterator[SourceItem]:
    """One JSON object per line; blank lines are skipped; line numbers are physical lines.

    A line over the record size limit, or holding a value no database stores (``_values``),
    fails alone. Lines orjson decoded are walked only when ``line_needs_check`` says they may
    hold such a value (orjson refuses the others itself); lines the stdlib decoded are walked.
    """
    index = 0
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM):]
        if not raw or raw.isspace():  # blank (what bytes.strip removes, without copying the line)
            continue
        index += 1
        too_large = record_too_large(len(raw))
        if too_large:
            yield SourceItem(number, index, errors=too_large)
            continue
        value: Any = _NOT_DECODED
        if _NINETEEN_DIGITS not in raw.translate(_DIGITS_AS_ZERO):
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass
        checked = value is not _NOT_DECODED and not line_needs_check(raw)
        if not checked:
            try:
                if value is _NOT_DECODED:
                    value = _decode_line_stdlib(raw)
            except LineUnreadable as exc:
                yield SourceItem(number, index, errors=_issue(str(exc)))
                continue
        if not isinstance(value, dict):
            yield SourceItem(number, index, errors=_issue("a record must be a JSON object"))
            continue
        if not checked:
            problems = unstorable(value)
            if problems:
                yield SourceItem(number, index, errors=problems)
                continue
        yield SourceItem(number, index, value)


# --------------------------------------------------------------------------- CSV

def _has_surrogates(values: list[str]) -> bool:
    return any(re.search(r"[\udc80-\udcff]", value) for value in values)


def iter_csv(stream: BinaryIO, convert: Callable[[dict[str, str]], tuple[dict[str, Any], list[FieldIssue]]],
             *, header: list[str] | None = None,
             header_for: Callable[[list[str]], list[str]] | None = None) -> Iterator[SourceItem]:
    """CSV with a header row (or the given ``header`` when the file has none).

    ``header_for`` picks the columns of a headerless row from the row itself (a format whose
    layout changed over time, told apart by the number of cells); its ``ValueError`` is the
    row's failure.

    Empty cells are left out of the row given to ``convert``; ``convert`` turns the cells into
    the object (and reports cells it could not read). ``line`` is the first line of the row.
    """
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text, strict=False)
    if header is None and header_for is None:
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SourceFormatError(f"the CSV header cannot be read: {exc}") from None
        header = [name.strip() for name in header]
        if _has_surrogates(header):
            raise SourceFormatError("the CSV header is not valid UTF-8")
        duplicates = sorted({name for name in header if header.count(name) > 1 and name})
        if duplicates:
            raise SourceFormatError(f"the CSV header repeats the column(s) {', '.join(duplicates)}")
    index = 0
    previous_end = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            index += 1
            yield SourceItem(previous_end + 1, index, errors=_issue(f"the CSV row cannot be read: {exc}"))
            previous_end = reader.line_num
            continue
        start, previous_end = previous_end + 1, reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        index += 1
        if _has_surrogates(row):
            yield SourceItem(start, index, errors=_issue("the row is not valid UTF-8"))
            continue
        if header_for is not None:
            try:
                header = header_for(row)
            except ValueError as exc:
                yield SourceItem(start, index, errors=_issue(str(exc)))
                continue
        assert header is not None
        extra = row[len(header):]
        if any(cell.strip() for cell in extra):
            yield SourceItem(start, index, errors=_issue(
                f"the row has {len(row)} cells but the header has {len(header)} columns"))
            continue
        too_large = record_too_large(sum(map(len, row)), "characters")
        if too_large:
            yield SourceItem(start, index, errors=too_large)
            continue
        cells = {name: cell for name, cell in zip(header, row, strict=False) if cell != "" and name}
        try:
            obj, problems = convert(cells)
        except RecursionError:  # a JSON cell nested thousands of levels deep
            yield SourceItem(start, index, errors=_issue(_TOO_DEEP))
            continue
        unusable = unstorable(obj)
        if unusable:  # not even echoed in the report: the report is stored too
            yield SourceItem(start, index, errors=unusable)
            continue
        if problems:
            yield SourceItem(start, index, obj, errors=tuple(problems))
        else:
            yield SourceItem(start, index, obj)


# --------------------------------------------------------------------------- JSON documents

_WHITESPACE = re.compile(r"[ \t\n\r]*")


class _BrokenJson(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _TooDeep(Exception):
    """A JSON value nested too deeply for the decoder (skipped)."""


_TOO_DEEP_VALUE = object()
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]|"')


class _JsonScanner:
    """An incremental reader of one JSON document: values are decoded one at a time."""

    def __init__(self, stream: BinaryIO) -> None:
        self._text = io.TextIOWrapper(stream, encoding="utf-8-sig")
        self._decoder = json.JSONDecoder()
        self._buf = ""
        self._pos = 0
        self._base = 0  # characters of the document before self._buf
        self._eof = False
        self.line = 1  # line number at self._pos
        self.size = 0  # characters of the last element ``elements`` gave

    def _fill(self) -> bool:
        if self._eof:
            return False
        if self._pos:
            self._base += self._pos
            self._buf = self._buf[self._pos:]
            self._pos = 0
        try:
            chunk = self._text.read(max(_CHUNK_CHARS, len(self._buf)))
        except UnicodeDecodeError:
            raise _BrokenJson("the file is not valid UTF-8", self.line) from None
        if not chunk:
            self._eof = True
            return False
        self._buf += chunk
        return True

    def _advance(self, end: int) -> None:
        self.line += self._buf.count("\n", self._pos, end)
        self._pos = end

    def peek(self) -> str:
        """The next non-whitespace character ('' at the end of the file)."""
        while True:
            match = _WHITESPACE.match(self._buf, self._pos)
            assert match is not None
            self._advance(match.end())
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def expect(self, char: str, what: str) -> None:
        found = self.peek()
        if found != char:
            shown = "the end of the file" if not found else repr(found)
            raise _BrokenJson(f"expected {what}, found {shown}", self.line)
        self._advance(self._pos + 1)

    @property
    def offset(self) -> int:
        """Characters of the document read up to the current position."""
        return self._base + self._pos

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, self._pos)
            except RecursionError:
                self._skip_value()
                raise _TooDeep() from None
            except json.JSONDecodeError as exc:
                incomplete = exc.msg.startswith("Unterminated string") or exc.pos >= len(self._buf) - 32
                if self._eof or not incomplete:
                    line = self.line + self._buf.count("\n", self._pos, exc.pos)
                    raise _BrokenJson(f"broken JSON: {exc.msg}", line) from None
                if len(self._buf) - self._pos > MAX_VALUE_CHARS:
                    raise _BrokenJson(f"a JSON value is larger than {MAX_VALUE_CHARS} characters", self.line) from None
                self._fill()
                continue
            if end == len(self._buf) and not self._eof:
                self._fill()  # a number at the end of the buffer may go on
                continue
            self._advance(end)
            return value

    def _skip_value(self) -> None:
        """Move past a value too deeply nested to decode: count its brackets, outside strings."""
        depth, pos = 0, self._pos
        while True:
            for token in _TOKEN.finditer(self._buf, pos):
                text = token.group()
                if text == '"':  # a string going on past the buffer
                    break
                pos = token.end()
                if text in "[{":
                    depth += 1
                elif text in "]}":
                    depth -= 1
                    if depth == 0:
                        self._advance(pos)
                        return
            else:
                pos = len(self._buf)
            if len(self._buf) - self._pos > MAX_VALUE_CHARS:
                raise _BrokenJson(f"a JSON value is larger than {MAX_VALUE_CHARS} characters", self.line)
            start = self._pos
            if not self._fill():
                raise _BrokenJson("broken JSON: the document ends inside a value", self.line)
            pos -= start - self._pos  # the buffer may have been shifted by _fill

    def elements(self) -> Iterator[tuple[int, int, Any]]:
        """At a '[': yield (index, line, value) for each element; a value nested too deeply to
        decode is skipped and given as ``_TOO_DEEP_VALUE``."""
        self.expect("[", "'['")
        if self.peek() == "]":
            self._advance(self._pos + 1)
            return
        index = 0
        while True:
            self.peek()
            index += 1
            line = self.line
            start = self.offset
            try:
                value = self.value()
            except _TooDeep:
                value = _TOO_DEEP_VALUE
            self.size = self.offset - start
            yield index, line, value
            following = self.peek()
            if following == ",":
                self._advance(self._pos + 1)
            elif following == "]":
                self._advance(self._pos + 1)
                return
            else:
                self.expect(",", "',' or ']' after an array element")

    def find_member(self, key: str) -> bool:
        """At a '{': skip members until ``key``; leave the scanner at its value."""
        self.expect("{", "'{'")
        if self.peek() == "}":
            return False
        while True:
            self.peek()
            name = self.value()
            if not isinstance(name, str):
                raise _BrokenJson("broken JSON: an object key must be a string", self.line)
            self.expect(":", "':'")
            if name == key:
                return True
            self.value()
            following = self.peek()
            if following == "}":
                return False
            self.expect(",", "',' or '}' after an object member")


def _items(scanner: _JsonScanner, elements: Iterator[tuple[int, int, Any]]) -> Iterator[SourceItem]:
    index = 0
    try:
        for index, line, value in elements:
            if value is _TOO_DEEP_VALUE:
                yield SourceItem(line, index, errors=_issue(_TOO_DEEP))
            elif not isinstance(value, dict):
                yield SourceItem(line, index, errors=_issue("a record must be a JSON object"))
            else:
                problems = record_too_large(scanner.size, "characters") or unstorable(value)
                yield SourceItem(line, index, errors=problems) if problems else SourceItem(line, index, value)
    except _BrokenJson as exc:
        yield SourceItem(exc.line, index + 1, errors=_issue(
            f"{exc.message} at line {exc.line}; the rest of the JSON document cannot be read"))


def iter_json_array(stream: BinaryIO) -> Iterator[SourceItem]:
    """The elements of a top-level JSON array, one at a time."""
    scanner = _JsonScanner(stream)
    yield from _items(scanner, scanner.elements())


def iter_json_member(stream: BinaryIO, key: str) -> Iterator[SourceItem]:
    """The elements of the array under ``key`` in a top-level JSON object (``{"users": [...]}``)."""
    scanner = _JsonScanner(stream)
    try:
        found = scanner.find_member(key)
        if found and scanner.peek() != "[":
            raise SourceFormatError(f'"{key}" is not a JSON array')
    except _BrokenJson as exc:
        raise SourceFormatError(f"{exc.message} at line {exc.line}") from None
    if not found:
        raise SourceFormatError(f'the JSON document has no "{key}" array')
    yield from _items(scanner, scanner.elements())
