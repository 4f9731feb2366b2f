"""Where a user came from: ``users.source``, always set, and the namespace of ``external_id``.

A user's ``external_id`` is their id in the system named by ``source``, so it is unique per
source, not instance-wide: two legacy systems that both number their users 1, 2, 3... can be
imported into one authshift (``authshift import --source NAME``). The names a user gets when
nobody names a source:

- ``default``: a record that names no source, wherever it comes from (a native-format import
  without ``--source``, the admin API, ``authshift users create``). One name for all of them, so
  an ``external_id`` given without a source is found by the next record that gives it without
  one, as when external ids were one namespace (the users stored before sources existed have it
  too); the foreign readers name their format instead (``auth0``, ``firebase``, ``cognito``...);
- ``legacy``: created by a lazy migration (verified by the legacy system at sign-in);
- the issuer's ``name``: created by a token exchange;
- ``signup``: signed up here.

docs/import-format.md#sources documents them; the readiness table groups users by them.
"""

from __future__ import annotations

__all__ = ["DEFAULT_SOURCE", "LEGACY_SOURCE", "SIGNUP_SOURCE"]

DEFAULT_SOURCE = "default"
LEGACY_SOURCE = "legacy"
SIGNUP_SOURCE = "signup"
