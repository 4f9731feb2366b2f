"""The admin users API, over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import httpx
import pytest

PROBLEM = "application/problem+json"
USERS = "/api/admin/v1/users"


async def create(client: httpx.AsyncClient, headers: dict[str, str], body: dict) -> dict:
    resp = await client.post(USERS, json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


def assert_problem(resp: httpx.Response, status: int) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert body["status"] == status and body["detail"]
    return body


async def test_every_endpoint_requires_an_admin_key(client: httpx.AsyncClient) -> None:
    some_id = str(uuid.uuid4())
    for method, path in [
        ("GET", USERS), ("POST", USERS), ("GET", f"{USERS}/{some_id}"), ("PATCH", f"{USERS}/{some_id}"),
        ("DELETE", f"{USERS}/{some_id}"), ("POST", f"{USERS}/{some_id}/disable"), ("PUT", f"{USERS}/{some_id}/roles"),
    ]:
        for headers in ({}, {"Authorization": "Bearer ask_nope_nope"}, {"Authorization": "Basic abc"}):
            resp = await client.request(method, path, headers=headers, json={})
            assert_problem(resp, 401)
            assert resp.headers["www-authenticate"] == "Bearer"


async def test_create_get_and_response_shape(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    user = await create(client, admin_headers, {
        "email": "Ada.Lovelace@Example.COM", "email_verified": True, "given_name": "Ada", "family_name": "Lovelace",
        "preferred_username": "Ada", "phone_number": "+44 20 7946 0958", "custom_attributes": {"plan": "pro"},
        "roles": ["admin"], "groups": ["staff"], "external_id": "legacy-1", "source": "auth0",
        "password": "correct horse battery staple",
    })
    assert user["email"] == "Ada.Lovelace@Example.COM"
    assert user["phone_number"] == "+442079460958"  # stored in E.164
    assert user["migration_state"] == "native"
    assert "password" not in user and "hash" not in str(user)
    uuid.UUID(user["id"])
    got = (await client.get(f"{USERS}/{user['id']}", headers=admin_headers)).json()
    assert got == user


async def test_imported_hash_accepted_and_never_shown(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    bcrypt_hash = "$2b$04$abcdefghijklmnopqrstuu5Ksyk1bFlyOK1ZZ2jRDPYRJ/BqM9JKe"
    user = await create(client, admin_headers, {"email": "h@example.com", "password": {"hash": bcrypt_hash}})
    assert bcrypt_hash not in (await client.get(f"{USERS}/{user['id']}", headers=admin_headers)).text


async def test_login_ids_are_unique_after_normalisation(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    await create(client, admin_headers, {"email": "foo@x.com", "preferred_username": "Alice", "phone_number": "+14155550100"})
    for body, field in [
        ({"email": "FOO@X.COM"}, "email"),
        ({"preferred_username": "ALICE"}, "preferred_username"),
        ({"phone_number": "+1 (415) 555-0100"}, "phone_number"),
    ]:
        problem = assert_problem(await client.post(USERS, json=body, headers=admin_headers), 409)
        assert [e["path"] for e in problem["errors"]] == [field]
    listed = (await client.get(USERS, headers=admin_headers)).json()["users"]
    assert len(listed) == 1


async def test_external_id_unique(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    await create(client, admin_headers, {"email": "a@x.com", "external_id": "42"})
    problem = assert_problem(await client.post(USERS, json={"email": "b@x.com", "external_id": "42"}, headers=admin_headers), 409)
    assert problem["errors"][0]["path"] == "external_id"


@pytest.mark.parametrize("body,path", [
    ({"email": "not-an-email"}, "email"),
    ({"email": "a@x.com", "email_verified": "maybe"}, "email_verified"),
    ({"email": "a@x.com", "roles": "admin"}, "roles"),
    ({"phone_number": "12"}, "phone_number"),
    ({"email": "a@x.com", "password": {"hash": "not a hash"}}, "password"),
    ({"email": "a@x.com", "mfa": {"totp": [{"secret": "!!!", "encoding": "base32"}]}}, "mfa.totp[0]"),
])
async def test_bad_input_is_a_422_problem_naming_the_field(
    client: httpx.AsyncClient, admin_headers: dict[str, str], body: dict, path: str
) -> None:
    problem = assert_problem(await client.post(USERS, json=body, headers=admin_headers), 422)
    assert any(e["path"] == path for e in problem["errors"]), problem
    assert (await client.get(USERS, headers=admin_headers)).json()["users"] == []


async def test_malformed_bodies_and_ids(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    resp = await client.post(USERS, content=b"{not json", headers={**admin_headers, "content-type": "application/json"})
    assert_problem(resp, 422)
    assert_problem(await client.post(USERS, json=[1, 2], headers=admin_headers), 422)
    assert_problem(await client.get(f"{USERS}/not-a-uuid", headers=admin_headers), 422)
    assert_problem(await client.get(f"{USERS}/{uuid.uuid4()}", headers=admin_headers), 404)
    assert_problem(await client.get(USERS, params={"limit": 0}, headers=admin_headers), 422)
    assert_problem(await client.get(USERS, params={"migration_state": "gone"}, headers=admin_headers), 422)
    assert_problem(await client.post(USERS, json={"given_name": "Nobody"}, headers=admin_headers), 422)


async def test_unknown_fields_are_warnings(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    user = await create(client, admin_headers, {"email": "w@x.com", "favourite_colour": "blue"})
    assert user["warnings"] == [{"path": "favourite_colour", "message": "unknown field, ignored"}]


async def test_patch_changes_present_fields_and_null_removes(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    user = await create(client, admin_headers, {"email": "p@x.com", "email_verified": True, "given_name": "P", "nickname": "pp"})
    resp = await client.patch(f"{USERS}/{user['id']}", json={"nickname": None, "family_name": "Q", "email": "P2@x.com"},
                              headers=admin_headers)
    assert resp.status_code == 200, resp.text
    patched = resp.json()
    assert "nickname" not in patched and patched["family_name"] == "Q" and patched["given_name"] == "P"
    assert patched["email"] == "P2@x.com" and patched["email_verified"] is False
    assert patched["updated_at"] >= user["updated_at"]
    assert_problem(await client.patch(f"{USERS}/{user['id']}", json={"migration_state": "native"}, headers=admin_headers), 422)
    other = await create(client, admin_headers, {"email": "taken@x.com"})
    assert_problem(await client.patch(f"{USERS}/{user['id']}", json={"email": "TAKEN@x.com"}, headers=admin_headers), 409)
    assert (await client.get(f"{USERS}/{other['id']}", headers=admin_headers)).json()["email"] == "taken@x.com"


async def test_disable_enable_roles_groups_delete(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    user = await create(client, admin_headers, {"email": "d@x.com"})
    base = f"{USERS}/{user['id']}"
    disabled = (await client.post(f"{base}/disable", json={"reason": "fraud"}, headers=admin_headers)).json()
    assert disabled["disabled"] is True and disabled["disabled_reason"] == "fraud"
    enabled = (await client.post(f"{base}/enable", headers=admin_headers)).json()
    assert enabled["disabled"] is False and "disabled_reason" not in enabled
    roles = await client.put(f"{base}/roles", json={"roles": ["a", "b", "a"]}, headers=admin_headers)
    assert roles.json()["roles"] == ["a", "b"]
    groups = await client.put(f"{base}/groups", json={"groups": ["g"]}, headers=admin_headers)
    assert groups.json()["groups"] == ["g"]
    assert_problem(await client.put(f"{base}/roles", json={"roles": "a"}, headers=admin_headers), 422)
    assert (await client.delete(base, headers=admin_headers)).status_code == 204
    assert_problem(await client.get(base, headers=admin_headers), 404)
    assert_problem(await client.delete(base, headers=admin_headers), 404)
    # the email is free again
    await create(client, admin_headers, {"email": "d@x.com"})


async def test_list_filters_and_keyset_pagination(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    ids = []
    for i in range(7):
        body = {"email": f"u{i}@x.com", "external_id": f"e{i}", "source": "auth0" if i % 2 else "firebase"}
        ids.append((await create(client, admin_headers, body))["id"])
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(USERS, params=params, headers=admin_headers)).json()
        seen += [u["id"] for u in page["users"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids
    by_email = (await client.get(USERS, params={"email": "U3@X.COM"}, headers=admin_headers)).json()["users"]
    assert [u["external_id"] for u in by_email] == ["e3"]
    by_ext = (await client.get(USERS, params={"external_id": "e5"}, headers=admin_headers)).json()["users"]
    assert [u["email"] for u in by_ext] == ["u5@x.com"]
    auth0 = (await client.get(USERS, params={"source": "auth0"}, headers=admin_headers)).json()["users"]
    assert len(auth0) == 3
    native = (await client.get(USERS, params={"migration_state": "native"}, headers=admin_headers)).json()["users"]
    assert len(native) == 7
    later = (await client.get(USERS, params={"created_after": "2999-01-01T00:00:00Z"}, headers=admin_headers)).json()
    assert later["users"] == []


async def test_openapi_is_served(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/admin/openapi.json")).json()
    assert "/api/admin/v1/users" in spec["paths"]
    assert "/api/admin/v1/users/{user_id}/disable" in spec["paths"]
