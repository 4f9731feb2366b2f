"""Bring a database's schema up to date with Alembic (``authshift db upgrade`` and ``serve``), and
tell every other command whether the schema is the one it was written for (they never change it)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from authshift.config import async_database_url
from authshift.storage.db import create_engine

_HERE = Path(__file__).parent


def alembic_config(database_url: str, *, metadata: MetaData | None = None) -> Config:
    """Alembic's configuration for ``database_url``; ``metadata`` (``authshift.schema.metadata``)
    only to autogenerate a revision, given by the caller because storage never imports the domain."""
    cfg = Config()
    if metadata is not None:
        cfg.attributes["target_metadata"] = metadata
    cfg.set_main_option("script_location", str(_HERE / "alembic"))
    cfg.set_main_option("sqlalchemy.url", async_database_url(database_url).replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Apply every pending migration (all heads: feature branches of the schema each have one)."""
    command.upgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url)


def current(database_url: str) -> None:
    command.current(alembic_config(database_url), verbose=False)


class SchemaMismatch(Exception):
    """The database's schema revision is not the one this authshift was written for."""


@dataclass(frozen=True)
class SchemaState:
    current: tuple[str, ...]  # the database's revisions (empty: no authshift schema)
    heads: tuple[str, ...]  # what this authshift's migrations end at
    unknown: tuple[str, ...]  # database revisions this authshift has no migration for (ahead)

    @property
    def up_to_date(self) -> bool:
        return set(self.current) == set(self.heads)

    def describe(self) -> str:
        """Why a command other than ``db upgrade`` refuses this database, naming both revisions."""
        have, need = ", ".join(self.current) or "none", ", ".join(self.heads)
        if self.unknown:
            return (f"the database schema is at revision {have}, which this authshift (schema {need}) does not "
                    "know: a newer authshift has upgraded it; run that version")
        if not self.current:
            return (f"the database has no authshift schema (revision none; this authshift needs {need}): "
                    "run `authshift db upgrade` first")
        return (f"the database schema is at revision {have}, behind this authshift's {need}: run "
                "`authshift db upgrade` (the only command that changes the schema)")


def schema_heads(database_url: str) -> tuple[str, ...]:
    return tuple(sorted(ScriptDirectory.from_config(alembic_config(database_url)).get_heads()))


async def schema_state(engine: AsyncEngine, database_url: str) -> SchemaState:
    """Read the database's Alembic revision(s) and compare them with this authshift's heads."""
    async with engine.connect() as conn:
        current = await conn.run_sync(lambda c: tuple(sorted(MigrationContext.configure(c).get_current_heads())))
    script = ScriptDirectory.from_config(alembic_config(database_url))
    unknown = []
    for revision in current:
        try:
            known = script.get_revision(revision)
        except Exception:  # noqa: BLE001 - alembic raises several kinds for a revision it has no file for
            known = None
        if known is None:
            unknown.append(revision)
    return SchemaState(current, tuple(sorted(script.get_heads())), tuple(unknown))


async def check_schema(engine: AsyncEngine, database_url: str) -> None:
    """Refuse (``SchemaMismatch``) a database this authshift's schema is not exactly the one of."""
    state = await schema_state(engine, database_url)
    if not state.up_to_date:
        raise SchemaMismatch(state.describe())


def current_revisions(database_url: str) -> tuple[str, ...]:
    """The database's revisions, read on a short-lived engine (``serve`` and ``db upgrade``)."""

    async def read() -> tuple[str, ...]:
        engine = create_engine(database_url)
        try:
            return (await schema_state(engine, database_url)).current
        finally:
            await engine.dispose()

    return asyncio.run(read())
