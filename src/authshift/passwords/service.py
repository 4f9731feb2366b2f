"""The password operations: parse an imported hash, identify, verify, hash, dummy-verify.

All comparisons are constant-time; all hashing runs in the caller's thread (the ``*_async``
variants hand it to a bounded thread pool so the event loop never hashes).
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from authshift.passwords import registry
from authshift.passwords.errors import PasswordFormatError
from authshift.passwords.formats.argon2 import NATIVE_HASHER
from authshift.passwords.formats.base import Context, StructuredFormat, algorithm_key
from authshift.passwords.model import FormatInfo, HashConfig, Limits, StoredPassword, VerifyResult

DEFAULT_LIMITS = Limits()


def _context(limits: Limits, hash_configs: Mapping[str, HashConfig] | None) -> Context:
    return Context(limits=limits, hash_configs=hash_configs)


def _parse_string(spec: str, ctx: Context, named: str | None = None, default: str | None = None) -> tuple[StoredPassword, bool]:
    """A self-describing hash string, validated; and whether a name (not its shape) chose the format.

    ``named`` (the record's "format") must fit the hash; ``default`` (--hash-format, for a whole
    file) chooses among the formats the hash's shape fits and is passed over where none fits.
    """
    value = spec.strip()
    fmt = None
    if named is not None:
        fmt = registry.resolve_named(value, named)
    elif default is not None:
        try:
            fmt = registry.resolve_named(value, default)
        except PasswordFormatError:
            fmt = None
    chosen = fmt is not None
    if fmt is None:
        fmt = registry.recognise(value)
    fmt.validate(value, ctx)
    return StoredPassword(format=fmt.name, value=value), chosen


def identify(value: str) -> str:
    """The format name of a self-describing hash string; ``PasswordFormatError`` if unrecognised.

    Only the prefix and shape are looked at; use ``parse`` to validate the whole string.
    """
    if not isinstance(value, str):
        raise PasswordFormatError("a stored hash must be a string")
    return registry.recognise(value.strip()).name


def parse(
    spec: str | Mapping[str, Any],
    *,
    limits: Limits = DEFAULT_LIMITS,
    hash_configs: Mapping[str, HashConfig] | None = None,
    default_format: str | None = None,
) -> StoredPassword:
    """Validate an imported hash (syntax and ceilings) and return what to store.

    ``spec`` is a self-describing hash string, or the import record's password object:
    ``{"hash": "<self-describing>"}`` (optionally with ``"format"``: the format or family that
    wrote it, where the shape alone is ambiguous) or a structured object selected by its
    "algorithm" (or a Keycloak credential). Keys the password layer does not know are ignored.
    ``default_format`` is the family for a whole file (``--hash-format``), used where it fits.
    """
    return parse_detail(spec, limits=limits, hash_configs=hash_configs, default_format=default_format)[0]


def parse_detail(
    spec: str | Mapping[str, Any],
    *,
    limits: Limits = DEFAULT_LIMITS,
    hash_configs: Mapping[str, HashConfig] | None = None,
    default_format: str | None = None,
) -> tuple[StoredPassword, bool]:
    """``parse``, and whether a name ("format", ``default_format``) chose the format rather than the shape."""
    ctx = _context(limits, hash_configs)
    if isinstance(spec, str):
        return _parse_string(spec, ctx, None, default_format)
    if not isinstance(spec, (dict, Mapping)):  # dict first: no abstract-class check for the usual case
        raise PasswordFormatError("the password must be a hash string or an object")
    hash_value = spec.get("hash")
    if len(spec) == 1 and isinstance(hash_value, str):
        # {"hash": "<self-describing>"}, what almost every import record holds: no structured
        # format can claim an object without "algorithm" or a Keycloak marker.
        return _parse_string(hash_value, ctx, None, default_format)
    named = spec.get("format")
    if named is not None:
        if not isinstance(named, str) or not named:
            raise PasswordFormatError("'format' must be the name of a hash format or family")
        spec = {k: v for k, v in spec.items() if k != "format"}
    structured = registry.structured_format_for(spec)
    # A hash starting with "$" is a modular-crypt / PHC string: it describes itself.
    if structured is not None and not (isinstance(hash_value, str) and hash_value.startswith("$")):
        if named is not None and algorithm_key(named) not in {algorithm_key(n) for n in (structured.name, *structured.algorithms)}:
            raise PasswordFormatError(f"'format' is '{named}' but the object's algorithm selects {structured.name}")
        return StoredPassword(format=structured.name, value=structured.canonical_value(spec, ctx)), True
    algorithm = spec.get("algorithm")
    if isinstance(hash_value, str):
        try:
            return _parse_string(hash_value, ctx, named, default_format)
        except PasswordFormatError as exc:
            if exc.format is None and isinstance(algorithm, str) and named is None:
                raise PasswordFormatError(f"unknown algorithm '{algorithm}', and the hash is not self-describing") from None
            raise
    if isinstance(algorithm, str):
        raise PasswordFormatError(f"unknown algorithm '{algorithm}'")
    raise PasswordFormatError("the password object needs a 'hash' (and an 'algorithm' when the hash is not self-describing)")


def verify(
    password: str,
    stored: StoredPassword,
    *,
    limits: Limits = DEFAULT_LIMITS,
    hash_configs: Mapping[str, HashConfig] | None = None,
) -> VerifyResult:
    """Compare ``password`` with a stored hash.

    ``needs_rehash`` is true for every format but argon2id at native strength. A malformed or
    over-ceiling stored hash raises ``PasswordFormatError`` (never a silent mismatch).
    """
    if not isinstance(password, str):
        raise TypeError("password must be a str")
    fmt = registry.by_name(stored.format)
    if not isinstance(fmt, StructuredFormat) and not fmt.recognises(stored.value):
        raise PasswordFormatError("stored value is not written in this format", fmt.name)
    checked = fmt.check(stored.value, _context(limits, hash_configs))
    ok = checked.matches(password)
    return VerifyResult(ok=ok, needs_rehash=checked.needs_rehash)


def hash_password(password: str) -> StoredPassword:
    """A new native hash: argon2id with argon2-cffi's default (RFC 9106 low-memory) parameters."""
    if not isinstance(password, str):
        raise TypeError("password must be a str")
    return StoredPassword(format=registry.NATIVE_FORMAT, value=NATIVE_HASHER.hash(password))


