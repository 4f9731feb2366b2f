"""Fixtures shared by every test: a fresh database on each backend, settings, the app, servers.

Every test that asks for ``db_url`` (directly or through ``settings``, ``app``, ``client``) runs
once on SQLite and once on PostgreSQL; PostgreSQL is skipped, with the reason, when unreachable.
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from authshift.app import create_app
from authshift.config import Settings, load_settings
from authshift.security.admin_keys import create_admin_key
from authshift.state import AppState, build_state
from tests.support.databases import PostgresDatabase, SqliteTemplate, postgres_unavailable_reason
from tests.support.servers import LiveServer

pytest_plugins = ["tests.legacy.fixtures"]

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def pytest_report_header(config: pytest.Config) -> list[str]:
    reason = postgres_unavailable_reason()
    return ["storage backends: sqlite" + (f"; postgres SKIPPED ({reason})" if reason else ", postgres")]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    template = SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))
    template.create()
    return template


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresDatabase]:
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    db = PostgresDatabase()
    db.create()
    try:
        yield db
    finally:
        db.drop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated, empty database of the current backend."""
    if backend == "sqlite":
        template: SqliteTemplate = request.getfixturevalue("sqlite_template")
        return template.fresh(tmp_path)
    pg: PostgresDatabase = request.getfixturevalue("postgres_database")
    pg.empty()
    return pg.url


TEST_SECRET = base64.urlsafe_b64encode(b"s" * 32).decode()
TEST_ENCRYPTION_KEY = base64.urlsafe_b64encode(b"e" * 32).decode()


@pytest.fixture
def settings_env(db_url: str, tmp_path: Path) -> dict[str, str]:
    """Environment variables for an authshift process on the test database."""
    return {
        "AUTHSHIFT_DATABASE_URL": db_url,
        "AUTHSHIFT_SECRET_KEY": TEST_SECRET,
        "AUTHSHIFT_ENCRYPTION_KEY": TEST_ENCRYPTION_KEY,
        "AUTHSHIFT_SECRETS_FILE": str(tmp_path / "secrets.json"),
        "AUTHSHIFT_LOG_FORMAT": "json",
    }


@pytest.fixture
def settings(settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key in [k for k in os.environ if k.startswith("AUTHSHIFT_")]:
        monkeypatch.delenv(key)
    for key, value in settings_env.items():
        monkeypatch.setenv(key, value)
    return load_settings()


@pytest.fixture
async def state(settings: Settings) -> AsyncIterator[AppState]:
    """The server's state without the server: no background workers run, so only what a test
    calls reads or writes (test packages that need the running app's state override this)."""
    built = build_state(settings)
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as c:
        yield c


@pytest.fixture
async def admin_headers(app: Any) -> dict[str, str]:
    async with app.state.authshift.engine.begin() as conn:
        new = await create_admin_key(conn, "tests", allow_secrets=True)
    return {"Authorization": f"Bearer {new.plaintext}"}


@pytest.fixture
def live_server(settings_env: dict[str, str], tmp_path: Path) -> Iterator[LiveServer]:
    """``authshift serve`` in a subprocess on the test database."""
    server = LiveServer(settings_env, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
