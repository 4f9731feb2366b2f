"""Fixtures of the legacy systems, for the tests of this folder (see fixtures.py)."""

from .fixtures import (  # noqa: F401 (pytest finds fixtures by name)
    _django_legacy_session,
    _legacy_idp_session,
    django_legacy,
    django_legacy_fresh,
    legacy_idp,
    legacy_idp_fresh,
)
