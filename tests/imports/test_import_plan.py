"""Classification of a batch, without a database: the rules a dry run and a real run share."""

from __future__ import annotations

import uuid

from authshift.migration.formats import SourceItem
from authshift.migration.imports.plan import Candidate, classify, prepare
from authshift.passwords import Limits
from tests.imports.helpers import BCRYPT


def cands(*objs: dict, identifier: str = "email") -> list[Candidate]:
    return [
        prepare(SourceItem(n, n, obj), identifier=identifier, limits=Limits(), hash_configs={})
        for n, obj in enumerate(objs, start=1)
    ]


def test_keys_are_normalised_like_sign_in() -> None:
    (c,) = cands({"email": " Foo@X.COM ", "phone_number": "+1 (415) 555-0100", "preferred_username": "Ｂob",
                  "external_id": "E1", "identities": [{"provider": "google", "subject": "42"}]})
    assert not c.errors
    assert ("email", "foo@x.com") in c.keys and c.match == ("email", "foo@x.com")
    assert ("phone_number", "+14155550100") in c.keys and ("preferred_username", "bob") in c.keys
    assert ("external_id", ("default", "E1")) in c.keys and ("identity", ("google", "42")) in c.keys


def test_record_without_the_identifier_fails_with_the_reason() -> None:
    (c,) = cands({"external_id": "x"}, identifier="email")
    (d,) = classify([c], mode="insert", identifier="email", owners={}, touched={})
    assert d.outcome == "failed" and d.errors[0]["path"] == "email"
    assert d.errors[0]["message"].startswith("missing: this import matches users by email")


def test_record_without_the_identifier_whose_user_exists_is_skipped_with_the_reason() -> None:
    """A second run by username over the same file: users the first run (by email) imported are
    skipped, saying how they were found; a record whose keys point at two users still fails."""
    ann, bob = uuid.uuid4(), uuid.uuid4()
    owners = {("email", "ann@x.com"): ann, ("external_id", ("default", "7")): ann, ("email", "bob@x.com"): bob}
    batch = cands({"email": "ann@x.com", "external_id": "7"}, {"email": "bob@x.com", "external_id": "7"},
                  {"email": "new@x.com"}, identifier="preferred_username")
    found, mixed, unknown = classify(batch, mode="upsert", identifier="preferred_username", owners=owners, touched={})
    assert (found.outcome, found.user_id, found.errors) == ("skipped", ann, [])
    assert found.reason == ("the user exists already (found by email); this run matches users by "
                            "preferred username, which the record does not have")
    assert mixed.outcome == unknown.outcome == "failed"
    assert mixed.errors[0]["message"].startswith("missing: this import matches users by preferred_username")


def test_modes_against_an_existing_user() -> None:
    existing = uuid.uuid4()
    owners = {("email", "a@x.com"): existing}
    batch = cands({"email": "A@x.com"}, {"email": "new@x.com"})
    insert = classify(batch, mode="insert", identifier="email", owners=owners, touched={})
    assert [(d.outcome, d.user_id) for d in insert][0] == ("skipped", existing)
    assert "already exists" in (insert[0].reason or "") and insert[1].outcome == "inserted"
    upsert = classify(batch, mode="upsert", identifier="email", owners=owners, touched={})
    assert [(d.outcome, d.action) for d in upsert] == [("updated", "update"), ("inserted", "insert")]
    assert upsert[0].user_id == existing
    update = classify(batch, mode="update", identifier="email", owners=owners, touched={})
    assert [d.outcome for d in update] == ["updated", "skipped"] and update[1].user_id is None


