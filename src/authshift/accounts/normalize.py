"""Normalisation of login IDs: the one place that decides when two emails, phone numbers or
usernames are the same login.

Import validation, sign-in, sign-up and duplicate detection all call these functions, so
``Foo@X.com`` typed at the login form finds the user imported as ``foo@x.com``.

- emails: syntax checked with email-validator (no DNS), then NFKC-normalised and case-folded
  (the whole address, local part included: no mainstream provider treats case as significant);
- phone numbers: parsed with phonenumbers and written in E.164 (``+14155550100``);
- usernames: trimmed, NFKC-normalised and case-folded.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

__all__ = [
    "InvalidLoginId",
    "MAX_USERNAME_LENGTH",
    "normalize_email",
    "normalize_phone",
    "normalize_username",
]

MAX_USERNAME_LENGTH = 255


class InvalidLoginId(ValueError):
    """A login ID (email, phone number, username) that cannot identify anyone."""


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch)[0] == "C" for ch in value)


# An unquoted ASCII local part (RFC 5322 dot-atom): the overwhelmingly common case, checked here
# with the same rules email-validator applies, so that only the domain needs its (cached) check.
_ASCII_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")


@lru_cache(maxsize=4096)
def _checked_domain(domain: str) -> str:
    """The normalised domain of an address, checked once per domain (millions of users share few)."""
    return validate_email("a@" + domain, check_deliverability=False).domain


def normalize_email(value: str) -> str:
    """Return the matching form of an email address; raise InvalidLoginId when its syntax is wrong."""
    if not isinstance(value, str):
        raise InvalidLoginId("an email address must be a string")
    return _normalized_email(value)


# A bulk import normalises each address up to three times (validation, its unique keys, its
# identity row, the last a batch later): the recent results are kept. Errors are not cached.
@lru_cache(maxsize=16384)
def _normalized_email(value: str) -> str:
    candidate = value.strip()
    if not candidate:
        raise InvalidLoginId("the email address is empty")
    try:
        local, at, domain = candidate.rpartition("@")
        if at and len(local) <= 64 and len(candidate) <= 254 and _ASCII_DOT_ATOM.match(local):
            normalized = local + "@" + _checked_domain(domain)
        else:
            normalized = validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidLoginId(f"not a valid email address: {exc}") from None
    return _matching_form(normalized)


def _matching_form(text: str) -> str:
    """NFKC, case-folded. ASCII text is its own NFKC form, and its case folding is ``lower``."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKC", text).casefold()


def normalize_phone(value: str, default_region: str | None = None) -> str:
    """Return a phone number in E.164 form; raise InvalidLoginId when it is not a possible number.

    Without ``default_region`` the number must be written in international form (``+...``).
    """
    if not isinstance(value, str):
        raise InvalidLoginId("a phone number must be a string")
    candidate = value.strip()
    if not candidate:
        raise InvalidLoginId("the phone number is empty")
    try:
        parsed = phonenumbers.parse(candidate, default_region)
    except phonenumbers.NumberParseException as exc:
        hint = "" if default_region or candidate.startswith("+") else " (write it in international form, +<country code>...)"
        raise InvalidLoginId(f"not a valid phone number: {exc._msg}{hint}") from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidLoginId("not a valid phone number: wrong number of digits for its country")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_username(value: str) -> str:
    """Return the matching form of a username (trimmed, NFKC, case-folded)."""
    if not isinstance(value, str):
        raise InvalidLoginId("a username must be a string")
    candidate = _matching_form(value.strip())
    if not candidate:
        raise InvalidLoginId("the username is empty")
    if _has_control_characters(candidate):
        raise InvalidLoginId("the username contains control characters")
    if len(candidate) > MAX_USERNAME_LENGTH:
        raise InvalidLoginId(f"the username is longer than {MAX_USERNAME_LENGTH} characters")
    return candidate
