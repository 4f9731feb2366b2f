"""TEMPORARY stand-in for the passwords package while it is being written (replaced on merge)."""
from __future__ import annotations
import asyncio
from dataclasses import dataclass
from typing import Any, Mapping
import argon2, bcrypt

class PasswordFormatError(ValueError):
    def __init__(self, fmt: str | None, reason: str) -> None:
        super().__init__(f"{fmt or 'unknown format'}: {reason}"); self.format = fmt; self.reason = reason
class CeilingExceeded(PasswordFormatError): pass

@dataclass(frozen=True)
class Limits:
    bcrypt_max_cost: int = 14
    scrypt_max_n: int = 2**20
    scrypt_max_r: int = 32
    scrypt_max_p: int = 16
    argon2_max_memory_kib: int = 262144
    argon2_max_time_cost: int = 10
    argon2_max_parallelism: int = 8
    pbkdf2_max_iterations: int = 2_000_000

@dataclass(frozen=True)
class HashConfig:
    signer_key: bytes; salt_separator: bytes; rounds: int; mem_cost: int

@dataclass(frozen=True)
class StoredPassword:
    format: str; value: str

@dataclass(frozen=True)
class VerifyResult:
    ok: bool; needs_rehash: bool

_ph = argon2.PasswordHasher()
def hash_password(password: str) -> StoredPassword: return StoredPassword("argon2id", _ph.hash(password))
async def hash_password_async(password: str) -> StoredPassword: return await asyncio.to_thread(hash_password, password)
def identify(value: str) -> str:
    if value.startswith(("$2a$", "$2b$", "$2y$")): return "bcrypt"
    if value.startswith("$argon2id$"): return "argon2id"
    raise PasswordFormatError(None, "unrecognised")
def parse(spec: Any, *, limits: Limits = Limits(), hash_configs: Mapping[str, HashConfig] | None = None) -> StoredPassword:
    value = spec["hash"] if isinstance(spec, Mapping) else spec
    return StoredPassword(identify(value), value)
def verify(password: str, stored: StoredPassword, **_: Any) -> VerifyResult:
    if stored.format == "bcrypt": return VerifyResult(bcrypt.checkpw(password.encode()[:72], stored.value.encode()), True)
    try: return VerifyResult(_ph.verify(stored.value, password), False)
    except argon2.exceptions.VerifyMismatchError: return VerifyResult(False, False)
async def verify_async(password: str, stored: StoredPassword, **kw: Any) -> VerifyResult: return await asyncio.to_thread(verify, password, stored, **kw)
