"""pytest fixtures for the two real legacy systems.

tests/legacy/conftest.py re-exports them for the tests in this folder; any other test folder
gets them with ``pytest_plugins = ["tests.legacy.fixtures"]`` in the root tests/conftest.py.

- ``django_legacy``: the legacy Django app, shared by the session (one database: create users
  with unique names); if a test stopped it, it is running again for the next test.
- ``django_legacy_fresh``: a Django app of the test's own (own database and port).
- ``legacy_idp``: the legacy OpenID provider, shared by the session, running for every test.
- ``legacy_idp_fresh``: an IdP of the test's own (rotate its keys freely).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from ._processes import LegacyServer
from .django_legacy import DjangoLegacy
from .oidc_idp import LegacyIdP, NodeUnavailable, ensure_node_modules

ServerT = TypeVar("ServerT", bound=LegacyServer)


def _serving(server: ServerT) -> Iterator[ServerT]:
    """Start the server for the fixture's lifetime; always stop it afterwards."""
    try:
        yield server.start()
    finally:
        server.stop()


def _idp(directory: Path) -> LegacyIdP:
    try:
        ensure_node_modules()
    except NodeUnavailable as missing:
        print(f"legacy IdP tests skipped: {missing}")
        pytest.skip(str(missing))
    return LegacyIdP(directory)


@pytest.fixture(scope="session")
def _django_legacy_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DjangoLegacy]:
    yield from _serving(DjangoLegacy(tmp_path_factory.mktemp("django-legacy")))


@pytest.fixture
def django_legacy(_django_legacy_session: DjangoLegacy) -> DjangoLegacy:
    return _django_legacy_session.ensure_running()


@pytest.fixture
def django_legacy_fresh(tmp_path: Path) -> Iterator[DjangoLegacy]:
    yield from _serving(DjangoLegacy(tmp_path / "django-legacy"))


@pytest.fixture(scope="session")
def _legacy_idp_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LegacyIdP]:
    yield from _serving(_idp(tmp_path_factory.mktemp("legacy-idp")))


@pytest.fixture
def legacy_idp(_legacy_idp_session: LegacyIdP) -> LegacyIdP:
    return _legacy_idp_session.ensure_running()


@pytest.fixture
def legacy_idp_fresh(tmp_path: Path) -> Iterator[LegacyIdP]:
    yield from _serving(_idp(tmp_path / "legacy-idp"))
