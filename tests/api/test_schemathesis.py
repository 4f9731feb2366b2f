"""schemathesis against the admin API of a real server, on SQLite and PostgreSQL: every response
conforms to the OpenAPI document (status, content type, headers, body schema), bodies the
document allows are accepted, bodies it forbids are refused, no 5xx.

Bounded: ``MAX_EXAMPLES`` generated cases per operation and phase, a fixed seed (derandomized),
and a short stateful run (create, then read, change, delete what was created).

Four rules live outside JSON Schema and are left out of what is generated (``_outside_schema``):
a structured password object (its parameters are per algorithm, docs/hash-formats.md), an export
whose *_after filter is not before its *_before filter, a firebase import on a server without
[hash_configs], a hash config file (its content is a Firebase console block, JSON or TOML). The document says each of them in a description.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings

from authshift.app import create_app
from authshift.config import Settings
from authshift.http.admin.schemas import FORMATS
from authshift.http.openapi import build_openapi
from tests.api.formats import STRATEGIES, register
from tests.conftest import BACKENDS, TEST_ENCRYPTION_KEY, TEST_SECRET
from tests.support.servers import LiveServer, run_cli

MAX_EXAMPLES = 10
SEED_SETTINGS = hypothesis_settings(
    max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
    suppress_health_check=list(HealthCheck), phases=[Phase.generate],  # explicit would add the slow coverage phase
)
register()


def _after_not_before(filters: Any) -> bool:
    if not isinstance(filters, dict):
        return False
    for start, end in (("created_after", "created_before"), ("updated_after", "updated_before")):
        try:
            if datetime.fromisoformat(filters[start]) >= datetime.fromisoformat(filters[end]):
                return True
        except (KeyError, TypeError, ValueError):
            continue
    return False


def _holds_empty_string(value: Any) -> bool:
    """A user record's "" means "absent" at every level but custom attributes (``records._drop_empty``,
    for CSV files and the readers); the schema cannot say so without letting every field be ""."""
    if isinstance(value, dict):
        return any(item == "" or (key != "custom_attributes" and _holds_empty_string(item)) for key, item in value.items())
    if isinstance(value, list):
        return any(item == "" or _holds_empty_string(item) for item in value)
    return False


def _outside_schema(ctx: Any, body: Any) -> bool:
    if not isinstance(body, dict):
        return True
    if _holds_empty_string(body) and ctx.operation.path.startswith("/api/admin/v1/users"):
        return False
    password = body.get("password")
    if isinstance(password, dict) and "algorithm" in password:
        return False
    if _after_not_before(body.get("filters")):
        return False
    if body.get("auth0_password_hashes") is not None and body.get("format") != "auth0":
        return False
    if body.get("hash_config_file") is not None:  # its content is a Firebase block, JSON or TOML, not any bytes
        return False
    if body.get("fusionauth_webauthn") is not None and body.get("format") != "fusionauth":
        return False
    return body.get("format") != "firebase"


schemathesis.hook("filter_body")(_outside_schema)


def _document() -> dict[str, Any]:
    """The document the server serves (it does not depend on the settings): schemathesis needs it
    when tests are collected, before any server runs."""
    return build_openapi(create_app(Settings(secret_key="x" * 32)))


SCHEMA = schemathesis.openapi.from_dict(_document())


@pytest.fixture(scope="module", params=BACKENDS)
def admin_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """One server per backend for the module (schemathesis calls it a few hundred times)."""
    tmp = tmp_path_factory.mktemp(f"api-{request.param}")
    if request.param == "sqlite":
        db_url = request.getfixturevalue("sqlite_template").fresh(tmp)
    else:
        postgres = request.getfixturevalue("postgres_database")
        postgres.empty()
        db_url = postgres.url
    env = {"AUTHSHIFT_DATABASE_URL": db_url, "AUTHSHIFT_SECRET_KEY": TEST_SECRET,
           "AUTHSHIFT_ENCRYPTION_KEY": TEST_ENCRYPTION_KEY, "AUTHSHIFT_SECRETS_FILE": str(tmp / "secrets.json"),
           "AUTHSHIFT_LOG_FORMAT": "json", "AUTHSHIFT_LOG_LEVEL": "warning"}
    server = LiveServer(env, tmp)
    server.start()
    try:
        made = run_cli(["admin-keys", "create", "--name", "schemathesis", "--allow-secrets"], env)
        assert made.returncode == 0, made.stderr
        yield server.url, json.loads(made.stdout)["key"]
    finally:
        server.stop()


@SCHEMA.parametrize()
@SEED_SETTINGS
def test_every_operation_conforms(case: Any, admin_server: tuple[str, str]) -> None:
    url, key = admin_server
    case.call_and_validate(base_url=url, headers={"Authorization": f"Bearer {key}"})


def test_stateful_sequences_conform(admin_server: tuple[str, str]) -> None:
    url, key = admin_server

    class Workflow(SCHEMA.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": url, "headers": {"Authorization": f"Bearer {key}"}}

    Workflow.run(settings=hypothesis_settings(
        max_examples=8, stateful_step_count=6, derandomize=True, deadline=None, database=None,
        suppress_health_check=list(HealthCheck),
    ))


def test_every_named_format_has_a_strategy() -> None:
    assert set(FORMATS) <= set(STRATEGIES)
