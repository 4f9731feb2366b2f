"""NDJSON lines are decoded by orjson where it can, and must give exactly what the stdlib decoder
gives: the same values (types, key order, duplicate keys, big integers, NaN, lone surrogates)
and, for lines that cannot be read, the same messages."""

from __future__ import annotations

import io
import json
import math
import random
import struct
from typing import Any

import pytest

from authshift.migration.formats._stream import (
    LineUnreadable,
    _decode_line_stdlib,
    decode_ndjson_line,
    iter_ndjson,
)
from authshift.migration.formats._values import unstorable
from authshift.records import FieldIssue


def outcome(decode: Any, raw: bytes) -> tuple[str, str]:
    """('value', repr) or ('error', message): repr tells 1 from 1.0 and True, -0.0 from 0.0, and key order."""
    try:
        return "value", repr(decode(raw))
    except LineUnreadable as exc:
        return "error", str(exc)


def assert_same(raw: bytes) -> None:
    assert outcome(decode_ndjson_line, raw) == outcome(_decode_line_stdlib, raw), raw


ODD_LINES = [
    b'{"a":1,"a":2,"b":3}', b'{"a":1,"b":2,"a":3}',  # duplicate keys: the last value, at the first position
    b'{"a":18446744073709551615}', b'{"a":18446744073709551616}', b'{"a":-9223372036854775808}',
    b'{"a":-9223372036854775809}', b'{"a":100000000000000000000}', b'{"a":[1, 99999999999999999999999]}',
    b'{"a":1,"b":-123456789012345678901234567890}', b'{"a" :  123456789012345678901}', b"123456789012345678901234",
    b'{"id":"1234567890123456789012"}', b'{"a":1234567890123456789.5}', b'{"a":12345678901234567890e2}',
    b'{"a":NaN}', b'{"a":Infinity}', b'{"a":-Infinity}', b'{"a":1e400}', b'{"a":-1e400}', b'{"a":1.8e308}',
    b'{"a":1e-400}', b'{"a":4.9e-324}', b'{"a":2.4e-324}', b'{"a":1.7976931348623157e308}',
    b'{"a":"\\ud800"}', b'{"a":"\\udc00\\ud800"}', b'{"a":"\\ud83d\\ude00"}', b'{"a":"\\ud83d"}',
    b'\xef\xbb\xbf{"a":1}', b'{"a":"\xef\xbb\xbf"}', b'{"a":"\xff"}', b'{"a":"\xed\xa0\x80"}', b'{"a":"\xf4\x90\x80\x80"}',
    b'{"a":"\xc0\x80"}', b'{"a":"\xe2\x82"}', b'{"a":"\t"}', b'{"a":"\x7f"}', b'{"a":"\x00"}', b'{"a":"\x1f"}',
    b'{"a":"\\u0000"}', b' {"a":1} ', b'{"a":1}\x0c', b'\x0b{"a":1}', b'{"a":1}\x00', b'{"a":1}\r', b'\t{"a" : 1 }\t',
    b'{"a":-0}', b'{"a":-0.0}', b'{"a":1.0}', b'{"a":1E2}', b'{"a":0.1e1}', b'{"a":-1E+2}', b'{"a":1e-2}',
    b'{"a":01}', b'{"a":1.}', b'{"a":.5}', b'{"a":+1}', b'{"a":-}', b'{"a":1e}', b'{"a":0x10}',
    b'{"a":1}{}', b'{"a":1,}', b"{'a':1}", b'{"a":tru}', b'{"a":True}', b'{"a":null,"b":false}', b'{a:1}',
    b'{"a":"\\x41"}', b'{"a":"\\u12"}', b'{"a":"\\/"}', b'{"\\u00e9":1}', b'{"a":"unterminated}', b'{"a":[1,2}',
    b'{"a":[' + b"[" * 600 + b"]" * 600 + b"]}", b"[]", b'"text"', b"1", b"null", b"{}", b"",
]


@pytest.mark.parametrize("raw", ODD_LINES)
@pytest.mark.parametrize("ending", [b"", b"\n", b"\r\n", b"\r\r\n"])
def test_odd_lines_decode_as_the_stdlib_decodes_them(raw: bytes, ending: bytes) -> None:
    assert_same(raw + ending)


def test_big_integers_stay_exact() -> None:
    assert decode_ndjson_line(b'{"a":18446744073709551616}') == {"a": 18446744073709551616}
    assert type(decode_ndjson_line(b'{"a":[-99999999999999999999999]}')["a"][0]) is int


def test_floats_decode_to_the_same_double() -> None:
    rng = random.Random(5)
    lines = []
    for _ in range(3000):
        value = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if math.isfinite(value):
            lines.append(b'{"a":%s,"b":%s}' % (repr(value).encode(), (b"%.25e" % value)))
    for _ in range(2000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 40))).lstrip("0") or "0"
        fraction = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 30)))
        exponent = rng.choice(["", f"e{rng.randint(-330, 330)}", f"E+{rng.randint(0, 330)}"])
        lines.append(f'{{"a":{digits}.{fraction}{exponent},"b":-{digits}{exponent}}}'.encode())
    for raw in lines:
        assert_same(raw)


