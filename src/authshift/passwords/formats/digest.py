"""Salted digests and HMACs given as objects (the model of Auth0's custom_password_hash).

``{"algorithm": "sha256", "hash": "...", "hash_encoding": "hex", "salt": "...",
"salt_position": "prefix", "password_encoding": "utf8"}`` is sha256(salt + password);
``{"algorithm": "hmac-sha256", "hash": "...", "key": "...", ...}`` is HMAC(key, salt + password).
Encodings: hash hex | base64 | base64url (default hex); salt and key utf8 | hex | base64
(default utf8); password utf8 | utf16le | latin1 (default utf8). No salt means unsalted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authshift.passwords._codec import (
    PASSWORD_ENCODINGS,
    choice_field,
    decode_bytes,
    encode_password,
    equal,
    str_field,
)
from authshift.passwords._md4 import hmac_digest, new_hash
from authshift.passwords.formats.base import Checked, Context, StructuredFormat

# md4: Auth0's custom_password_hash accepts it (pure-Python MD4: OpenSSL 3 dropped it).
DIGESTS = ("md4", "md5", "sha1", "sha224", "sha256", "sha384", "sha512")
DIGEST_SIZES = {name: new_hash(name).digest_size for name in DIGESTS}


class _Digest(StructuredFormat):
    digest: str
    keyed: bool = False

    def load(self, obj: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], Checked]:
        fmt = self.name
        hash_encoding = choice_field(obj, "hash_encoding", fmt, ("hex", "base64", "base64url"), "hex")
        salt_encoding = choice_field(obj, "salt_encoding", fmt, ("utf8", "hex", "base64", "base64url"), "utf8")
        salt_position = choice_field(obj, "salt_position", fmt, ("prefix", "suffix"), "prefix")
        password_encoding = choice_field(obj, "password_encoding", fmt, PASSWORD_ENCODINGS, "utf8")
        hash_text = str_field(obj, "hash", fmt)
        salt_text = str_field(obj, "salt", fmt, default="")
        expected = decode_bytes(hash_text, hash_encoding, fmt, "hash")
        salt = decode_bytes(salt_text, salt_encoding, fmt, "salt")
        size = DIGEST_SIZES[self.digest]
        if len(expected) != size:
            raise self.fail(f"hash is {len(expected)} bytes, a {self.digest} digest is {size}")
        canonical: dict[str, Any] = {
            "algorithm": self.name.replace("_", "-"),
            "hash": hash_text,
            "hash_encoding": hash_encoding,
            "salt": salt_text,
            "salt_encoding": salt_encoding,
            "salt_position": salt_position,
            "password_encoding": password_encoding,
        }
        key = b""
        if self.keyed:
            key_encoding = choice_field(obj, "key_encoding", fmt, ("utf8", "hex", "base64", "base64url"), "utf8")
            key_text = str_field(obj, "key", fmt)
            key = decode_bytes(key_text, key_encoding, fmt, "key")
            canonical["key"] = key_text
            canonical["key_encoding"] = key_encoding
        digest, keyed = self.digest, self.keyed

        def matches(password: str) -> bool:
            secret = encode_password(password, password_encoding)
            if secret is None:
                return False
            message = salt + secret if salt_position == "prefix" else secret + salt
            actual = hmac_digest(key, message, digest) if keyed else new_hash(digest, message).digest()
            return equal(actual, expected)

        return canonical, Checked(matches)


# Examples: computed with hashlib (md4: authshift's RFC 1320 MD4, checked against RFC 1320's
# own vectors in tests/passwords) from the documented construction (password "hunter2").
_EXAMPLE_SALT = "c2FsdHlzYWx0"  # base64 of b"saltysalt"


def _plain(digest: str) -> type[_Digest]:
    example_hash = new_hash(digest, b"saltysalt" + "pässword".encode()).hexdigest()
    return type(
        f"Salted{digest.upper()}",
        (_Digest,),
        {
            "name": digest,
            "digest": digest,
            "algorithms": (digest, digest.replace("sha", "sha-")),
            "description": f"{digest.upper()} of the password, optionally salted (prefix or suffix), as an object.",
            "recognised_by": f'object `{{"algorithm": "{digest}", "hash", "salt", "salt_position"}}`',
            "example_password": "pässword",
            "example": {
                "algorithm": digest,
                "hash": example_hash,
                "hash_encoding": "hex",
                "salt": _EXAMPLE_SALT,
                "salt_encoding": "base64",
                "salt_position": "prefix",
            },
        },
    )


def _hmac(digest: str) -> type[_Digest]:
    example_hash = hmac_digest(b"pepper", "pässword".encode(), digest).hex()
    name = f"hmac_{digest}"
    return type(
        f"Hmac{digest.upper()}",
        (_Digest,),
        {
            "name": name,
            "digest": digest,
            "keyed": True,
            "algorithms": (name, f"hmac-{digest}", f"hmac-{digest.replace('sha', 'sha-')}"),
            "description": f"HMAC-{digest.upper()} of the (optionally salted) password under a key, as an object.",
            "recognised_by": f'object `{{"algorithm": "hmac-{digest}", "hash", "key"}}`',
            "example_password": "pässword",
            "example": {"algorithm": f"hmac-{digest}", "hash": example_hash, "hash_encoding": "hex", "key": "pepper"},
        },
    )


PLAIN_DIGEST_FORMATS = [_plain(d) for d in DIGESTS]
HMAC_FORMATS = [_hmac(d) for d in DIGESTS]
