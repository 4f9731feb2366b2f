"""``authshift db``: schema management."""

from __future__ import annotations

import typer

from authshift.cli.context import settings
from authshift.storage import migrate

app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Bring the database schema up to date (runs every pending Alembic migration)."""
    cfg = settings()
    migrate.upgrade(cfg.database_url)
    typer.echo("database schema is up to date")
