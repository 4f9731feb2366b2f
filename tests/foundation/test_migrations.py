"""The Alembic migrations build exactly the schema the code declares, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from authshift.schema import metadata
from authshift.storage.db import create_engine


async def test_migrations_match_the_declared_tables(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": False}), metadata)
            )
    finally:
        await engine.dispose()
    assert diff == [], f"the migrations and the table definitions disagree: {diff}"
