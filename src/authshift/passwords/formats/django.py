"""Django's password hashers (django.contrib.auth.hashers), ``<algorithm>$<fields>``.

pbkdf2_sha256 / pbkdf2_sha1 ``$<iterations>$<salt>$<b64 hash>``, argon2 ``$argon2id$...``,
bcrypt_sha256 / bcrypt ``$$2b$...``, scrypt ``$<N>$<salt>$<r>$<p>$<b64 hash>``, md5 / sha1
``$<salt>$<hex>``, unsalted_md5 (bare 32 hex digits or ``md5$$<hex>``), unsalted_sha1 ``sha1$$<hex>``.
Django salts are text and are used as their UTF-8 bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from authshift.passwords._codec import b64decode, equal, hexdecode, parse_uint, utf8
from authshift.passwords.formats.argon2 import argon2_matcher, parse_argon2
from authshift.passwords.formats.base import Checked, Context, HashFormat
from authshift.passwords.formats.bcrypt import bcrypt_matcher, parse_bcrypt
from authshift.passwords.formats.pbkdf2 import check_iterations, pbkdf2_matcher
from authshift.passwords.formats.scrypt import check_scrypt_params, scrypt_matcher

# Examples marked "Django's test suite" come from tests/auth_tests/test_hashers.py (password "lètmein").
LETMEIN = "lètmein"
DJANGO_SCRYPT_HASH_LENGTH = 64


class _DjangoPbkdf2(HashFormat):
    algorithm: str
    digest: str

    def check(self, value: str, ctx: Context) -> Checked:
        parts = value.split("$")
        if len(parts) != 4 or not parts[2] or "$" in parts[2]:
            raise self.fail(f"expected {self.algorithm}$<iterations>$<salt>$<hash>")
        iterations = parse_uint(parts[1], self.name, "iterations")
        check_iterations(iterations, self.name, ctx)
        expected = b64decode(parts[3], self.name, "hash")
        size = hashlib.new(self.digest).digest_size
        if len(expected) != size:
            raise self.fail(f"hash must be {size} bytes, not {len(expected)}")
        return Checked(pbkdf2_matcher(self.digest, parts[2].encode("utf-8"), iterations, expected))


class DjangoPbkdf2Sha256(_DjangoPbkdf2):
    name = "django_pbkdf2_sha256"
    algorithm = "pbkdf2_sha256"
    prefixes = ("pbkdf2_sha256$",)
    digest = "sha256"
    description = "Django's default hasher: PBKDF2-HMAC-SHA256."
    recognised_by = "prefix `pbkdf2_sha256$`"
    # Django's test suite (Django 5.0's 600000 iterations).
    example_password = LETMEIN
    example = "pbkdf2_sha256$600000$seasalt$OAXyhAQ/4ZDA9V5RMExt3C1OwQdUpLZ99vm1McFlLRA="


class DjangoPbkdf2Sha1(_DjangoPbkdf2):
    name = "django_pbkdf2_sha1"
    algorithm = "pbkdf2_sha1"
    prefixes = ("pbkdf2_sha1$",)
    digest = "sha1"
    description = "Django's PBKDF2-HMAC-SHA1 hasher."
    recognised_by = "prefix `pbkdf2_sha1$`"
    # From passlib's django_pbkdf2_sha1 test vectors (generated with Django 1.4).
    example_password = "not a password"
    example = "pbkdf2_sha1$10000$wz5B6WkasRoF$atJmJ1o+XfJxKq1+Nu1f1i57Z5I="


class DjangoArgon2(HashFormat):
    name = "django_argon2"
    description = "Django's Argon2PasswordHasher: an argon2 PHC string behind `argon2`."
    recognised_by = "prefix `argon2$argon2`"
    # From passlib's django_argon2 test vectors (generated with Django 1.10.3).
    example_password = LETMEIN
    example = "argon2$argon2i$v=19$m=512,t=2,p=2$V25jN1l4UUJZWkR1$MxpA1BD2Gh7+D79gaAw6sQ"
    prefixes = ("argon2$argon2",)

    def check(self, value: str, ctx: Context) -> Checked:
        phc = value[len("argon2") :]
        params = parse_argon2(phc, self.name, ctx)
        return Checked(argon2_matcher(phc, params.type, self.name))


def _sha256_hex(password: str) -> bytes:
    return hashlib.sha256(utf8(password)).hexdigest().encode("ascii")


class DjangoBcryptSha256(HashFormat):
    name = "django_bcrypt_sha256"
    description = "Django's BCryptSHA256PasswordHasher: bcrypt over the hex SHA-256 of the password."
    recognised_by = "prefix `bcrypt_sha256$`"
    # From passlib's django_bcrypt_sha256 test vectors (generated with Django 1.6).
    example_password = LETMEIN
    example = "bcrypt_sha256$$2a$08$NDjSAIcas.EcoxCRiArvT.MkNiPYVhrsrnJsRkLueZOoV1bsQqlmC"
    prefixes = ("bcrypt_sha256$",)

    def check(self, value: str, ctx: Context) -> Checked:
        inner = value[len("bcrypt_sha256$") :]
        parse_bcrypt(inner, self.name, ctx)
        return Checked(bcrypt_matcher(inner, self.name, _sha256_hex))


class DjangoBcrypt(HashFormat):
    name = "django_bcrypt"
    description = "Django's BCryptPasswordHasher: plain bcrypt behind `bcrypt`."
    recognised_by = "prefix `bcrypt$`"
    # From passlib's django_bcrypt test vectors (py-bcrypt's vector behind Django's prefix).
    example_password = "abcdefghijklmnopqrstuvwxyz"
    example = "bcrypt$$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq"
    prefixes = ("bcrypt$",)

    def check(self, value: str, ctx: Context) -> Checked:
        inner = value[len("bcrypt$") :]
        parse_bcrypt(inner, self.name, ctx)
        return Checked(bcrypt_matcher(inner, self.name, utf8))


class DjangoScrypt(HashFormat):
    name = "django_scrypt"
    description = "Django's ScryptPasswordHasher: `scrypt$N$salt$r$p$hash`."
    recognised_by = "prefix `scrypt$`"
    # Django's test suite.
    example_password = LETMEIN
    example = (
        "scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw=="
    )
    prefixes = ("scrypt$",)

    def check(self, value: str, ctx: Context) -> Checked:
        parts = value.split("$")
        if len(parts) != 6 or not parts[2]:
            raise self.fail("expected scrypt$<N>$<salt>$<r>$<p>$<hash>")
        n = parse_uint(parts[1], self.name, "N")
        r = parse_uint(parts[3], self.name, "r")
        p = parse_uint(parts[4], self.name, "p")
        check_scrypt_params(n, r, p, self.name, ctx)
        expected = b64decode(parts[5], self.name, "hash")
        if len(expected) != DJANGO_SCRYPT_HASH_LENGTH:
            raise self.fail(f"hash must be {DJANGO_SCRYPT_HASH_LENGTH} bytes, not {len(expected)}")
        return Checked(scrypt_matcher(parts[2].encode("utf-8"), expected, n, r, p))


class _DjangoDigest(HashFormat):
    algorithm: str
    salted: bool

    def recognises(self, value: str) -> bool:
        if not value.startswith(self.algorithm + "$"):
            return False
        has_salt = not value.startswith(self.algorithm + "$$")
        return has_salt == self.salted

    def check(self, value: str, ctx: Context) -> Checked:
        parts = value.split("$")
        size = hashlib.new(self.algorithm).digest_size
        if len(parts) != 3 or bool(parts[1]) != self.salted:
            layout = f"{self.algorithm}$<salt>$<hex>" if self.salted else f"{self.algorithm}$$<hex>"
            raise self.fail(f"expected {layout}")
        expected = hexdecode(parts[2], self.name, "hash")
        if len(expected) != size:
            raise self.fail(f"hash must be {size * 2} hex digits")
        return Checked(_digest_matcher(self.algorithm, parts[1], expected))


def _digest_matcher(algorithm: str, salt: str, expected: bytes) -> Callable[[str], bool]:
    def matches(password: str) -> bool:
        return equal(hashlib.new(algorithm, utf8(salt + password)).digest(), expected)

    return matches


class DjangoMd5(_DjangoDigest):
    name = "django_md5"
    algorithm = "md5"
    salted = True
    description = "Django's MD5PasswordHasher: md5(salt + password), hex."
    recognised_by = "prefix `md5$` with a salt"

    def ambiguous_with(self, value: str) -> tuple[str, ...]:
        return ("werkzeug_md5",)  # Werkzeug < 2.3 wrote md5$<salt>$<hex> as HMAC-MD5 keyed by the salt
    # Django's test suite.
    example_password = LETMEIN
    example = "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3"


class DjangoSha1(_DjangoDigest):
    name = "django_sha1"
    algorithm = "sha1"
    salted = True
    description = "Django's SHA1PasswordHasher (removed in Django 5.1): sha1(salt + password), hex."
    recognised_by = "prefix `sha1$` with a salt"

    def ambiguous_with(self, value: str) -> tuple[str, ...]:
        return ("werkzeug_sha1",)  # Werkzeug < 2.3 wrote sha1$<salt>$<hex> as HMAC-SHA1 keyed by the salt
    # Django's test suite.
    example_password = LETMEIN
    example = "sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8"


class DjangoUnsaltedSha1(_DjangoDigest):
    name = "django_unsalted_sha1"
    algorithm = "sha1"
    salted = False
    description = "Django's UnsaltedSHA1PasswordHasher: `sha1$$` + hex sha1(password)."
    recognised_by = "prefix `sha1$$`"
    # Django's test suite.
    example_password = LETMEIN
    example = "sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b"


_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")


class DjangoUnsaltedMd5(_DjangoDigest):
    name = "django_unsalted_md5"
    algorithm = "md5"
    salted = False
    description = "Django's UnsaltedMD5PasswordHasher: hex md5(password), bare or as `md5$$<hex>` (also any bare hex md5)."
    recognised_by = "exactly 32 hex digits, or prefix `md5$$`"
    # Django's test suite.
    example_password = LETMEIN
    example = "88a434c88cca4e900f7874cd98123f43"

    families = ("md5", "unsalted_md5")

    def recognises(self, value: str) -> bool:
        return bool(_HEX32.match(value)) or value.startswith("md5$$")

    def ambiguous_with(self, value: str) -> tuple[str, ...]:
        return ("nt_hash",) if _HEX32.match(value) else ()  # bare 32 hex digits: MD5 or MD4 (NT)?

    def check(self, value: str, ctx: Context) -> Checked:
        if _HEX32.match(value):
            value = "md5$$" + value
        return super().check(value, ctx)
