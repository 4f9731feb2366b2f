"""The Imports page, end to end in Chromium on SQLite and PostgreSQL: an operator uploads a file
with failures, watches the job complete, reads the failures by reason, opens a failed record,
finds a record by login ID, and undoes the job; the counts shown are the database's, an imported
user signs in, and every change is in the audit log under the operator's name."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import bcrypt
import httpx
import pytest
import sqlalchemy as sa

from authshift.storage.db import create_engine
from tests.console.conftest import Console, form_fields, sign_in_http
from tests.console.db import query

pytestmark = pytest.mark.browser
PASSWORD = "imported users keep this"


def users_file(tmp_path: Path) -> Path:
    known = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    lines = [
        json.dumps({"email": "ada@x.com", "given_name": "Ada", "password": {"hash": known}}),
        json.dumps({"email": "grace@x.com"}),
        '{"email": "broken',
        json.dumps({"email": "ada@x.com"}),
        json.dumps({"email": "bad@x.com", "password": {"hash": "not-a-hash-at-all"}}),
    ]
    path = tmp_path / "legacy-users.ndjson"
    path.write_text("\n".join(lines) + "\n")
    return path


async def test_operator_uploads_watches_inspects_and_undoes_an_import(
    console: Console, operator_page: Any, tmp_path: Path,
) -> None:
    page, db = operator_page, console.server.env["AUTHSHIFT_DATABASE_URL"]
    await page.get_by_role("navigation", name="Console").get_by_role("link", name="Imports").click()
    await page.get_by_label("File (NDJSON").set_input_files(str(users_file(tmp_path)))
    await page.get_by_label("Source").fill("legacy-app")
    await page.get_by_role("button", name="Upload and import").click()
    await page.wait_for_url(re.compile(r"/console/imports/[0-9a-f-]{36}$"))
    job_id = page.url.rsplit("/", 1)[1]
    await page.locator('[data-live="state"]', has_text="completed").wait_for(timeout=60_000)  # the watcher's reload

    (row,) = await query(db, "SELECT state, records_read, inserted, updated, skipped, failed, created_by FROM import_jobs")
    assert tuple(row) == ("completed", 5, 2, 0, 0, 3, f"console:{console.operator}")
    shown = {name: await page.locator(f'#live [data-count="{name}"]').inner_text()
             for name in ("read", "inserted", "updated", "skipped", "failed")}
    assert shown == {"read": "5", "inserted": "2", "updated": "0", "skipped": "0", "failed": "3"}
    assert await page.locator('[data-live="percent_text"]').inner_text() == "100%"

    failures = page.locator("table", has=page.get_by_role("columnheader", name="Reason"))
    reasons = await failures.locator("tbody tr").all_inner_texts()
    assert len(reasons) == 3 and any("email: duplicate of line 1" in r and "line 4" in r for r in reasons)
    await failures.get_by_role("link", name="line 4").click()  # open the failed record
    record = page.locator("#results tbody tr")
    assert await record.count() == 1
    assert "failed" in await record.inner_text() and "duplicate of line 1" in await record.inner_text()
    assert await record.get_attribute("data-line") == "4"

    await page.get_by_label("Line number or login ID").fill("grace@x.com")
    await page.get_by_role("button", name="Show").click()
    assert [await r.get_attribute("data-line") for r in await page.locator("#results tbody tr").all()] == ["2"]
    await page.get_by_label("Outcome").select_option("failed")
    await page.get_by_label("Line number or login ID").fill("")
    await page.get_by_role("button", name="Show").click()
    assert [await r.get_attribute("data-line") for r in await page.locator("#results tbody tr").all()] == ["3", "4", "5"]
    assert "not-a-hash-at-all" not in await page.content()  # the record echo masks the hash

    # imported is not done, signs in is: Ada signs in with her old password (and, not being an
    # operator, is refused by the console after the hosted login accepted her)
    client, answer = sign_in_http(console.url, "ada@x.com", PASSWORD)
    client.close()
    assert answer.status_code == 403 and "ada@x.com" in answer.text and "not a console operator" in answer.text

    await page.get_by_role("link", name="Undo this import…").click()
    # Ada signed in since: the undo keeps her, and says so before anything is done
    assert await page.locator('[data-undo="remove"]').inner_text() == "1"
    assert await page.locator('[data-undo="signed_in_since"]').inner_text() == "1"
    await page.get_by_role("button", name="Undo the import").click()
    await page.get_by_role("status").filter(has_text="was undone").wait_for()
    left = await query(db, "SELECT value FROM identities WHERE value IN ('ada@x.com', 'grace@x.com')")
    assert [v for (v,) in left] == ["ada@x.com"]
    audit = await query(db, "SELECT actor, action, target FROM audit_log WHERE action LIKE 'import.%' ORDER BY at")
    assert [tuple(a) for a in audit] == [(f"console:{console.operator}", "import.created", job_id),
                                         (f"console:{console.operator}", "import.undone", job_id)]


def test_upload_needs_the_csrf_token_and_valid_options(console: Console, operator_http: httpx.Client,
                                                       tmp_path: Path) -> None:
    page = operator_http.get("/console/imports")
    token = form_fields(page.text)
    path = users_file(tmp_path)
    upload = (path.name, path.read_bytes())
    forged = operator_http.post("/console/imports", files={"file": upload}, data={"format": "native"})
    assert forged.status_code == 403 and "Form expired" in forged.text
    bad = operator_http.post("/console/imports", files={"file": upload}, data={**token, "mode": "merge"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text and "mode" in bad.text
    empty = operator_http.post("/console/imports", files={"file": ("empty.ndjson", b"")}, data=token)
    assert empty.status_code == 422 and "the uploaded file is empty" in empty.text
    listed = console.cli("imports", "list", "--json")
    assert json.loads(listed.stdout)["imports"] == []  # nothing was queued

    done = operator_http.post("/console/imports", files={"file": upload,
                                                         "hash_config_file": ("", b"")}, data={**token, "dry_run": "true"})
    assert done.status_code == 200 and re.search(r"/console/imports/[0-9a-f-]{36}$", str(done.url))
    job_id = str(done.url).rsplit("/", 1)[1]
    for _ in range(120):
        live = operator_http.get(f"/console/imports/{job_id}/live.json").json()
        if live["finished"]:
            break
        time.sleep(0.5)
    assert live["state"] == "completed" and live["counts"]["failed"] == 3
    report = operator_http.get(f"/console/imports/{job_id}/report")
    assert report.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in report.text.splitlines()]
    # a dry run's report says what would happen, with no id for users that will never exist
    assert [line["outcome"] for line in lines] == ["would_insert", "would_insert", "failed", "failed", "failed"]
    assert all(line["user_id"] is None for line in lines)
    late = operator_http.post(f"/console/imports/{job_id}/cancel", data=token)
    assert late.status_code == 200 and "had already finished" in late.text


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    return {**settings_env, "AUTHSHIFT_IMPORTS__KEEP_UPLOADS": "true"}  # so that a stopped upload can resume


async def test_a_cancelled_upload_resumes_after_its_last_batch(console: Console, operator_http: httpx.Client,
                                                               tmp_path: Path) -> None:
    db = console.server.env["AUTHSHIFT_DATABASE_URL"]
    path = tmp_path / "stopped.ndjson"
    path.write_text("".join(json.dumps({"email": f"r{n}@x.com"}) + "\n" for n in range(1, 5)))
    engine = create_engine(db)
    try:  # an upload cancelled after its first batch (records 1 and 2), its file kept ([imports] keep_uploads)
        from authshift.migration.imports import jobs

        async with engine.begin() as conn:
            job_id = await jobs.create_job(conn, origin="api", created_by="admin_key:x", options={
                "format": "native", "identifier": "email", "mode": "insert", "dry_run": False},
                file_path=str(path), file_name=path.name, file_digest="0" * 64, file_size=path.stat().st_size)
            await conn.execute(sa.text("UPDATE import_jobs SET state = 'cancelled', records_read = 2, skipped = 2, "
                                       "last_index = 2, last_line = 2 WHERE id = :id"), {"id": job_id.hex
                                                                                         if "sqlite" in db else job_id})
    finally:
        await engine.dispose()
    page = operator_http.get(f"/console/imports/{job_id}")
    assert "Resume after line 2" in page.text
    resumed = operator_http.post(f"/console/imports/{job_id}/resume", data=form_fields(page.text))
    assert resumed.status_code == 200 and "goes on after line 2" in resumed.text
    for _ in range(120):
        live = operator_http.get(f"/console/imports/{job_id}/live.json").json()
        if live["finished"]:
            break
        time.sleep(0.5)
    assert live["state"] == "completed" and live["counts"] == {"read": 4, "inserted": 2, "updated": 0, "skipped": 2,
                                                               "failed": 0}
    imported = await query(db, "SELECT value FROM identities WHERE value LIKE 'r%@x.com' ORDER BY value")
    assert [v for (v,) in imported] == ["r3@x.com", "r4@x.com"]  # records 1 and 2 were not read again
    again = operator_http.post(f"/console/imports/{job_id}/resume", data=form_fields(page.text))
    assert again.status_code == 409 and "cannot be resumed: the job is completed" in again.text
