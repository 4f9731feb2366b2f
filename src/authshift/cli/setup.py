"""Creating and upgrading an instance: what ``db upgrade`` and ``serve`` (and nothing else) do."""

from __future__ import annotations

import typer

from authshift.cli.instance import missing_parts, sqlite_file, where
from authshift.config import Settings
from authshift.security.instance_secrets import load_instance_secrets
from authshift.storage import migrate


def prepare_instance(cfg: Settings) -> None:
    """Create the instance if there is none and bring its schema up to date, saying what changed."""
    missing = missing_parts(cfg)
    if missing:
        typer.echo(f"creating an authshift instance in {where(cfg)} ({'; '.join(missing)})", err=True)
    db_file = sqlite_file(cfg.database_url)
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
    load_instance_secrets(cfg)  # writes the secrets file when it is not there and not in the environment
    before = migrate.current_revisions(cfg.database_url)
    heads = migrate.schema_heads(cfg.database_url)
    if set(before) == set(heads):
        return
    migrate.upgrade(cfg.database_url)
    typer.echo(
        f"upgraded the database schema from revision {', '.join(before) or 'none'} to {', '.join(heads)}", err=True
    )
