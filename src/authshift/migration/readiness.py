"""Can this user sign in here, and why not: the one rule, pure (no database, no HTTP).

Import, dry run, the sign-in path and every change of a credential judge a user with ``judge``:

- ``ready``: every credential is verifiable here: the password hash's family is known and
  unambiguous, its parameters resolve with the instance's hash configs and ceilings (exactly
  what sign-in will use), and every second factor is usable;
- ``lazy``: no usable password here, but the legacy system verifies it on the next sign-in;
- ``reset``: the user can only get in by resetting (no password and no legacy check, a hash that
  cannot be verified here, or a second factor that cannot be);
- ``unverified``: the hash's family was only guessed from an ambiguous shape (32 hex digits,
  ``sha1$salt$hex``, ``md5$salt$hex``: ``HashFormat.ambiguous_with``), or a shadow check found it
  does not match the password the legacy system accepted.

A successful sign-in proves the credentials (``proved``): the user is ``ready`` whatever the
shape of the hash said.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from authshift import passwords
from authshift.passwords import registry

__all__ = ["Credentials", "Judgement", "PasswordFacts", "Readiness", "TotpFactor",
           "judge", "password_facts"]

NO_PASSWORD = "none"

TOTP_ALGORITHMS = frozenset({"SHA1", "SHA256", "SHA512"})


class Readiness(StrEnum):
    READY = "ready"
    LAZY = "lazy"
    RESET = "reset"
    UNVERIFIED = "unverified"


@dataclass(frozen=True)
class TotpFactor:
    algorithm: str
    digits: int
    period: int
    secret_bytes: int


@dataclass(frozen=True)
class Credentials:
    """What a user can sign in with, as stored (or as an import record would store it)."""

    password: passwords.StoredPassword | None
    password_migration: str | None = None  # "lazy" | "reset" when there is no password
    family_named: bool = False  # the import named the hash's family explicitly
    totp: Sequence[TotpFactor] = ()
    proved: bool = False  # a sign-in here (or the legacy system, in shadow) proved them
    shadow_mismatch: bool = False  # the legacy system accepted a password this hash refused


@dataclass(frozen=True)
class PasswordFacts:
    family: str
    ambiguous: bool
    problem: str | None  # why it cannot be verified here; None: verifiable


@dataclass(frozen=True)
class Judgement:
    readiness: Readiness
    family: str
    reason: str | None = None


def password_facts(
    stored: passwords.StoredPassword, *, family_named: bool, limits: passwords.Limits,
    hash_configs: Mapping[str, passwords.HashConfig],
) -> PasswordFacts:
    """Family, ambiguity and verifiability of a stored hash, by ``passwords.assess`` (the one rule
    for "can sign-in verify this hash here, and do we know what wrote it?") with the ceilings and
    hash configs sign-in verifies with. The one place that asks the password package."""
    try:
        fmt = registry.by_name(stored.format)
        spec: Any = json.loads(stored.value) if fmt.structured else {"hash": stored.value, "format": stored.format}
    except (passwords.PasswordFormatError, ValueError):
        return PasswordFacts(stored.format, False, f"the password hash cannot be verified here: unknown format {stored.format}")
    assessed = passwords.assess(spec, limits=limits, hash_configs=hash_configs)
    if not assessed.verifiable:
        return PasswordFacts(stored.format, False, f"the password hash cannot be verified here: {assessed.reason}")
    ambiguous = not family_named and not fmt.structured and bool(fmt.ambiguous_with(stored.value))
    return PasswordFacts(stored.format, ambiguous, None)


def _unusable_totp(factor: TotpFactor) -> str | None:
    if factor.algorithm.upper() not in TOTP_ALGORITHMS:
        return f"a TOTP factor uses {factor.algorithm}, which cannot be verified here"
    if not 6 <= factor.digits <= 8 or not 1 <= factor.period <= 300 or factor.secret_bytes < 1:
        return "a TOTP factor has parameters that cannot be verified here"
    return None


def judge(creds: Credentials, *, limits: passwords.Limits, hash_configs: Mapping[str, passwords.HashConfig]) -> Judgement:
    """The readiness of a user with these credentials (see the module docstring)."""
    family = NO_PASSWORD
    facts: PasswordFacts | None = None
    if creds.password is not None:
        facts = password_facts(creds.password, family_named=creds.family_named, limits=limits, hash_configs=hash_configs)
        family = facts.family
    for factor in creds.totp:
        problem = _unusable_totp(factor)
        if problem is not None:
            return Judgement(Readiness.RESET, family, problem + ": the user must reset their second factor")
    if facts is None:
        if creds.password_migration == "lazy":
            return Judgement(Readiness.LAZY, family, "no password here: the legacy system verifies it at the next sign-in")
        return Judgement(Readiness.RESET, family, "no usable password: the user must reset it")
    if facts.problem is not None:
        if creds.password_migration == "lazy":
            return Judgement(Readiness.LAZY, family, facts.problem + "; the legacy system verifies it instead")
        return Judgement(Readiness.RESET, family, facts.problem)
    if creds.shadow_mismatch:
        return Judgement(Readiness.UNVERIFIED, family,
                         "the legacy system accepted a password this hash refused (shadow verification)")
    if creds.proved:
        return Judgement(Readiness.READY, family)
    if facts.ambiguous:
        assert creds.password is not None
        others = ", ".join(registry.by_name(family).ambiguous_with(creds.password.value))
        return Judgement(Readiness.UNVERIFIED, family,
                         f"the family was guessed from an ambiguous shape (it could also be {others}): name it "
                         "(\"format\" in the password object, --hash-format) or prove it with --check-credentials")
    return Judgement(Readiness.READY, family)
