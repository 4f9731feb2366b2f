"""Werkzeug's generate_password_hash() strings (Flask applications).

``scrypt:<N>:<r>:<p>$<salt>$<hex>`` (Werkzeug 3 default) and ``pbkdf2:<digest>:<iterations>$<salt>$<hex>``.
The salt is text used as its UTF-8 bytes. Werkzeug's ancient ``pbkdf2:<digest>$...`` form without
an iteration count depended on the Werkzeug version's default and is refused as ambiguous.

Werkzeug before 2.3 also wrote ``<digest>$<salt>$<hex>`` for any hashlib digest: HMAC keyed by
the salt (``_hash_internal``: ``hmac.new(salt, password, digest)``; an empty salt meant the bare
digest). ``sha1$salt$hex`` and ``md5$salt$hex`` have the shape of Django's salted SHA-1 / MD5
hashers, which come first; the Werkzeug reading is chosen only when the import names it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import ClassVar

from authshift.passwords._codec import equal, hexdecode, parse_uint, utf8
from authshift.passwords.formats.base import Checked, Context, HashFormat
from authshift.passwords.formats.pbkdf2 import check_iterations, pbkdf2_matcher
from authshift.passwords.formats.scrypt import check_scrypt_params, scrypt_matcher

_WERKZEUG = re.compile(r"^(?P<method>(?:scrypt|pbkdf2):[^$]*)\$(?P<salt>[^$]+)\$(?P<hash>[0-9a-f]+)$")
WERKZEUG_SCRYPT_HASH_LENGTH = 64  # hashlib.scrypt's default dklen, which Werkzeug keeps
_DIGESTS = ("sha1", "sha224", "sha256", "sha384", "sha512", "md5")


class _Werkzeug(HashFormat):
    method: str

    def split(self, value: str) -> tuple[list[str], bytes, bytes]:
        match = _WERKZEUG.match(value)
        if not match:
            raise self.fail(f"expected {self.method}:<parameters>$<salt>$<lowercase hex hash>")
        args = match["method"].split(":")[1:]
        return args, match["salt"].encode("utf-8"), hexdecode(match["hash"], self.name, "hash")


class WerkzeugScrypt(_Werkzeug):
    name = "werkzeug_scrypt"
    method = "scrypt"
    prefixes = ("scrypt:",)
    description = "Werkzeug's scrypt hash (Werkzeug 3's default)."
    recognised_by = "prefix `scrypt:`"
    # Generated with werkzeug.security.generate_password_hash(method="scrypt:1024:8:1").
    example_password = "pässword"
    example = (
        "scrypt:1024:8:1$hBNlhxnXfOeQiR35$f781de9719b1512c4a4942de034c18fd0610ed6222760e087175bf3cbab17730"
        "addea4b48a4bba7284bbdeef598682d6bab40dd70a4ade1c5cbc472f6027fe05"
    )

    def check(self, value: str, ctx: Context) -> Checked:
        args, salt, expected = self.split(value)
        if len(args) != 3:
            raise self.fail("expected scrypt:<N>:<r>:<p>")
        n, r, p = (parse_uint(a, self.name, label) for a, label in zip(args, ("N", "r", "p"), strict=True))
        check_scrypt_params(n, r, p, self.name, ctx)
        if len(expected) != WERKZEUG_SCRYPT_HASH_LENGTH:
            raise self.fail(f"hash must be {WERKZEUG_SCRYPT_HASH_LENGTH} bytes, not {len(expected)}")
        return Checked(scrypt_matcher(salt, expected, n, r, p))


class WerkzeugPbkdf2(_Werkzeug):
    name = "werkzeug_pbkdf2"
    method = "pbkdf2"
    prefixes = ("pbkdf2:",)
    description = "Werkzeug's PBKDF2 hash (Werkzeug 2's default)."
    recognised_by = "prefix `pbkdf2:`"
    # Generated with werkzeug.security.generate_password_hash(method="pbkdf2:sha256:1000").
    example_password = "pässword"
    example = "pbkdf2:sha256:1000$P723Q6eovrs3SML4$6275ae9d028d349aaa4ad749606390bd5b72f9c6380c06e3bd258809968ad21e"

    def check(self, value: str, ctx: Context) -> Checked:
        args, salt, expected = self.split(value)
        if len(args) == 1:
            raise self.fail("no iteration count (pbkdf2:<digest>:<iterations>); old Werkzeug's default is ambiguous")
        if len(args) != 2 or args[0] not in _DIGESTS:
            raise self.fail(f"expected pbkdf2:<digest>:<iterations> with digest one of {', '.join(_DIGESTS)}")
        iterations = parse_uint(args[1], self.name, "iterations")
        check_iterations(iterations, self.name, ctx)
        size = hashlib.new(args[0]).digest_size
        if len(expected) != size:
            raise self.fail(f"hash must be {size} bytes, not {len(expected)}")
        return Checked(pbkdf2_matcher(args[0], salt, iterations, expected))


_LEGACY = re.compile(r"^(?P<digest>[a-z0-9]+)\$(?P<salt>[^$]*)\$(?P<hash>[0-9a-f]+)$")


class _WerkzeugLegacy(HashFormat):
    """``<digest>$<salt>$<hex>`` of Werkzeug < 2.3: HMAC-<digest>(key = salt, password)."""

    digest: ClassVar[str]

    def check(self, value: str, ctx: Context) -> Checked:
        match = _LEGACY.match(value)
        if not match or match["digest"] != self.digest:
            raise self.fail(f"expected {self.digest}$<salt>$<lowercase hex hash>")
        expected = hexdecode(match["hash"], self.name, "hash")
        size = hashlib.new(self.digest).digest_size
        if len(expected) != size:
            raise self.fail(f"hash must be {size * 2} hex digits")
        salt, digest = match["salt"].encode("utf-8"), self.digest

        def matches(password: str) -> bool:
            secret = utf8(password)
            actual = hmac.new(salt, secret, digest).digest() if salt else hashlib.new(digest, secret).digest()
            return equal(actual, expected)

        return Checked(matches)


def _legacy(digest: str, example: str, *, named_only: bool) -> type[_WerkzeugLegacy]:
    shared = " (the shape of Django's salted " + digest.upper() + " hasher: give `\"format\": \"werkzeug\"`)" if named_only else ""
    return type(
        f"WerkzeugLegacy{digest.upper()}",
        (_WerkzeugLegacy,),
        {
            "name": f"werkzeug_{digest}",
            "digest": digest,
            "prefixes": (f"{digest}$",),
            "named_only": named_only,
            "description": f"Werkzeug < 2.3's `{digest}$<salt>$<hex>`: HMAC-{digest.upper()} keyed by the salt{shared}.",
            "recognised_by": f"prefix `{digest}$`" + (", when the import names the format" if named_only else ""),
            # Generated with Werkzeug 2.2.3's generate_password_hash(password, method=digest)
            # (tests/passwords/fixtures/werkzeug_2_2.json).
            "example_password": "hunter2",
            "example": {"hash": example, "format": f"werkzeug_{digest}"} if named_only else example,
        },
    )


_LEGACY_EXAMPLES = {
    "md5": "md5$KRQpe2RbzkpFiRYM$64051c2c1499cebd1a5dddb98ddddce2",
    "sha1": "sha1$8VTGSwQeUHHJM75s$953f8b831d465af8d6f8547dc839da518d999c9a",
    "sha224": "sha224$v7n4p2jocZsXVqeM$af383c7885e3ed3a283e0f78d1018273cfd5211a1411a2f5bf82dbb1",
    "sha256": "sha256$OCrIsNcgmZqYGz5B$fc11b7c945d7868dcdc23e7abe7e04ff95568a0640b46e2a04a220f0643a475d",
    "sha384": "sha384$AFXlPuiZiEVEvXL3$996349569473d4d2fc5b35d7e0e5d52bce77e1b708528c2241e18af81191b7d6522ea6dbdcf97bc9a48fe6dca9da28a1",
    "sha512": "sha512$KhyC3LmmtvFeAA0I$009add54f3567ddde3ac27c8f8d56c323383fd365e4866a875f6fbc2777b00cfa9e57067ca90693cb30348ea2636cf913b86c1e084e964b4634e6088e55a444f"
}
WERKZEUG_LEGACY_FORMATS = [
    _legacy(digest, _LEGACY_EXAMPLES[digest], named_only=digest in ("md5", "sha1"))
    for digest in ("sha224", "sha256", "sha384", "sha512", "sha1", "md5")
]
