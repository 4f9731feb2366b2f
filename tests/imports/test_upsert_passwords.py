"""Upsert never mixes password states (issue 13): a record without a password never removes or
contradicts a working one, unless it says so explicitly (``"password": null``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from authshift.accounts import login
from tests.exports.conftest import export_to, read_ndjson
from tests.imports.helpers import BCRYPT, BCRYPT_PASSWORD, run_import, write_ndjson
from tests.imports.hosted_login import signed_in_subject

OIDS = ("5f1a2b3c4d5e6f7a8b9c0d1e", "5f1a2b3c4d5e6f7a8b9c0d1f")


async def test_a_hash_less_export_upserted_over_users_with_hashes_keeps_them_signing_in(
    app: Any, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    state = app.state.authshift
    # The Auth0 users with their hashes (bulk-import schema) ...
    with_hashes = tmp_path / "with-hashes.json"
    with_hashes.write_text(json.dumps([
        {"user_id": f"auth0|{oid}", "email": f"u{n}@auth0.example", "email_verified": True, "password_hash": BCRYPT}
        for n, oid in enumerate(OIDS)]))
    first, _ = await run_import(state, with_hashes, format="auth0")
    assert first.counts.inserted == 2
    # ... then the same users from the user export, without the hash file, as an upsert.
    hash_less = write_ndjson(tmp_path / "export.ndjson", [
        {"user_id": f"auth0|{oid}", "email": f"u{n}@auth0.example", "email_verified": True, "given_name": f"New{n}"}
        for n, oid in enumerate(OIDS)])
    second, outcomes = await run_import(state, hash_less, format="auth0", mode="upsert")
    assert [o["outcome"] for o in outcomes] == ["updated", "updated"], outcomes
    for outcome in outcomes:
        (warning,) = [w for w in outcome["warnings"] if w["path"] == "password_migration"]
        assert warning["message"].startswith("ignored: the user has a password here")

    for n, outcome in enumerate(outcomes):
        sub = await signed_in_subject(client, state, f"u{n}@auth0.example", BCRYPT_PASSWORD)
        assert sub == outcome["user_id"]

    # Their export re-imports cleanly: no record holds both a password and "verify it elsewhere".
    exported = tmp_path / "everyone.ndjson"
    await export_to(state, exported, include_secrets=True)
    records = read_ndjson(exported)
    assert all("password" in r and "password_migration" not in r for r in records)
    assert {r["given_name"] for r in records} == {"New0", "New1"}
    _, again = await run_import(state, exported, mode="upsert")
    assert [o["outcome"] for o in again] == ["updated", "updated"] and not any(o["errors"] for o in again), again


async def test_password_null_is_the_explicit_way_to_drop_a_working_password(app: Any, tmp_path: Path) -> None:
    state = app.state.authshift
    first = write_ndjson(tmp_path / "one.ndjson", [{"email": "reset@x.example", "password": {"hash": BCRYPT}}])
    await run_import(state, first)
    assert (await login.login(state, "reset@x.example", BCRYPT_PASSWORD)).outcome == login.LoginOutcome.OK
    explicit = write_ndjson(tmp_path / "two.ndjson", [
        {"email": "reset@x.example", "password": None, "password_migration": "reset"}])
    _, outcomes = await run_import(state, explicit, mode="upsert")
    assert outcomes[0]["outcome"] == "updated"
    assert not any(w["message"].startswith("ignored") for w in outcomes[0]["warnings"]), outcomes
    assert (await login.login(state, "reset@x.example", BCRYPT_PASSWORD)).outcome != login.LoginOutcome.OK
    exported = tmp_path / "out.ndjson"
    await export_to(state, exported, include_secrets=True)
    (record,) = read_ndjson(exported)
    assert "password" not in record and record["password_migration"] == "reset"