_TOKENS = [b"{", b"}", b"[", b"]", b":", b",", b'"', b'"a"', b'"b"', b"1", b"-", b"0", b".", b"e", b"E", b"+",
           b"true", b"false", b"null", b"NaN", b"Infinity", b" ", b"\t", b"\r", b"\n", b"\\", b"\\u", b"d800", b"00e9",
           b"\xff", b"\xc3\xa9", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\x00", b"\x1f", b"\x7f", b"12345678901234567890"]


def _mutations(rng: random.Random, raw: bytes) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 3)):
        where = rng.randint(0, len(data))
        kind = rng.random()
        if kind < 0.4:
            data[where:where] = rng.choice(_TOKENS)
        elif kind < 0.7 and data:
            del data[where:where + rng.randint(1, 3)]
        elif data:
            data[min(where, len(data) - 1)] = rng.randint(0, 255)
    return bytes(data)


def test_random_and_mutated_lines_decode_as_the_stdlib_decodes_them() -> None:
    rng = random.Random(7)
    record = json.dumps({
        "external_id": "legacy-00000012", "email": "user12@example12.com", "email_verified": True, "n": -12.5e3,
        "password": {"hash": "$2b$04$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}, "none": None,
        "custom_attributes": {"plan": "pro", "tier": 2, "list": [1, "é", "\u2028", "😀"], "big": 2 ** 70},
    }, ensure_ascii=rng.random() < 0.5).encode()
    for _ in range(6000):
        assert_same(_mutations(rng, record) + rng.choice([b"", b"\n", b"\r\n"]))
    for _ in range(4000):
        assert_same(b"".join(rng.choice(_TOKENS) for _ in range(rng.randint(1, 12))))


def test_iter_ndjson_reports_what_the_stdlib_decoder_says() -> None:
    data = b'{"a":1}\r\n{"a":NaN}\n \t\x0b\x0c\r\n{"a":"\\ud800"}\n{"a":\n\xff\n\n{"a":123456789012345678901234}'
    items = list(iter_ndjson(io.BytesIO(data)))
    assert [(item.line, item.obj, [str(issue) for issue in item.errors]) for item in items[:1]] == [(1, {"a": 1}, [])]
    # NaN and lone surrogates are decoded as the stdlib decodes them, then refused (no database keeps them)
    assert items[1].obj is None and [str(i) for i in items[1].errors] == [
        "a: NaN and Infinity are not JSON values and cannot be kept (write a number, a string or null)"]
    assert items[2].obj is None and "lone UTF-16 surrogate" in str(items[2].errors[0])
    assert [str(issue) for issue in items[3].errors] == ["broken JSON: Expecting value at column 6"]
    assert [str(issue) for issue in items[4].errors] == ["the line is not valid UTF-8"]
    assert items[5].obj == {"a": 123456789012345678901234}
    assert [(item.line, item.index) for item in items] == [(1, 1), (2, 2), (4, 3), (5, 4), (6, 5), (8, 6)]


def iter_outcome(raw: bytes) -> tuple[Any, ...]:
    items = list(iter_ndjson(io.BytesIO(b"{}\n" + raw + b"\n")))[1:]  # not the first line (its BOM is dropped)
    return tuple((repr(item.obj), tuple(item.errors)) for item in items)


def stdlib_outcome(raw: bytes) -> tuple[Any, ...]:
    """What iter_ndjson must give: the stdlib's value (or message), refused when a value cannot be stored."""
    try:
        value = _decode_line_stdlib(raw)
    except LineUnreadable as exc:
        return (("None", (FieldIssue("", str(exc)),)),)
    if not isinstance(value, dict):
        return (("None", (FieldIssue("", "a record must be a JSON object"),)),)
    problems = unstorable(value)
    return (("None", problems),) if problems else ((repr(value), ()),)


STORABILITY_LINES = [
    rb'{"a":"\\u0000"}', rb'{"a":"x\\\u0000"}', rb'{"a":{"b":"\u0000"}}', rb'{"\u0000":1}', rb'{"a":["\ud800"]}',
    b'{"a":' + b"[" * 31 + b"]" * 31 + b"}", b'{"a":' + b"[" * 32 + b"]" * 32 + b"}",
    b'{"a":"' + b"[" * 40 + b'"}', b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    b'{"a":[1,NaN]}', b'{"a":1e400}', b'{"a":-Infinity}', rb'{"a":12345678901234567890123,"b":"\u0000"}',
]


@pytest.mark.parametrize("raw", STORABILITY_LINES + [line for line in ODD_LINES if line.strip()])
def test_iter_ndjson_refuses_the_same_values_whichever_decoder_read_the_line(raw: bytes) -> None:
    """orjson's fast path skips the walk only where orjson itself refuses what the walk would refuse."""
    assert iter_outcome(raw) == stdlib_outcome(raw)
