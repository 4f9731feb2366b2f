"""Auth0 users through authshift and back to Auth0's format (issues 13 and 18): their metadata
goes back where it came from (never app_metadata.app_metadata), social users exported without an
``identities`` column keep their federated identity, and database users sign in meanwhile."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx

from authshift.accounts import users as svc
from tests.exports.conftest import export_to, read_ndjson
from tests.imports.helpers import BCRYPT, BCRYPT_PASSWORD, run_import
from tests.imports.hosted_login import signed_in_subject

DATABASE_USER = {
    "user_id": "auth0|6123a1b2c3d4e5f6a7b8c9d0", "email": "alice@example.com", "email_verified": True,
    "password_hash": BCRYPT, "app_metadata": {"plan": "pro", "roles": ["editor"], "limits": {"seats": 3}},
    "user_metadata": {"theme": "dark", "locale_hint": "fr"},
}
# A user export asked for without the identities column: only user_id says how Bob signs in.
SOCIAL_USER = {"user_id": "google-oauth2|109876543210987654321", "email": "bob@gmail.com", "email_verified": True,
               "user_metadata": {"theme": "light"}}


async def test_auth0_users_keep_metadata_and_social_identity_through_authshift(
    app: Any, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    state = app.state.authshift
    source = tmp_path / "auth0-users.json"
    source.write_text(json.dumps([DATABASE_USER, SOCIAL_USER]))
    summary, outcomes = await run_import(state, source, format="auth0")
    assert summary.counts.inserted == 2, outcomes
    ids = {o["index"]: uuid.UUID(o["user_id"]) for o in outcomes}
    async with state.engine.connect() as conn:
        alice, bob = await svc.load_records(conn, [ids[1], ids[2]])
    assert bob["identities"] == [{"provider": "google-oauth2", "subject": "109876543210987654321",
                                  "email": "bob@gmail.com"}]
    assert bob["source"] == "auth0" and bob["external_id"] == "google-oauth2|109876543210987654321"
    assert "password" not in bob and "password_migration" not in bob  # he signs in with Google, not a password
    assert await signed_in_subject(client, state, "alice@example.com", BCRYPT_PASSWORD) == str(ids[1])

    out = tmp_path / "back-to-auth0.json"
    await export_to(state, out, format="auth0", include_secrets=True)
    exported = {u["email"]: u for u in json.loads(out.read_text(encoding="utf-8"))}
    for original in (DATABASE_USER, SOCIAL_USER):
        user = exported[original["email"]]
        assert "app_metadata" not in user["app_metadata"] and "user_metadata" not in user["app_metadata"]
        assert {k: v for k, v in user["app_metadata"].items() if k != "authshift"} == original.get("app_metadata", {})
        assert user["user_metadata"] == original["user_metadata"]
        assert user["app_metadata"]["authshift"]["external_id"] == original["user_id"]
    # rehashed to argon2id when she signed in: Auth0 takes it as a custom_password_hash
    assert exported["alice@example.com"]["custom_password_hash"]["algorithm"] == "argon2"
    report = read_ndjson(out.with_suffix(".report.ndjson"))
    unmapped = [u["field"] for line in report for u in line["unmapped"]]
    assert unmapped == ["identities[0]"], report  # Auth0 links Bob's Google identity again at his next sign-in
