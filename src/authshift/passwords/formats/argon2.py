"""Argon2 (RFC 9106) PHC strings: ``$argon2id$v=19$m=65536,t=3,p=4$salt$hash``.

argon2id is the native format: ``hash_password`` writes it with argon2-cffi's defaults, and
stored argon2id hashes at least that strong need no rehash. argon2i and argon2d hashes verify
and are rehashed. Django writes the same string behind an ``argon2`` prefix (see django.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import argon2
from argon2.low_level import Type

from authshift.passwords._codec import b64decode, ceiling, parse_uint, utf8
from authshift.passwords.errors import PasswordFormatError
from authshift.passwords.formats.base import Checked, Context, HashFormat

NATIVE_HASHER = argon2.PasswordHasher()
_TYPES = {"argon2id": Type.ID, "argon2i": Type.I, "argon2d": Type.D}
_PHC = re.compile(
    r"^\$(?P<type>argon2id|argon2i|argon2d)"
    r"(?:\$v=(?P<version>\d+))?"
    r"\$m=(?P<m>\d+),t=(?P<t>\d+),p=(?P<p>\d+)"
    r"\$(?P<salt>[A-Za-z0-9+/]+)\$(?P<hash>[A-Za-z0-9+/]+)$"
)


@dataclass(frozen=True)
class Argon2Params:
    type: str
    version: int
    memory_kib: int
    time_cost: int
    parallelism: int
    salt_len: int
    hash_len: int


def parse_argon2(value: str, fmt: str, ctx: Context) -> Argon2Params:
    """Check an argon2 PHC string's syntax and its parameters against the ceilings."""
    match = _PHC.match(value)
    if not match:
        if re.match(r"^\$argon2(id|i|d)\$.*(keyid|data)=", value):
            raise PasswordFormatError("the keyid and data parameters are not supported", fmt)
        raise PasswordFormatError("not a valid argon2 PHC string ($argon2id$v=19$m=..,t=..,p=..$salt$hash)", fmt)
    version = parse_uint(match["version"], fmt, "version") if match["version"] else 0x10
    if version not in (0x10, 0x13):
        raise PasswordFormatError(f"version {version} is not 16 or 19", fmt)
    memory = parse_uint(match["m"], fmt, "memory (m)")
    time_cost = parse_uint(match["t"], fmt, "time cost (t)")
    parallelism = parse_uint(match["p"], fmt, "parallelism (p)")
    if not 1 <= parallelism <= 0xFFFFFF:
        raise PasswordFormatError("parallelism (p) must be between 1 and 2^24-1", fmt)
    if time_cost < 1:
        raise PasswordFormatError("time cost (t) must be at least 1", fmt)
    if memory < 8 * parallelism:
        raise PasswordFormatError("memory (m) must be at least 8 KiB per lane (8*p)", fmt)
    limits = ctx.limits
    ceiling(memory, limits.argon2_max_memory_kib, fmt, "memory (m, KiB)", "argon2_max_memory_kib")
    ceiling(time_cost, limits.argon2_max_time_cost, fmt, "time cost (t)", "argon2_max_time_cost")
    ceiling(parallelism, limits.argon2_max_parallelism, fmt, "parallelism (p)", "argon2_max_parallelism")
    salt = b64decode(match["salt"], fmt, "salt")
    digest = b64decode(match["hash"], fmt, "hash")
    if len(salt) < 8:
        raise PasswordFormatError("salt is shorter than 8 bytes", fmt)
    if len(digest) < 4:
        raise PasswordFormatError("hash is shorter than 4 bytes", fmt)
    return Argon2Params(match["type"], version, memory, time_cost, parallelism, len(salt), len(digest))


def argon2_matcher(phc: str, type_name: str, fmt: str) -> Callable[[str], bool]:
    """A comparison against an argon2 PHC string with argon2-cffi (constant time inside)."""
    kind = _TYPES[type_name]
    stored = phc.encode("ascii")

    def matches(password: str) -> bool:
        try:
            return argon2.low_level.verify_secret(stored, utf8(password), kind)
        except argon2.exceptions.VerifyMismatchError:
            return False
        except argon2.exceptions.VerificationError as exc:  # decoding failure inside libargon2
            raise PasswordFormatError(f"argon2 rejected the hash ({exc})", fmt) from None

    return matches


def weaker_than_native(params: Argon2Params) -> bool:
    native = NATIVE_HASHER
    return (
        params.type != "argon2id"
        or params.version != 0x13
        or params.memory_kib < native.memory_cost
        or params.time_cost < native.time_cost
        or params.hash_len < native.hash_len
        or params.salt_len < native.salt_len
    )


class _Argon2(HashFormat):
    variant: str

    def check(self, value: str, ctx: Context) -> Checked:
        params = parse_argon2(value, self.name, ctx)
        return Checked(argon2_matcher(value, params.type, self.name), weaker_than_native(params))


class Argon2id(_Argon2):
    name = variant = "argon2id"
    prefixes = ("$argon2id$",)
    description = "Argon2id PHC string (RFC 9106); the native format of authshift."
    recognised_by = "prefix `$argon2id$`"
    # Generated with argon2-cffi (its default parameters, salt b"somesaltsomesalt").
    example_password = "correct horse battery staple"
    example = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$mtB7vZKFuEQDVzeZe5lTtf3BPC1e5BL1UKy7IW/SpV0"


class Argon2i(_Argon2):
    name = variant = "argon2i"
    prefixes = ("$argon2i$",)
    description = "Argon2i PHC string (libargon2, passlib, Django before 3.2)."
    recognised_by = "prefix `$argon2i$`"
    # Test vector from the argon2 reference implementation (P-H-C/phc-winner-argon2 src/test.c).
    example_password = "password"
    example = "$argon2i$v=19$m=256,t=2,p=2$c29tZXNhbHQ$T/XOJ2mh1/TIpJHfCdQan76Q5esCFVoT5MAeIM1Oq2E"


class Argon2d(_Argon2):
    name = variant = "argon2d"
    prefixes = ("$argon2d$",)
    description = "Argon2d PHC string."
    recognised_by = "prefix `$argon2d$`"
    # From argon2-cffi's test suite (generated by the reference command-line tool).
    example_password = "password"
    example = "$argon2d$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$cZn5d+rFh+ZfuRhm2iGUGgcrW5YLeM6q7L3vBsdmFA0"
