"""Hypothesis strategies for the named string formats of the admin API's OpenAPI document.

The document names a format where a rule cannot be written in JSON Schema (``http/admin/
schemas.py``, ``FORMATS``); schemathesis generates a plain string for a format it does not know,
which the server rightly refuses. These strategies make values that follow each rule, so every
body schemathesis calls valid really is. Every format in ``FORMATS`` must have one (checked).
"""

from __future__ import annotations

import base64
import zoneinfo

import bcrypt
import phonenumbers
import schemathesis
from argon2 import PasswordHasher
from hypothesis import strategies as st
from pyrage import x25519

_REGIONS = ("US", "GB", "FR", "DE", "JP", "BR", "IN", "AU")
PHONES = [phonenumbers.format_number(phonenumbers.example_number(region), phonenumbers.PhoneNumberFormat.E164)
          for region in _REGIONS]
HASHES = [
    bcrypt.hashpw(b"correct horse", bcrypt.gensalt(rounds=4)).decode(),
    PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("correct horse"),
    "pbkdf2_sha256$1000$c2FsdA$" + base64.b64encode(b"x" * 32).decode(),
]
AGE_KEYS = [str(x25519.Identity.generate().to_public()) for _ in range(2)]
_B32_HEX_B64 = r"\A(?:[A-F2-7]{8}){2,4}\Z"  # valid in base32, hex and base64 alike

STRATEGIES: dict[str, st.SearchStrategy[str]] = {
    # Addresses someone could have: the server refuses special-use names (RFC 6761: .test,
    # .localhost ...) and domains that are not valid IDNA, rules JSON Schema's ``email`` format
    # does not carry (hypothesis' own emails() makes both).
    "email": st.from_regex(r"\A[a-z0-9]{1,10}(?:[._+-][a-z0-9]{1,10}){0,2}@[a-z][a-z0-9-]{0,10}[a-z0-9]\.(?:com|org|net|io)\Z"),
    "phone": st.sampled_from(PHONES),
    "username": st.from_regex(r"\A[a-z][a-z0-9_.]{0,30}\Z"),
    "http-url": st.from_regex(r"\Ahttps?://[a-z]{1,12}\.example\.com/[a-z0-9]{0,8}\Z"),
    "birthdate": st.dates().map(lambda d: d.isoformat()),
    "iana-time-zone": st.sampled_from(sorted(zoneinfo.available_timezones())),
    "password-hash": st.sampled_from(HASHES),
    "totp-secret": st.from_regex(_B32_HEX_B64),
    "otpauth-uri": st.builds("otpauth://totp/Example:{}?secret={}&digits={}".format,
                             st.from_regex(r"\A[a-z]{1,10}\Z"), st.from_regex(r"\A(?:[A-Z2-7]{8}){2,4}\Z"),
                             st.sampled_from(["6", "8"])),
    "login-id": st.one_of(st.from_regex(r"\A[a-z]{1,10}@[a-z]{1,10}\.example\.com\Z"),
                          st.from_regex(r"\A[a-z][a-z0-9_.]{0,30}\Z")),
    "password": st.from_regex(r"\A[A-Za-z0-9]{16,40}\Z"),
    "redirect-uri": st.from_regex(r"\Ahttps://[a-z]{1,12}\.example\.com/cb[0-9]{0,3}\Z"),
    "webhook-url": st.from_regex(r"\Ahttps://[a-z]{1,12}\.example\.com/hook[0-9]{0,3}\Z"),
    "age-recipient": st.sampled_from(AGE_KEYS),
}


def register() -> None:
    for name, strategy in STRATEGIES.items():
        schemathesis.openapi.format(name, strategy)