@functools.cache
def _dummy_hash() -> StoredPassword:
    return hash_password("authshift dummy password for unknown users")


def dummy_verify(password: str) -> None:
    """Spend what one native verify costs, for sign-in attempts on unknown users."""
    verify(password, _dummy_hash())


def formats() -> list[FormatInfo]:
    """The registry in order (the first entry hashes new passwords)."""
    return registry.format_infos()


# --- async: a bounded pool, never the event loop -----------------------------------------------

_T = TypeVar("_T")


_pool_size = os.cpu_count() or 1
_executor: ThreadPoolExecutor | None = None


def set_hashing_threads(threads: int) -> None:
    """Bound how many hashes run at once (default: one per core). Takes effect for new pools."""
    global _pool_size, _executor
    if threads < 1:
        raise ValueError("hashing_threads must be at least 1")
    if threads != _pool_size:
        _pool_size, _executor = threads, None


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=_pool_size, thread_name_prefix="authshift-hash")
    return _executor


async def _in_pool(func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool(), functools.partial(func, *args, **kwargs))


async def verify_async(
    password: str,
    stored: StoredPassword,
    *,
    limits: Limits = DEFAULT_LIMITS,
    hash_configs: Mapping[str, HashConfig] | None = None,
) -> VerifyResult:
    return await _in_pool(verify, password, stored, limits=limits, hash_configs=hash_configs)


async def hash_password_async(password: str) -> StoredPassword:
    return await _in_pool(hash_password, password)


async def dummy_verify_async(password: str) -> None:
    await _in_pool(dummy_verify, password)
