"""One TOTP secret decoder (issue 15): what import validation accepts, row building stores and
sign-in verifies, with the same bytes; what one refuses, all refuse."""

from __future__ import annotations

import base64
import hashlib
from typing import ClassVar

import pyotp
import pytest

from authshift.accounts.rows import totp_secret_bytes
from authshift.accounts.totp import current_code
from authshift.accounts.totp_secrets import MIN_SECRET_BITS, generator
from authshift.records import RecordError, parse_record, record_to_json

RAW = bytes(range(236, 256))


class AnyLengthTotp(pyotp.TOTP):
    min_secret_length_bits: ClassVar[int] = 8
ENTRIES = [
    {"secret": "JBSWY3DPEHPK3PXP"},  # 80 bits
    {"secret": "jbsw y3dp ehpk 3pxp"},
    {"secret": base64.b32encode(RAW).decode()},  # padded? 20 bytes: no padding needed
    {"secret": base64.b32encode(RAW[:11]).decode()},  # with "=" padding
    {"secret": base64.b32encode(RAW[:11]).decode().rstrip("=")},
    {"secret": base64.b64encode(RAW).decode(), "encoding": "base64"},
    {"secret": base64.urlsafe_b64encode(RAW).decode().rstrip("="), "encoding": "base64"},
    {"secret": RAW.hex(), "encoding": "hex"},
    {"secret": RAW.hex().upper(), "encoding": "hex", "algorithm": "sha256", "digits": 8, "period": 60},
    {"uri": "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&digits=8&algorithm=SHA512"},
    # refused by all
    {"secret": "JBSWY3DP"},  # 40 bits
    {"secret": "not base32!"},
    {"secret": "zz", "encoding": "hex"},
    {"secret": "@@@@", "encoding": "base64"},
    {"uri": "otpauth://totp/A:b?secret=JBSWY3DP"},
]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: str(e)[:40])
def test_validation_rows_and_sign_in_agree(entry: dict[str, object]) -> None:
    try:
        parsed = parse_record({"email": "a@x.example", "mfa": {"totp": [entry]}})
    except RecordError as exc:
        with pytest.raises(ValueError) as caught:
            totp_secret_bytes(entry)
        secret = str(entry.get("secret") or entry.get("uri"))
        assert secret not in str(exc) and secret not in str(caught.value)  # never repeated
        return
    validated = parsed.record.mfa.totp[0].parameters()  # type: ignore[union-attr,index]
    stored_entry = record_to_json(parsed.record)["mfa"]["totp"][0]
    secret, algorithm, digits, period = totp_secret_bytes(stored_entry)
    assert (secret, algorithm, digits, period) == (validated.secret, validated.algorithm, validated.digits,
                                                   validated.period)
    assert len(secret) * 8 >= MIN_SECRET_BITS
    # what sign-in computes is what the user's authenticator app (pyotp, any secret length) shows
    app = AnyLengthTotp(base64.b32encode(secret).decode(), digits=digits, interval=period,
                        digest=getattr(hashlib, algorithm.lower()))
    assert current_code(secret, algorithm=algorithm, digits=digits, period=period, at=1_700_000_000) == \
        app.at(1_700_000_000)


@pytest.mark.parametrize(("algorithm", "key", "expected"), [
    ("SHA1", b"12345678901234567890", "94287082"),
    ("SHA256", b"12345678901234567890123456789012", "46119246"),
    ("SHA512", b"1234567890123456789012345678901234567890123456789012345678901234", "90693936"),
])
def test_rfc_6238_known_answers(algorithm: str, key: bytes, expected: str) -> None:
    assert generator(key, algorithm, 8, 30).at(59) == expected
