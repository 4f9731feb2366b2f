"""How Auth0 checks an imported password, written from its bulk-import documentation, to test
that what authshift writes for Auth0 verifies the user's real password (a test oracle, kept
independent of authshift's own hash code)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import argon2
import bcrypt
from passlib import hash as passlib_hash
from passlib.crypto._md4 import md4 as passlib_md4  # OpenSSL 3 has no MD4


def _digestmod(name: str) -> Any:
    return passlib_md4 if name == "md4" else name


def _new_hash(name: str, data: bytes) -> Any:
    return passlib_md4(data) if name == "md4" else hashlib.new(name, data)


def _pbkdf2(digest: str, password: bytes, salt: bytes, iterations: int, length: int) -> bytes:
    """RFC 8018 PBKDF2 with Python's hmac (any digest, md4 included)."""
    out = b""
    block = 1
    while len(out) < length:
        u = hmac.new(password, salt + block.to_bytes(4, "big"), _digestmod(digest)).digest()
        acc = int.from_bytes(u, "big")
        for _ in range(iterations - 1):
            u = hmac.new(password, u, _digestmod(digest)).digest()
            acc ^= int.from_bytes(u, "big")
        out += acc.to_bytes(len(u), "big")
        block += 1
    return out[:length]


def _bytes(value: str, encoding: str) -> bytes:
    if encoding == "hex":
        return bytes.fromhex(value)
    if encoding == "base64":
        return base64.b64decode(value + "=" * (-len(value) % 4))
    return value.encode("utf-8")


def _password(cph: dict[str, Any], password: str) -> bytes:
    codec = {"utf8": "utf-8", "utf16le": "utf-16-le", "latin1": "latin-1"}[cph.get("password", {}).get("encoding", "utf8")]
    return password.encode(codec)


def _salted(cph: dict[str, Any], secret: bytes) -> bytes:
    salt = cph.get("salt")
    if not salt:
        return secret
    raw = _bytes(salt["value"], salt.get("encoding", "utf8"))
    return raw + secret if salt.get("position", "prefix") == "prefix" else secret + raw


def auth0_verifies(user: dict[str, Any], password: str) -> bool:
    if "password_hash" in user:
        return bcrypt.checkpw(password.encode()[:72], user["password_hash"].encode())
    cph = user["custom_password_hash"]
    algorithm, value = cph["algorithm"], cph["hash"]["value"]
    if algorithm == "bcrypt":
        return bcrypt.checkpw(password.encode()[:72], value.encode())
    if algorithm == "argon2":
        try:
            return argon2.PasswordHasher().verify(value, password)
        except argon2.exceptions.VerifyMismatchError:
            return False
    if algorithm == "ldap":
        scheme = value[1:value.index("}")].lower()
        handler = {"md5": passlib_hash.ldap_md5, "smd5": passlib_hash.ldap_salted_md5,
                   "sha": passlib_hash.ldap_sha1, "ssha": passlib_hash.ldap_salted_sha1}[scheme]
        return bool(handler.verify(password, value))
    if algorithm == "pbkdf2":
        _, ident, params, salt, key = value.split("$")
        digest = ident.removeprefix("pbkdf2-")
        iterations = int(dict(p.split("=") for p in params.split(","))["i"])
        expected = _bytes(key, "base64")
        return hmac.compare_digest(_pbkdf2(digest, password.encode(), _bytes(salt, "base64"), iterations, len(expected)), expected)
    if algorithm == "scrypt":
        expected = _bytes(value, cph["hash"]["encoding"])
        n, r, p = cph.get("cost", 16384), cph.get("blockSize", 8), cph.get("parallelization", 1)
        actual = hashlib.scrypt(password.encode(), salt=_bytes(cph["salt"]["value"], cph["salt"]["encoding"]), n=n, r=r, p=p,
                                dklen=cph["keylen"], maxmem=256 * 1024 * 1024)
        return hmac.compare_digest(actual, expected)
    expected = _bytes(value, cph["hash"]["encoding"])
    message = _salted(cph, _password(cph, password))
    if algorithm == "hmac":
        key = cph["hash"]["key"]
        actual = hmac.new(_bytes(key["value"], key.get("encoding", "utf8")), message, _digestmod(cph["hash"]["digest"])).digest()
    else:
        actual = _new_hash(algorithm, message).digest()
    return hmac.compare_digest(actual, expected)
