"""Can this user sign in here, and why not: the one rule, pure (no database, no HTTP).

Import, dry run, the sign-in path and every change of a credential judge a user with ``judge``:

- ``ready``: every credential is verifiable here: the password hash's family is known and
  unambiguous, its parameters resolve with the instance's hash configs and ceilings (exactly
  what sign-in will use), and every second factor is usable;
- ``lazy``: no usable password here, but the legacy system verifies it on the next sign-in;
- ``reset``: the user can only get in by resetting (no password and no legacy check, a hash that
  cannot be verified here, or a second factor that cannot be). A user who signed in upstream
  (``google-oauth2|...``: a federated identity) and has no password is ``reset`` too, saying so:
  authshift has no upstream social login, so a password reset is their only way in;
- ``unverified``: the hash's family was only guessed from an ambiguous shape (32 hex digits,
  ``sha1$salt$hex``, ``md5$salt$hex``: ``HashFormat.ambiguous_with``), or a shadow check found it
  does not match the password the legacy system accepted.

A successful sign-in proves the credentials (``proved``): the user is ``ready`` whatever the
shape of the hash said.

Second factors, as sign-in treats them (``accounts.login``: a TOTP factor or a passkey makes it ask
for a second step, which takes either): a usable passkey signs in on its own too (first factor),
so a user with one and no password is ``ready``; a stored passkey browsers never offer here
(another RP ID than ``[webauthn] rp_id``) is no second factor at all, and if sign-in would ask for
it with nothing else to give, the user is ``reset``. A passkey refused at import (another RP ID)
changes no state but the reason says the user must register a new one. Email and SMS one-time
code factors (``mfa.email``, ``mfa.phone_number``) are kept as destinations; sign-in never asks
for them, so they change no state either, and the reason says the user signs in without them.
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
    passkeys: int = 0  # stored passkeys browsers offer here (made for [webauthn] rp_id)
    foreign_passkeys: Sequence[str] = ()  # why each stored passkey browsers never offer here cannot be used
    refused_passkeys: int = 0  # passkeys the import left out (another RP ID, no key usable here)
    federated: Sequence[str] = ()  # providers of the user's federated identities ("google", ...)
    otp_channels: Sequence[str] = ()  # "email" / "sms": one-time-code destinations, never asked at sign-in


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


REGISTER_PASSKEY = "the user must register a new passkey"


def _notes(creds: Credentials) -> list[str]:
    """What the user loses or must redo, whatever their state (said in the reason)."""
    notes = []
    if creds.refused_passkeys:
        notes.append(f"{creds.refused_passkeys} passkey(s) could not be imported (another RP ID, or no key usable here): "
                     f"{REGISTER_PASSKEY}")
    if creds.otp_channels:
        notes.append(f"one-time codes by {' and '.join(sorted(set(creds.otp_channels)))} are not asked at sign-in "
                     "here: the user signs in without that second factor")
    return notes


def _with_notes(judgement: Judgement, notes: Sequence[str]) -> Judgement:
    if not notes:
        return judgement
    reason = "; ".join(([judgement.reason] if judgement.reason else []) + list(notes))
    return Judgement(judgement.readiness, judgement.family, reason)


def judge(creds: Credentials, *, limits: passwords.Limits, hash_configs: Mapping[str, passwords.HashConfig]) -> Judgement:
    """The readiness of a user with these credentials (see the module docstring)."""
    return _with_notes(_judge(creds, limits=limits, hash_configs=hash_configs), _notes(creds))


def _second_step_problem(creds: Credentials) -> str | None:
    """Why the second step sign-in asks for cannot be passed (None: it can, or is not asked)."""
    for factor in creds.totp:
        problem = _unusable_totp(factor)
        if problem is not None:
            return problem + ": the user must reset their second factor"
    if creds.foreign_passkeys and not creds.totp and not creds.passkeys:
        return f"sign-in asks for a passkey that cannot be used here ({creds.foreign_passkeys[0]}): {REGISTER_PASSKEY}"
    return None


def _without_password(creds: Credentials, family: str, problem: str | None) -> Judgement:
    """A user with no password sign-in can verify here (``problem``: why the stored one cannot be)."""
    if creds.password_migration == "lazy":
        if problem is not None:
            return Judgement(Readiness.LAZY, family, problem + "; the legacy system verifies it instead")
        return Judgement(Readiness.LAZY, family, "no password here: the legacy system verifies it at the next sign-in")
    if creds.passkeys:
        return Judgement(Readiness.READY, family, None if problem is None else
                         problem + "; the user signs in with a passkey")
    if problem is not None:
        return Judgement(Readiness.RESET, family, problem)
    if creds.federated:
        providers = ", ".join(sorted(set(creds.federated)))
        return Judgement(Readiness.RESET, family,
                         f"signed in with {providers} (a federated identity) and has no password here: authshift has "
                         "no upstream social login, so the user can only get in by a password reset")
    return Judgement(Readiness.RESET, family, "no usable password: the user must reset it")


def _judge(creds: Credentials, *, limits: passwords.Limits, hash_configs: Mapping[str, passwords.HashConfig]) -> Judgement:
    family = NO_PASSWORD
    facts: PasswordFacts | None = None
    if creds.password is not None:
        facts = password_facts(creds.password, family_named=creds.family_named, limits=limits, hash_configs=hash_configs)
        family = facts.family
    second = _second_step_problem(creds)
    if second is not None:
        return Judgement(Readiness.RESET, family, second)
    if facts is None or facts.problem is not None:
        return _without_password(creds, family, facts.problem if facts else None)
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
