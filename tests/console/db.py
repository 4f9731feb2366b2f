"""Reading the test database directly, to compare what the console shows with what is stored."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from authshift.storage.db import create_engine


async def query(db_url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(sa.text(sql), params)).all())
    finally:
        await engine.dispose()
