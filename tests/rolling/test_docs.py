"""The examples of docs/rolling-migration.md work as written."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from authshift.app import create_app
from authshift.config import Settings, load_settings
from authshift.security.webhook_signatures import signed_headers
from tests.legacy.django_legacy import DjangoLegacy

from .conftest import unique

DOC = Path(__file__).resolve().parents[2] / "docs" / "rolling-migration.md"


def example(name: str) -> str:
    match = re.search(rf"<!-- example: {name} -->\n```\w+\n(.*?)```", DOC.read_text(), re.S)
    assert match, f"docs/rolling-migration.md has no example {name!r}"
    return match.group(1)


def test_the_configuration_example_loads(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "doc.toml"
    path.write_text(example("rolling-config"))
    loaded = load_settings(path)
    legacy = loaded.migration.legacy
    assert legacy.verify_url == "https://legacy.example.com/authshift/verify" and legacy.timeout_seconds == 2
    assert [(c.name, c.action) for c in loaded.migration.cohorts] == [
        ("staff stay for now", "legacy"), ("Europe", "migrate"), ("a tenth of everyone else", "migrate"),
    ]
    assert loaded.delivery.max_attempts == 10 and loaded.migration.new_signups == "authshift"


@pytest.mark.legacy
async def test_the_configuration_example_migrates_users_against_a_real_legacy_app(
    tmp_path: Path, settings: Settings, legacy: DjangoLegacy
) -> None:
    text = example("rolling-config").replace("https://legacy.example.com", legacy.base_url)
    text = re.sub(r'secret = "whsec_[^"]+"', f'secret = "{legacy.secret}"', text)
    path = tmp_path / "doc.toml"
    path.write_text(text)
    app = create_app(load_settings(path))
    eu, staff = unique("eu"), unique("staff")
    legacy.create_users([
        {"username": eu, "email": f"{eu}@example.org", "password": "pw", "hasher": "md5", "region": "eu"},
        {"username": staff, "email": f"{staff}@corp.example.com", "password": "pw", "hasher": "md5", "region": "eu"},
    ])
    async with app.router.lifespan_context(app):
        state: Any = app.state.authshift
        assert await state.legacy.login(f"{eu}@example.org", "pw") is not None
        assert await state.legacy.login(f"{staff}@corp.example.com", "pw") is None


def test_the_signature_check_example_accepts_authshift_requests_only() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(example("verify-signature"), str(DOC), "exec"), namespace)  # noqa: S102 - the doc's own code
    check = namespace["authshift_request_id"]
    secret, body = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", b'{"login_id": "ada@example.com"}'
    headers = signed_headers(secret, body, msg_id="evt_1")
    assert check(headers, body, secret) == "evt_1"
    with pytest.raises(ValueError, match="does not match"):
        check(headers, body + b" ", secret)
    with pytest.raises(ValueError, match="does not match"):
        check(headers, body, "whsec_" + "QUJD" * 8)
    stale = signed_headers(secret, body, msg_id="evt_2", timestamp=int(time.time()) - 3600)
    with pytest.raises(ValueError, match="tolerance"):
        check(stale, body, secret)
    with pytest.raises(ValueError, match="missing"):
        check({}, body, secret)