def test_second_record_for_the_same_user_is_reported_never_merged() -> None:
    batch = cands({"email": "a@x.com", "given_name": "One"}, {"email": "A@X.com", "given_name": "Two"})
    for mode in ("insert", "upsert"):
        first, second = classify(batch, mode=mode, identifier="email", owners={}, touched={})
        assert first.outcome == "inserted"
        assert second.outcome == "failed" and second.errors == [{"path": "email", "message": "duplicate of line 1"}]
    # across batches: the user the job wrote at line 7 is found in the database
    written = uuid.uuid4()
    (again,) = classify(cands({"email": "a@x.com"}), mode="upsert", identifier="email",
                        owners={("email", "a@x.com"): written}, touched={written: 7})
    assert again.outcome == "failed" and again.errors[0]["message"] == "duplicate of line 7"


def test_other_unique_keys_conflict_per_record() -> None:
    other = uuid.uuid4()
    owners = {("external_id", ("default", "E1")): other, ("identity", ("google", "g1")): other}
    batch = cands(
        {"email": "a@x.com", "external_id": "E1"},
        {"email": "b@x.com", "identities": [{"provider": "google", "subject": "g1"}]},
        {"email": "c@x.com", "phone_number": "+14155550100"},
        {"email": "d@x.com", "phone_number": "+1 415 555 0100"},
        {"email": "e@x.com"},
    )
    a, b, c, d, e = classify(batch, mode="insert", identifier="email", owners=owners, touched={})
    assert a.outcome == "failed" and a.errors == [{"path": "external_id", "message": "another user of source 'default' already has this external_id"}]
    assert b.outcome == "failed" and b.errors[0]["path"] == "identities"
    assert c.outcome == "inserted"
    assert d.outcome == "failed" and d.errors == [
        {"path": "phone_number", "message": "another user already has this phone number (line 3 of this file)"}]
    assert e.outcome == "inserted"


def test_ids_must_be_free_on_insert_and_match_on_update() -> None:
    taken_id, matched = uuid.uuid4(), uuid.uuid4()
    owners = {("id", taken_id): taken_id, ("email", "m@x.com"): matched, ("id", matched): matched}
    batch = cands({"email": "new@x.com", "id": str(taken_id)}, {"email": "m@x.com", "id": str(taken_id)},
                  {"email": "m2@x.com", "id": str(matched)})
    new, wrong, other = classify(batch, mode="upsert", identifier="email", owners=owners, touched={})
    assert new.outcome == "failed" and new.errors[0] == {"path": "id", "message": "a user with this id already exists"}
    assert wrong.outcome == "failed" and wrong.errors[0]["path"] == "id" and "does not match" in wrong.errors[0]["message"]
    assert other.outcome == "failed"  # m2@x.com is new, but its id belongs to the user m@x.com
    fresh = uuid.uuid4()
    (kept,) = classify(cands({"email": "z@x.com", "id": str(fresh)}), mode="insert", identifier="email", owners={}, touched={})
    assert kept.outcome == "inserted" and kept.user_id == fresh


def test_unusable_hashes_fail_with_the_reason_and_no_secret() -> None:
    over = BCRYPT.replace("$10$", "$20$")
    good, unknown, ceiling, lazy = cands(
        {"email": "a@x.com", "password": {"hash": BCRYPT}},
        {"email": "b@x.com", "password": {"hash": "md4:0123456789abcdef"}},
        {"email": "c@x.com", "password": {"hash": over}},
        {"email": "d@x.com", "password_migration": "lazy"},
    )
    assert not good.errors and good.stored_password is not None and good.stored_password.format == "bcrypt"
    assert unknown.errors[0]["path"] == "password" and "md4:0123" not in str(unknown.errors)
    assert ceiling.errors[0]["path"] == "password" and "ceiling" in ceiling.errors[0]["message"]
    assert over not in str(ceiling.errors)
    assert not lazy.errors and lazy.stored_password is None
    assert lazy.warnings[0]["path"] == "password_migration"
    decisions = classify([good, unknown, ceiling, lazy], mode="insert", identifier="email", owners={}, touched={})
    assert [d.outcome for d in decisions] == ["inserted", "failed", "failed", "inserted"]
    echo = decisions[2].as_json()["record"]
    assert echo["password"]["hash"] == "[redacted]" and echo["email"] == "c@x.com"
