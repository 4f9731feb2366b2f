"""The password policy for passwords people choose here (sign-up, reset): pure, no I/O but the word list.

Following NIST SP 800-63B section 5.1.1.2: a minimum length, a generous maximum, no composition
rules unless configured, and a check against a list of passwords known to be common. Imported
hashes are never checked: the policy applies when a person types a new password.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from authshift.config import PasswordPolicySettings

__all__ = ["PasswordPolicy", "bundled_common_passwords", "load_common_passwords"]

CLASS_CHECKS = {
    "lowercase": (str.islower, "a lowercase letter"),
    "uppercase": (str.isupper, "an uppercase letter"),
    "digit": (str.isdigit, "a digit"),
    "symbol": (lambda ch: not ch.isalnum() and not ch.isspace(), "a symbol (such as ! or #)"),
}


def _read_list(text: str) -> frozenset[str]:
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


@lru_cache(maxsize=1)
def bundled_common_passwords() -> frozenset[str]:
    """The most common passwords of public breach corpora, bundled with authshift (case-folded)."""
    return _read_list(resources.files("authshift.accounts").joinpath("data/common_passwords.txt").read_text("utf-8"))


@lru_cache(maxsize=8)
def load_common_passwords(extra_file: Path | None = None) -> frozenset[str]:
    """The bundled list plus the passwords of ``extra_file`` (one a line; ``#`` starts a comment line)."""
    words = bundled_common_passwords()
    if extra_file is not None:
        try:
            words = words | _read_list(extra_file.read_text("utf-8"))
        except OSError as exc:
            raise ValueError(f"password_policy.common_passwords_file {extra_file} cannot be read: {exc.strerror}") from None
    return words


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 10
    max_length: int = 256
    required_classes: tuple[str, ...] = ()
    reject_login_id: bool = True
    common_passwords: frozenset[str] = frozenset()  # empty: no common-password check

    @classmethod
    def from_settings(cls, settings: PasswordPolicySettings) -> PasswordPolicy:
        return cls(
            min_length=settings.min_length,
            max_length=settings.max_length,
            required_classes=tuple(settings.required_classes),
            reject_login_id=settings.reject_login_id,
            common_passwords=load_common_passwords(settings.common_passwords_file) if settings.reject_common else frozenset(),
        )

    def hints(self) -> list[str]:
        """What the form tells people before they type."""
        out = [f"At least {self.min_length} characters."]
        if self.required_classes:
            out.append("Include " + ", ".join(CLASS_CHECKS[c][1] for c in self.required_classes) + ".")
        return out

    def problems(self, password: str, *, login_ids: Iterable[str] = ()) -> list[str]:
        """Why ``password`` may not be used (empty when it may), in words for the person who typed it."""
        if not password:
            return ["Enter a password."]
        if len(password) < self.min_length:
            return [f"Use at least {self.min_length} characters (this one has {len(password)})."]
        if len(password) > self.max_length:
            return [f"Use at most {self.max_length} characters."]
        found = [
            f"Include {label}." for name in self.required_classes
            for check, label in [CLASS_CHECKS[name]] if not any(check(ch) for ch in password)
        ]
        folded = password.casefold()
        if self.reject_login_id and folded in _login_id_forms(login_ids):
            found.append("Don't use your email address or username as your password.")
        if self.common_passwords and (folded in self.common_passwords or len(set(folded)) == 1):
            found.append("This password is too common and easy to guess; choose another.")
        return found


def _login_id_forms(login_ids: Iterable[str]) -> set[str]:
    forms: set[str] = set()
    for login_id in login_ids:
        value = login_id.strip().casefold()
        if not value:
            continue
        forms.add(value)
        local, at, _ = value.rpartition("@")
        if at and local:
            forms.add(local)
    return forms
