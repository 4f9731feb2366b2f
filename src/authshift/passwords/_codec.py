"""Shared decoding helpers for stored hashes: base64 flavours, hex, crypt's hash64, numbers.

Every decoder raises ``PasswordFormatError`` naming the format and the field; none of them
puts the offending value in the message.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Mapping
from typing import Any

from authshift.passwords.errors import CeilingExceeded, PasswordFormatError

HASH64_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_HASH64_INDEX = {c: i for i, c in enumerate(HASH64_ALPHABET)}
_STD_B64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
_URL_B64 = re.compile(r"^[A-Za-z0-9_-]*={0,2}$")
_HEX = re.compile(r"^[0-9a-fA-F]*$")
_DIGITS = re.compile(r"^(0|[1-9][0-9]*)$")


def equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(a, b)


def b64decode(text: str, fmt: str, what: str, *, urlsafe: bool = False, ab64: bool = False) -> bytes:
    """Decode standard base64 (padding optional); ``ab64`` is passlib's '.'-for-'+' variant."""
    if ab64:
        text = text.replace(".", "+")
    pattern = _URL_B64 if urlsafe else _STD_B64
    if not pattern.match(text):
        raise PasswordFormatError(f"{what} is not valid base64", fmt)
    stripped = text.rstrip("=")
    if len(stripped) % 4 == 1:
        raise PasswordFormatError(f"{what} has an impossible base64 length", fmt)
    if len(text) != len(stripped) and len(text) % 4 != 0:
        raise PasswordFormatError(f"{what} has wrong base64 padding", fmt)
    padded = stripped + "=" * (-len(stripped) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded, validate=True)
    except binascii.Error:
        raise PasswordFormatError(f"{what} is not valid base64", fmt) from None
    # Unused low bits of the last character must be zero: anything else was cut or altered.
    encoded = (base64.urlsafe_b64encode(raw) if urlsafe else base64.b64encode(raw)).decode("ascii").rstrip("=")
    if encoded != stripped:
        raise PasswordFormatError(f"{what} is not canonical base64 (truncated or altered)", fmt)
    return raw


def b64encode(data: bytes, *, pad: bool = True) -> str:
    text = base64.b64encode(data).decode("ascii")
    return text if pad else text.rstrip("=")


def hexdecode(text: str, fmt: str, what: str) -> bytes:
    if not _HEX.match(text) or len(text) % 2:
        raise PasswordFormatError(f"{what} is not valid hex", fmt)
    return bytes.fromhex(text)


def decode_bytes(text: str, encoding: str, fmt: str, what: str) -> bytes:
    """Decode a field given with an explicit encoding: hex, base64, base64url or utf8."""
    if encoding == "hex":
        return hexdecode(text, fmt, what)
    if encoding == "base64":
        return b64decode(text, fmt, what)
    if encoding == "base64url":
        return b64decode(text, fmt, what, urlsafe=True)
    if encoding == "utf8":
        return text.encode("utf-8")
    raise PasswordFormatError(f"{what} encoding must be hex, base64, base64url or utf8", fmt)


def hash64_encode(data: bytes) -> str:
    """crypt(3)'s base64 ('./0-9A-Za-z'), little-endian 3-byte groups, as phpass and md5-crypt use."""
    out: list[str] = []
    for i in range(0, len(data), 3):
        chunk = data[i : i + 3]
        value = int.from_bytes(chunk, "little")
        for _ in range(len(chunk) + 1):
            out.append(HASH64_ALPHABET[value & 0x3F])
            value >>= 6
    return "".join(out)


def hash64_index(char: str) -> int:
    return _HASH64_INDEX[char]


def is_hash64(text: str) -> bool:
    return all(c in _HASH64_INDEX for c in text)


def parse_uint(text: str, fmt: str, what: str) -> int:
    """A decimal count without sign, spaces or leading zeros."""
    if not _DIGITS.match(text):
        raise PasswordFormatError(f"{what} must be a decimal number without leading zeros", fmt)
    return int(text)


def int_field(obj: Mapping[str, Any], key: str, fmt: str, *, default: int | None = None) -> int:
    """An integer field of a structured object (a JSON number or a string of digits)."""
    value = obj.get(key, default)
    if value is None:
        raise PasswordFormatError(f"missing '{key}'", fmt)
    if isinstance(value, bool):
        raise PasswordFormatError(f"'{key}' must be an integer", fmt)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise PasswordFormatError(f"'{key}' must be an integer", fmt)


def str_field(obj: Mapping[str, Any], key: str, fmt: str, *, default: str | None = None) -> str:
    value = obj.get(key, default)
    if value is None:
        raise PasswordFormatError(f"missing '{key}'", fmt)
    if not isinstance(value, str):
        raise PasswordFormatError(f"'{key}' must be a string", fmt)
    return value


def choice_field(obj: Mapping[str, Any], key: str, fmt: str, choices: tuple[str, ...], default: str) -> str:
    value = str_field(obj, key, fmt, default=default).lower().replace("-", "").replace("_", "")
    for choice in choices:
        if value == choice.replace("-", "").replace("_", ""):
            return choice
    raise PasswordFormatError(f"'{key}' must be one of {', '.join(choices)}", fmt)


def at_least(value: int, minimum: int, fmt: str, what: str) -> None:
    if value < minimum:
        raise PasswordFormatError(f"{what} {value} is below the minimum {minimum}", fmt)


def ceiling(value: int, maximum: int, fmt: str, what: str, setting: str) -> None:
    if value > maximum:
        raise CeilingExceeded(f"{what} {value} is over the ceiling {maximum} ([passwords] {setting})", fmt)


PASSWORD_ENCODINGS = ("utf8", "utf16le", "latin1")


def encode_password(password: str, encoding: str = "utf8") -> bytes | None:
    """The password's bytes as the original system hashed them; None if it cannot be encoded
    (then it cannot be the password that was hashed)."""
    codec = {"utf8": "utf-8", "utf16le": "utf-16-le", "latin1": "latin-1"}[encoding]
    try:
        return password.encode(codec)
    except UnicodeEncodeError:
        return None


def utf8(password: str) -> bytes:
    """UTF-8 bytes of a password (what nearly every system hashed)."""
    return password.encode("utf-8", "surrogatepass")
