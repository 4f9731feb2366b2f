"""Single use of legacy tokens: claim a token inside the exchange's transaction, prune old claims.

``claim_token`` inserts the ``(issuer, token_key)`` row with ``INSERT ... ON CONFLICT DO UPDATE
... WHERE keep_until < now``: a new token, or one whose previous claim has lapsed, is claimed
(one row comes back); a token claimed before and still kept is a replay (no row). Because the
claim is in the same transaction as the tokens it pays for, a failed exchange does not use the
legacy token up, and two concurrent exchanges cannot both commit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.migration.token_exchange.tables import exchanged_tokens
from authshift.storage.db import is_postgres
from authshift.storage.types import UtcDateTime, utcnow


def keep_until(expires_at: float | None, *, leeway_seconds: int, window_seconds: int, now: datetime) -> datetime:
    """How long a claim must last: past the token's expiry (and leeway), or the window without exp."""
    if expires_at is None:
        return now + timedelta(seconds=window_seconds)
    return max(datetime.fromtimestamp(expires_at, UTC) + timedelta(seconds=leeway_seconds), now)


async def claim_token(conn: AsyncConnection, issuer: str, token_key: str, until: datetime, *, now: datetime | None = None) -> bool:
    """True when this exchange may use the token; False when it was exchanged already."""
    now = now or utcnow()
    insert = pg_insert if is_postgres(conn) else sqlite_insert
    t = exchanged_tokens.c
    stmt = (
        insert(exchanged_tokens)
        .values(issuer=issuer, token_key=token_key, exchanged_at=now, keep_until=until)
        .on_conflict_do_update(
            index_elements=[t.issuer, t.token_key],
            set_={"exchanged_at": now, "keep_until": until},
            where=t.keep_until < sa.bindparam("now", now, type_=UtcDateTime),
        )
        .returning(t.token_key)
    )
    return (await conn.execute(stmt)).first() is not None


async def prune_claims(conn: AsyncConnection, *, now: datetime | None = None) -> int:
    result = await conn.execute(exchanged_tokens.delete().where(exchanged_tokens.c.keep_until < (now or utcnow())))
    return int(result.rowcount or 0)
