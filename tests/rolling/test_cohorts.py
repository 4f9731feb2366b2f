"""Cohort rules: first match decides, no match stays on the legacy system, the legacy record is
fetched only when a rule needs it, percentages are stable buckets of the login ID."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from authshift.config import CohortSettings, MigrationSettings
from authshift.migration.rolling.cohorts import BUCKETS, bucket, decide


def cohorts(*specs: dict[str, Any]) -> list[CohortSettings]:
    return [CohortSettings(**spec) for spec in specs]


class Fetcher:
    def __init__(self, record: dict[str, Any] | None) -> None:
        self.record = record
        self.calls = 0

    async def __call__(self) -> dict[str, Any] | None:
        self.calls += 1
        return self.record


async def test_first_matching_cohort_decides_and_no_match_means_legacy() -> None:
    rules = cohorts(
        {"name": "vip", "login_ids": ["Boss@Corp.example"], "action": "legacy"},
        {"name": "corp", "email_domains": ["corp.example"], "action": "migrate"},
    )
    no_record = Fetcher(None)
    assert (await decide(rules, "boss@corp.EXAMPLE", no_record)).cohort == "vip"
    decision = await decide(rules, "worker@CORP.example", no_record)
    assert (decision.action, decision.cohort) == ("migrate", "corp")
    assert await decide(rules, "someone@else.example", no_record) == (await decide([], "x@y.example", no_record))
    assert (await decide(rules, "someone@else.example", no_record)).action == "legacy"
    assert no_record.calls == 0  # email login IDs and login_ids never need the legacy record


async def test_rules_of_one_cohort_must_all_match() -> None:
    rules = cohorts({"email_domains": ["corp.example"], "attributes": {"region": "eu"}, "action": "migrate"})
    assert (await decide(rules, "a@corp.example", Fetcher({"custom_attributes": {"region": "eu"}}))).action == "migrate"
    assert (await decide(rules, "a@corp.example", Fetcher({"custom_attributes": {"region": "us"}}))).action == "legacy"
    untouched = Fetcher({"custom_attributes": {"region": "eu"}})
    assert (await decide(rules, "a@other.example", untouched)).action == "legacy"
    assert untouched.calls == 0  # the domain failed first: no lookup


async def test_the_record_is_fetched_once_and_only_when_reached() -> None:
    rules = cohorts(
        {"email_domains": ["a.example"], "action": "migrate"},
        {"attributes": {"region": "eu"}, "action": "legacy"},
        {"attributes": {"groups": "beta"}, "action": "migrate"},
        {"attributes": {"plan": ["gold", "silver"]}, "action": "migrate"},
    )
    beta = Fetcher({"groups": ["alpha", "beta"], "custom_attributes": {"region": "us"}})
    assert (await decide(rules, "x@b.example", beta)).cohort == "#2"  # a list in the record: "contains"
    assert beta.calls == 1
    gold = Fetcher({"custom_attributes": {"plan": "gold"}})
    assert (await decide(rules, "x@b.example", gold)).cohort == "#3"  # a list in the settings: "any of"
    assert (await decide(rules, "x@b.example", Fetcher(None))).action == "legacy"  # unknown to legacy


async def test_a_username_uses_the_email_of_the_legacy_record_for_email_domains() -> None:
    rules = cohorts({"email_domains": ["corp.example"], "action": "migrate"})
    fetch = Fetcher({"email": "Jo@Corp.Example", "preferred_username": "jo"})
    assert (await decide(rules, "jo", fetch)).action == "migrate" and fetch.calls == 1
    assert (await decide(rules, "jo", Fetcher({"preferred_username": "jo"}))).action == "legacy"


def test_buckets_are_stable_normalised_and_spread() -> None:
    assert bucket("Alice@Example.COM") == bucket(" alice@example.com ")
    assert 0 <= bucket("alice@example.com") < BUCKETS
    spread = [bucket(f"user{i}@example.com") for i in range(4000)]
    share = sum(1 for b in spread if b < 3000) / len(spread)
    assert 0.27 < share < 0.33


async def test_percentage_selects_about_that_share_and_always_the_same_ids() -> None:
    rules = cohorts({"percentage": 25, "action": "migrate"})
    ids = [f"person{i}@example.com" for i in range(2000)]
    chosen = [i for i in ids if (await decide(rules, i, Fetcher(None))).action == "migrate"]
    assert 0.22 < len(chosen) / len(ids) < 0.28
    again = [i for i in ids if (await decide(rules, i, Fetcher(None))).action == "migrate"]
    assert chosen == again
    every = cohorts({"percentage": 100, "action": "migrate"})
    none = cohorts({"percentage": 0, "action": "migrate"})
    assert (await decide(every, ids[0], Fetcher(None))).action == "migrate"
    assert [(await decide(none, i, Fetcher(None))).action for i in ids[:200]] == ["legacy"] * 200


def test_settings_refuse_cohorts_that_cannot_work() -> None:
    with pytest.raises(ValidationError, match="needs email_domains, login_ids, percentage or attributes"):
        CohortSettings(action="migrate")
    with pytest.raises(ValidationError):
        CohortSettings(percentage=101, action="migrate")
    with pytest.raises(ValidationError):
        CohortSettings(email_domains=["a.example"], action="maybe")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="lookup_url"):
        MigrationSettings(cohorts=[{"attributes": {"region": "eu"}, "action": "migrate"}])  # type: ignore[list-item]
