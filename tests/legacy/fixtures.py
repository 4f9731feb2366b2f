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

import pytest

from .django_legacy import DjangoLegacy
from .oidc_idp import LegacyIdP, NodeUnavailable


@pytest.fixture(scope="session")
def _django_legacy_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DjangoLegacy]:
    legacy = DjangoLegacy(tmp_path_factory.mktemp("django-legacy"))
    try:
        yield legacy.start()
    finally:
        legacy.stop()


@pytest.fixture
def django_legacy(_django_legacy_session: DjangoLegacy) -> DjangoLegacy:
    if not _django_legacy_session.running:
        _django_legacy_session.start()
    return _django_legacy_session


@pytest.fixture
def django_legacy_fresh(tmp_path: Path) -> Iterator[DjangoLegacy]:
    legacy = DjangoLegacy(tmp_path / "django-legacy")
    try:
        yield legacy.start()
    finally:
        legacy.stop()


def _start_idp(directory: Path) -> LegacyIdP:
    try:
        return LegacyIdP(directory).start()
    except NodeUnavailable as missing:
        print(f"legacy IdP tests skipped: {missing}")
        pytest.skip(str(missing))


@pytest.fixture(scope="session")
def _legacy_idp_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LegacyIdP]:
    idp = _start_idp(tmp_path_factory.mktemp("legacy-idp"))
    try:
        yield idp
    finally:
        idp.stop()


@pytest.fixture
def legacy_idp(_legacy_idp_session: LegacyIdP) -> LegacyIdP:
    if not _legacy_idp_session.running:
        _legacy_idp_session.start()
    return _legacy_idp_session


@pytest.fixture
def legacy_idp_fresh(tmp_path: Path) -> Iterator[LegacyIdP]:
    idp = _start_idp(tmp_path / "legacy-idp")
    try:
        yield idp
    finally:
        idp.stop()
