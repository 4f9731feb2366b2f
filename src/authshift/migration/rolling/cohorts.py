"""Rolling-migration cohorts (``[[migration.cohorts]]``): which login IDs move to authshift now.

Cohorts are evaluated in order and the first that matches decides its ``action`` (``migrate``:
lazy migration on sign-in; ``legacy``: the user stays on the legacy system for now). A login ID
that no cohort matches stays on the legacy system.

A cohort matches when every rule it gives matches (rules given together narrow each other):

- ``email_domains``: the email address is at one of these domains (exact domain,
  case-insensitive): the login ID's when it is an email, else the legacy record's (so a person
  typing a username lands in the same cohort as when typing the email);
- ``login_ids``: the login ID is one of these (compared normalised);
- ``percentage``: the login ID falls in the first ``percentage`` percent of 10,000 buckets, by
  SHA-256 of its normalised form (stable across processes and restarts; the same person typing
  a username instead of an email may land in another bucket);
- ``attributes``: the legacy record has these values (a record field, else a custom attribute;
  a list in the configuration means "any of these"; a list in the record means "contains").
  Attribute rules, and email_domains for a login ID that is not an email, need the legacy
  record: it is fetched once, and only when such a rule is reached, through the
  ``fetch_record`` callable the caller provides.

Pure: no database, no HTTP of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from authshift.accounts.login_ids import LoginId, candidates
from authshift.config import CohortSettings

__all__ = ["BUCKETS", "Decision", "RecordFetcher", "attributes_match", "bucket", "decide"]

BUCKETS = 10_000
Action = Literal["migrate", "legacy"]
RecordFetcher = Callable[[], Awaitable[Mapping[str, Any] | None]]


@dataclass(frozen=True)
class Decision:
    action: Action
    cohort: str | None  # the cohort's name (or "#<index>"), None when no cohort matched


def bucket(login_id: str) -> int:
    """The login ID's stable bucket in ``0 .. BUCKETS-1`` (SHA-256 of its most likely normalised form)."""
    forms = candidates(login_id)
    key = forms[0].value if forms else login_id.strip()
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % BUCKETS


def _domain_matches(cohort: CohortSettings, email: str | None) -> bool:
    domains = {d.strip().lower().lstrip("@") for d in cohort.email_domains}
    return email is not None and email.rpartition("@")[2].lower() in domains


def _login_id_matches(cohort: CohortSettings, forms: Sequence[LoginId]) -> bool:
    wanted = {(f.kind, f.value) for entry in cohort.login_ids for f in candidates(entry)}
    return any((f.kind, f.value) in wanted for f in forms)


def _percentage_matches(cohort: CohortSettings, login_id: str) -> bool:
    assert cohort.percentage is not None
    return bucket(login_id) < round(cohort.percentage * BUCKETS / 100)


def _value_matches(expected: Any, actual: Any) -> bool:
    if isinstance(actual, list):
        options = expected if isinstance(expected, list) else [expected]
        return any(option in actual for option in options)
    if isinstance(expected, list):
        return actual in expected
    return bool(expected == actual)


def attributes_match(wanted: Mapping[str, Any], record: Mapping[str, Any] | None) -> bool:
    if record is None:
        return False
    custom = record.get("custom_attributes") or {}
    for key, expected in wanted.items():
        if key in record and key != "custom_attributes":
            actual = record[key]
        elif key in custom:
            actual = custom[key]
        else:
            return False
        if not _value_matches(expected, actual):
            return False
    return True


def _name(cohort: CohortSettings, index: int) -> str:
    return cohort.name or f"#{index}"


async def decide(cohorts: Sequence[CohortSettings], login_id: str, fetch_record: RecordFetcher) -> Decision:
    """The first matching cohort's action, or ``legacy`` when none matches."""
    forms = candidates(login_id)
    typed_email = next((f.value for f in forms if f.kind == "email"), None)
    fetched: list[Mapping[str, Any] | None] = []

    async def record() -> Mapping[str, Any] | None:
        if not fetched:
            fetched.append(await fetch_record())
        return fetched[0]

    for index, cohort in enumerate(cohorts):
        if cohort.login_ids and not _login_id_matches(cohort, forms):
            continue
        if cohort.percentage is not None and not _percentage_matches(cohort, login_id):
            continue
        if cohort.email_domains:
            email = typed_email
            if email is None:
                found = await record()
                email = found.get("email") if found else None
            if not _domain_matches(cohort, email):
                continue
        if cohort.attributes and not attributes_match(cohort.attributes, await record()):
            continue
        return Decision(cohort.action, _name(cohort, index))
    return Decision("legacy", None)
