"""Login IDs are normalised in one place, the same way at import and at sign-in."""

from __future__ import annotations

import random
import unicodedata

import pytest

from authshift.accounts.normalize import (
    InvalidLoginId,
    _matching_form,
    normalize_email,
    normalize_phone,
    normalize_username,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Foo@X.com", "foo@x.com"),
        ("  jane.DOE+tag@Example.COM ", "jane.doe+tag@example.com"),
        ("STRASSE@example.de", "strasse@example.de"),
        ("Straße@example.de", "strasse@example.de"),  # casefold, not lower
        ("ﬁ@example.com", "fi@example.com"),  # NFKC
        ("user@BÜCHER.de", "user@bücher.de"),
        ("user@xn--bcher-kva.de", "user@bücher.de"),
        ("用户@例子.广告", "用户@例子.广告"),
    ],
)
def test_emails_that_name_the_same_mailbox_match(given: str, expected: str) -> None:
    assert normalize_email(given) == expected


@pytest.mark.parametrize("bad", ["", "   ", "no-at", "a@", "@b.com", "a@b", "a..b@example.com", "a b@example.com",
                                 "a@-b.com", "a@localhost", "a@" + "d" * 64 + ".com"])
def test_bad_emails_are_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(InvalidLoginId) as caught:
        normalize_email(bad)
    assert str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_the_fast_path_agrees_with_email_validator_on_tricky_addresses() -> None:
    import unicodedata

    from email_validator import EmailNotValidError, validate_email

    cases = ["a@b.co", "a.b.c@d.e.f.co", "!#$%&'*+/=?^_`{|}~-@example.com", ".a@example.com", "a.@example.com",
             "a@example..com", "a@exa_mple.com", "a@123.com", "a@example.c0m", "a@example.invalid", "a@test",
             '"quoted"@example.com', "a@[192.0.2.1]", "u" * 64 + "@example.com", "a@" + "d" * 64 + ".com"]
    for case in cases:
        try:
            expected = unicodedata.normalize("NFKC", validate_email(case, check_deliverability=False).normalized).casefold()
        except EmailNotValidError:
            expected = None
        try:
            actual = normalize_email(case)
        except InvalidLoginId:
            actual = None
        assert actual == expected, case


@pytest.mark.parametrize(
    ("given", "region", "expected"),
    [("+1 (415) 555-0100", None, "+14155550100"), ("+44 7700 900123", None, "+447700900123"),
     ("07700 900123", "GB", "+447700900123"), ("(415) 555-0100", "US", "+14155550100")],
)
def test_phone_numbers_become_e164(given: str, region: str | None, expected: str) -> None:
    assert normalize_phone(given, region) == expected


@pytest.mark.parametrize("bad", ["", "4155550100", "+1 23", "+999 123", "call me"])
def test_bad_phone_numbers_are_refused(bad: str) -> None:
    with pytest.raises(InvalidLoginId):
        normalize_phone(bad)


def test_usernames_are_trimmed_nfkc_and_casefolded() -> None:
    assert normalize_username("  JoHn_Doe ") == "john_doe"
    assert normalize_username("Ｊｏｈｎ") == "john"
    for bad in ["", "   ", "tab\there", "x" * 256]:
        with pytest.raises(InvalidLoginId):
            normalize_username(bad)


def test_the_ascii_shortcut_of_the_matching_form_is_nfkc_and_case_folding() -> None:
    rng = random.Random(11)
    samples = [chr(code) for code in range(128)] + ["", "Foo@Example.COM", "ﬁ@x.com", "Straße", "İstanbul", "Ａ@ｂ.com"]
    samples += ["".join(chr(rng.randint(0, 127)) for _ in range(rng.randint(1, 20))) for _ in range(5000)]
    for text in samples:
        assert _matching_form(text) == unicodedata.normalize("NFKC", text).casefold(), repr(text)
