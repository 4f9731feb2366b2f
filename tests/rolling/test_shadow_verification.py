"""Shadow verification against the real legacy Django app, configured with the example of
docs/rolling-migration.md: while the legacy system decides, the imported hash is checked against
the same password, match or mismatch recorded per family and source, and a mismatch makes the
user ``unverified`` in the readiness table (whose shadow line is the document's example)."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from authshift.accounts.login import LoginOutcome, login
from authshift.migration.readiness.tables import shadow_checks, user_readiness
from authshift.storage.tables import passwords, users
from tests.imports.helpers import run_import, write_ndjson
from tests.legacy.django_legacy import DjangoLegacy

from .conftest import unique
from .test_docs import example

pytestmark = pytest.mark.legacy

PASSWORD = "Shadow-Right-Pass-41"


@pytest.fixture
def rolling_config(tmp_path: Path, legacy: DjangoLegacy) -> Path:
    """The document's configuration, pointed at the real legacy app."""
    text = example("shadow-config").replace("https://legacy.example.com", legacy.base_url)
    text = re.sub(r'secret = "whsec_[^"]+"', f'secret = "{legacy.secret}"', text)
    path = tmp_path / "authshift.toml"
    path.write_text(text)
    return path


async def facts(state: Any, user_id: Any) -> dict[str, Any]:
    async with state.engine.connect() as conn:
        row = (await conn.execute(
            sa.select(users.c.migration_state, passwords.c.format, passwords.c.value, user_readiness.c.readiness)
            .select_from(users.join(passwords, passwords.c.user_id == users.c.id)
                         .join(user_readiness, user_readiness.c.user_id == users.c.id))
            .where(users.c.id == user_id))).mappings().one()
        checks = (await conn.execute(sa.select(shadow_checks).where(shadow_checks.c.user_id == user_id))).mappings().all()
    return {**row, "checks": [dict(c) for c in checks]}


async def test_the_legacy_system_decides_and_the_imported_hash_is_checked_alongside(
    state: Any, legacy: DjangoLegacy, tmp_path: Path, client: httpx.AsyncClient, admin_headers: dict[str, str],
) -> None:
    right, wrong = unique("right") + "@shadow.example", unique("wrong") + "@shadow.example"
    for email in (right, wrong):
        legacy.create_user(email.split("@")[0], email, PASSWORD, hasher="md5")
    real_hash = legacy.get_user(right)["password"]  # type: ignore[index]
    assert real_hash.startswith("md5$")
    bad_hash = "md5$pepper$" + hashlib.md5(b"pepper" + b"not the password").hexdigest()  # noqa: S324 - a legacy format
    export = write_ndjson(tmp_path / "legacy.ndjson", [
        {"email": right, "source": "django", "password": {"hash": real_hash}},
        {"email": wrong, "source": "django", "password": {"hash": bad_hash}},
    ])
    summary, results = await run_import(state, export)
    # md5$salt$hex is Django's salted MD5 or Werkzeug < 2.3's HMAC: a guess until proved
    assert summary.state == "completed" and [r["readiness"] for r in results] == ["unverified", "unverified"]
    right_id, wrong_id = uuid.UUID(results[0]["user_id"]), uuid.UUID(results[1]["user_id"])

    # a wrong password: the legacy system refuses, nothing is recorded
    assert (await login(state, wrong, "not it")).outcome is LoginOutcome.FAILED
    assert (await facts(state, wrong_id))["checks"] == []

    ok = await login(state, right, PASSWORD)
    assert ok.outcome is LoginOutcome.OK
    after = await facts(state, right_id)
    assert [c["matched"] for c in after["checks"]] == [True]
    assert after["checks"][0]["family"] == "django_md5" and after["checks"][0]["source"] == "django"
    assert after["migration_state"] == "migrated" and after["format"] == "argon2id" and after["readiness"] == "ready"

    mismatch = await login(state, wrong, PASSWORD)
    assert mismatch.outcome is LoginOutcome.OK  # the legacy system said yes: the user is not locked out
    after = await facts(state, wrong_id)
    assert [c["matched"] for c in after["checks"]] == [False]
    assert after["migration_state"] == "imported" and after["value"] == bad_hash and after["readiness"] == "unverified"
    for check in after["checks"]:
        assert PASSWORD not in repr(check)

    table = (await client.get("/api/admin/v1/migration/readiness", headers=admin_headers)).json()
    assert table["shadow"] == [json.loads(example("shadow-table"))]
    assert {"readiness": "unverified", "hash_family": "django_md5", "source": "django", "users": 1} in table["cells"]
    cell = (await client.get("/api/admin/v1/migration/readiness", headers=admin_headers,
                             params={"readiness": "unverified", "source": "django"})).json()
    assert [u["id"] for u in cell["users"]] == [str(wrong_id)] and "shadow" in cell["users"][0]["reason"]

    # while the legacy system decides, the user keeps signing in with the password it knows
    assert (await login(state, wrong, PASSWORD)).outcome is LoginOutcome.OK
