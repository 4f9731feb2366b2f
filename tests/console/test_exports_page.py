"""The Exports page over HTTP against a real server, on SQLite and PostgreSQL: start an export,
watch it finish, download it, delete it; secrets are refused unless the server allows operators
them; every change is audited under the operator's name."""

from __future__ import annotations

import csv
import io
import re
import time

import httpx
import pytest

from tests.console.conftest import Console, form_fields
from tests.console.db import query

pytestmark = pytest.mark.browser


async def test_start_watch_download_and_delete_an_export(console: Console, operator_http: httpx.Client) -> None:
    db = console.server.env["AUTHSHIFT_DATABASE_URL"]
    page = operator_http.get("/console/exports")
    assert page.status_code == 200 and "include_secrets" not in page.text  # not allowed by default
    token = form_fields(page.text)
    secret = operator_http.post("/console/exports", data={**token, "format": "csv", "include_secrets": "true"})
    assert secret.status_code == 403 and 'role="alert"' in secret.text and "allow_secret_exports" in secret.text
    bad = operator_http.post("/console/exports", data={**token, "format": "xml"})
    assert bad.status_code == 422 and "format" in bad.text

    started = operator_http.post("/console/exports", data={**token, "format": "csv", "fields": "email",
                                                           "filter_source": ""})
    assert re.search(r"/console/exports/[0-9a-f-]{36}$", str(started.url)), started.text[:300]
    job_id = str(started.url).rsplit("/", 1)[1]
    for _ in range(120):
        shown = operator_http.get(f"/console/exports/{job_id}")
        if 'data-export="state">completed' in shown.text:
            break
        time.sleep(0.5)
    (users,) = tuple((await query(db, "SELECT count(*) FROM users"))[0])
    assert f'data-export="users">{users}<' in shown.text and users == 2  # the operator and the other account

    file = operator_http.get(f"/console/exports/{job_id}/download")
    assert file.status_code == 200 and file.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(file.text)))
    assert sorted(r["email"] for r in rows) == sorted([console.operator, console.non_operator])

    gone = operator_http.post(f"/console/exports/{job_id}/delete", data=token)
    assert gone.status_code == 200 and "were deleted from the server" in gone.text and job_id not in gone.text
    assert list(await query(db, "SELECT id FROM export_jobs")) == []
    audit = [tuple(r) for r in await query(db, "SELECT actor, action FROM audit_log WHERE action LIKE 'users.export%' ORDER BY at")]
    actor = f"console:{console.operator}"
    assert audit == [(actor, "users.export.queued"), (actor, "users.export"), (actor, "users.export.download"),
                     (actor, "users.export.delete")]
