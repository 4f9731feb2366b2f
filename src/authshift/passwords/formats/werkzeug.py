"""Werkzeug's generate_password_hash() strings (Flask applications).

``scrypt:<N>:<r>:<p>$<salt>$<hex>`` (Werkzeug 3 default) and ``pbkdf2:<digest>:<iterations>$<salt>$<hex>``.
The salt is text used as its UTF-8 bytes. Werkzeug's ancient ``pbkdf2:<digest>$...`` form without
an iteration count depended on the Werkzeug version's default and is refused as ambiguous.
"""

from __future__ import annotations

import re

from authshift.passwords._codec import hexdecode, parse_uint
from authshift.passwords.formats.base import Checked, Context, HashFormat
from authshift.passwords.formats.pbkdf2 import check_iterations, pbkdf2_matcher
from authshift.passwords.formats.scrypt import check_scrypt_params, scrypt_matcher

_WERKZEUG = re.compile(r"^(?P<method>(?:scrypt|pbkdf2):[^$]*)\$(?P<salt>[^$]+)\$(?P<hash>[0-9a-f]+)$")
_DIGESTS = ("sha1", "sha224", "sha256", "sha384", "sha512", "md5")


class _Werkzeug(HashFormat):
    method: str

    def recognises(self, value: str) -> bool:
        return value.startswith(self.method + ":")

    def split(self, value: str) -> tuple[list[str], bytes, bytes]:
        match = _WERKZEUG.match(value)
        if not match:
            raise self.fail(f"expected {self.method}:<parameters>$<salt>$<lowercase hex hash>")
        args = match["method"].split(":")[1:]
        return args, match["salt"].encode("utf-8"), hexdecode(match["hash"], self.name, "hash")


class WerkzeugScrypt(_Werkzeug):
    name = "werkzeug_scrypt"
    method = "scrypt"
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
        if len(expected) < 16:
            raise self.fail("hash is shorter than 16 bytes")
        return Checked(scrypt_matcher(salt, expected, n, r, p))


class WerkzeugPbkdf2(_Werkzeug):
    name = "werkzeug_pbkdf2"
    method = "pbkdf2"
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
        if len(expected) < 8:
            raise self.fail("hash is shorter than 8 bytes")
        return Checked(pbkdf2_matcher(args[0], salt, iterations, expected))
