"""A passkey as the second factor after shadow verification, against the real legacy Django app:
the legacy system accepts the password, the imported hash does not match it, and the person
finishes signing in with their imported passkey in Chromium's virtual authenticator. They are
signed in (the legacy system said yes) but stay ``imported`` with the imported hash: migrated,
they would meet that wrong hash at their next sign-in. A user whose hash matches moves here only
once the passkey step is done too."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.legacy.django_legacy import DjangoLegacy
from tests.passkeys.browser import NO_CONDITIONAL_UI, chromium_with_authenticator
from tests.passkeys.keys import MadePasskey
from tests.passkeys.test_imported_passkeys import import_users
from tests.support.servers import LiveServer, free_port, run_cli

from .conftest import unique
from .test_docs import example

pytestmark = [pytest.mark.legacy, pytest.mark.browser]

PASSWORD = "Shadow-Passkey-Pass-52"


@pytest.fixture
def shadow_server(settings_env: dict[str, str], legacy: DjangoLegacy, tmp_path: Path) -> Iterator[LiveServer]:
    """``authshift serve`` with docs/rolling-migration.md's shadow configuration, on localhost (WebAuthn)."""
    text = example("shadow-config").replace("https://legacy.example.com", legacy.base_url)
    config = tmp_path / "shadow.toml"
    config.write_text(re.sub(r'secret = "whsec_[^"]+"', f'secret = "{legacy.secret}"', text))
    port = free_port()
    server = LiveServer({**settings_env, "AUTHSHIFT_CONFIG": str(config), "AUTHSHIFT_ISSUER": f"http://localhost:{port}"},
                        tmp_path, port=port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def sign_in_with_password_then_passkey(origin: str, key: MadePasskey, email: str) -> None:
    async with chromium_with_authenticator() as tab:
        await tab.add_credential(key.devtools_credential())
        page = tab.page
        await page.add_init_script(NO_CONDITIONAL_UI)
        await page.goto(f"{origin}/login")
        await page.get_by_label("Email, phone number or username").fill(email)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in", exact=True).click()
        await page.get_by_role("button", name="Use a passkey").click()  # the second step
        await page.wait_for_url(f"{origin}/")
        assert email in await page.content()


def facts(server: LiveServer, user_id: str) -> dict[str, object]:
    shown = run_cli(["users", "get", user_id], server.env)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)  # type: ignore[no-any-return]


async def test_a_passkey_second_factor_after_a_shadow_mismatch_leaves_the_user_imported(
    shadow_server: LiveServer, legacy: DjangoLegacy, tmp_path: Path,
) -> None:
    origin = f"http://localhost:{shadow_server.port}"
    right, wrong = unique("right") + "@shadow-passkey.example", unique("wrong") + "@shadow-passkey.example"
    for email in (right, wrong):
        legacy.create_user(email.split("@")[0], email, PASSWORD, hasher="md5")
    bad_hash = "md5$pepper$" + hashlib.md5(b"pepper" + b"not the password").hexdigest()  # noqa: S324 - a legacy format
    right_key, wrong_key = MadePasskey.make("localhost"), MadePasskey.make("localhost")
    outcomes = import_users(shadow_server, tmp_path, [
        {"email": right, "source": "django", "password": {"hash": legacy.get_user(right)["password"]},  # type: ignore[index]
         "mfa": {"webauthn": [right_key.import_entry()]}},
        {"email": wrong, "source": "django", "password": {"hash": bad_hash}, "mfa": {"webauthn": [wrong_key.import_entry()]}},
    ])
    assert [o["outcome"] for o in outcomes] == ["inserted", "inserted"], outcomes
    right_id, wrong_id = str(outcomes[0]["user_id"]), str(outcomes[1]["user_id"])

    await sign_in_with_password_then_passkey(origin, wrong_key, wrong)
    mismatched = facts(shadow_server, wrong_id)
    assert mismatched["migration_state"] == "imported", mismatched  # the passkey did not migrate them

    await sign_in_with_password_then_passkey(origin, right_key, right)
    assert facts(shadow_server, right_id)["migration_state"] == "migrated"
