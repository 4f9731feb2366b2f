"""TOTP secrets: the ONE decoder, and the one rule of which factors authshift can verify.

Import validation (``records``), row building (``accounts.rows``) and sign-in
(``accounts.totp``) all call these functions, so a factor that imports is a factor that
verifies: before, validation accepted unpadded and URL-safe base64 that row building refused,
and secrets of 80 bits (the Key URI format's own example, ``JBSWY3DPEHPK3PXP``, and what many
older systems issued) imported and then every code was refused, because pyotp refuses secrets
shorter than 112 bits when it computes a code.

RFC 6238 (and RFC 4226 under it) computes codes for any key length; authshift verifies secrets
of ``MIN_SECRET_BITS`` (80) bits or more, the length the legacy systems issued. Shorter ones are
refused at import with the reason: a few observed codes are enough to recover such a secret.
Pure: no database, no HTTP. Messages never repeat a secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp

__all__ = [
    "ALGORITHMS",
    "DIGITS",
    "ENCODINGS",
    "MIN_SECRET_BITS",
    "TotpParameters",
    "decode_secret",
    "generator",
    "parameters_of",
    "parse_otpauth",
]

MIN_SECRET_BITS = 80
ENCODINGS = ("base32", "base64", "hex")
ALGORITHMS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}
DIGITS = (6, 8)
MAX_PERIOD = 3600


@dataclass(frozen=True, slots=True)
class TotpParameters:
    """What a TOTP authenticator needs, whichever way the record gave it."""

    secret: bytes
    algorithm: str
    digits: int
    period: int
    issuer: str | None = None
    label: str | None = None

    def __repr__(self) -> str:  # never print the secret
        return (f"TotpParameters(secret=<{len(self.secret)} bytes>, algorithm={self.algorithm!r}, "
                f"digits={self.digits}, period={self.period})")


def decode_secret(secret: str, encoding: str = "base32") -> bytes:
    """A TOTP secret as bytes; raises ``ValueError`` (never repeating the secret).

    base32 (RFC 4648, what authenticator apps show): case and spaces ignored, padding optional;
    base64: the standard or the URL-safe alphabet, padding optional; hex. Whitespace anywhere
    (line breaks, groups of four) is ignored. Secrets shorter than ``MIN_SECRET_BITS`` are refused.
    """
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown TOTP secret encoding {encoding!r} (expected one of {', '.join(ENCODINGS)})")
    text = "".join(str(secret).split())
    try:
        if encoding == "base32":
            compact = text.upper().rstrip("=")
            decoded = base64.b32decode(compact + "=" * (-len(compact) % 8))
        elif encoding == "base64":
            compact = text.replace("-", "+").replace("_", "/").rstrip("=")
            decoded = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
        else:
            decoded = bytes.fromhex(text)
    except (binascii.Error, ValueError):
        raise ValueError(f"the secret is not valid {encoding}") from None
    if not decoded:
        raise ValueError("the secret is empty")
    bits = len(decoded) * 8
    if bits < MIN_SECRET_BITS:
        raise ValueError(f"the secret is {bits} bits long; authshift verifies TOTP secrets of at least "
                         f"{MIN_SECRET_BITS} bits (a shorter one can be recovered from a few codes): "
                         "the user must enrol again")
    return decoded


def _check(algorithm: str, digits: int, period: int) -> None:
    if algorithm not in ALGORITHMS:
        raise ValueError("the TOTP algorithm must be SHA1, SHA256 or SHA512")
    if digits not in DIGITS:
        raise ValueError("the TOTP digits must be 6 or 8")
    if not 1 <= period <= MAX_PERIOD:
        raise ValueError(f"the TOTP period must be a number of seconds between 1 and {MAX_PERIOD}")


def parse_otpauth(uri: str) -> TotpParameters:
    """A Key URI (``otpauth://totp/Label?secret=...&algorithm=...&digits=...&period=...``)."""
    parts = urlsplit(uri.strip())
    if parts.scheme.lower() != "otpauth":
        raise ValueError("expected an otpauth:// URI")
    if parts.netloc.lower() != "totp":
        raise ValueError("only otpauth://totp/ URIs are supported (not HOTP)")
    query = parse_qs(parts.query, keep_blank_values=True)

    def single(name: str) -> str | None:
        values = query.get(name)
        return values[-1] if values else None

    secret = single("secret")
    if not secret:
        raise ValueError("the otpauth URI has no secret")
    raw = decode_secret(secret, "base32")
    algorithm = (single("algorithm") or "SHA1").upper()
    if algorithm not in ALGORITHMS:
        raise ValueError("the otpauth URI algorithm must be SHA1, SHA256 or SHA512")
    digits_text, period_text = single("digits") or "6", single("period") or "30"
    if digits_text not in ("6", "8"):
        raise ValueError("the otpauth URI digits must be 6 or 8")
    if not period_text.isdigit() or not 1 <= int(period_text) <= MAX_PERIOD:
        raise ValueError(f"the otpauth URI period must be a number of seconds between 1 and {MAX_PERIOD}")
    label = unquote(parts.path.lstrip("/")) or None
    return TotpParameters(raw, algorithm, int(digits_text), int(period_text), single("issuer"), label)


def parameters_of(entry: Mapping[str, Any]) -> TotpParameters:
    """One ``mfa.totp`` entry of a record in its JSON shape (``secret`` + ``encoding``, or ``uri``)."""
    if entry.get("uri"):
        return parse_otpauth(str(entry["uri"]))
    secret = entry.get("secret")
    if not secret:
        raise ValueError("a TOTP factor needs a secret or an otpauth:// uri")
    algorithm = str(entry.get("algorithm") or "SHA1").upper()
    digits, period = int(entry.get("digits") or 6), int(entry.get("period") or 30)
    _check(algorithm, digits, period)
    return TotpParameters(decode_secret(str(secret), str(entry.get("encoding") or "base32")), algorithm, digits, period)


class _Totp(pyotp.TOTP):
    """pyotp's TOTP, with authshift's floor on the secret length instead of pyotp's 112 bits."""

    min_secret_length_bits: ClassVar[int] = MIN_SECRET_BITS


def generator(secret: bytes, algorithm: str, digits: int, period: int) -> pyotp.TOTP:
    """The code generator of a stored factor; raises ``ValueError`` for one authshift cannot verify."""
    algorithm = algorithm.upper()
    _check(algorithm, digits, period)
    return _Totp(base64.b32encode(secret).decode(), digits=digits, digest=ALGORITHMS[algorithm], interval=period)
