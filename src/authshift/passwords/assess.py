"""What an imported hash means for its user's sign-in, decided before anyone signs in.

``assess`` is the one rule for "can this hash be verified here, and do we know what wrote it?":
import (and dry run) call it per record, and the readiness table derives ``ready`` /
``unverified`` / ``reset`` from it. Pure: no database, no I/O, no password.

A hash is *ambiguous* when its shape fits several families and nothing named the family
(``"format"`` in the record's password object, or ``--hash-format`` for the file): 32 hex digits
(unsalted MD5 or an NT hash), ``sha1$salt$hex`` and ``md5$salt$hex`` (Django's salted digest or
Werkzeug < 2.3's HMAC keyed by the salt). It is imported under the first family (the registry's
order) with a warning, and stays ``unverified`` until a sign-in proves the guess.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from authshift.passwords import registry
from authshift.passwords.errors import PasswordFormatError
from authshift.passwords.model import HashConfig, Limits, StoredPassword
from authshift.passwords.service import DEFAULT_LIMITS, parse_detail

UNKNOWN = "unknown"
# Structured formats whose stored object refers to project parameters by name.
NEEDS_HASH_CONFIG = frozenset({"firebase_scrypt"})


@dataclass(frozen=True)
class Assessment:
    """``family``: the format name the hash is stored under (``"unknown"`` when unusable);
    ``ambiguous``: the family is a guess from the shape; ``verifiable``: sign-in can check it here
    (valid, within the ceilings, its parameters resolvable); ``reason``: why it is not verifiable,
    or what was guessed (safe to show: never the hash); ``alternatives``: the other families the
    shape fits; ``stored``: what to store (None when not usable)."""

    family: str
    ambiguous: bool
    verifiable: bool
    reason: str | None = None
    alternatives: tuple[str, ...] = ()
    stored: StoredPassword | None = field(default=None, repr=False)

    @property
    def warning(self) -> str | None:
        """The import report's warning for a guessed family (None when nothing was guessed)."""
        if not self.ambiguous:
            return None
        return (
            f"the hash's shape fits {', '.join((self.family, *self.alternatives))}; imported as {self.family} "
            f"(a guess: readiness unverified until a sign-in succeeds). Name the family with \"format\" in the "
            f"password object or --hash-format"
        )


def guess_warning(stored: StoredPassword) -> str | None:
    """The warning for a hash stored under a family its shape only suggests (None: not a guess).

    For a hash parsed without a name (``parse_detail`` said so); cheap: import calls it per record.
    """
    alternatives = registry.by_name(stored.format).ambiguous_with(stored.value)
    if not alternatives:
        return None
    return Assessment(stored.format, True, True, None, alternatives).warning


def _unresolved_config(stored: StoredPassword, hash_configs: Mapping[str, HashConfig] | None) -> str | None:
    if stored.format not in NEEDS_HASH_CONFIG:
        return None
    reference = json.loads(stored.value).get("hash_config")
    if isinstance(reference, str) and (hash_configs is None or reference not in hash_configs):
        return f"{stored.format} hash: hash config '{reference}' is not known here"
    return None


def assess(
    spec: str | Mapping[str, Any],
    *,
    named_format: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    hash_configs: Mapping[str, HashConfig] | None = None,
) -> Assessment:
    """Assess an imported hash: a hash string or the record's password object (its own
    ``"format"`` is honoured); ``named_format`` is the file's ``--hash-format``. Pass the hash
    configs the import uses, or a Firebase hash is not verifiable."""
    try:
        stored, chosen = parse_detail(spec, limits=limits, hash_configs=hash_configs, default_format=named_format)
    except PasswordFormatError as exc:
        return Assessment(family=exc.format or UNKNOWN, ambiguous=False, verifiable=False, reason=str(exc))
    fmt = registry.by_name(stored.format)
    alternatives = () if chosen else fmt.ambiguous_with(stored.value)
    problem = _unresolved_config(stored, hash_configs)
    assessment = Assessment(
        family=stored.format, ambiguous=bool(alternatives), verifiable=problem is None,
        reason=problem, alternatives=alternatives, stored=stored,
    )
    if problem is None and assessment.ambiguous:
        return Assessment(stored.format, True, True, assessment.warning, alternatives, stored)
    return assessment
