"""authshift -> peer: ``authshift export --format kratos`` writes a user's passkeys as Ory Kratos
identities carry them; the Kratos reader reads the file back to the same passkeys, the file
imported into authshift again signs the person in with the same browser passkey; Auth0's format,
which cannot take passkeys, says so per user in the report."""

from __future__ import annotations

import io
import json
from pathlib import Path

import bcrypt
import pytest

from authshift.migration.formats import get_reader
from tests.passkeys.browser import signed_in_with_passkey
from tests.passkeys.keys import MadePasskey
from tests.passkeys.test_imported_passkeys import PASSWORD, import_users
from tests.support.servers import LiveServer, arun_cli

pytestmark = pytest.mark.browser


async def test_passkeys_survive_an_export_in_kratos_format(localhost_server: LiveServer, origin: str,
                                                           tmp_path: Path) -> None:
    key = MadePasskey.make("localhost")
    entry = key.import_entry(sign_count=3, name="Work laptop") | {"aaguid": "08987058-cadc-4b81-b6e1-30de50dcbe96"}
    (outcome,) = import_users(localhost_server, tmp_path, [{
        "email": "to-kratos@example.com", "email_verified": True,
        "password": {"hash": bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()},
        "mfa": {"webauthn": [entry]},
    }])
    assert outcome["outcome"] == "inserted", outcome

    kratos, report = tmp_path / "identities.json", tmp_path / "kratos-report.ndjson"
    done = await arun_cli(["export", str(kratos), "--format", "kratos", "--include-secrets", "--report", str(report)],
                   localhost_server.env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    (identity,) = json.loads(kratos.read_text())
    assert identity["traits"] == {"email": "to-kratos@example.com"}
    assert identity["credentials"]["password"]["config"]["hashed_password"].startswith("$2b$04$")

    # The Kratos reader reads the same passkey back (Go's standard base64 in, base64url out).
    (item,) = list(get_reader("kratos")(io.BytesIO(kratos.read_bytes())))
    (passkey,) = item.obj["mfa"]["webauthn"]  # type: ignore[index]
    assert {k: passkey[k] for k in ("credential_id", "public_key", "user_handle", "sign_count", "aaguid", "name")} == {
        "credential_id": entry["credential_id"], "public_key": entry["public_key"],
        "user_handle": entry["user_handle"], "sign_count": 3, "aaguid": entry["aaguid"], "name": "Work laptop"}

    # Auth0's bulk import cannot take a passkey: the export says so for this user, never silently.
    auth0, auth0_report = tmp_path / "auth0.json", tmp_path / "auth0-report.ndjson"
    done = await arun_cli(["export", str(auth0), "--format", "auth0", "--report", str(auth0_report)], localhost_server.env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    (issue,) = [json.loads(line) for line in auth0_report.read_text().splitlines() if line.strip()]
    assert [u["field"] for u in issue["unmapped"]] == ["mfa.webauthn[0]"]
    assert "takes no passkeys" in issue["unmapped"][0]["reason"]

    # The Kratos file imported into authshift again: the person signs in with the same passkey.
    assert (await arun_cli(["users", "delete", outcome["user_id"], "--yes"], localhost_server.env)).returncode == 0
    again = tmp_path / "again.ndjson"
    done = await arun_cli(["import", str(kratos), "--format", "kratos", "--report", str(again)], localhost_server.env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [json.loads(line)["outcome"] for line in again.read_text().splitlines() if line.strip()] == ["inserted"]
    async with signed_in_with_passkey(origin, key.devtools_credential(sign_count=3)) as page:
        assert "to-kratos@example.com" in await page.content()
        await page.goto(f"{origin}/account")
        assert "Work laptop" in await page.get_by_role("list", name="Your passkeys").inner_text()
