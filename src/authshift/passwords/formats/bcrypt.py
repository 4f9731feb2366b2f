"""bcrypt modular-crypt strings ``$2a$`` / ``$2b$`` / ``$2y$`` (OpenBSD, crypt_blowfish, PHP).

The original systems used only the first 72 bytes of the password; bcrypt 5 raises on longer
input, so the password is truncated to 72 bytes here exactly as they did. WordPress 6.8 and
Django put their own prefixes in front of the same string (wordpress.py, django.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import bcrypt as _bcrypt

from authshift.passwords._codec import ceiling, utf8
from authshift.passwords.errors import PasswordFormatError
from authshift.passwords.formats.base import Checked, Context, HashFormat

BCRYPT_MAX_PASSWORD_BYTES = 72
_BCRYPT = re.compile(r"^\$2[aby]\$(?P<cost>\d\d)\$[./A-Za-z0-9]{53}$")


def parse_bcrypt(value: str, fmt: str, ctx: Context) -> int:
    """Check a bcrypt string's syntax and cost ceiling; return the cost."""
    if value.startswith("$2x$"):
        raise PasswordFormatError("$2x$ (crypt_blowfish's buggy-mode) hashes are not supported", fmt)
    match = _BCRYPT.match(value)
    if not match:
        raise PasswordFormatError("not a valid bcrypt string ($2b$NN$ + 53 characters of ./A-Za-z0-9)", fmt)
    cost = int(match["cost"])
    if not 4 <= cost <= 31:
        raise PasswordFormatError(f"cost {cost} is outside 4..31", fmt)
    ceiling(cost, ctx.limits.bcrypt_max_cost, fmt, "cost", "bcrypt_max_cost")
    return cost


def bcrypt_matcher(value: str, fmt: str, prepare: Callable[[str], bytes]) -> Callable[[str], bool]:
    """Compare ``prepare(password)`` (truncated to 72 bytes) with a bcrypt string."""
    stored = value.encode("ascii")

    def matches(password: str) -> bool:
        secret = prepare(password)[:BCRYPT_MAX_PASSWORD_BYTES]
        try:
            return _bcrypt.checkpw(secret, stored)
        except ValueError as exc:
            raise PasswordFormatError(f"bcrypt rejected the hash ({exc})", fmt) from None

    return matches


class Bcrypt(HashFormat):
    name = "bcrypt"
    description = "bcrypt (OpenBSD, PHP password_hash, Spring Security, Rails, Laravel, Auth0 exports)."
    recognised_by = "prefix `$2a$`, `$2b$` or `$2y$`"
    # From the py-bcrypt test suite (as collected in passlib's bcrypt test vectors).
    example_password = "abcdefghijklmnopqrstuvwxyz"
    example = "$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq"
    prefixes = ("$2a$", "$2b$", "$2y$", "$2x$")

    def check(self, value: str, ctx: Context) -> Checked:
        parse_bcrypt(value, self.name, ctx)
        return Checked(bcrypt_matcher(value, self.name, utf8))

    def validate(self, value: str, ctx: Context) -> None:
        parse_bcrypt(value, self.name, ctx)
