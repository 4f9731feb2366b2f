"""The legacy Django application answers verify, lookup and write-back as issue 7 describes."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from authshift.security.webhook_signatures import generate_secret, signed_headers

from .django_legacy import DjangoLegacy

pytestmark = pytest.mark.legacy


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def django_pbkdf2(password: str, iterations: int = 1000) -> str:
    """A Django pbkdf2_sha256 hash computed without Django: what authshift would write back."""
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode()}"


@pytest.fixture
def alice(django_legacy: DjangoLegacy) -> dict:
    name = unique("alice")
    record = django_legacy.create_user(
        name, f"{name}@Example.COM", "correct horse", hasher="md5", first_name="Alice", last_name="Liddell",
        region="eu", attributes={"plan": "gold"}, groups=["beta", "admins"], phone_number="+33612345678",
    )
    return {"username": name, "email": f"{name}@Example.COM", "password": "correct horse", "record": record}


# -- verify ------------------------------------------------------------------------------------
def test_verify_by_username_returns_the_user_record_without_password(django_legacy: DjangoLegacy, alice: dict) -> None:
    response = django_legacy.post("/authshift/verify", {"login_id": alice["username"], "password": alice["password"]})
    assert response.status_code == 200
    record = response.json()
    assert record["external_id"] == alice["record"]["external_id"] and record["external_id"].isdigit()
    assert record["email"] == alice["email"] and record["email_verified"] is True
    assert record["preferred_username"] == alice["username"]
    assert (record["given_name"], record["family_name"], record["name"]) == ("Alice", "Liddell", "Alice Liddell")
    assert record["phone_number"] == "+33612345678"
    assert record["custom_attributes"] == {"plan": "gold", "region": "eu"}
    assert record["groups"] == ["admins", "beta"] and record["roles"] == []
    assert record["disabled"] is False and record["created_at"].endswith("+00:00")
    assert "password" not in record and "correct horse" not in response.text


def test_verify_by_email_ignores_case(django_legacy: DjangoLegacy, alice: dict) -> None:
    response = django_legacy.post("/authshift/verify", {"login_id": alice["email"].upper(), "password": alice["password"]})
    assert response.status_code == 200
    assert response.json()["preferred_username"] == alice["username"]


def test_verify_upgrades_an_md5_hash_as_a_django_login_does(django_legacy: DjangoLegacy, alice: dict) -> None:
    assert django_legacy.get_user(alice["email"])["password"].startswith("md5$")
    django_legacy.post("/authshift/verify", {"login_id": alice["username"], "password": alice["password"]})
    assert django_legacy.get_user(alice["email"])["password"].startswith("pbkdf2_sha256$")


def test_verify_refuses_a_wrong_password_with_401(django_legacy: DjangoLegacy, alice: dict) -> None:
    response = django_legacy.post("/authshift/verify", {"login_id": alice["username"], "password": "wrong horse"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_password"


def test_verify_answers_404_for_an_unknown_login_id(django_legacy: DjangoLegacy) -> None:
    response = django_legacy.post("/authshift/verify", {"login_id": unique("nobody") + "@example.com", "password": "x"})
    assert response.status_code == 404 and response.json()["error"] == "unknown_user"


def test_verify_refuses_a_deactivated_user(django_legacy: DjangoLegacy) -> None:
    name = unique("gone")
    django_legacy.create_user(name, f"{name}@example.com", "pw", hasher="md5", is_active=False)
    response = django_legacy.post("/authshift/verify", {"login_id": name, "password": "pw"})
    assert response.status_code == 401 and response.json()["error"] == "inactive"


@pytest.mark.parametrize("hasher", ["bcrypt_sha256", "pbkdf2_sha1", "argon2"])
def test_users_hashed_with_other_django_hashers_verify(django_legacy: DjangoLegacy, hasher: str) -> None:
    name = unique(hasher)
    django_legacy.create_user(name, f"{name}@example.com", "pässwörd", hasher=hasher)
    assert django_legacy.get_user(f"{name}@example.com")["password"].startswith(f"{hasher}$")
    assert django_legacy.post("/authshift/verify", {"login_id": name, "password": "pässwörd"}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"password": "x"}', b'{"login_id": "", "password": "x"}', b'{"login_id": "a"}',
     b'{"login_id": 5, "password": "x"}'],
    ids=["not-json", "array", "no-login-id", "empty-login-id", "no-password", "login-id-not-string"],
)
def test_verify_refuses_malformed_bodies_with_400(django_legacy: DjangoLegacy, body: bytes) -> None:
    response = django_legacy.post("/authshift/verify", body)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


# -- lookup ------------------------------------------------------------------------------------
def test_lookup_returns_the_record_by_username_or_email(django_legacy: DjangoLegacy, alice: dict) -> None:
    for login_id in (alice["username"], alice["email"].lower()):
        response = django_legacy.post("/authshift/lookup", {"login_id": login_id})
        assert response.status_code == 200
        assert response.json() == alice["record"]


def test_lookup_answers_404_for_an_unknown_login_id(django_legacy: DjangoLegacy) -> None:
    assert django_legacy.post("/authshift/lookup", {"login_id": unique("nobody")}).status_code == 404


# -- signatures --------------------------------------------------------------------------------
def _raw_post(legacy: DjangoLegacy, headers: dict[str, str], body: bytes = b'{"login_id": "x"}') -> httpx.Response:
    return httpx.post(legacy.lookup_url, content=body, headers=headers)


@pytest.mark.parametrize("path", ["/authshift/verify", "/authshift/lookup", "/authshift/writeback", "/_control/users"])
def test_unsigned_requests_are_refused_on_every_endpoint(django_legacy: DjangoLegacy, path: str) -> None:
    response = httpx.post(django_legacy.base_url + path, json={"login_id": "x", "password": "y"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_signature"


def test_a_signature_made_with_another_secret_is_refused(django_legacy: DjangoLegacy) -> None:
    body = b'{"login_id": "x"}'
    assert _raw_post(django_legacy, signed_headers(generate_secret(), body), body).status_code == 401


def test_a_tampered_body_is_refused(django_legacy: DjangoLegacy) -> None:
    headers = signed_headers(django_legacy.secret, b'{"login_id": "x"}')
    assert _raw_post(django_legacy, headers, b'{"login_id": "y"}').status_code == 401


@pytest.mark.parametrize("age", [301, -301, 3600])
def test_a_timestamp_outside_five_minutes_is_refused(django_legacy: DjangoLegacy, age: int) -> None:
    body = b'{"login_id": "x"}'
    headers = signed_headers(django_legacy.secret, body, timestamp=int(time.time()) - age)
    response = _raw_post(django_legacy, headers, body)
    assert response.status_code == 401 and "tolerance" in response.json()["detail"]


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_signature_header_is_refused(django_legacy: DjangoLegacy, missing: str) -> None:
    body = b'{"login_id": "x"}'
    headers = signed_headers(django_legacy.secret, body)
    del headers[missing]
    assert _raw_post(django_legacy, headers, body).status_code == 401


def test_a_signature_within_the_tolerance_is_accepted(django_legacy: DjangoLegacy) -> None:
    body = b'{"login_id": "nobody-here"}'
    headers = signed_headers(django_legacy.secret, body, timestamp=int(time.time()) - 240)
    assert _raw_post(django_legacy, headers, body).status_code == 404  # signed fine, user unknown


# -- write-back --------------------------------------------------------------------------------
def event(event_type: str, user: dict, event_id: str | None = None) -> dict:
    return {"type": event_type, "id": event_id or unique("evt_"), "timestamp": int(time.time()), "data": {"user": user}}


def writeback(legacy: DjangoLegacy, body: dict, msg_id: str | None = None) -> httpx.Response:
    return legacy.post("/authshift/writeback", body, msg_id=msg_id or body["id"])


def test_user_created_in_authshift_appears_in_the_legacy_database(django_legacy: DjangoLegacy) -> None:
    name = unique("signup")
    user = {"id": unique("usr_"), "email": f"{name}@example.com", "email_verified": True, "preferred_username": name,
            "given_name": "Sam", "family_name": "Up", "custom_attributes": {"region": "us", "tier": 2},
            "groups": ["newcomers"], "created_at": "2024-05-06T07:08:09+00:00"}
    response = writeback(django_legacy, event("user.created", user))
    assert response.status_code == 200 and response.json()["status"] == "created"
    stored = django_legacy.get_user(f"{name.upper()}@EXAMPLE.COM")
    assert stored is not None and stored["id"] == response.json()["user_id"]
    assert (stored["username"], stored["first_name"], stored["last_name"]) == (name, "Sam", "Up")
    assert stored["password"].startswith("!")  # unusable: authshift holds the password now
    assert (stored["region"], stored["attributes"], stored["groups"]) == ("us", {"tier": 2}, ["newcomers"])
    assert stored["authshift_id"] == user["id"] and stored["source"] == "authshift"
    assert stored["date_joined"].startswith("2024-05-06 07:08:09")
    # the legacy login refuses it (no usable password), lookup knows it
    assert django_legacy.post("/authshift/verify", {"login_id": name, "password": "anything"}).status_code == 401
    assert django_legacy.post("/authshift/lookup", {"login_id": name}).json()["external_id"] == str(stored["id"])


def test_user_updated_changes_only_the_fields_it_carries(django_legacy: DjangoLegacy, alice: dict) -> None:
    update = {"id": unique("usr_"), "external_id": alice["record"]["external_id"], "family_name": "Hargreaves",
              "disabled": True}
    assert writeback(django_legacy, event("user.updated", update)).json()["status"] == "updated"
    stored = django_legacy.get_user(alice["email"])
    assert (stored["first_name"], stored["last_name"], stored["is_active"]) == ("Alice", "Hargreaves", False)
    assert stored["region"] == "eu" and stored["groups"] == ["admins", "beta"]
    assert stored["password"].startswith("md5$")  # no hash sent, the legacy password stays


def test_a_migrated_user_is_matched_by_email_not_duplicated(django_legacy: DjangoLegacy, alice: dict) -> None:
    user = {"id": unique("usr_"), "email": alice["email"].lower(), "preferred_username": alice["username"]}
    response = writeback(django_legacy, event("user.migrated", user))
    assert response.json() == {"status": "updated", "webhook_id": response.json()["webhook_id"],
                               "user_id": int(alice["record"]["external_id"])}
    assert [u["username"] for u in django_legacy.users()].count(alice["username"]) == 1


def test_a_later_event_finds_the_user_by_its_authshift_id(django_legacy: DjangoLegacy) -> None:
    name, authshift_id = unique("renamed"), unique("usr_")
    writeback(django_legacy, event("user.created", {"id": authshift_id, "email": f"{name}@example.com"}))
    new_email = f"{name}@new.example.com"
    response = writeback(django_legacy, event("user.updated", {"id": authshift_id, "email": new_email}))
    assert response.json()["status"] == "updated"
    assert django_legacy.get_user(f"{name}@example.com") is None
    assert django_legacy.get_user(new_email)["authshift_id"] == authshift_id


def test_password_changed_with_a_django_hash_makes_the_new_password_work(django_legacy: DjangoLegacy, alice: dict) -> None:
    user = {"external_id": alice["record"]["external_id"], "password": {"hash": django_pbkdf2("new password")}}
    assert writeback(django_legacy, event("password.changed", user)).status_code == 200
    verify = {"login_id": alice["username"], "password": "new password"}
    assert django_legacy.post("/authshift/verify", verify).status_code == 200
    old = {"login_id": alice["username"], "password": alice["password"]}
    assert django_legacy.post("/authshift/verify", old).status_code == 401


def test_password_changed_without_a_usable_hash_disables_the_old_password(django_legacy: DjangoLegacy, alice: dict) -> None:
    user = {"external_id": alice["record"]["external_id"], "password": {"hash": "$argon2id$v=19$not-django"}}
    assert writeback(django_legacy, event("password.changed", user)).status_code == 200
    assert django_legacy.get_user(alice["email"])["password"].startswith("!")
    old = {"login_id": alice["username"], "password": alice["password"]}
    assert django_legacy.post("/authshift/verify", old).status_code == 401


def test_user_deleted_removes_the_user_and_repeats_harmlessly(django_legacy: DjangoLegacy, alice: dict) -> None:
    user = {"external_id": alice["record"]["external_id"], "email": alice["email"]}
    first = writeback(django_legacy, event("user.deleted", user))
    assert first.json()["status"] == "deleted" and django_legacy.get_user(alice["email"]) is None
    again = writeback(django_legacy, event("user.deleted", user))
    assert again.json()["status"] == "not_found"


def test_a_replayed_webhook_id_is_applied_once(django_legacy: DjangoLegacy, alice: dict) -> None:
    msg_id = unique("msg_")
    first = {"external_id": alice["record"]["external_id"], "given_name": "First"}
    second = {"external_id": alice["record"]["external_id"], "given_name": "Second"}
    assert writeback(django_legacy, event("user.updated", first), msg_id).json()["status"] == "updated"
    replay = writeback(django_legacy, event("user.updated", second), msg_id)
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    assert django_legacy.get_user(alice["email"])["first_name"] == "First"
    entries = [entry for entry in django_legacy.writeback_log() if entry["webhook_id"] == msg_id]
    assert len(entries) == 1 and entries[0]["type"] == "user.updated" and entries[0]["outcome"] == "updated"
    assert entries[0]["event"]["data"]["user"]["given_name"] == "First"


def test_concurrent_deliveries_of_one_event_apply_it_once(django_legacy: DjangoLegacy) -> None:
    name = unique("race")
    body = event("user.created", {"id": unique("usr_"), "email": f"{name}@example.com"})
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: writeback(django_legacy, body).json()["status"], range(6)))
    assert sorted(answers) == ["created"] + ["duplicate"] * 5
    assert [u["email"] for u in django_legacy.users()].count(f"{name}@example.com") == 1


def test_events_without_a_user_are_recorded_and_ignored(django_legacy: DjangoLegacy) -> None:
    body = {"type": "import.completed", "id": unique("evt_"), "timestamp": int(time.time()), "data": {"job": "j1"}}
    response = writeback(django_legacy, body)
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert django_legacy.writeback_log()[-1]["webhook_id"] == body["id"]


def test_a_username_clash_is_a_409_and_is_not_recorded(django_legacy: DjangoLegacy, alice: dict) -> None:
    body = event("user.created", {"id": unique("usr_"), "email": unique("other") + "@example.com",
                                  "preferred_username": alice["username"]})
    response = writeback(django_legacy, body)
    assert response.status_code == 409
    assert body["id"] not in [entry["webhook_id"] for entry in django_legacy.writeback_log()]


@pytest.mark.parametrize(
    "body",
    [{"id": "e1", "data": {"user": {"email": "a@example.com"}}}, {"type": "user.created", "id": "e2", "data": {"user": "x"}},
     {"type": "user.created", "id": "e3", "data": {"user": {"given_name": "nobody to match"}}},
     {"type": "user.created", "id": "e4", "data": {"user": {"email": "b@example.com", "created_at": "yesterday"}}},
     {"type": "user.created", "id": "e5", "data": {"user": {"email": "c@example.com", "groups": "admins"}}}],
    ids=["no-type", "user-not-object", "no-identifier", "bad-date", "groups-not-list"],
)
def test_malformed_events_are_refused_with_400_and_change_nothing(django_legacy: DjangoLegacy, body: dict) -> None:
    before = len(django_legacy.users())
    response = django_legacy.post("/authshift/writeback", body, msg_id=unique("msg_"))
    assert response.status_code == 400
    assert len(django_legacy.users()) == before


# -- lifecycle and configuration ---------------------------------------------------------------
def test_stop_is_a_real_outage_and_start_restores_the_same_port_and_data(django_legacy_fresh: DjangoLegacy) -> None:
    legacy = django_legacy_fresh
    legacy.create_user("outage", "outage@example.com", "pw", hasher="md5")
    legacy.stop()
    assert not legacy.running
    with pytest.raises(httpx.ConnectError):
        httpx.post(legacy.lookup_url, content=b"{}")
    legacy.start()
    response = legacy.post("/authshift/verify", {"login_id": "outage@example.com", "password": "pw"})
    assert response.status_code == 200 and legacy.base_url.endswith(str(legacy.port))


def test_the_first_configured_hasher_hashes_new_passwords(tmp_path: Path) -> None:
    with DjangoLegacy(tmp_path, hashers=("bcrypt_sha256", "md5")) as legacy:
        legacy.create_user("bee", "bee@example.com", "pw")
        assert legacy.get_user("bee@example.com")["password"].startswith("bcrypt_sha256$")
        with pytest.raises(ValueError, match="not enabled"):
            legacy.create_user("arg", "arg@example.com", "pw", hasher="argon2")


def test_pbkdf2_iterations_follow_the_configuration(tmp_path: Path) -> None:
    with DjangoLegacy(tmp_path, secret=generate_secret(), pbkdf2_iterations=1234) as legacy:
        legacy.create_user("few", "few@example.com", "pw")
        assert legacy.get_user("few@example.com")["password"].startswith("pbkdf2_sha256$1234$")
        assert legacy.post("/authshift/verify", {"login_id": "few", "password": "pw"}).status_code == 200


def test_unknown_paths_and_methods_answer_plainly(django_legacy: DjangoLegacy) -> None:
    missing = httpx.get(f"{django_legacy.base_url}/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert httpx.get(django_legacy.verify_url).status_code == 405
