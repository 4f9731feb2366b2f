"""The admin API's OpenAPI document is a valid OpenAPI 3.1 document a code generator can use,
and it says what the server really does (errors, media types, authentication, 405 + Allow)."""

from __future__ import annotations

from typing import Any

import httpx
from openapi_spec_validator import validate

PROBLEM = "application/problem+json"


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


async def _document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/admin/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


async def test_the_document_is_valid_openapi_31_and_every_reference_resolves(client: httpx.AsyncClient) -> None:
    doc = await _document(client)
    assert doc["openapi"].startswith("3.1.")
    validate(doc)  # openapi-spec-validator: the 3.1 meta-schema and every $ref
    schemas = doc["components"]["schemas"]
    refs = _refs(doc)
    assert refs and all(ref.startswith("#/components/schemas/") for ref in refs), sorted(set(refs))
    assert all(ref.removeprefix("#/components/schemas/") in schemas for ref in refs)
    assert {"UserRecord", "UserPatch", "Address", "Mfa", "TotpSecret", "Problem"} <= set(schemas)


async def test_admin_operations_declare_the_key_and_their_errors(client: httpx.AsyncClient) -> None:
    doc = await _document(client)
    assert doc["components"]["securitySchemes"]["adminKey"] == {
        "type": "http", "scheme": "bearer", "description": doc["components"]["securitySchemes"]["adminKey"]["description"]}
    checked = 0
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            for status in ("422", "503"):
                assert list(responses[status]["content"]) == [PROBLEM], (method, path, status)
            if path.startswith("/api/admin/"):
                checked += 1
                assert operation["security"] == [{"adminKey": []}], (method, path)
                assert {"401", "403"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
    assert checked >= 30
    paths = doc["paths"]
    assert "409" in paths["/api/admin/v1/users"]["post"]["responses"]
    assert "413" in paths["/api/admin/v1/imports"]["post"]["responses"]
    assert {"409", "410"} <= set(paths["/api/admin/v1/exports/{job_id}/download"]["get"]["responses"])


async def test_a_wrong_method_gets_405_with_every_allowed_method(client: httpx.AsyncClient,
                                                                 admin_headers: dict[str, str]) -> None:
    response = await client.put("/api/admin/v1/users", headers=admin_headers, json={})
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}
    response = await client.post("/api/admin/v1/users/0190a6e2-7c1e-7d3a-9b5e-2f1c3d4e5f60", headers=admin_headers)
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "PATCH", "DELETE"}


async def test_errors_are_sent_as_documented(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    missing = await client.get("/api/admin/v1/users/0190a6e2-7c1e-7d3a-9b5e-2f1c3d4e5f60", headers=admin_headers)
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    unauthenticated = await client.get("/api/admin/v1/users")
    assert unauthenticated.status_code == 401 and unauthenticated.headers["content-type"] == PROBLEM
    not_json = await client.post("/api/admin/v1/users", headers={**admin_headers, "content-type": "application/json"},
                                 content=b"\xff\xfe")
    assert not_json.status_code in (400, 422) and not_json.headers["content-type"] == PROBLEM
    documented = (await _document(client))["paths"]["/api/admin/v1/users"]["post"]["responses"]
    assert {"400", "422"} <= set(documented)
