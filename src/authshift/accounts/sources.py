"""Where a user came from: ``users.source``, always set, and the namespace of ``external_id``.

A user's ``external_id`` is their id in the system named by ``source``, so it is unique per
source, not instance-wide: two legacy systems that both number their users 1, 2, 3... can be
imported into one authshift (``authshift import --source NAME``). The names a user gets when
nobody names a source:

- ``import``: a native-format record imported without ``source`` (and without ``--source``);
  the foreign readers name their format instead (``auth0``, ``firebase``, ``cognito``...);
- ``legacy``: created by a lazy migration (verified by the legacy system at sign-in);
- the issuer's ``name``: created by a token exchange;
- ``authshift``: born here (sign-up, the admin API, ``authshift users create``).

docs/import-format.md documents them; the readiness table groups users by them.
"""

from __future__ import annotations

__all__ = ["IMPORT_SOURCE", "LEGACY_SOURCE", "NATIVE_SOURCE"]

IMPORT_SOURCE = "import"
LEGACY_SOURCE = "legacy"
NATIVE_SOURCE = "authshift"
