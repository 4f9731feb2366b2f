"""The seam between sign-in/sign-up and rolling migration.

The login path, sign-up and forgot-password call the fallback held in ``AppState.legacy`` (None
when no legacy system is configured). Rolling migration provides the implementation.
"""

from __future__ import annotations

import uuid
from typing import Protocol


class LegacyFallback(Protocol):
    async def login(self, login_id: str, password: str) -> uuid.UUID | None:
        """Sign-in with a login ID unknown here, or of an imported user with no usable password.

        When the login ID's cohort says ``migrate`` and the legacy system verifies the password,
        the user is created or completed here (password hashed natively, migration_state
        ``migrated``) and their id returned. ``None``: not migrated (wrong password, unknown to the
        legacy system, or a cohort that stays on the legacy system). Raises
        ``authshift.errors.Unavailable`` when the legacy system is down or slow: nothing is written.
        """
        ...

    async def claim(self, login_id: str) -> uuid.UUID | None:
        """Before sign-up or forgot-password: if the legacy system knows this login ID, create the
        user here from the legacy record (no password) and return its id, so nobody can claim
        another person's login ID and no duplicate is made. ``None`` when the legacy system does not
        know it. Raises ``Unavailable`` when the legacy system cannot answer."""
        ...

    async def shadow(self, user_id: uuid.UUID, login_id: str, password: str) -> bool | None:
        """Shadow verification, for a local user with a password: the legacy system decides and the
        imported hash is checked against the same password (match or mismatch recorded). ``None``:
        the local hash decides (not applicable, or a match); ``False``: refused by the legacy
        system; ``True``: accepted by the legacy system although the imported hash refuses it."""
        ...
