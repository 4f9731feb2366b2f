"""What the second sign-in step offers a user: a code field (TOTP or recovery code) and, when the
user has passkeys, the passkey button; ``passkey_only`` changes the page's wording."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from authshift.accounts.passkeys import has_passkey
from authshift.accounts.totp import has_totp
from authshift.storage.db import reading

if TYPE_CHECKING:
    from authshift.accounts.services import AccountServices


async def second_step_factors(state: AccountServices, user_id: uuid.UUID) -> dict[str, bool]:
    async with reading(state.engine) as conn:
        passkey = await has_passkey(conn, user_id)
        totp = await has_totp(conn, user_id)
    return {"passkey": passkey, "passkey_only": passkey and not totp}
