"""Hashes freshly produced by the real libraries of the systems we migrate from, with random
passwords (non-ASCII included): Django's hashers, Werkzeug, libpass (the passlib fork), bcrypt,
argon2-cffi. Low cost parameters keep the suite fast; the algorithms are the same.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

import argon2
import bcrypt
import pytest

from authshift.passwords import parse, verify
from tests.passwords.helpers import random_password

ROUNDS = 3  # random passwords per producer


def _check(expected_format: str, make: Callable[[str], str | dict]) -> None:
    for _ in range(ROUNDS):
        password, other = random_password(), random_password()
        stored = parse(make(password))
        assert stored.format == expected_format
        assert verify(password, stored).ok is True
        assert verify(other, stored).ok is False


# --- Django -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def django_hashers():  # type: ignore[no-untyped-def]
    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_TZ=True)
    from django.contrib.auth import hashers

    return hashers


def test_django_pbkdf2_sha256(django_hashers) -> None:  # type: ignore[no-untyped-def]
    hasher = django_hashers.PBKDF2PasswordHasher()
    _check("django_pbkdf2_sha256", lambda pw: hasher.encode(pw, hasher.salt(), iterations=1000))


def test_django_pbkdf2_sha1(django_hashers) -> None:  # type: ignore[no-untyped-def]
    hasher = django_hashers.PBKDF2SHA1PasswordHasher()
    _check("django_pbkdf2_sha1", lambda pw: hasher.encode(pw, hasher.salt(), iterations=1000))


def test_django_argon2(django_hashers) -> None:  # type: ignore[no-untyped-def]
    hasher = django_hashers.Argon2PasswordHasher()
    hasher.time_cost, hasher.memory_cost, hasher.parallelism = 1, 1024, 1
    _check("django_argon2", lambda pw: hasher.encode(pw, hasher.salt()))


def test_django_bcrypt_sha256_and_bcrypt(django_hashers) -> None:  # type: ignore[no-untyped-def]
    for cls, name in ((django_hashers.BCryptSHA256PasswordHasher, "django_bcrypt_sha256"), (django_hashers.BCryptPasswordHasher, "django_bcrypt")):
        hasher = cls()
        hasher.rounds = 4
        _check(name, lambda pw, hasher=hasher: hasher.encode(pw, hasher.salt()))


def test_django_scrypt(django_hashers) -> None:  # type: ignore[no-untyped-def]
    hasher = django_hashers.ScryptPasswordHasher()
    _check("django_scrypt", lambda pw: hasher.encode(pw, hasher.salt(), n=1024, r=8, p=1))


def test_django_md5(django_hashers) -> None:  # type: ignore[no-untyped-def]
    hasher = django_hashers.MD5PasswordHasher()
    _check("django_md5", lambda pw: hasher.encode(pw, hasher.salt()))


def test_django_check_password_agrees_on_our_native_hash(django_hashers) -> None:  # type: ignore[no-untyped-def]
    # Our native value behind Django's prefix is a Django argon2 hash: both sides agree.
    from authshift.passwords import hash_password

    password = random_password()
    native = hash_password(password)
    assert django_hashers.Argon2PasswordHasher().verify(password, "argon2" + native.value)


# --- Werkzeug -----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["scrypt:1024:8:1", "scrypt:2048:4:2"])
def test_werkzeug_scrypt(method: str) -> None:
    from werkzeug.security import generate_password_hash

    _check("werkzeug_scrypt", lambda pw: generate_password_hash(pw, method=method))


@pytest.mark.parametrize("digest", ["sha1", "sha256", "sha512"])
def test_werkzeug_pbkdf2(digest: str) -> None:
    from werkzeug.security import generate_password_hash

    _check("werkzeug_pbkdf2", lambda pw: generate_password_hash(pw, method=f"pbkdf2:{digest}:1000"))


# --- libpass (passlib) --------------------------------------------------------------------------

PASSLIB_CASES = [
    ("md5_crypt", "md5_crypt", {}),
    ("apr_md5_crypt", "apr_md5_crypt", {}),
    ("sha256_crypt", "sha256_crypt", {"rounds": 1000}),
    ("sha512_crypt", "sha512_crypt", {"rounds": 1000}),
    ("phpass", "phpass", {"rounds": 8}),
    ("pbkdf2_sha1", "pbkdf2_sha1", {"rounds": 1000}),
    ("pbkdf2_sha256", "pbkdf2_sha256", {"rounds": 1000}),
    ("pbkdf2_sha512", "pbkdf2_sha512", {"rounds": 1000}),
    ("atlassian_pbkdf2_sha1", "atlassian_pbkdf2_sha1", {}),
    ("scrypt", "scrypt", {"rounds": 8, "block_size": 4}),
    ("ldap_md5", "ldap_md5", {}),
    ("ldap_salted_md5", "ldap_salted_md5", {}),
    ("ldap_sha1", "ldap_sha1", {}),
    ("ldap_salted_sha1", "ldap_salted_sha1", {}),
    ("ldap_salted_sha256", "ldap_salted_sha256", {}),
    ("ldap_salted_sha512", "ldap_salted_sha512", {}),
    ("ldap_crypt", "ldap_md5_crypt", {}),
    ("ldap_crypt", "ldap_sha512_crypt", {"rounds": 1000}),
    ("django_sha1", "django_salted_sha1", {}),
    ("django_md5", "django_salted_md5", {}),
]
# (libpass's own argon2 handler fails to load its argon2-cffi 25 backend; argon2 is produced with
# argon2-cffi directly below.)


@pytest.mark.parametrize(("expected", "handler", "settings"), PASSLIB_CASES, ids=[c[1] + ":" + c[0] for c in PASSLIB_CASES])
def test_libpass(expected: str, handler: str, settings: dict) -> None:
    from passlib import hash as passlib_hash

    hasher = getattr(passlib_hash, handler).using(**settings)
    _check(expected, hasher.hash)


def test_libpass_unsalted_django_forms() -> None:
    from passlib.hash import django_salted_md5, hex_md5

    _check("django_unsalted_md5", hex_md5.hash)
    _check("django_unsalted_md5", lambda pw: "md5$$" + hex_md5.hash(pw))
    assert django_salted_md5.identify("md5$abc$" + "0" * 32)


# --- bcrypt and argon2-cffi ---------------------------------------------------------------------


@pytest.mark.parametrize("prefix", [b"2a", b"2b"])
def test_bcrypt_library(prefix: bytes) -> None:
    _check("bcrypt", lambda pw: bcrypt.hashpw(pw.encode(), bcrypt.gensalt(4, prefix)).decode())


def test_bcrypt_long_passwords_verify_on_their_first_72_bytes() -> None:
    for _ in range(ROUNDS):
        password = random_password(60)  # multi-byte characters: well over 72 bytes
        raw = password.encode()
        stored = parse(bcrypt.hashpw(raw[:72], bcrypt.gensalt(4)).decode())
        assert verify(password, stored).ok is True


def test_wordpress_68_construction_with_bcrypt() -> None:
    # wp_hash_password(): '$wp' . password_hash(base64_encode(hash_hmac('sha384', $pw, 'wp-sha384', true)))
    def wordpress(pw: str) -> str:
        prehash = base64.b64encode(hmac.new(b"wp-sha384", pw.encode(), hashlib.sha384).digest())
        return "$wp" + bcrypt.hashpw(prehash, bcrypt.gensalt(4)).decode().replace("$2b$", "$2y$")

    _check("wordpress_bcrypt", wordpress)


@pytest.mark.parametrize("kind", [argon2.Type.ID, argon2.Type.I, argon2.Type.D])
def test_argon2_cffi(kind: argon2.Type) -> None:
    hasher = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=2, type=kind)
    _check({argon2.Type.ID: "argon2id", argon2.Type.I: "argon2i", argon2.Type.D: "argon2d"}[kind], hasher.hash)


# --- new families: NT / MD4, yescrypt, PBKDF2 over other digests, default costs -----------------


def test_libpass_nt_hashes() -> None:
    from passlib.hash import bsd_nthash, nthash

    _check("nt_hash", bsd_nthash.hash)  # $3$$<hex>: self-describing
    _check("nt_hash", lambda pw: {"hash": nthash.hash(pw), "format": "nt"})  # bare hex: named


def test_md4_digest_objects_as_auth0_writes_them() -> None:
    from passlib.crypto._md4 import md4 as passlib_md4

    _check("md4", lambda pw: {"algorithm": "md4", "hash": passlib_md4(pw.encode()).hexdigest()})
    _check("md4", lambda pw: {"algorithm": "md4", "hash": passlib_md4(b"NaCl" + pw.encode()).hexdigest(),
                              "salt": "NaCl", "salt_position": "prefix"})
    _check("hmac_md4", lambda pw: {"algorithm": "hmac-md4", "key": "k3y",
                                   "hash": hmac.new(b"k3y", pw.encode(), passlib_md4).hexdigest()})


def _libxcrypt(password: str, prefix: bytes, cost: int) -> str:
    """crypt(3) of the system's libxcrypt, as passwd(1) and mkpasswd(1) call it."""
    import ctypes

    lib = ctypes.CDLL("libcrypt.so.1")
    lib.crypt_gensalt.restype = ctypes.c_char_p
    lib.crypt_gensalt.argtypes = (ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int)
    lib.crypt.restype = ctypes.c_char_p
    lib.crypt.argtypes = (ctypes.c_char_p, ctypes.c_char_p)
    return lib.crypt(password.encode(), lib.crypt_gensalt(prefix, cost, None, 0)).decode()


