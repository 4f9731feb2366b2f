"""phpass portable hashes ``$P$`` / ``$H$`` (WordPress before 6.8, phpBB3, Joomla 2.5).

md5 iterated 2^n times over (hash + password) with an 8-character salt (openwall.com/phpass).
Drupal 7's ``$S$`` (drupal.py) reuses the construction with SHA-512.
"""

from __future__ import annotations

import hashlib
import re

from authshift.passwords._codec import ceiling, equal, hash64_encode, hash64_index, utf8
from authshift.passwords.formats.base import Checked, Context, HashFormat

_PORTABLE = re.compile(r"^(?P<setting>\$[PHS]\$(?P<rounds>[./0-9A-Za-z])(?P<salt>[./0-9A-Za-z]{8}))(?P<hash>[./0-9A-Za-z]+)$")
PHPASS_MIN_LOG2 = 7
PHPASS_MAX_LOG2 = 30


def portable_checksum(password: bytes, salt: bytes, log2_rounds: int, digest: str) -> str:
    """phpass's crypt_private(): ``h = H(salt + pw)``, then 2^n times ``h = H(h + pw)``."""
    new = getattr(hashlib, digest)
    value = new(salt + password).digest()
    for _ in range(1 << log2_rounds):
        value = new(value + password).digest()
    return hash64_encode(value)


class PortableHashFormat(HashFormat):
    """Shared parsing of the ``$X$`` + rounds char + 8 salt chars + checksum layout."""

    idents: tuple[str, ...]
    digest: str
    checksum_len: int
    prefix: str = ""

    def recognises(self, value: str) -> bool:
        return value.startswith(tuple(self.prefix + ident for ident in self.idents))

    def check(self, value: str, ctx: Context) -> Checked:
        body = value[len(self.prefix) :]
        match = _PORTABLE.match(body)
        if not match or len(match["hash"]) != self.checksum_len or body[:3] not in self.idents:
            raise self.fail(f"not a valid {'/'.join(self.idents)} string (12-character setting + {self.checksum_len}-character checksum)")
        log2_rounds = hash64_index(match["rounds"])
        if not PHPASS_MIN_LOG2 <= log2_rounds <= PHPASS_MAX_LOG2:
            raise self.fail(f"log2 of the round count {log2_rounds} is outside {PHPASS_MIN_LOG2}..{PHPASS_MAX_LOG2}")
        ceiling(log2_rounds, ctx.limits.phpass_max_log2, self.name, "log2 of the round count", "phpass_max_log2")
        salt = match["salt"].encode("ascii")
        expected = match["hash"].encode("ascii")
        digest, length, prepare = self.digest, self.checksum_len, self.prepare

        def matches(password: str) -> bool:
            checksum = portable_checksum(prepare(password), salt, log2_rounds, digest)[:length]
            return equal(checksum.encode("ascii"), expected)

        return Checked(matches)

    @staticmethod
    def prepare(password: str) -> bytes:
        return utf8(password)


class Phpass(PortableHashFormat):
    name = "phpass"
    idents = ("$P$", "$H$")
    digest = "md5"
    checksum_len = 22
    description = "phpass portable hash (WordPress before 6.8, phpBB3, Joomla 2.5, Drupal 7 imports)."
    recognised_by = "prefix `$P$` or `$H$`"
    # From the phpass 0.3 source (as collected in passlib's phpass test vectors).
    example_password = "test12345"
    example = "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"
