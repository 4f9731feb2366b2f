"""An export of another system imported without ``--format`` is refused with the format to use,
not with a JSON or field error on every record (issue 18)."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from authshift.migration.formats import SourceFormatError, get_reader
from tests.support.servers import run_cli

SAMPLES = Path(__file__).resolve().parents[1] / "migration" / "samples"
FOREIGN = [
    ("firebase-users.json", "firebase"), ("firebase-users.csv", "firebase"), ("auth0-users.ndjson", "auth0"),
    ("auth0-bulk-import.json", "auth0"), ("auth0-password-hashes.ndjson", "auth0"), ("cognito-users.csv", "cognito"),
    ("keycloak-realm.json", "keycloak"), ("supabase-users.csv", "supabase"), ("supabase-users.json", "supabase"),
    ("django-users.json", "django"),
]


def _read_native(data: bytes) -> list[object]:
    return list(get_reader("native")(io.BufferedReader(io.BytesIO(data))))


@pytest.mark.parametrize(("sample", "fmt"), FOREIGN)
def test_a_foreign_export_read_as_native_names_its_format(sample: str, fmt: str) -> None:
    for data in ((SAMPLES / sample).read_bytes(), gzip.compress((SAMPLES / sample).read_bytes())):
        with pytest.raises(SourceFormatError, match=f"--format {fmt}"):
            _read_native(data)


def test_the_foreign_readers_still_read_their_own_files_and_native_files_are_not_refused() -> None:
    for sample, fmt in FOREIGN:
        if sample != "auth0-password-hashes.ndjson":
            assert list(get_reader(fmt)(io.BufferedReader(io.BytesIO((SAMPLES / sample).read_bytes()))))
    native = (b'{"email": "a@example.com", "password": {"hash": "$2b$12$abc"}, "identities": '
              b'[{"provider": "google", "subject": "1"}], "custom_attributes": {"user_id": 7}}\n')
    assert len(_read_native(native)) == 1


def test_importing_a_firebase_file_without_format_says_which_format_to_use(settings_env: dict[str, str],
                                                                          tmp_path: Path) -> None:
    result = run_cli(["import", str(SAMPLES / "firebase-users.json"), "--dry-run"], settings_env, cwd=tmp_path)
    assert result.returncode != 0
    assert "--format firebase" in result.stderr and "--hash-config" in result.stderr, result.stderr
    assert "JSON" not in result.stderr.split("--format")[0]  # the reason is the format, not a JSON error
