"""crypt(3) in pure Python: md5-crypt ``$1$`` (and Apache's ``$apr1$``), sha256-crypt ``$5$``,
sha512-crypt ``$6$``, and LDAP's ``{CRYPT}`` wrapper around them.

md5-crypt follows Poul-Henning Kamp's FreeBSD implementation; SHA-crypt follows Ulrich
Drepper's specification "Unix crypt using SHA-256 and SHA-512" (akkadia.org/drepper/SHA-crypt.txt).
The standard library's ``crypt`` module is deprecated (removed in Python 3.13) and is not used.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from authshift.passwords._codec import ceiling, equal, hash64_encode, parse_uint, utf8
from authshift.passwords.formats.base import Checked, Context, HashFormat
from authshift.passwords.formats.bcrypt import Bcrypt


def _mix_rounds(new: Callable[[bytes], Any], current: bytes, password: bytes, salt: bytes, rounds: int) -> bytes:
    """The stretching loop md5-crypt and SHA-crypt share: alternate the digest and the password,
    add the salt unless the round is a multiple of 3 and the password unless it is one of 7."""
    for i in range(rounds):
        block = password if i & 1 else current
        if i % 3:
            block += salt
        if i % 7:
            block += password
        block += current if i & 1 else password
        current = new(block).digest()
    return current


# --- md5-crypt ------------------------------------------------------------------------------

_MD5_ORDER = (12, 6, 0, 13, 7, 1, 14, 8, 2, 15, 9, 3, 5, 10, 4, 11)


def md5_crypt_checksum(password: bytes, salt: bytes, magic: bytes) -> str:
    """The 22-character checksum of md5-crypt (magic ``$1$``) or Apache's variant (``$apr1$``)."""
    alternate = hashlib.md5(password + salt + password).digest()
    ctx = password + magic + salt
    length = len(password)
    ctx += alternate * (length // 16) + alternate[: length % 16]
    i = length
    while i:
        ctx += b"\x00" if i & 1 else password[:1]
        i >>= 1
    final = _mix_rounds(hashlib.md5, hashlib.md5(ctx).digest(), password, salt, 1000)
    # Output order: the bytes of each 3-byte group are emitted least significant first.
    return hash64_encode(bytes(final[i] for i in _MD5_ORDER))


_MD5_CRYPT = re.compile(r"^(?P<magic>\$1\$|\$apr1\$)(?P<salt>[./0-9A-Za-z]{0,8})\$(?P<hash>[./0-9A-Za-z]{22})$")


class _Md5Crypt(HashFormat):
    magic: str

    def check(self, value: str, ctx: Context) -> Checked:
        match = _MD5_CRYPT.match(value)
        if not match or match["magic"] != self.magic:
            raise self.fail(f"not a valid {self.magic} string ({self.magic}<salt, up to 8>$<22 characters>)")
        salt = match["salt"].encode("ascii")
        expected = match["hash"].encode("ascii")
        magic = self.magic.encode("ascii")

        def matches(password: str) -> bool:
            return equal(md5_crypt_checksum(utf8(password), salt, magic).encode("ascii"), expected)

        return Checked(matches)


class Md5Crypt(_Md5Crypt):
    name = "md5_crypt"
    magic = "$1$"
    prefixes = (magic,)
    description = "md5-crypt (FreeBSD, Linux /etc/shadow, Cisco, old OpenLDAP)."
    recognised_by = "prefix `$1$`"
    # From John the Ripper 1.7.9's test vectors (as collected by passlib).
    example_password = "U*U*U*U*"
    example = "$1$dXc3I7Rw$ctlgjDdWJLMT.qwHsWhXR1"


class AprMd5Crypt(_Md5Crypt):
    name = "apr_md5_crypt"
    magic = "$apr1$"
    prefixes = (magic,)
    description = "Apache's md5-crypt variant (htpasswd -m)."
    recognised_by = "prefix `$apr1$`"
    # From Apache's documentation (httpd.apache.org/docs/2.2/misc/password_encryptions.html).
    example_password = "myPassword"
    example = "$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/"


# --- SHA-crypt --------------------------------------------------------------------------------

_SHA256_ORDER = (
    20, 10, 0, 11, 1, 21, 2, 22, 12, 23, 13, 3, 14, 4, 24, 5, 25, 15, 26, 16, 6, 17, 7, 27, 8, 28, 18, 29, 19, 9, 30, 31,
)  # fmt: skip
_SHA512_ORDER = (
    42, 21, 0, 1, 43, 22, 23, 2, 44, 45, 24, 3, 4, 46, 25, 26, 5, 47, 48, 27, 6, 7, 49, 28, 29, 8, 50, 51, 30, 9,
    10, 52, 31, 32, 11, 53, 54, 33, 12, 13, 55, 34, 35, 14, 56, 57, 36, 15, 16, 58, 37, 38, 17, 59, 60, 39, 18,
    19, 61, 40, 41, 20, 62, 63,
)  # fmt: skip

SHA_CRYPT_DEFAULT_ROUNDS = 5000


def _repeat(block: bytes, length: int) -> bytes:
    return block * (length // len(block)) + block[: length % len(block)]


def sha_crypt_checksum(password: bytes, salt: bytes, rounds: int, digest: str) -> str:
    """The checksum of sha256-crypt (``digest="sha256"``) or sha512-crypt (``"sha512"``)."""
    new = getattr(hashlib, digest)
    alternate = new(password + salt + password).digest()
    ctx = password + salt + _repeat(alternate, len(password))
    i = len(password)
    while i:
        ctx += alternate if i & 1 else password
        i >>= 1
    current = new(ctx).digest()
    p_bytes = _repeat(new(password * len(password)).digest(), len(password))
    s_bytes = _repeat(new(salt * (16 + current[0])).digest(), len(salt))
    current = _mix_rounds(new, current, p_bytes, s_bytes, rounds)
    order = _SHA256_ORDER if digest == "sha256" else _SHA512_ORDER
    return hash64_encode(bytes(current[i] for i in order))


_SHA_CRYPT = re.compile(
    r"^\$(?P<ident>[56])\$(?:rounds=(?P<rounds>[0-9]+)\$)?(?P<salt>[./0-9A-Za-z]{0,16})\$(?P<hash>[./0-9A-Za-z]+)$"
)


class _ShaCrypt(HashFormat):
    ident: str
    digest: str
    checksum_len: int

    def check(self, value: str, ctx: Context) -> Checked:
        match = _SHA_CRYPT.match(value)
        if not match or match["ident"] != self.ident or len(match["hash"]) != self.checksum_len:
            raise self.fail(
                f"not a valid ${self.ident}$ string (${self.ident}$[rounds=N$]<salt, up to 16>$<{self.checksum_len} characters>)"
            )
        rounds = SHA_CRYPT_DEFAULT_ROUNDS
        if match["rounds"] is not None:
            rounds = parse_uint(match["rounds"], self.name, "rounds")
            if not 1000 <= rounds <= 999_999_999:
                raise self.fail("rounds must be between 1000 and 999999999 (crypt never writes other values)")
        ceiling(rounds, ctx.limits.crypt_max_rounds, self.name, "rounds", "crypt_max_rounds")
        salt = match["salt"].encode("ascii")
        expected = match["hash"].encode("ascii")
        digest = self.digest

        def matches(password: str) -> bool:
            return equal(sha_crypt_checksum(utf8(password), salt, rounds, digest).encode("ascii"), expected)

        return Checked(matches)


class Sha256Crypt(_ShaCrypt):
    name = "sha256_crypt"
    ident = "5"
    prefixes = ("$5$",)
    digest = "sha256"
    checksum_len = 43
    description = "sha256-crypt (glibc crypt(3), Linux /etc/shadow)."
    recognised_by = "prefix `$5$`"
    # From Drepper's SHA-crypt specification (its test vectors).
    example_password = "Hello world!"
    example = "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"


class Sha512Crypt(_ShaCrypt):
    name = "sha512_crypt"
    ident = "6"
    prefixes = ("$6$",)
    digest = "sha512"
    checksum_len = 86
    description = "sha512-crypt (glibc crypt(3), Linux /etc/shadow, many appliances)."
    recognised_by = "prefix `$6$`"
    # From Drepper's SHA-crypt specification (its test vectors).
    example_password = "Hello world!"
    example = (
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
    )


# --- LDAP {CRYPT} -----------------------------------------------------------------------------

CRYPT_FORMATS: tuple[HashFormat, ...] = (Md5Crypt(), AprMd5Crypt(), Sha256Crypt(), Sha512Crypt(), Bcrypt())


class LdapCrypt(HashFormat):
    name = "ldap_crypt"
    description = "LDAP {CRYPT}: a crypt(3) string (md5-crypt, sha256/512-crypt or bcrypt) behind the tag."
    recognised_by = "prefix `{CRYPT}` (any case)"
    # From passlib's ldap_md5_crypt test vectors.
    example_password = "test"
    example = "{CRYPT}$1$ec6XvcoW$ghEtNK2U1MC5l.Dwgi3020"

    def recognises(self, value: str) -> bool:
        return value[:7].upper() == "{CRYPT}"

    def check(self, value: str, ctx: Context) -> Checked:
        inner = value[7:]
        for fmt in CRYPT_FORMATS:
            if fmt.recognises(inner):
                return fmt.check(inner, ctx)
        raise self.fail("only md5-crypt, sha256-crypt, sha512-crypt and bcrypt are supported inside {CRYPT} (DES crypt is not)")
