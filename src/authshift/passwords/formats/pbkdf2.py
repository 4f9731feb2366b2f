"""PBKDF2 (RFC 8018) strings and raw objects, and the shared iteration checks.

- passlib: ``$pbkdf2-sha256$<rounds>$<ab64 salt>$<ab64 hash>`` (``$pbkdf2$`` is SHA-1)
- PHC: ``$pbkdf2-sha256$i=<rounds>,l=<length>$<b64 salt>$<b64 hash>``; also with sha224, sha384
  and md4 (Auth0's bulk import accepts PBKDF2 PHC strings over these digests)
- Atlassian (Jira, Confluence, Crowd): ``{PKCS5S2}`` + base64(16-byte salt + 32-byte key), SHA-1, 10000 rounds
- raw object ``{"algorithm": "pbkdf2-sha256", "hash", "salt", "iterations"}`` (Keycloak maps onto it)
Django, Werkzeug and ASP.NET Identity strings are in their own modules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from authshift.passwords._codec import (
    b64decode,
    ceiling,
    choice_field,
    decode_bytes,
    equal,
    int_field,
    parse_uint,
    str_field,
    utf8,
)
from authshift.passwords._md4 import new_hash, pbkdf2_hmac
from authshift.passwords.errors import PasswordFormatError
from authshift.passwords.formats.base import Checked, Context, HashFormat, StructuredFormat, algorithm_key

PBKDF2_DIGESTS = ("sha1", "sha256", "sha512")


def check_iterations(iterations: int, fmt: str, ctx: Context) -> None:
    if iterations < 1:
        raise PasswordFormatError("iterations must be at least 1", fmt)
    ceiling(iterations, ctx.limits.pbkdf2_max_iterations, fmt, "iterations", "pbkdf2_max_iterations")


def pbkdf2_matcher(
    digest_name: str,
    salt: bytes,
    iterations: int,
    expected: bytes,
    encode: Callable[[str], bytes | None] = utf8,
) -> Callable[[str], bool]:
    def matches(password: str) -> bool:
        secret = encode(password)
        if secret is None:
            return False
        return equal(pbkdf2_hmac(digest_name, secret, salt, iterations, len(expected)), expected)

    return matches


_PASSLIB = re.compile(r"^\$pbkdf2(?:-(?P<digest>sha256|sha512))?\$(?P<rounds>\d+)\$(?P<salt>[./A-Za-z0-9]*)\$(?P<hash>[./A-Za-z0-9]+)$")
_PHC = re.compile(r"^\$pbkdf2(?:-(?P<digest>sha1|sha224|sha256|sha384|sha512|md4))?\$(?P<params>[a-z]=[^$]*)\$(?P<salt>[A-Za-z0-9+/.]*)\$(?P<hash>[A-Za-z0-9+/.]+)$")


class _Pbkdf2String(HashFormat):
    digest: str
    ident: str

    def check(self, value: str, ctx: Context) -> Checked:
        match = _PASSLIB.match(value)
        if match:
            iterations = parse_uint(match["rounds"], self.name, "rounds")
            salt = b64decode(match["salt"], self.name, "salt", ab64=True)
            expected = b64decode(match["hash"], self.name, "hash", ab64=True)
            length = new_hash(self.digest).digest_size
        else:
            match = _PHC.match(value)
            if not match:
                raise self.fail(f"not a valid PBKDF2 string ({self.ident}<rounds>$<salt>$<hash> or {self.ident}i=..,l=..$<salt>$<hash>)")
            params: dict[str, int] = {}
            for item in match["params"].split(","):
                key, _, text = item.partition("=")
                if key not in ("i", "l") or key in params:
                    raise self.fail("PHC parameters must be i=<iterations> and optionally l=<length>")
                params[key] = parse_uint(text, self.name, f"parameter {key}")
            if "i" not in params:
                raise self.fail("missing i=<iterations>")
            iterations = params["i"]
            salt = b64decode(match["salt"], self.name, "salt", ab64=True)
            expected = b64decode(match["hash"], self.name, "hash", ab64=True)
            length = params.get("l", new_hash(self.digest).digest_size)
        if len(expected) != length:
            raise self.fail(f"hash must be {length} bytes, not {len(expected)}")
        check_iterations(iterations, self.name, ctx)
        if self.digest == "md4":
            # pure-Python MD4 (OpenSSL 3 has none) is ~100x slower than OpenSSL's digests
            ceiling(iterations, ctx.limits.pbkdf2_md4_max_iterations, self.name, "iterations", "pbkdf2_md4_max_iterations")
        return Checked(pbkdf2_matcher(self.digest, salt, iterations, expected))


class Pbkdf2Sha1(_Pbkdf2String):
    name = "pbkdf2_sha1"
    digest = "sha1"
    ident = "$pbkdf2$"
    prefixes = ("$pbkdf2$", "$pbkdf2-sha1$")
    description = "PBKDF2-HMAC-SHA1 in passlib's modular-crypt form."
    recognised_by = "prefix `$pbkdf2$` (passlib) or `$pbkdf2-sha1$` (PHC)"
    # From passlib's pbkdf2_sha1 test vectors.
    example_password = "password"
    example = "$pbkdf2$1212$OB.dtnSEXZK8U5cgxU/GYQ$y5LKPOplRmok7CZp/aqVDVg8zGI"


class Pbkdf2Sha256(_Pbkdf2String):
    name = "pbkdf2_sha256"
    digest = "sha256"
    ident = "$pbkdf2-sha256$"
    prefixes = (ident,)
    description = "PBKDF2-HMAC-SHA256 in passlib's form (`$pbkdf2-sha256$rounds$salt$hash`) or the PHC form (`i=..,l=..`)."
    recognised_by = "prefix `$pbkdf2-sha256$`"
    # From passlib's pbkdf2_sha256 test vectors.
    example_password = "password"
    example = "$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ"


class Pbkdf2Sha512(_Pbkdf2String):
    name = "pbkdf2_sha512"
    digest = "sha512"
    ident = "$pbkdf2-sha512$"
    prefixes = (ident,)
    description = "PBKDF2-HMAC-SHA512 in passlib's form or the PHC form."
    recognised_by = "prefix `$pbkdf2-sha512$`"
    # From passlib's pbkdf2_sha512 test vectors.
    example_password = "password"
    example = (
        "$pbkdf2-sha512$1212$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshvhrSX.esqY3s.FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww"
    )


def _phc_only(digest: str, example: str, source: str) -> type[_Pbkdf2String]:
    ident = f"$pbkdf2-{digest}$"
    return type(
        f"Pbkdf2{digest.capitalize()}",
        (_Pbkdf2String,),
        {
            "name": f"pbkdf2_{digest}",
            "digest": digest,
            "ident": ident,
            "prefixes": (ident,),
            "description": f"PBKDF2-HMAC-{digest.upper()} in the PHC form (`{ident}i=..,l=..$<b64 salt>$<b64 hash>`), as Auth0 accepts it.",
            "recognised_by": f"prefix `{ident}`",
            "example_password": "password",
            "example": example,
            "__doc__": source,
        },
    )


# RFC 6070's inputs ("password" / "salt", 4096 iterations) over other digests; sha224/sha384 from
# hashlib.pbkdf2_hmac (OpenSSL), md4 from passlib's pure-Python MD4 in RFC 8018's construction
# (tests/passwords/test_known_answers.py recomputes each independently).
Pbkdf2Sha224 = _phc_only("sha224", "$pbkdf2-sha224$i=4096,l=28$c2FsdA$IYxFO/kGNb0KIaddFycD/2EI72A/ZbuCGu2t4Q", "PBKDF2-HMAC-SHA224 (PHC).")
Pbkdf2Sha384 = _phc_only("sha384", "$pbkdf2-sha384$i=4096,l=48$c2FsdA$VZcmvjjbElvIXteJX2489XTHoBwIDDRH2x6KdnZN6zwwe5SFP75CT2SIxfTxKJYm", "PBKDF2-HMAC-SHA384 (PHC).")
Pbkdf2Md4 = _phc_only("md4", "$pbkdf2-md4$i=1000,l=16$c2FsdA$+wYYGEdExa48aF5cH1kq/w", "PBKDF2-HMAC-MD4 (PHC).")


class AtlassianPbkdf2(HashFormat):
    name = "atlassian_pbkdf2_sha1"
    description = "Atlassian (Jira, Confluence, Crowd) PBKDF2-HMAC-SHA1, 10000 rounds."
    recognised_by = "prefix `{PKCS5S2}`"
    # From passlib's atlassian_pbkdf2_sha1 test vectors (generated with Jira).
    example_password = "admin"
    example = "{PKCS5S2}c4xaeTQM0lUieMS3V5voiexyX9XhqC2dBd5ecVy60IPksHChwoTAVYFrhsgoq8/p"
    prefixes = ("{PKCS5S2}",)

    def check(self, value: str, ctx: Context) -> Checked:
        raw = b64decode(value[len("{PKCS5S2}") :], self.name, "hash")
        if len(raw) != 48:
            raise self.fail("decoded value must be 48 bytes (16-byte salt + 32-byte key)")
        return Checked(pbkdf2_matcher("sha1", raw[:16], 10000, raw[16:]))


def pbkdf2_digest_of(algorithm: str, fmt: str) -> str:
    """'pbkdf2' (SHA-1, as Keycloak and RFC 8018 default) or 'pbkdf2-sha256' / 'pbkdf2_sha512'..."""
    key = algorithm_key(algorithm)
    if key == "pbkdf2":
        return "sha1"
    for digest in PBKDF2_DIGESTS:
        if key in (f"pbkdf2{digest}", f"pbkdf2hmac{digest}"):
            return digest
    raise PasswordFormatError(f"unknown PBKDF2 algorithm '{algorithm}'", fmt)


class Pbkdf2Raw(StructuredFormat):
    name = "pbkdf2_raw"
    algorithms = ("pbkdf2", "pbkdf2-sha1", "pbkdf2-sha256", "pbkdf2-sha512", "pbkdf2-hmac-sha1", "pbkdf2-hmac-sha256", "pbkdf2-hmac-sha512")
    description = "PBKDF2 given as an object: hash and salt with their encodings, iterations. Keycloak credentials are read into this form."
    recognised_by = 'object `{"algorithm": "pbkdf2-sha256", "hash", "salt", "iterations"}`'
    # RFC 6070 test vector 2 (PBKDF2-HMAC-SHA1, "password" / "salt", 2 iterations).
    example_password = "password"
    example = {
        "algorithm": "pbkdf2-sha1",
        "hash": "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957",
        "hash_encoding": "hex",
        "salt": "salt",
        "salt_encoding": "utf8",
        "iterations": 2,
    }

    def load(self, obj: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], Checked]:
        fmt = self.name
        digest = pbkdf2_digest_of(str_field(obj, "algorithm", fmt), fmt)
        hash_encoding = choice_field(obj, "hash_encoding", fmt, ("base64", "hex", "base64url"), "base64")
        salt_encoding = choice_field(obj, "salt_encoding", fmt, ("base64", "hex", "base64url", "utf8"), "base64")
        hash_text = str_field(obj, "hash", fmt)
        salt_text = str_field(obj, "salt", fmt)
        iterations = int_field(obj, "iterations", fmt)
        check_iterations(iterations, fmt, ctx)
        expected = decode_bytes(hash_text, hash_encoding, fmt, "hash")
        salt = decode_bytes(salt_text, salt_encoding, fmt, "salt")
        if len(expected) < 8:
            raise self.fail("hash is shorter than 8 bytes")
        canonical = {
            "algorithm": f"pbkdf2-{digest}",
            "hash": hash_text,
            "hash_encoding": hash_encoding,
            "salt": salt_text,
            "salt_encoding": salt_encoding,
            "iterations": iterations,
        }
        return canonical, Checked(pbkdf2_matcher(digest, salt, iterations, expected))
