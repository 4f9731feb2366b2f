"""Filters, field selection, CSV, and bad options (clear errors, exit 2, no file written)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from authshift.errors import InvalidInput
from authshift.migration.exports.options import parse_export_options
from authshift.migration.formats.native import iter_native
from authshift.records import parse_record
from tests.exports.conftest import cli, export_to, read_ndjson
from tests.exports.population import Member
from tests.support.servers import run_cli


async def _ids(state: Any, tmp_path: Path, **filters: str) -> set[str]:
    out = tmp_path / f"f-{len(list(tmp_path.iterdir()))}.ndjson"
    await export_to(state, out, filters=filters)
    return {r["id"] for r in read_ndjson(out)}


async def test_filters_select_the_users_they_name(app: Any, population: list[Member], tmp_path: Path) -> None:
    state = app.state.authshift
    everyone = read_all = await _ids(state, tmp_path)
    assert len(read_all) == len(population)
    out = tmp_path / "all.ndjson"
    await export_to(state, out)
    records = read_ndjson(out)

    def expect(pred: Any) -> set[str]:
        return {r["id"] for r in records if pred(r)}

    assert await _ids(state, tmp_path, migration_state="imported") == expect(lambda r: r["migration_state"] == "imported")
    assert await _ids(state, tmp_path, source="formats") == expect(lambda r: r.get("source") == "formats")
    admins = await _ids(state, tmp_path, role="admin")
    assert admins == expect(lambda r: "admin" in r["roles"]) and 0 < len(admins) < len(everyone)
    beta = await _ids(state, tmp_path, group="beta")
    assert beta == expect(lambda r: "beta" in r["groups"]) and 0 < len(beta) < len(everyone)
    assert await _ids(state, tmp_path, role="adm") == set()  # membership, not a substring match
    assert await _ids(state, tmp_path, created_after="2022-01-05", created_before="2022-01-10") == expect(
        lambda r: "2022-01-05" <= r["created_at"] < "2022-01-10")
    assert await _ids(state, tmp_path, updated_after="2023-02-20T00:00:00Z") == expect(
        lambda r: r["updated_at"] >= "2023-02-20T00:00:00Z")
    both = await _ids(state, tmp_path, role="admin", group="beta", migration_state="imported")
    assert both == expect(lambda r: "admin" in r["roles"] and "beta" in r["groups"] and r["migration_state"] == "imported")


async def test_fields_keep_the_id_and_the_record_order(app: Any, population: list[Member], tmp_path: Path) -> None:
    out = tmp_path / "some.ndjson"
    await export_to(app.state.authshift, out, fields="roles,email,created_at")
    records = read_ndjson(out)
    assert len(records) == len(population)
    assert all(list(r) == [k for k in ("id", "email", "roles", "created_at") if k in r] for r in records)
    assert all("id" in r and "roles" in r for r in records)


async def test_csv_is_the_native_csv_import_reads(app: Any, population: list[Member], tmp_path: Path) -> None:
    state = app.state.authshift
    nd, cs = tmp_path / "u.ndjson", tmp_path / "u.csv"
    await export_to(state, nd, include_secrets=True)
    await export_to(state, cs, format="csv", include_secrets=True)
    header = next(csv.reader(io.StringIO(cs.read_text(encoding="utf-8"))))
    assert header[0] == "id" and "custom_attributes" in header and "password" in header
    with cs.open("rb") as fh:
        from_csv = [item for item in iter_native(fh)]
    as_json = read_ndjson(nd)
    assert len(from_csv) == len(as_json)
    for item, rec in zip(from_csv, as_json, strict=False):
        assert not item.errors
        assert parse_record(item.obj).record == parse_record(rec).record


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"format": "xml"}, "format"),
        ({"filters": {"colour": "blue"}}, "filters.colour"),
        ({"filters": {"migration_state": "gone"}}, "filters.migration_state"),
        ({"filters": {"created_after": "yesterday"}}, "filters.created_after"),
        ({"filters": {"created_after": "2024-02-01", "created_before": "2024-01-01"}}, "filters.created_before"),
        ({"fields": "email,shoe_size"}, "fields"),
        ({"fields": "email,password"}, "fields"),
        ({"format": "auth0", "fields": "email"}, "fields"),
        ({"encrypt_to": ["age1notakey"]}, "encrypt_to[0]"),
        ({"encrypt_to": ["ssh-ed25519 AAAA"]}, "encrypt_to[0]"),
        ({"include_secrets": "yes"}, "include_secrets"),
    ],
)
def test_bad_options_name_the_option(options: dict[str, Any], path: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_export_options(**options)
    assert path in [e.path for e in caught.value.errors]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "--format: must be one of ndjson, csv, auth0"),
        (["--filter", "role"], "is not key=value"),
        (["--filter", "shoe=42"], "--filter shoe: unknown filter"),
        (["--filter", "created_after=soon"], "--filter created_after"),
        (["--filter", "role=a", "--filter", "role=b"], "is given twice"),
        (["--fields", "password"], "only exported with include_secrets"),
        (["--encrypt-to", "age1xyz"], "--encrypt-to[0]: is not a valid age public key"),
    ],
)
def test_cli_rejects_bad_options_without_writing(settings_env: dict[str, str], tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "never.ndjson"
    result = run_cli(["export", str(out), *args], settings_env)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert not out.exists() and not [p for p in tmp_path.iterdir() if "partial" in p.name]


def test_cli_rejects_a_missing_directory(settings_env: dict[str, str], tmp_path: Path) -> None:
    result = run_cli(["export", str(tmp_path / "nope" / "u.ndjson")], settings_env)
    assert result.returncode == 2 and "does not exist" in result.stderr


async def test_cli_writes_to_standard_output(app: Any, population: list[Member], settings_env: dict[str, str]) -> None:
    result = await cli(["export", "-", "--filter", "source=formats", "--fields", "email"], settings_env)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines and all(set(r) <= {"id", "email"} for r in lines)
    assert "exported" in result.stderr
