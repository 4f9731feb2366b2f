"""Single use of legacy tokens: claim a token inside the exchange's transaction, prune old claims.

``claim_token`` inserts the ``(issuer, token_key)`` row with ``INSERT ... ON CONFLICT DO UPDATE
... WHERE keep_until < now``: a new token, or one whose previous claim has lapsed, is claimed
(one row comes back); a token claimed before and still kept is a replay (no row). Because the
claim is in the same transaction as the tokens it pays for, a failed exchange does not use the
legacy token up, and two concurrent exchanges cannot both commit.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.migration.token_exchange.tables import exchanged_tokens
from authshift.storage.combined import Write
from authshift.storage.db import is_postgres
from authshift.storage.types import UtcDateTime, utcnow


def keep_until(expires_at: float | None, *, leeway_seconds: int, window_seconds: int, now: datetime) -> datetime:
    """How long a claim must last: past the token's expiry (and leeway), or the window without exp."""
    if expires_at is None:
        return now + timedelta(seconds=window_seconds)
    return max(datetime.fromtimestamp(expires_at, UTC) + timedelta(seconds=leeway_seconds), now)


@functools.cache
def claim_write(name: str, postgres: bool) -> Write:
    """The claiming upsert, built once, its values bound as ``<name>__...`` (see ``claim_values``);
    it returns the token key when the token is claimed, no row when it is a replay."""
    insert = pg_insert if postgres else sqlite_insert
    t = exchanged_tokens.c
    now = sa.bindparam(f"{name}__now", type_=UtcDateTime)
    until = sa.bindparam(f"{name}__until", type_=UtcDateTime)
    stmt = (
        insert(exchanged_tokens)
        .values(issuer=sa.bindparam(f"{name}__issuer", type_=sa.Text),
                token_key=sa.bindparam(f"{name}__token_key", type_=sa.Text), exchanged_at=now, keep_until=until)
        .on_conflict_do_update(
            index_elements=[t.issuer, t.token_key],
            set_={"exchanged_at": now, "keep_until": until},
            where=t.keep_until < now,
        )
        .returning(t.token_key)
    )
    return Write(name, stmt)


def claim_values(name: str, issuer: str, token_key: str, until: datetime, now: datetime) -> dict[str, Any]:
    return {f"{name}__issuer": issuer, f"{name}__token_key": token_key, f"{name}__until": until, f"{name}__now": now}


async def claim_token(conn: AsyncConnection, issuer: str, token_key: str, until: datetime, *, now: datetime | None = None) -> bool:
    """True when this exchange may use the token; False when it was exchanged already."""
    stmt = claim_write("claim", is_postgres(conn)).statement
    return (await conn.execute(stmt, claim_values("claim", issuer, token_key, until, now or utcnow()))).first() is not None


async def prune_claims(conn: AsyncConnection, *, now: datetime | None = None) -> int:
    result = await conn.execute(exchanged_tokens.delete().where(exchanged_tokens.c.keep_until < (now or utcnow())))
    return int(result.rowcount or 0)