@pytest.mark.parametrize("cost", [0, 5])  # 0: libxcrypt's default (what /etc/shadow holds)
def test_yescrypt_from_libxcrypt(cost: int) -> None:
    _check("yescrypt", lambda pw: _libxcrypt(pw, b"$y$", cost))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


@pytest.mark.parametrize("digest", ["sha224", "sha384"])
def test_pbkdf2_phc_other_digests(digest: str) -> None:
    salt = b"pepper-and-salt!"
    _check(f"pbkdf2_{digest}", lambda pw: f"$pbkdf2-{digest}$i=1000,l=32${_b64(salt)}$"
                                          f"{_b64(hashlib.pbkdf2_hmac(digest, pw.encode(), salt, 1000, 32))}")


def test_pbkdf2_md4_phc() -> None:
    from tests.exports.auth0_reference import _pbkdf2  # RFC 8018 over passlib's MD4 (not authshift's)

    salt = b"0123456789abcdef"
    _check("pbkdf2_md4", lambda pw: f"$pbkdf2-md4$i=100,l=16${_b64(salt)}${_b64(_pbkdf2('md4', pw.encode(), salt, 100, 16))}")


def test_the_default_costs_of_common_generators_are_under_the_ceilings() -> None:
    """What libraries write with their defaults imports (checked once each: some defaults are slow)."""
    from passlib import hash as passlib_hash

    password = random_password()
    produced = {
        "phpass": passlib_hash.phpass.hash(password),  # 2^19 rounds by default
        "sha512_crypt": passlib_hash.sha512_crypt.hash(password),  # 656000 rounds
        "sha256_crypt": passlib_hash.sha256_crypt.hash(password),  # 535000 rounds
        "pbkdf2_sha256": passlib_hash.pbkdf2_sha256.hash(password),
        "bcrypt": bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode(),  # cost 12
        "argon2id": argon2.PasswordHasher().hash(password),
        "yescrypt": _libxcrypt(password, b"$y$", 0),
        "scrypt": passlib_hash.scrypt.hash(password),  # ln=16, r=8, p=1
    }
    for expected, value in produced.items():
        stored = parse(value)
        assert stored.format == expected
        assert verify(password, stored).ok, expected
