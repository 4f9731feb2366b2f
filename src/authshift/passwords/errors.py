"""Errors raised for stored password hashes that cannot be used.

Messages name the format and what is wrong with it; they never contain the hash,
the salt, a key or the password, so they are safe to put in import reports and logs.
"""

from __future__ import annotations


class PasswordFormatError(ValueError):
    """A stored hash is malformed, unsupported or otherwise unusable."""

    def __init__(self, reason: str, format: str | None = None) -> None:  # noqa: A002 - public name
        self.reason = reason
        self.format = format
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.format:
            return f"{self.format} hash: {self.reason}"
        return f"password hash: {self.reason}"


class CeilingExceeded(PasswordFormatError):
    """A cost parameter of a stored hash is over a configured ceiling (see ``Limits``)."""
