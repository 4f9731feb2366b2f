"""scrypt (RFC 7914) in the PHC string form, and the shared parameter checks.

PHC / passlib: ``$scrypt$ln=14,r=8,p=1$<salt b64>$<hash b64>`` where ln is log2(N). Some
writers put N itself in that field; a value of 64 or more cannot be a log2 (N would not fit in
memory), so such a power of two is read as N. ``n=`` / ``N=`` fields are read as N.
Werkzeug's and Django's scrypt strings are in werkzeug.py and django.py.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
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
from authshift.passwords.errors import PasswordFormatError
from authshift.passwords.formats.base import Checked, Context, HashFormat, StructuredFormat


def check_scrypt_params(n: int, r: int, p: int, fmt: str, ctx: Context) -> None:
    """Validate scrypt's N, r, p and hold them to the ceilings."""
    if n < 2 or n & (n - 1):
        raise PasswordFormatError(f"N={n} is not a power of two greater than 1", fmt)
    if r < 1 or p < 1:
        raise PasswordFormatError("r and p must be at least 1", fmt)
    if r * p >= 2**30:
        raise PasswordFormatError("r*p must be below 2^30", fmt)
    limits = ctx.limits
    ceiling(n, limits.scrypt_max_n, fmt, "N", "scrypt_max_n")
    ceiling(r, limits.scrypt_max_r, fmt, "r", "scrypt_max_r")
    ceiling(p, limits.scrypt_max_p, fmt, "p", "scrypt_max_p")
    ceiling(scrypt_memory(n, r, p), limits.scrypt_max_memory_bytes, fmt, "memory (bytes)", "scrypt_max_memory_bytes")


def scrypt_memory(n: int, r: int, p: int) -> int:
    """Bytes OpenSSL's scrypt allocates: 128*r*(N + p + 2)."""
    return 128 * r * (n + p + 2)


def scrypt(secret: bytes, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=scrypt_memory(n, r, p) + 1024 * 1024)


def scrypt_matcher(salt: bytes, digest: bytes, n: int, r: int, p: int):  # type: ignore[no-untyped-def]
    def matches(password: str) -> bool:
        return equal(scrypt(utf8(password), salt, n, r, p, len(digest)), digest)

    return matches


_PHC = re.compile(r"^\$scrypt\$(?P<params>[^$]*)\$(?P<salt>[A-Za-z0-9+/.]*)\$(?P<hash>[A-Za-z0-9+/.]+)$")


def parse_phc_params(text: str, fmt: str) -> dict[str, int]:
    params: dict[str, int] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if not sep or key in params:
            raise PasswordFormatError("parameters must be distinct key=value pairs", fmt)
        params[key] = parse_uint(value, fmt, f"parameter {key}")
    return params


class ScryptPHC(HashFormat):
    name = "scrypt"
    description = "scrypt PHC string as written by passlib/libpass and others (`ln` is log2 N)."
    recognised_by = "prefix `$scrypt$`"
    # From the scrypt paper's test vectors (appendix B), encoded by passlib's scrypt tests.
    example_password = "password"
    example = "$scrypt$ln=10,r=8,p=16$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI"

    def recognises(self, value: str) -> bool:
        return value.startswith("$scrypt$")

    def check(self, value: str, ctx: Context) -> Checked:
        match = _PHC.match(value)
        if not match:
            raise self.fail("not a valid scrypt PHC string ($scrypt$ln=..,r=..,p=..$salt$hash)")
        params = parse_phc_params(match["params"], self.name)
        unknown = set(params) - {"ln", "n", "N", "r", "p"}
        if unknown:
            raise self.fail(f"unknown parameter {sorted(unknown)[0]}")
        if "ln" in params and ("n" in params or "N" in params):
            raise self.fail("both ln and N given")
        if "r" not in params or "p" not in params:
            raise self.fail("r and p are required")
        if "ln" in params:
            ln = params["ln"]
            if ln < 64:
                if ln < 1:
                    raise self.fail("ln must be at least 1")
                n = 1 << ln
            elif ln & (ln - 1) == 0:
                n = ln  # the writer put N itself in the ln field: unambiguous, 2**64 cannot be meant
            else:
                raise self.fail(f"ln={ln} is neither a log2 of N nor a power of two")
        elif "n" in params or "N" in params:
            n = params.get("n", params.get("N", 0))
        else:
            raise self.fail("ln (log2 N) is required")
        r, p = params["r"], params["p"]
        check_scrypt_params(n, r, p, self.name, ctx)
        salt = b64decode(match["salt"], self.name, "salt", ab64=True)
        digest = b64decode(match["hash"], self.name, "hash", ab64=True)
        if len(digest) < 16:
            raise self.fail("hash is shorter than 16 bytes")
        return Checked(scrypt_matcher(salt, digest, n, r, p))


class ScryptStructured(StructuredFormat):
    name = "scrypt_raw"
    algorithms = ("scrypt",)
    description = "Plain scrypt given as an object: hash and salt with their encodings, N (or ln), r, p."
    recognised_by = 'object `{"algorithm": "scrypt", "hash", "salt", "n", "r", "p"}`'
    example_password = "pleaseletmein"
    # RFC 7914 section 12, third vector (N=16384, r=8, p=1, salt "SodiumChloride"), first 32 bytes.
    example = {
        "algorithm": "scrypt",
        "hash": "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2",
        "hash_encoding": "hex",
        "salt": "SodiumChloride",
        "salt_encoding": "utf8",
        "n": 16384,
        "r": 8,
        "p": 1,
    }

    def load(self, obj: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], Checked]:
        fmt = self.name
        hash_encoding = choice_field(obj, "hash_encoding", fmt, ("base64", "hex", "base64url"), "base64")
        salt_encoding = choice_field(obj, "salt_encoding", fmt, ("base64", "hex", "base64url", "utf8"), "base64")
        hash_text = str_field(obj, "hash", fmt)
        salt_text = str_field(obj, "salt", fmt, default="")
        if "ln" in obj and "n" not in obj:
            ln = int_field(obj, "ln", fmt)
            if not 1 <= ln < 64:
                raise self.fail("ln must be between 1 and 63")
            n = 1 << ln
        else:
            n = int_field(obj, "n" if "n" in obj else "N", fmt)
        r = int_field(obj, "r", fmt, default=8)
        p = int_field(obj, "p", fmt, default=1)
        check_scrypt_params(n, r, p, fmt, ctx)
        digest = decode_bytes(hash_text, hash_encoding, fmt, "hash")
        salt = decode_bytes(salt_text, salt_encoding, fmt, "salt")
        if len(digest) < 16:
            raise self.fail("hash is shorter than 16 bytes")
        canonical = {
            "algorithm": "scrypt",
            "hash": hash_text,
            "hash_encoding": hash_encoding,
            "salt": salt_text,
            "salt_encoding": salt_encoding,
            "n": n,
            "r": r,
            "p": p,
        }
        return canonical, Checked(scrypt_matcher(salt, digest, n, r, p))
