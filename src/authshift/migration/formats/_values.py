"""Values no database can store, found in one record before it reaches the writer.

A record holding a lone UTF-16 surrogate (``"\\ud800"`` is valid JSON text but no character),
a NUL character (PostgreSQL refuses it in text and jsonb), a NaN or an Infinity (not JSON
values: they were stored as ``null``) or JSON nested thousands of levels deep (Python's decoders
and encoders run out of stack) crashed the batch writer: the whole batch, and every re-run of
it, failed. The readers check each record here and fail that record alone, with its line and
the reason; the same rule applies on SQLite and PostgreSQL, so a dry run on one says what a
real run on the other does.

``record_too_large``, ``MAX_DEPTH`` and ``MAX_RECORD_BYTES`` are the per-record limits of
docs/import-format.md ("Limits"). ``line_needs_check`` is the fast path of NDJSON lines that
orjson decoded: orjson refuses lone surrogates, NaN and Infinity itself, so only a NUL escape or
many brackets (both found by C substring searches on the line) call for the full walk.
"""

from __future__ import annotations

import math
from typing import Any

from authshift.records import FieldIssue

__all__ = ["MAX_DEPTH", "MAX_RECORD_BYTES", "line_needs_check", "record_too_large", "unstorable"]

MAX_RECORD_BYTES = 1024 * 1024  # one record: an NDJSON line, a JSON array element, a CSV row
MAX_DEPTH = 32  # objects and lists nested in one record (the record itself is level 1)

_NUL_ESCAPE = b"\\u0000"
_OPEN_OBJECT, _OPEN_LIST = b"{", b"["


def record_too_large(size: int, unit: str = "bytes") -> tuple[FieldIssue, ...]:
    """The issue of a record of ``size`` bytes (or characters) when over the limit, else ()."""
    if size <= MAX_RECORD_BYTES:
        return ()
    return (FieldIssue("", f"the record is {size} {unit} long; a record may be at most {MAX_RECORD_BYTES} "
                           f"{unit} (see Limits in docs/import-format.md)"),)


def line_needs_check(raw: bytes) -> bool:
    """Whether a line orjson decoded may hold a NUL or be nested deeper than ``MAX_DEPTH``."""
    return _NUL_ESCAPE in raw or raw.count(_OPEN_OBJECT) + raw.count(_OPEN_LIST) > MAX_DEPTH


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which cannot be stored"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone UTF-16 surrogate (such as \\ud800), which is not a character and cannot be stored"
    return None


def _walk(value: Any, path: str, depth: int) -> FieldIssue | None:
    if isinstance(value, str):
        problem = _text_problem(value)
        return FieldIssue(path, problem) if problem else None
    if isinstance(value, float):
        if not math.isfinite(value):
            return FieldIssue(path, "NaN and Infinity are not JSON values and cannot be kept (write a number, "
                                    "a string or null)")
        return None
    if isinstance(value, (dict, list)):
        if depth > MAX_DEPTH:
            return FieldIssue(path, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    problem = _text_problem(key)
                    if problem:
                        return FieldIssue(path, f"a key {problem}")
                issue = _walk(item, _join(path, key), depth + 1)
                if issue:
                    return issue
        else:
            for position, item in enumerate(value):
                issue = _walk(item, _join(path, position), depth + 1)
                if issue:
                    return issue
    return None


def unstorable(obj: Any) -> tuple[FieldIssue, ...]:
    """The first value of a decoded record that cannot be stored (with its path), or ()."""
    issue = _walk(obj, "", 1)
    return (issue,) if issue else ()
