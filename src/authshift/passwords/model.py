"""Value types of the password package: ceilings, project hash parameters, stored hashes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Ceilings on the cost parameters of imported hashes.

    A hash over a ceiling is refused (``CeilingExceeded``) when it is parsed and when it is
    verified, so a hostile import file cannot make a login burn unbounded memory or CPU.
    The defaults admit what the supported systems produce with their own defaults, with room.
    """

    bcrypt_max_cost: int = 14
    scrypt_max_n: int = 2**20
    scrypt_max_r: int = 32
    scrypt_max_p: int = 16
    scrypt_max_memory_bytes: int = 256 * MIB
    argon2_max_memory_kib: int = 262_144
    argon2_max_time_cost: int = 10
    argon2_max_parallelism: int = 8
    pbkdf2_max_iterations: int = 2_000_000
    # sha256-crypt / sha512-crypt rounds (passlib's defaults are 535000 / 656000).
    crypt_max_rounds: int = 1_000_000
    # phpass / Drupal: log2 of the iteration count (WordPress uses 8, Drupal 7 uses 15,
    # passlib's phpass default is 19).
    phpass_max_log2: int = 20
    # PBKDF2 over MD4 runs on pure-Python MD4 (OpenSSL 3 has none): ~100x the cost per iteration.
    pbkdf2_md4_max_iterations: int = 20_000


@dataclass(frozen=True)
class HashConfig:
    """Project-wide parameters of Firebase's modified scrypt (the console's "password hash parameters")."""

    signer_key: bytes = field(repr=False)
    salt_separator: bytes = field(repr=False)
    rounds: int
    mem_cost: int


@dataclass(frozen=True)
class StoredPassword:
    """What the database stores for a password.

    ``format`` is a registry name (see ``formats()``); ``value`` is the self-describing hash
    string, or for structured formats the canonical compact JSON of the structured object.
    """

    format: str
    value: str = field(repr=False)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    needs_rehash: bool


@dataclass(frozen=True)
class FormatInfo:
    """One entry of the format registry, for documentation and the CLI."""

    name: str
    description: str
    recognised_by: str
    example_password: str
    example: str | Mapping[str, Any]
    structured: bool
    named_only: bool = False  # chosen only when the import names it ("format"); its export names it
