"""The password policy, pure: every rule, with the messages people read."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from authshift.accounts.password_policy import PasswordPolicy, bundled_common_passwords, load_common_passwords
from authshift.config import PasswordPolicySettings

DEFAULT = PasswordPolicy.from_settings(PasswordPolicySettings())


def test_defaults_accept_a_long_passphrase_without_composition_rules() -> None:
    assert DEFAULT.problems("correct horse battery", login_ids=["ada@example.com"]) == []
    assert DEFAULT.hints() == ["At least 10 characters."]


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("", "Enter a password."),
        ("short", "Use at least 10 characters (this one has 5)."),
        ("x" * 257, "Use at most 256 characters."),
        ("1234567890", "This password is too common and easy to guess; choose another."),
        ("QwertyUIOP", "This password is too common and easy to guess; choose another."),  # case does not help
        ("zzzzzzzzzzzz", "This password is too common and easy to guess; choose another."),  # one character repeated
        ("Ada@Example.com", "Don't use your email address or username as your password."),
        ("ada.lovelace", "Don't use your email address or username as your password."),  # the email's local part
    ],
)
def test_each_rule_explains_itself(password: str, expected: str) -> None:
    assert DEFAULT.problems(password, login_ids=["ada.lovelace@example.com", "Ada@Example.com"]) == [expected]


def test_required_classes_are_off_by_default_and_named_when_on() -> None:
    policy = PasswordPolicy.from_settings(PasswordPolicySettings(required_classes=["uppercase", "digit", "symbol"]))
    assert policy.problems("all lowercase words") == [
        "Include an uppercase letter.", "Include a digit.", "Include a symbol (such as ! or #).",
    ]
    assert policy.problems("Lowercase words 4 you!") == []
    assert policy.hints()[1] == "Include an uppercase letter, a digit, a symbol (such as ! or #)."
    assert PasswordPolicy.from_settings(PasswordPolicySettings(required_classes=["lowercase"])).problems("ALL CAPS HERE") == [
        "Include a lowercase letter."
    ]


def test_checks_can_be_switched_off() -> None:
    lax = PasswordPolicy.from_settings(PasswordPolicySettings(min_length=4, reject_common=False, reject_login_id=False))
    assert lax.problems("password", login_ids=["password"]) == []
    assert PasswordPolicy.from_settings(PasswordPolicySettings(min_length=4)).problems("password") == [
        "This password is too common and easy to guess; choose another."
    ]


def test_extra_common_password_file_extends_the_bundled_list(tmp_path: Path) -> None:
    extra = tmp_path / "ours.txt"
    extra.write_text("# our own leaks\nAcmeCorp2024!\n")
    policy = PasswordPolicy.from_settings(PasswordPolicySettings(common_passwords_file=extra))
    assert policy.problems("acmecorp2024!") == ["This password is too common and easy to guess; choose another."]
    assert policy.problems("password1234") != []  # the bundled list still applies
    with pytest.raises(ValueError, match="cannot be read"):
        load_common_passwords(tmp_path / "missing.txt")


def test_bundled_list_is_shipped_and_case_folded() -> None:
    words = bundled_common_passwords()
    assert len(words) > 500 and "password" in words and "qwertyuiop" in words
    assert all(w == w.casefold() and w.strip() == w for w in words)


def test_settings_refuse_an_impossible_policy() -> None:
    with pytest.raises(ValidationError, match="min_length is greater than"):
        PasswordPolicySettings(min_length=50, max_length=20)
    with pytest.raises(ValidationError):
        PasswordPolicySettings(required_classes=["emoji"])  # type: ignore[list-item]
